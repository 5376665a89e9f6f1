"""A real week of one county, end to end, on the real processes (issue 16's standing check).

湘江县 starts using 送教通 on Monday 31 August 2026, the first week of 2026秋 (August is
the summer holiday). Everyone acts through the api as the mini-program calls it, or at the
console in Chromium; the clock of every process moves through the week to Monday 7
September 08:00, when the scheduler makes the weekly summary. The test then reads what each
person received (the sandbox's outbox for WeChat messages, the inbox page otherwise) and
checks every figure printed about the week against its own count of the same rows in SQL.

What it would have caught (issue 16): an open-day invitation linked to an activity that
reached no parent (1); a cancellation without 已取消 or its reason, with its RSVP still open
(3); a post written, reviewed and signed by one person, or refused to the organizer who ran
the 送教 (6); August counted as a month without visits, so every pairing raised an alert on
day one (12); the organizer and a visitor counted among "N名教师参加", presenters listed as
未签到 and no 单位 on the sign-in sheet (14).
"""

from __future__ import annotations

import asyncio
import io
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import openpyxl

from server.demo_data import CONSOLE_PASSWORD
from tests.bots.callback import WeChatServer, event_xml
from tests.support.artifacts import artifacts
from tests.support.http import http_client
from tests.support.sandbox import read_outbox
from tests.week.clock import china
from tests.week.people import Phone, console, nonce

ARTIFACTS = artifacts("week")

SUPPORTING, SUPPORTED = "湘江县实验幼儿园", "湘江县机关幼儿园"
OUTSIDER_KG = "湘江县城南幼儿园"
SEND_TITLE = "送教下乡：大班科学活动《有趣的影子》"
OPEN_DAY_TITLE = "机关幼儿园小班家长开放日"
FRIDAY_TITLE = "机关幼儿园中班亲子活动"
CANCEL_REASON = "园内消杀，亲子活动改期另行通知"


async def _settle(check, *, within: float = 90.0, what: str) -> None:
    """Poll `check` (async, truthy when done) until it holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        if await check():
            return
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.3)


class County:
    """The demo county's people and places, read once from the week's database."""

    def __init__(self, week) -> None:
        self.week = week

    async def load(self) -> County:
        w = self.week
        self.kg = {
            r["name"]: r
            for r in await w.rows("SELECT id, name, lat, lng, address FROM kindergarten")
        }
        self.staff = {}
        for name in (SUPPORTING, SUPPORTED, OUTSIDER_KG):
            kg_id = self.kg[name]["id"]
            self.staff[name] = await w.rows(
                "SELECT p.id, p.name, t.title FROM teacher t JOIN person p ON p.id = t.person_id"
                f" WHERE t.kindergarten_id = {kg_id} ORDER BY t.id"
            )
        supporting, supported = self.kg[SUPPORTING]["id"], self.kg[SUPPORTED]["id"]
        self.pairing_id = await w.one(
            f"SELECT id FROM pairing WHERE supporting_id = {supporting}"
            f" AND supported_id = {supported}"
        )
        self.children = await w.rows(
            "SELECT c.id, g.person_id FROM child c JOIN school_class s ON s.id = c.school_class_id"
            f" JOIN guardian g ON g.child_id = c.id WHERE s.kindergarten_id = {supported}"
            " ORDER BY c.id, g.id"
        )
        return self


async def _onboard(admin: Phone, phone: Phone, *, kind: str, kg_id: int, **who) -> Phone:
    """The admin makes a named invitation; the person logs in and enters its code."""
    invitation = await admin.call(
        "POST",
        "/api/v1/invitations",
        json={"kind": kind, "kindergarten_id": kg_id, **who},
    )
    await phone.login()
    assert phone.person_id is None, "a fresh WeChat login is bound to nobody"
    await phone.redeem(invitation["code"])
    assert phone.person_id == who.get("person_id", phone.person_id)
    return phone


async def _scan(
    phone: Phone, projector: httpx.AsyncClient, link: dict, activity: dict, ok=(200, 201), **extra
):
    """Scan the code on the projector with the phone at the activity's place."""
    code = (
        await projector.get(
            f"/api/v1/activities/{activity['id']}/rotating-code", params={"t": link["token"]}
        )
    ).json()
    body = {
        "scene": code["scene"],
        "nonce": nonce(),
        "location": {"lat": activity["lat"], "lng": activity["lng"], "accuracy": 20},
        **extra,
    }
    return await phone.call("POST", "/api/v1/checkins", json=body, ok=ok)


