"""群发 in the sandbox: sendall takes a job, MASSSENDJOBFINISH tells how it ended.

WeChat's documentation (群发接口, 事件推送群发结果): "由于群发任务提交后，群发任务可能在一定时间后
才完成，因此，群发接口调用时，仅会给出群发任务是否提交成功的提示，若群发任务提交成功，则在群发任务
结束时，会向开发者在公众平台填写的开发者URL（callback URL）推送事件。" The event names the job by
`MsgID`; `Status` is "send success", "send fail" or "err(num)", where "err(40001)：管理员拒绝,
err(40002)：管理员30分钟内无响应，超时" are the 群发保护 outcomes ("对于已开启 API 群发保护的账号，
群发全部用户时需要等待管理员进行确认，如管理员拒绝或30分钟内没有确认，该次群发失败").
"""

from __future__ import annotations

import re
import secrets
import time
from xml.sax.saxutils import escape

from server.wechat.sandbox.endpoint import Call, error, ok
from server.wechat.sandbox.events import ACCOUNT_ID, DELAY_S, push_later
from server.wechat.sandbox.state import MassJob, MassOutcome, SandboxState

_STATUS_RE = re.compile(r"send success|send fail|err\(\d{1,6}\)")
#: 群发 accounts are served by WeChat's 群发助手; its events come from this sender.
MASS_SENDER = "mphelper"


def parse_mass_outcome(body: dict) -> MassOutcome:
    """The /sandbox/mass_outcome body as an outcome; ValueError when it is not one."""
    status = body.get("status", "send success")
    followers, errors = body.get("followers", 100), body.get("errors", 0)
    if not isinstance(status, str) or not _STATUS_RE.fullmatch(status):
        raise ValueError("status")
    for value in (followers, errors):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError("count")
    return MassOutcome(status=status, followers=followers, errors=min(errors, followers))


def mass_finished_xml(job: MassJob, *, article_url: str) -> str:
    """The MASSSENDJOBFINISH event of a 群发 job, in WeChat's XML (as in its documentation)."""
    outcome = job.outcome
    success = outcome.status == "send success"
    total = outcome.followers
    sent, errors = (total - outcome.errors, outcome.errors) if success else (0, 0)
    urls = ""
    if success:
        urls = "".join(
            f"<item><ArticleIdx>{i}</ArticleIdx>"
            f"<ArticleUrl><![CDATA[{article_url}?idx={i}]]></ArticleUrl></item>"
            for i in range(1, len(job.articles) + 1)
        )
    count = len(job.articles) if success else 0
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT_ID}]]></ToUserName>"
        f"<FromUserName><![CDATA[{MASS_SENDER}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[MASSSENDJOBFINISH]]></Event><MsgID>{job.msg_id}</MsgID>"
        f"<Status><![CDATA[{escape(outcome.status)}]]></Status>"
        f"<TotalCount>{total}</TotalCount><FilterCount>{sent + errors}</FilterCount>"
        f"<SentCount>{sent}</SentCount><ErrorCount>{errors}</ErrorCount>"
        "<CopyrightCheckResult><Count>0</Count><ResultList></ResultList>"
        "<CheckState>1</CheckState></CopyrightCheckResult>"
        f"<ArticleUrlResult><Count>{count}</Count><ResultList>{urls}</ResultList>"
        "</ArticleUrlResult></xml>"
    )


async def mass_sendall(state: SandboxState, call: Call) -> dict:
    """POST /cgi-bin/message/mass/sendall: take a 群发 job for a draft; the outcome comes later.

    The mpnews media_id must be a draft in the 草稿箱 ("对于群发和预览接口中的图文消息 (mpnews)，
    请使用通过 “草稿箱 / 新建草稿” 接口获得的 media_id"), and "草稿一经群发，即从草稿箱移除": a
    draft sent once, or published by freepublish, is refused with 40007 (invalid media_id).
    A clientmsgid seen in the last 24 hours answers 45065 with the first job's msg_id
    ("开发者可以主动设置 clientmsgid 来避免重复推送"); a used-up quota answers 45028.
    """
    body = call.body
    if body.get("msgtype") != "mpnews":
        return error(40008)
    if not isinstance(body.get("filter"), dict) or body["filter"].get("is_to_all") is not True:
        return error(40097)
    clientmsgid = body.get("clientmsgid")
    # A repeat is recognised by its clientmsgid before anything else: its draft is gone.
    if isinstance(clientmsgid, str) and clientmsgid in state.mass_sent:
        return {**error(45065), "msg_id": state.mass_sent[clientmsgid]}
    media_id = (body.get("mpnews") or {}).get("media_id")
    if not isinstance(media_id, str) or media_id not in state.drafts:
        return error(40007)
    if not state.take_mass_quota():
        return error(45028)
    msg_id = state.next_msgid()
    if isinstance(clientmsgid, str):
        state.mass_sent[clientmsgid] = msg_id
    articles = state.drafts.pop(media_id)
    job = MassJob(msg_id, articles, state.mass_outcome, finishes_at=state.now() + DELAY_S)
    if job.outcome.status == "send success":
        job.article_id = secrets.token_urlsafe(24)
        state.articles[job.article_id] = articles
    state.mass_jobs[msg_id] = job
    if state.event_push is not None:
        base = f"{call.request.scheme}://{call.request.host}"
        url = state.public_url(base, f"/sandbox/articles/{job.article_id}")
        push_later(state.event_push, mass_finished_xml(job, article_url=url))
    # "errmsg":"send job submission success": the job is taken, nothing is sent yet.
    return {
        **ok(msg_id=msg_id, msg_data_id=msg_id + 1_000_000_000),
        "errmsg": "send job submission success",
    }


async def mass_get(state: SandboxState, call: Call) -> dict:
    """POST /cgi-bin/message/mass/get: a job's msg_status.

    WeChat's documentation: "SEND_SUCCESS表示发送成功，SENDING表示发送中，SEND_FAIL表示发送失败".
    """
    try:
        job = state.mass_jobs.get(int(str(call.body.get("msg_id"))))
    except ValueError:
        job = None
    if job is None:
        return error(40059)
    if state.now() < job.finishes_at:
        status = "SENDING"
    else:
        status = "SEND_SUCCESS" if job.outcome.status == "send success" else "SEND_FAIL"
    return {"msg_id": job.msg_id, "msg_status": status}
