"""Sandbox faults: busy, quota, slow answers, token expiry; faulted calls are not delivered."""

from __future__ import annotations

import time

from server.wechat.sandbox import openid_for
from tests.support.sandbox import read_outbox

OPENID = openid_for("teacher_chen")
TEXT = {"touser": OPENID, "msgtype": "text", "text": {"content": "提醒"}}


async def test_fault_with_times_answers_errcode_that_many_times(sandbox):
    await sandbox.fault(kind="custom_send", errcode=-1, times=2)
    answers = [await sandbox.call("/cgi-bin/message/custom/send", TEXT) for _ in range(3)]
    assert [a["errcode"] for a in answers] == [-1, -1, 0]
    assert answers[0]["errmsg"] == "system error"


async def test_wildcard_fault_hits_every_kind(sandbox):
    token = await sandbox.token()
    await sandbox.fault(kind="*", errcode=45009)
    answer = (
        await sandbox.http.post(
            f"{sandbox.url}/cgi-bin/menu/create",
            params={"access_token": token},
            json={"button": []},
        )
    ).json()
    assert answer == {"errcode": 45009, "errmsg": "reach max api daily quota limit"}


async def test_faulted_subscribe_send_keeps_quota_and_is_recorded_undelivered(sandbox):
    await sandbox.grant(OPENID, "tmpl")
    await sandbox.fault(kind="subscribe_send", errcode=-1, times=1)
    body = {"touser": OPENID, "template_id": "tmpl", "data": {"thing1": {"value": "提醒"}}}
    failed = await sandbox.call("/cgi-bin/message/subscribe/send", body)
    delivered = await sandbox.call("/cgi-bin/message/subscribe/send", body)
    assert failed["errcode"] == -1 and delivered["errcode"] == 0
    entries = await read_outbox(sandbox.url, kind="subscribe_send")
    assert [(e["errcode"], e["delivered"]) for e in entries] == [(-1, False), (0, True)]


async def test_rate_zero_never_fires_and_rate_one_always_fires(sandbox):
    await sandbox.fault(kind="custom_send", errcode=-1, rate=0.0)
    assert (await sandbox.call("/cgi-bin/message/custom/send", TEXT))["errcode"] == 0
    await sandbox.http.delete(f"{sandbox.url}/sandbox/faults")
    await sandbox.fault(kind="custom_send", errcode=-1, rate=1.0)
    assert (await sandbox.call("/cgi-bin/message/custom/send", TEXT))["errcode"] == -1


async def test_delay_fault_slows_the_answer(sandbox):
    await sandbox.fault(kind="custom_send", delay=0.3, times=1)
    start = time.monotonic()
    answer = await sandbox.call("/cgi-bin/message/custom/send", TEXT)
    assert answer["errcode"] == 0
    assert time.monotonic() - start >= 0.3


async def test_clearing_faults_restores_normal_answers(sandbox):
    await sandbox.fault(kind="custom_send", errcode=-1)
    await sandbox.http.delete(f"{sandbox.url}/sandbox/faults")
    assert (await sandbox.call("/cgi-bin/message/custom/send", TEXT))["errcode"] == 0


async def test_bad_fault_requests_are_refused_in_chinese(sandbox):
    response = await sandbox.http.post(f"{sandbox.url}/sandbox/faults", json={"kind": "x"})
    assert response.status_code == 400
    assert "errcode" in response.json()["message"]
    response = await sandbox.http.post(
        f"{sandbox.url}/sandbox/faults", json={"kind": "x", "errcode": -1, "rate": 2}
    )
    assert response.status_code == 400