async def _follow(week, phone: Phone) -> None:
    """She follows the 公众号: WeChat posts the subscribe event to our callback."""
    async with http_client(base_url=week.api, timeout=30) as http:
        server = WeChatServer(http, token=week.env["SONGJIAO_WECHAT_TOKEN"])
        stamp = str(int(week.clock.now().timestamp()))
        reply = await server.post(
            event_xml(phone.oa_openid, "subscribe", at=int(stamp)),
            query=server.query(timestamp=stamp),
        )
        assert reply.status == 200, reply.text


def _text(item: dict) -> str:
    """Everything a WeChat message shows its reader, as one string."""
    data = item["request"].get("data") or {}
    return " ".join(str(v.get("value", "")) for v in data.values())


async def test_a_real_week_in_the_county(week):
    shots = ARTIFACTS
    shots.mkdir(parents=True, exist_ok=True)
    county = await County(week).load()
    phones: list[Phone] = []

    def phone(name: str) -> Phone:
        p = Phone(name, week.api, week.sandbox)
        phones.append(p)
        return p

    try:
        await _act_out_the_week(week, county, phone, shots)
    except BaseException:
        print(week.output())
        raise
    finally:
        await asyncio.gather(*(p.close() for p in phones))


async def _act_out_the_week(week, county: County, phone, shots: Path) -> None:
    supporting_kg, supported_kg = county.kg[SUPPORTING], county.kg[SUPPORTED]
    host_staff = county.staff[SUPPORTED]  # 园长, 保教主任, 教研组长, 教师, 保育员
    sending = county.staff[SUPPORTING]

    # ---- Monday 31 August, 08:30: the admin brings the people in ----------------------------
    admin = await phone("demo-admin").login()
    organizer = await phone("demo-organizer").login()  # 实验幼儿园保教主任
    director = await phone("demo-director").login()  # 实验幼儿园园长
    leader = await phone("demo-leader").login()  # 县教育局
    alliance_leader = await phone("demo-alliance-leader").login()

    host = {}
    for i, person in enumerate(host_staff):
        role = {"园长": "director", "保教主任": "organizer"}.get(person["title"], "teacher")
        host[person["title"]] = await _onboard(
            admin,
            phone(f"wk-host-{i}"),
            kind="teacher",
            kg_id=supported_kg["id"],
            person_id=person["id"],
            role=role,
        )
    presenters = [
        await _onboard(
            admin,
            phone(f"wk-presenter-{i}"),
            kind="teacher",
            kg_id=supporting_kg["id"],
            person_id=sending[i]["id"],
        )
        for i in (2, 3)  # 教研组长, 教师
    ]
    outsider_row = county.staff[OUTSIDER_KG][3]
    outsider = await _onboard(
        admin,
        phone("wk-outsider"),
        kind="teacher",
        kg_id=county.kg[OUTSIDER_KG]["id"],
        person_id=outsider_row["id"],
    )
    families = []
    seen_children: set[int] = set()
    for row in county.children:
        if row["id"] in seen_children or len(families) == 3:
            continue
        seen_children.add(row["id"])
        families.append(
            await _onboard(
                admin,
                phone(f"wk-parent-{len(families)}"),
                kind="parent",
                kg_id=supported_kg["id"],
                child_id=row["id"],
                person_id=row["person_id"],
            )
        )
    # Everyone on a phone allows the messages the mini-program asks for.
    for p in [*host.values(), *presenters, outsider, *families, organizer, director]:
        await p.subscribe()
    # The county leader uses the mini-program and follows the 公众号; the alliance leader
    # only uses the mini-program (her summary goes to a subscribe message or the inbox).
    await _follow(week, leader)
    await alliance_leader.subscribe(("summary",))

    # ---- Monday: the organizer records the 送教下乡 at the partner kindergarten (console) ----
    thursday = china(2026, 9, 3, 9, 0)
    form = [
        {"goto": "/console/activities/new"},
        {"fill": 'input[name="title"]', "value": SEND_TITLE},
        {"select": 'select[name="kind"]', "value": "送教下乡"},
        {"select": 'select[name="host_id"]', "value": str(supported_kg["id"])},
        {"select": 'select[name="pairing_id"]', "value": str(county.pairing_id)},
        {"fill": 'input[name="starts_at"]', "value": thursday.strftime("%Y-%m-%dT%H:%M")},
        {
            "fill": 'input[name="ends_at"]',
            "value": (thursday + timedelta(hours=2, minutes=30)).strftime("%Y-%m-%dT%H:%M"),
        },
        {"fill": 'input[name="attendee_hours"]', "value": "2"},
        {"select": 'select[name="presenter_1"]', "value": str(sending[2]["id"])},
        {"fill": 'input[name="presenter_1_hours"]', "value": "1.5"},
        {"fill": 'input[name="presenter_1_topic"]', "value": "大班科学：有趣的影子"},
        {"select": 'select[name="presenter_2"]', "value": str(sending[3]["id"])},
        {"fill": 'input[name="presenter_2_hours"]', "value": "1"},
        {"fill": 'input[name="presenter_2_topic"]', "value": "评课与研讨"},
        {"value": 'input[name="lat"]', "as": "lat"},
        {"value": 'input[name="address"]', "as": "address"},
        {"shot": "1-organizer-new-activity"},
        {"submit": '#activity-form button[type="submit"]'},
        {"url": "made"},
        {"shot": "2-organizer-activity-made"},
    ]
    seen = console(week.api, "demo-organizer", CONSOLE_PASSWORD, form, shots)
    # The form offered the partner kindergarten with its stored place (item 4).
    assert seen["address"] == supported_kg["address"]
    assert float(seen["lat"]) == supported_kg["lat"]
    send_id = int(seen["made"].rstrip("/").split("/")[-1])
    send = await organizer.call("GET", f"/api/v1/activities/{send_id}")
    assert send["host_id"] == supported_kg["id"] and send["pairing_id"] == county.pairing_id
    assert (send["lat"], send["lng"]) == (supported_kg["lat"], supported_kg["lng"])
    await organizer.call("POST", f"/api/v1/activities/{send_id}/publish")

    # The host's organizer plans a 家长开放日 (Wednesday) and a 亲子活动 (Friday), each with
    # an RSVP notice linked to it (item 1).
    host_organizer = host["保教主任"]
    open_day = await _family_day(
        host_organizer, supported_kg, OPEN_DAY_TITLE, "家长开放日", china(2026, 9, 2, 9, 0)
    )
    open_notice = await _linked_notice(host_organizer, supported_kg, open_day, "小班家长开放日邀请")
    friday = await _family_day(
        host_organizer, supported_kg, FRIDAY_TITLE, "亲子活动", china(2026, 9, 4, 9, 0)
    )
    friday_notice = await _linked_notice(host_organizer, supported_kg, friday, "中班亲子活动报名")

    # ---- Tuesday 1 September: the families answer --------------------------------------------
    week.clock.set(china(2026, 9, 1, 19, 30))
    await _every_parent_was_invited(week, county, families, open_notice)
    first, second, third = families
    await first.call(
        "POST",
        f"/api/v1/notices/{open_notice['id']}/rsvp",
        json={"answer": "yes", "adults": 2, "children": 1},
    )
    await second.call(
        "POST",
        f"/api/v1/notices/{open_notice['id']}/rsvp",
        json={"answer": "yes", "adults": 1, "children": 1},
    )
    await first.call(
        "POST",
        f"/api/v1/notices/{friday_notice['id']}/rsvp",
        json={"answer": "yes", "adults": 1, "children": 1},
    )

    # ---- Wednesday 2 September: the open day, and Friday's activity is cancelled -------------
    week.clock.set(china(2026, 9, 2, 8, 55))
    open_link = await host_organizer.call(
        "POST", f"/api/v1/activities/{open_day['id']}/projector-link"
    )
    async with http_client(base_url=week.api, timeout=30) as projector:
        await _scan(first, projector, open_link, open_day, adults=2, children=1)
        await _scan(second, projector, open_link, open_day, adults=1, children=1)
    week.clock.set(china(2026, 9, 2, 14, 0))
    await host_organizer.call(
        "POST", f"/api/v1/activities/{friday['id']}/cancel", json={"reason": CANCEL_REASON}
    )
    await _cancellation_told(week, county, friday, friday_notice, first, third)

    # ---- Thursday 3 September: the 送教 -------------------------------------------------------
    week.clock.set(china(2026, 9, 3, 8, 50))
    link = await organizer.call("POST", f"/api/v1/activities/{send_id}/projector-link")
    came = [host[t] for t in ("园长", "保教主任", "教研组长", "教师")]  # the 保育员 is away
    async with http_client(base_url=week.api, timeout=30) as projector:
        for p in [*came, *presenters]:
            result = await _scan(p, projector, link, send)
            assert result["status"] == "checked_in", result
        # The organizer trying the code, and a teacher of another kindergarten who came
        # along uninvited: neither is the audience of this 送教; both are told so.
        for p in (organizer, outsider):
            refused = await _scan(p, projector, link, send, ok=(422,))
            assert refused["reason"] == "not_invited" and "名单" in refused["message"], refused
    week.clock.set(china(2026, 9, 3, 11, 35))
    await organizer.call("POST", f"/api/v1/activities/{send_id}/finish")
    await _figures_are_true(week, county, organizer, send_id, came, presenters, shots)

    # ---- Thursday afternoon: 撰稿 → 审核 → 签发, three people (item 6) ------------------------
    week.clock.set(china(2026, 9, 3, 15, 0))
    await _three_people_publish(week, county, organizer, director, leader, send_id, came, shots)

    # ---- Friday 4 September: families rate the open day ------------------------------------
    week.clock.set(china(2026, 9, 4, 10, 0))
    await first.call(
        "POST", f"/api/v1/notices/{open_notice['id']}/feedback", json={"stars": 5, "comment": ""}
    )
    await second.call(
        "POST", f"/api/v1/notices/{open_notice['id']}/feedback", json={"stars": 4, "comment": ""}
    )

    # ---- Monday 7 September, 08:00: the scheduler makes the weekly summary ------------------
    week.clock.set(china(2026, 9, 7, 7, 59, 50))
    await _summary_arrives(week, county, leader, alliance_leader, shots)


