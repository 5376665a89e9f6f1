"""Assertions shared by the orgs tests."""

from __future__ import annotations

import re

import httpx

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def refused(resp: httpx.Response, status: int, code: str | None = None) -> dict:
    """The answer is a refusal with this status, code and a Chinese message."""
    assert resp.status_code == status, resp.text
    body = resp.json()
    if code is not None:
        assert body["error"] == code, body
    assert CHINESE.search(body["message"]), body
    return body


def ok(resp: httpx.Response, status: int = 200) -> dict:
    """The answer succeeded with this status; its JSON body."""
    assert resp.status_code == status, resp.text
    return resp.json()
