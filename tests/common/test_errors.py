"""Every error answers {"error", "message"} in Chinese; nothing leaks a stack trace."""

from __future__ import annotations

import json
from types import SimpleNamespace

from tortoise.exceptions import DBConnectionError

from server.common.errors import DomainError, NotFound, handle_error

REQUEST = SimpleNamespace(method="GET", path="/api/v1/x")


async def test_domain_error_answers_its_code_and_status():
    resp = await handle_error(REQUEST, DomainError("conflict", "已存在"))
    assert resp.status == 409
    assert json.loads(resp.body) == {"error": "conflict", "message": "已存在"}


async def test_not_found_names_the_thing_in_chinese():
    resp = await handle_error(REQUEST, NotFound("幼儿园"))
    assert resp.status == 404 and "幼儿园不存在" in json.loads(resp.body)["message"]


async def test_unexpected_error_is_a_500_without_trace_or_detail(caplog):
    resp = await handle_error(REQUEST, RuntimeError("secret internals at /srv/app.py line 3"))
    body = json.loads(resp.body)
    assert resp.status == 500
    assert body == {"error": "internal", "message": "服务器内部错误，请稍后重试"}
    assert "secret internals" not in resp.body.decode()


async def test_database_down_is_a_503_in_chinese():
    resp = await handle_error(REQUEST, DBConnectionError("connection refused"))
    assert resp.status == 503
    assert json.loads(resp.body)["message"] == "数据库暂时不可用，请稍后重试"