async def _family_day(organizer: Phone, kg: dict, title: str, kind: str, starts) -> dict:
    made = await organizer.call(
        "POST",
        "/api/v1/activities",
        json={
            "title": title,
            "kind": kind,
            "host_id": kg["id"],
            "address": kg["address"],
            "lat": kg["lat"],
            "lng": kg["lng"],
            "radius_m": 300,
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "audience_mode": "families",
            "audience_kindergarten_ids": [kg["id"]],
        },
    )
    return await organizer.call("POST", f"/api/v1/activities/{made['id']}/publish")


async def _linked_notice(organizer: Phone, kg: dict, activity: dict, title: str) -> dict:
    notice = await organizer.call(
        "POST",
        "/api/v1/notices",
        json={
            "kindergarten_id": kg["id"],
            "title": title,
            "body": "欢迎各位家长走进幼儿园，观摩半日活动。请在小程序中报名。",
            "audience": {"kindergarten": True},
            "ack_mode": "rsvp",
            "capacity": 20,
            "activity_id": activity["id"],
        },
    )
    return await organizer.call("POST", f"/api/v1/notices/{notice['id']}/publish")


async def _every_parent_was_invited(week, county: County, families, notice: dict) -> None:
    """Item 1: the invitation linked to the open day reached every family of the host."""
    guardians = {r["person_id"] for r in county.children}

    async def delivered():
        rows = await week.rows(
            f"SELECT person_id, status FROM delivery WHERE key = 'notice:{notice['id']}:published'"
        )
        return {r["person_id"] for r in rows if r["status"] == "sent"} == guardians

    await _settle(delivered, what="the open-day invitation to reach every family")
    # The families on a phone got it as a subscribe message, with the day's time and place.
    for family in families:
        sent = await read_outbox(
            week.sandbox, delivered="true", kind="subscribe_send", touser=family.openid
        )
        texts = [_text(i) for i in sent]
        assert any(SUPPORTED in t or "开放日" in t for t in texts), texts


