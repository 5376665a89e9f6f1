"""The sandbox inbox reads a separate sandbox's outbox over HTTP, and says so when it cannot."""

from __future__ import annotations

import pytest

from server.common.errors import DomainError
from server.delivery.sandbox_inbox import read_outbox
from tests.support.servers import free_port


async def test_a_separate_sandboxs_outbox_is_read_over_http(client, sandbox_client, settings):
    sent = await sandbox_client.post(
        "/cgi-bin/webhook/send",
        params={"key": "robot-key"},
        json={"msgtype": "text", "text": {"content": "周五送教，请准时到场"}},
    )
    assert sent.json()["errcode"] == 0
    entries = await read_outbox(settings=settings)
    assert [(e["kind"], e["request"]["text"]["content"]) for e in entries] == [
        ("wecom_send", "周五送教，请准时到场")
    ]


async def test_an_unreachable_sandbox_is_a_clear_error(settings):
    nobody = settings.model_copy(update={"wechat_api_base": f"http://127.0.0.1:{free_port()}"})
    with pytest.raises(DomainError) as refused:
        await read_outbox(settings=nobody)
    assert refused.value.code == "sandbox_unreachable" and refused.value.status == 502


async def test_a_sandbox_answering_an_error_is_a_clear_error(settings, sandbox):
    # The sandbox answers 404 for a path it does not serve: not an outbox.
    wrong = settings.model_copy(update={"wechat_api_base": f"{sandbox.url}/no-such-prefix"})
    with pytest.raises(DomainError) as refused:
        await read_outbox(settings=wrong)
    assert refused.value.code == "sandbox_unreachable"
