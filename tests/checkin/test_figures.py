"""Every figure of an activity (sheet, post, 简报) comes from figures.py and matches a hand
count of the rows this test makes: the organizer and a visitor who scanned are not among
the host's teachers; presenters are presenters, never absent; 应到 = 实到 + 未到."""

from __future__ import annotations

import io
import re

import openpyxl

from server.checkin.figures import activity_figures
from server.checkin.models import Checkin, CheckinMethod
from server.common.time import now
from server.publicity.models import Post
from tests.publicity.helpers import PUBLICITY, draft
from tests.support.factories import login_as, make_person
from tests.support.world import make_world


async def _came(activity, person, **extra) -> None:
    await Checkin.create(
        activity=activity, person=person, method=CheckinMethod.STATIC, scanned_at=now(), **extra
    )


async def _busy_day(world):
    """Beyond make_world's 3 host teachers who came and its 2 presenters (1.5 课时):"""
    activity = world.activity
    stayed_home = [await make_person(f"缺席{i}", teacher_of=world.supported) for i in range(2)]
    annulled = await make_person("作废者", teacher_of=world.supported)
    await _came(activity, annulled, annulled_at=now(), annul_reason="误扫")
    organizer = await make_person("县园组织者", teacher_of=world.supporting)
    await _came(activity, organizer)  # she ran it; she is not the audience
    visitor = await make_person("路过者")
    await _came(activity, visitor)
    presenter = (await activity.presenters.all().order_by("id"))[0]
    await _came(activity, await presenter.person)  # 王丽 scanned as well
    return {"absent": [p.name for p in stayed_home] + ["作废者"]}


# Hand count of the rows above and in make_world:
#   expected audience = host staff (3 came + 2 stayed home + 1 annulled) = 6
#   attended = the 3 host teachers; absent = 3; presenters = 2 (1 + 0.5 课时); others = 2.
HAND = {"expected": 6, "attended": 3, "absent": 3, "presenters": 2, "others": 2, "hours": 1.5}


async def test_figures_match_a_hand_count(client):
    world = await make_world(client, PUBLICITY)
    await _busy_day(world)
    figures = await activity_figures(activity_id=world.activity.id)
    assert figures["expected"] == HAND["expected"]
    assert figures["attended"] == HAND["attended"]
    assert figures["absent"] == HAND["absent"]
    assert figures["presenters"] == HAND["presenters"]
    assert figures["others"] == HAND["others"]
    assert figures["lesson_hours"] == HAND["hours"]
    assert figures["expected"] == figures["attended"] + figures["absent"]


async def test_sign_in_sheet_counts_units_and_presenters(client):
    world = await make_world(client, PUBLICITY)
    day = await _busy_day(world)
    resp = await client.get(
        f"/api/v1/activities/{world.activity.id}/signin-sheet.xlsx",
        headers=world.organizer.headers,
    )
    assert resp.status_code == 200, resp.text
    rows = list(openpyxl.load_workbook(io.BytesIO(resp.content))["签到表"].values)
    counts = rows[2][0]
    assert counts.startswith(
        f"应到 {HAND['expected']} 人，实到 {HAND['attended']} 人，迟到 0 人，"
        f"未到 {HAND['absent']} 人"
    ), counts
    assert f"授课 {HAND['presenters']} 人" in counts
    assert f"另有 {HAND['others']} 人签到（非应到人员）" in counts

    header = rows.index(
        (
            "序号",
            "姓名",
            "单位",
            "签到时间",
            "方式",
            "迟到",
            "离线同步",
            "位置异常",
            "签退时间",
            "备注",
        )
    )

    def section(title: str) -> list[tuple]:
        start = next(i for i, r in enumerate(rows) if r[0] and str(r[0]).startswith(title))
        out = []
        for r in rows[start + 1 :]:
            if not r[0]:
                break
            out.append(r)
        return out

    attended = []
    for r in rows[header + 1 :]:
        if not r[0]:
            break
        attended.append(r)
    assert len(attended) == HAND["attended"]
    assert {r[2] for r in attended} == {"石桥村幼儿园"}  # the 单位 column
    presenters = section("授课教师")
    assert [r[1] for r in presenters] == ["王丽", "李娜"]
    assert {r[2] for r in presenters} == {"湘江县实验幼儿园"}
    assert presenters[0][3] and "示范课《小蝌蚪找妈妈》" in presenters[0][9]
    others = section("其他签到人员")
    assert sorted(r[1] for r in others) == ["县园组织者", "路过者"]
    absent = section("未签到")
    assert sorted(r[1] for r in absent) == sorted(day["absent"])
    assert not {"王丽", "李娜"} & {r[1] for r in absent}


async def test_post_says_how_many_of_the_host_teachers_came(client):
    world = await make_world(client, PUBLICITY)
    await _busy_day(world)
    post = await draft(client, world)
    html = (await Post.get(id=post["id"])).html
    text = re.sub(r"<[^>]+>", "", html)
    assert f"{HAND['attended']}名教师参加了活动" in text
    assert f"{HAND['attended']} 名教师参加" in text
    assert f"{HAND['presenters']} 位教师授课" in text
    assert f"{HAND['hours']:g} 课时" in text


async def test_live_board_counts_say_what_the_sheet_says(client):
    world = await make_world(client, PUBLICITY)
    await _busy_day(world)
    resp = await client.get(
        f"/api/v1/activities/{world.activity.id}/attendance", headers=world.organizer.headers
    )
    assert resp.status_code == 200, resp.text
    counts = resp.json()["counts"]
    assert counts["expected"] == HAND["expected"]
    assert counts["checked_in"] == HAND["attended"]
    assert counts["absent"] == HAND["absent"]
    assert counts["presenters"] == HAND["presenters"] and counts["others"] == HAND["others"]
    # Every valid scan: the 3 teachers, 王丽, the organizer and the visitor.
    assert counts["scanned"] == 6


async def test_recap_post_counts_teachers_as_the_activity_posts_do(client):
    world = await make_world(client, PUBLICITY)
    await _busy_day(world)
    writer = await login_as(client, "organizer", scope_id=world.supporting.id)
    resp = await client.post(
        f"/api/v1/pairings/{world.activity.pairing_id}/recap-post",
        json={"semester": "2026秋"},
        headers=writer.headers,
    )
    assert resp.status_code == 201, resp.text
    text = re.sub(r"<[^>]+>", "", resp.json()["html"])
    assert f"共开展1场活动，{HAND['attended']}名教师参加" in text
    assert f"{HAND['attended']} 名教师参加" in text
