"""Sandbox drafts and 群发 follow WeChat's documentation: a used draft is gone; sendall takes a
job whose outcome message/mass/get (and MASSSENDJOBFINISH) tell later."""

from __future__ import annotations

import asyncio

from server.wechat.sandbox.events import DELAY_S
from tests.wechat.test_sandbox_publish import _draft, _outcome


def _sendall(media_id: str, clientmsgid: str) -> dict:
    return {
        "filter": {"is_to_all": True},
        "mpnews": {"media_id": media_id},
        "msgtype": "mpnews",
        "clientmsgid": clientmsgid,
    }


async def test_a_published_draft_is_gone_and_cannot_be_published_or_sent(sandbox):
    draft = await _draft(sandbox)
    assert (await sandbox.call("/cgi-bin/freepublish/submit", {"media_id": draft}))["errcode"] == 0
    again = await sandbox.call("/cgi-bin/freepublish/submit", {"media_id": draft})
    assert again["errcode"] == 40007 and again["errmsg"] == "invalid media_id"
    sent = await sandbox.call("/cgi-bin/message/mass/sendall", _sendall(draft, "after-publish"))
    assert sent["errcode"] == 40007


async def test_a_draft_whose_publish_failed_stays_in_the_draft_box(sandbox):
    await _outcome(sandbox, status=3)
    draft = await _draft(sandbox)
    assert (await sandbox.call("/cgi-bin/freepublish/submit", {"media_id": draft}))["errcode"] == 0
    await _outcome(sandbox, status=0)
    assert (await sandbox.call("/cgi-bin/freepublish/submit", {"media_id": draft}))["errcode"] == 0


async def test_sendall_takes_a_job_and_the_draft_leaves_the_draft_box(sandbox):
    draft = await _draft(sandbox)
    taken = await sandbox.call("/cgi-bin/message/mass/sendall", _sendall(draft, "job-1"))
    assert taken["errcode"] == 0 and taken["errmsg"] == "send job submission success"
    assert taken["msg_data_id"] and taken["msg_id"]
    status = await sandbox.call("/cgi-bin/message/mass/get", {"msg_id": taken["msg_id"]})
    assert status["msg_status"] == "SENDING"
    await asyncio.sleep(DELAY_S + 0.1)
    status = await sandbox.call("/cgi-bin/message/mass/get", {"msg_id": taken["msg_id"]})
    assert status == {"msg_id": taken["msg_id"], "msg_status": "SEND_SUCCESS"}
    # The same clientmsgid is a repeat of that job; another is refused: the draft is gone.
    repeat = await sandbox.call("/cgi-bin/message/mass/sendall", _sendall(draft, "job-1"))
    assert repeat["errcode"] == 45065 and repeat["msg_id"] == taken["msg_id"]
    other = await sandbox.call("/cgi-bin/message/mass/sendall", _sendall(draft, "job-2"))
    assert other["errcode"] == 40007


async def test_the_mass_outcome_is_chosen_by_the_control_and_checked(sandbox):
    control = f"{sandbox.url}/sandbox/mass_outcome"
    for bad in ({"status": "maybe"}, {"followers": -1}, {"errors": True}):
        assert (await sandbox.http.post(control, json=bad)).status_code == 400
    chosen = await sandbox.http.post(control, json={"status": "err(40002)"})
    assert chosen.status_code == 200 and chosen.json()["status"] == "err(40002)"
    draft = await _draft(sandbox)
    taken = await sandbox.call("/cgi-bin/message/mass/sendall", _sendall(draft, "job-3"))
    await asyncio.sleep(DELAY_S + 0.1)
    status = await sandbox.call("/cgi-bin/message/mass/get", {"msg_id": taken["msg_id"]})
    assert status["msg_status"] == "SEND_FAIL"
    unknown = await sandbox.call("/cgi-bin/message/mass/get", {"msg_id": 12345})
    assert unknown["errcode"] == 40059
