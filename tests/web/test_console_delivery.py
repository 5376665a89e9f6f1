"""Console delivery pages: the outbox, dead letters retried from the page, the sandbox inbox,
and the dashboard's newest posts – against the real sandbox over HTTP."""

from __future__ import annotations

from server.common.auth import Grant, Principal
from server.delivery.models import Channel, DeliveryStatus
from server.delivery.sandbox_inbox import sandbox_inbox
from server.delivery.service import notify
from server.publicity.models import Post
from server.wechat.sandbox import SandboxState, oa_openid_for, openid_for
from tests.delivery.helpers import Parent, fault, settle, subscribe
from tests.support.factories import login, make_kindergarten, make_person, unique
from tests.web.console import console_person, page_csrf, password_login

START = "2026-11-25T14:30:00+08:00"


async def _subscribed(client, sandbox_client, *, name: str, role: str, kg) -> Parent:
    """A person of `role` who logged in through the sandbox and took one notice subscription."""
    code = unique("teacher")
    person = await make_person(name, grants=((role, "kindergarten", kg.id),), teacher_of=kg)
    who = await login(client, code, person=person)
    someone = Parent(who=who, openid=openid_for(code))
    await subscribe(client, sandbox_client, someone)
    return someone


async def _notice(*people: Parent, key: str, title: str = "送教下乡活动安排"):
    await notify(
        person_ids=[p.person_id for p in people],
        kind="notice",
        key=key,
        title=title,
        body="本周五上午九点在中心园开展送教活动。",
        fields={"time": START, "note": "请提前十分钟到场"},
        page="pages/notice/index?id=1",
    )
    return await settle(key=key)


async def _admin(browser) -> None:
    _, login_name = await console_person("admin")
    assert (await password_login(browser, login_name)).status_code == 303


async def test_the_outbox_shows_sent_and_failed_and_a_dead_letter_is_retried_from_the_page(
    browser, client, sandbox_client
):
    kg = await make_kindergarten()
    sent_to = await _subscribed(client, sandbox_client, name="王老师", role="teacher", kg=kg)
    failed_to = await _subscribed(client, sandbox_client, name="赵老师", role="teacher", kg=kg)
    await _notice(sent_to, key="notice:ok")
    # WeChat busy on every try: the message becomes a dead letter.
    await fault(sandbox_client, kind="subscribe_send", errcode=-1)
    [row] = await _notice(failed_to, key="notice:bad")
    assert row.status == DeliveryStatus.FAILED
    await _admin(browser)

    page = await browser.get("/console/delivery")
    assert page.status_code == 200
    assert "notice:ok" in page.text and "notice:bad" in page.text
    assert "已发送" in page.text and "订阅消息" in page.text
    assert "发送失败：微信系统繁忙，请稍后再试" in page.text
    assert "王老师" not in page.text and "送教下乡活动安排" not in page.text  # as the API
    only_failed = await browser.get("/console/delivery", params={"status": "failed"})
    assert "notice:bad" in only_failed.text and "notice:ok" not in only_failed.text
    by_channel = await browser.get("/console/delivery", params={"channel": "subscribe"})
    assert "notice:ok" in by_channel.text and "notice:bad" not in by_channel.text
    bad = await browser.get("/console/delivery", params={"status": "lost"})
    assert bad.status_code == 400 and "状态取值不正确" in bad.text

    letters = await browser.get("/console/delivery/dead-letters")
    assert "微信系统繁忙" in letters.text and "全部重发" in letters.text
    token = await page_csrf(browser, "/console/delivery/dead-letters")
    await sandbox_client.delete("/sandbox/faults")
    # Without the page's token nothing is queued.
    refused = await browser.post(f"/console/delivery/dead-letters/{row.id}/retry")
    assert refused.status_code == 403 and "页面已过期" in refused.text
    await row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED

    done = await browser.post(
        f"/console/delivery/dead-letters/{row.id}/retry", data={"csrf_token": token}
    )
    assert done.status_code == 303 and done.headers["location"] == "/console/delivery/dead-letters"
    [row] = await settle(key="notice:bad")
    assert (row.status, row.channel) == (DeliveryStatus.SENT, Channel.SUBSCRIBE)
    assert "没有发送失败的消息" in (await browser.get("/console/delivery/dead-letters")).text

    # Retrying all shown leaves alone the one that is no longer failed, and says so.
    again = await browser.post(
        "/console/delivery/dead-letters/retry", data={"csrf_token": token, "id": [str(row.id)]}
    )
    assert again.status_code == 303
    shown = await browser.get(again.headers["location"])
    assert "已重新排队 0 条，1 条已不是失败状态" in shown.text