async def _cancellation_told(week, county, activity, notice, signed_up: Phone, other: Phone):
    """Item 3: 已取消 and why, on every channel; the RSVP closes."""

    async def told():
        rows = await week.rows(
            "SELECT person_id, status FROM delivery WHERE kind = 'activity_cancelled'"
            f" AND key LIKE 'activity:{activity['id']}:%'"
        )
        return rows and all(r["status"] in ("sent", "failed") for r in rows)

    await _settle(told, what="the cancellation to be delivered")
    sent = await read_outbox(
        week.sandbox, delivered="true", kind="subscribe_send", touser=signed_up.openid
    )
    cancelled = [_text(i) for i in sent if "已取消" in _text(i)]
    assert cancelled, [_text(i) for i in sent]
    assert any(CANCEL_REASON[:10] in t for t in cancelled), cancelled
    resp = await other.raw(
        "POST", f"/api/v1/notices/{notice['id']}/rsvp", json={"answer": "yes", "adults": 1}
    )
    assert resp.status_code == 409 and "已取消" in resp.json()["message"], resp.text
    shown = await other.call("GET", f"/api/v1/notices/{notice['id']}")
    assert "已取消" in (shown.get("rsvp_closed") or "")


async def _figures_are_true(week, county, organizer, send_id, came, presenters, shots) -> None:
    """Item 14: 应到/实到/未到, the 单位 column and the presenters, against SQL."""
    supported_id = county.kg[SUPPORTED]["id"]
    # Independent count: the host's staff (the activity's audience) with a valid check-in.
    host_staff = {
        r["person_id"]
        for r in await week.rows(
            f"SELECT person_id FROM teacher WHERE kindergarten_id = {supported_id} AND active"
        )
    }
    checked = {
        r["person_id"]
        for r in await week.rows(
            f"SELECT person_id FROM checkin WHERE activity_id = {send_id} AND annulled_at IS NULL"
        )
    }
    attended = host_staff & checked
    assert len(attended) == len(came) == 4
    assert len(checked) == 4 + len(presenters)
    resp = await organizer.raw("GET", f"/api/v1/activities/{send_id}/signin-sheet.xlsx")
    assert resp.status_code == 200, resp.text
    book = openpyxl.load_workbook(io.BytesIO(resp.content))
    cells = [
        [str(c) if c is not None else "" for c in row]
        for ws in book.worksheets
        for row in ws.iter_rows(values_only=True)
    ]
    text = "\n".join(" ".join(r) for r in cells)
    expected, absent = len(host_staff), len(host_staff - checked)
    assert f"应到 {expected}" in text or f"应到{expected}" in text, text[:800]
    assert f"实到 {len(attended)}" in text or f"实到{len(attended)}" in text, text[:800]
    assert f"未到 {absent}" in text or f"未到{absent}" in text, text[:800]
    header = next(r for r in cells if "姓名" in r)
    assert "单位" in header, header
    names = {r["id"]: r["name"] for r in await week.rows("SELECT id, name FROM person")}
    for p in presenters:
        row = next(r for r in cells if names[p.person_id] in r)
        assert "未签到" not in row and any("授课" in c or "主讲" in c for c in row), row