async def test_others_than_admins_are_refused_as_by_the_api(browser):
    kg = await make_kindergarten()
    _, login_name = await console_person("director", scope_id=kg.id)
    await password_login(browser, login_name)
    for path in ("/console/delivery", "/console/delivery/dead-letters", "/console/sandbox-inbox"):
        page = await browser.get(path)
        assert page.status_code == 403 and "您没有权限查看此页面" in page.text
    token = await page_csrf(browser, "/console/dashboard")
    post = await browser.post("/console/delivery/dead-letters/1/retry", data={"csrf_token": token})
    assert post.status_code == 403
    assert 'href="/console/delivery"' not in (await browser.get("/console/dashboard")).text


async def test_the_sandbox_inbox_shows_what_a_teacher_received(browser, client, sandbox_client):
    kg = await make_kindergarten()
    teacher = await _subscribed(client, sandbox_client, name="李晓红", role="teacher", kg=kg)
    parent_person = await make_person("周明辉", grants=(("parent", "kindergarten", kg.id),))
    code = unique("parent")
    parent = Parent(who=await login(client, code, person=parent_person), openid=openid_for(code))
    await subscribe(client, sandbox_client, parent)
    await _notice(teacher, parent, key="notice:inbox", title="秋季送教活动")
    await _admin(browser)

    page = await browser.get("/console/sandbox-inbox")
    assert page.status_code == 200
    assert "李晓红" in page.text and "教师" in page.text and "订阅消息" in page.text
    assert "秋季送教活动" in page.text and "请提前十分钟到场" in page.text
    assert "标题：" in page.text and "备注：" in page.text and "已送达" in page.text
    assert "周明辉" not in page.text and "周**" in page.text  # parents' names masked
    mine = await browser.get("/console/sandbox-inbox", params={"person": teacher.person_id})
    assert "李晓红" in mine.text and "周**" not in mine.text.split("<tbody>")[1]


async def test_the_sandbox_inbox_says_so_when_real_wechat_is_used(settings):
    real = settings.model_copy(
        update={"env": "production", "wechat_api_base": "https://api.weixin.qq.com"}
    )
    admin = Principal(
        account_id=1, person_id=None, session_id="s", grants=(Grant("admin", "global", 0),)
    )
    data = await sandbox_inbox(principal=admin, settings=real)
    assert data == {"in_use": False, "items": [], "people": [], "total": 0}
    assert settings.uses_sandbox


async def test_the_dashboard_lists_the_newest_posts_the_person_may_see(browser):
    mine, theirs = await make_kindergarten(), await make_kindergarten()
    post = await Post.create(kindergarten=mine, title="送教活动纪实", html="<p>纪实</p>")
    await Post.create(kindergarten=theirs, title="别园的推文", html="<p>别园</p>")
    _, login_name = await console_person("organizer", scope_id=mine.id)
    await password_login(browser, login_name)
    page = await browser.get("/console/dashboard")
    assert page.status_code == 200 and "最新推文" in page.text
    assert f'href="/console/posts/{post.id}"' in page.text and "送教活动纪实" in page.text
    assert "别园的推文" not in page.text


async def test_the_embedded_sandbox_is_read_in_process_and_its_oa_openids_found(client, settings):
    # As `songjiao serve --demo` runs: the sandbox's state object, 公众号 openids by login name.
    embedded = settings.model_copy(update={"wechat_api_base": ""})
    state = SandboxState(appid="wx_probe", secret="probe-secret")
    leader = await make_person("钱局长", grants=(("leader", "region", 1),))
    await login(client, "probe-leader", person=leader)
    oa_openid = oa_openid_for("probe-leader")
    state.oa_names[oa_openid] = "probe-leader"
    tpl = embedded.templates["activity_published"]
    entry = state.record(
        "template_send",
        {
            "touser": oa_openid,
            "template_id": tpl.oa_id,
            "data": {tpl.oa_fields["title"]: {"value": "送教下乡：绘本示范课"}},
        },
    )
    state.complete(entry, errcode=43004, errmsg="require subscribe", delivered=False)
    admin = Principal(
        account_id=1, person_id=None, session_id="s", grants=(Grant("admin", "global", 0),)
    )
    data = await sandbox_inbox(principal=admin, settings=embedded, state=state)
    [item] = data["items"]
    assert item["recipient"]["name"] == "钱局长" and item["recipient"]["roles"] == "领导"
    assert item["channel"] == "模板消息" and item["kind_name"] == "活动通知"
    assert item["fields"] == [("标题", "送教下乡：绘本示范课")]
    assert (
        not item["delivered"] and item["result"] == "微信接口调用失败，请稍后重试（错误码 43004）"
    )