async def _three_people_publish(week, county, organizer, director, leader, send_id, came, shots):
    draft = await organizer.call("POST", f"/api/v1/activities/{send_id}/post", json={})
    post_id = draft["id"]
    # The post says how many of the host's teachers came: its own count, not the scanners.
    assert f"{len(came)}名教师参加" in draft["html"].replace(" ", ""), draft["html"][:600]
    await organizer.call("POST", f"/api/v1/posts/{post_id}/submit", json={"comment": "请审核"})
    refused = await organizer.raw(
        "POST", f"/api/v1/posts/{post_id}/approve", json={"comment": "自己审自己"}
    )
    assert refused.status_code in (403, 409), refused.text
    await director.call(
        "POST", f"/api/v1/posts/{post_id}/approve", json={"comment": "内容属实，同意"}
    )
    refused = await director.raw("POST", f"/api/v1/posts/{post_id}/sign", json={})
    assert refused.status_code in (403, 409), refused.text
    async with http_client(base_url=week.sandbox, timeout=30) as wx:
        await wx.post("/sandbox/event_push", json={})
    steps = [
        {"goto": f"/console/posts/{post_id}"},
        {"frame": "#preview", "as": "preview"},
        {"shot": "3-leader-post-to-sign"},
        {
            "fill": '#sign-post ~ textarea, form:has(#sign-post) [name="comment"]',
            "value": "同意发布",
        },
        {"submit": "#sign-post"},
        {"shot": "4-leader-post-signed"},
    ]
    seen = console(week.api, "demo-leader", CONSOLE_PASSWORD, steps, shots)
    assert seen["dialogs"] == ["签发后推文将发布到公众号，确定签发？"], seen
    # The leader reads the whole phone preview before she signs: nothing cut at the right.
    assert seen["preview"]["scroll"] <= seen["preview"]["client"], seen["preview"]
    assert seen["errors"] == [], seen

    async def published():
        post = await organizer.call("GET", f"/api/v1/posts/{post_id}")
        return post["status"] == "published"

    await _settle(published, what="the post to be published")
    post = await organizer.call("GET", f"/api/v1/posts/{post_id}")
    by_step = {s["step"]: s for s in post["steps"]}
    actors = [s["actor"] for s in post["steps"] if s["actor"]]
    assert len(set(actors)) >= 3, post["steps"]
    comments = [s["comment"] for s in post["steps"]]
    assert "内容属实，同意" in comments and "同意发布" in comments, by_step
    assert post["article_url"]
    # The 简报 PDF prints the same figure.
    resp = await organizer.raw("GET", f"/api/v1/posts/{post_id}/brief.pdf")
    assert resp.status_code == 200
    text = _pdf_text(resp.content, shots / "5-brief")
    assert f"{len(came)}名教师参加" in text.replace(" ", ""), text[:800]


def _pdf_text(data: bytes, pictures: Path) -> str:
    """The PDF's text (pdftotext), its pages rendered to PNG beside it for people to look at."""
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "doc.pdf"
        pdf.write_bytes(data)
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(pictures)], check=True)
        return subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout


def _moment(value) -> datetime:
    """A timestamp column as the database gave it (PostgreSQL: datetime; SQLite: text)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _week_counts(week, first: datetime, last: datetime) -> dict:
    """The week's figures counted from the rows, by this test's own reading of them."""
    acts = [
        a
        for a in await week.rows("SELECT id, kind, status, starts_at FROM activity")
        if first <= _moment(a["starts_at"]) < last and a["status"] != "cancelled"
    ]
    family = {a["id"] for a in acts if a["kind"] in ("家长开放日", "亲子活动")}
    staff = [a["id"] for a in acts if a["id"] not in family]
    ids = ",".join(str(i) for i in staff) or "0"
    checkins = await week.rows(
        f"SELECT person_id FROM checkin WHERE activity_id IN ({ids}) AND annulled_at IS NULL"
    )
    fam = ",".join(str(i) for i in family) or "0"
    families = await week.one(
        f"SELECT COUNT(*) FROM checkin WHERE activity_id IN ({fam}) AND annulled_at IS NULL"
    )
    stars = [r["stars"] for r in await week.rows("SELECT stars FROM notice_feedback")]
    send = [a["id"] for a in acts if a["kind"] in ("送教下乡", "送教到园")]
    hours = await week.rows(
        "SELECT hours FROM activity_presenter WHERE activity_id IN "
        f"({','.join(str(i) for i in send) or '0'})"
    )
    # 应到人次 of the leaders' reports: per activity, its audience kindergartens' active staff,
    # its invitees and its presenters, added up.
    expected = 0
    for activity_id in staff:
        audience = await week.one(
            "SELECT COUNT(*) FROM teacher t JOIN activity_audience aa"
            f" ON aa.kindergarten_id = t.kindergarten_id WHERE aa.activity_id = {activity_id}"
            " AND t.active"
        )
        invitees = await week.one(
            f"SELECT COUNT(*) FROM activity_invitee WHERE activity_id = {activity_id}"
        )
        presenters = await week.one(
            f"SELECT COUNT(*) FROM activity_presenter WHERE activity_id = {activity_id}"
        )
        expected += audience + invitees + presenters
    by_kind: dict[str, int] = {}
    for a in acts:
        by_kind[a["kind"]] = by_kind.get(a["kind"], 0) + 1
    posts = await week.rows("SELECT status, published_at FROM publicity_post")
    return {
        "activities": len(acts),
        "by_kind": by_kind,
        "checkins": len(checkins),
        "expected": expected,
        "teachers_reached": len({r["person_id"] for r in checkins}),
        "families_checked_in": families,
        "satisfaction": (round(sum(stars) / len(stars), 1), len(stars)),
        "send_hours": sum(float(r["hours"]) for r in hours),
        "posts_published": sum(
            1
            for p in posts
            if p["status"] == "published" and first <= _moment(p["published_at"]) < last
        ),
    }


async def _summary_arrives(week, county, leader, alliance_leader, shots):
    """Monday 08:00: each leader receives the summary once, on the best channel she has,
    and every figure in it is the rows' own."""

    async def pushed():
        rows = await week.rows("SELECT status FROM delivery WHERE kind = 'summary'")
        return len(rows) >= 2 and all(r["status"] in ("sent", "failed") for r in rows)

    await _settle(pushed, within=150, what="the scheduler to make and push the weekly summary")
    summaries = {
        (s["scope"]["kind"], s["period"]): s
        for s in (await leader.call("GET", "/api/v1/reports/summaries"))["items"]
    }
    region = summaries[("region", "2026-W36")]
    shown = await leader.call("GET", f"/api/v1/reports/summaries/{region['id']}")
    alliance = (await alliance_leader.call("GET", "/api/v1/reports/summaries"))["items"][0]
    assert alliance["scope"]["kind"] == "alliance"

    # The county leader follows the 公众号: a template message, once, opening his summary.
    sent = await read_outbox(
        week.sandbox, delivered="true", kind="template_send", touser=leader.oa_openid
    )
    summary_msgs = [i for i in sent if "工作周报" in _text(i)]
    assert len(summary_msgs) == 1, [_text(i) for i in sent]
    page = summary_msgs[0]["request"]["miniprogram"]["pagepath"]
    assert page == f"pages/summary/index?id={region['id']}", page
    # The alliance leader allowed summary messages in the mini-program: a subscribe message.
    sent = await read_outbox(
        week.sandbox, delivered="true", kind="subscribe_send", touser=alliance_leader.openid
    )
    assert len(sent) == 1, [_text(i) for i in sent]
    assert sent[0]["request"]["page"] == f"pages/summary/index?id={alliance['id']}"
    # Nobody heard of it twice, and the inbox keeps a copy for each.
    rows = await week.rows("SELECT person_id, channel FROM delivery WHERE kind = 'summary'")
    assert sorted(r["person_id"] for r in rows) == sorted(
        {leader.person_id, alliance_leader.person_id}
    )
    assert {r["person_id"]: r["channel"] for r in rows} == {
        leader.person_id: "template",
        alliance_leader.person_id: "subscribe",
    }

    # Every figure of the county's summary, against the rows.
    counts = await _week_counts(week, china(2026, 8, 31), china(2026, 9, 7))
    happened = shown["happened"]
    assert happened["activities"] == counts["activities"] == 2
    assert {k["kind"]: k["count"] for k in happened["by_kind"]} == counts["by_kind"]
    assert happened["checkins"] == counts["checkins"]
    assert happened["teachers_reached"] == counts["teachers_reached"]
    assert happened["expected"] == counts["expected"]
    assert happened["families_checked_in"] == counts["families_checked_in"] == 2
    satisfaction = happened["satisfaction"]
    assert (satisfaction["average"], satisfaction["count"]) == counts["satisfaction"]
    assert happened["send_hours"] == counts["send_hours"] == 2.5
    assert happened["posts_published"] == counts["posts_published"] == 1
    # Item 12: the first week of 2026秋 (August is the holiday; September not half gone)
    # raises no 每月到园 alert for any pairing.
    targets = {t["key"]: t for t in shown["targets"]["items"]}
    assert targets["monthly_visits"]["status"] == "on_track", targets["monthly_visits"]
    alerts = shown["alerts"]["items"]
    assert not [a for a in alerts if a["target"] == "monthly_visits"], alerts
    assert not [a for a in alerts if "无人到被帮扶园指导" in a["message"]], alerts
