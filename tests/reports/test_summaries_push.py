"""The summary jobs: made once, pushed once per leader, group and pairing, run however often."""

from __future__ import annotations

import asyncio

from server.delivery.models import Delivery, DeliveryStatus, GroupMessage
from server.jobs.registry import registered_jobs
from server.reports.jobs import send_semester_summaries, send_weekly_summaries
from server.reports.models import Summary
from server.wechat.sandbox import openid_for
from tests.delivery.helpers import Parent, settle, subscribe
from tests.delivery.test_groups import settled_groups, wecom_calls
from tests.reports.summary_world import (
    AFTER_SPRING,
    MONDAY_RUN,
    NEXT_MONDAY_RUN,
    WEEK,
    make_county,
)
from tests.support.factories import login, make_kindergarten, make_person, unique
from tests.support.sandbox import read_outbox


async def leader_of(client, sandbox_client, kind: str, scope_id: int):
    """A leader of a region or alliance, logged in, with one summary subscription."""
    name = unique("leader")
    person = await make_person(grants=(("leader", kind, scope_id),))
    who = await login(client, name, person=person)
    await subscribe(client, sandbox_client, Parent(who, openid_for(name)), kind="summary")
    return person, openid_for(name)


async def director_of(kg):
    """A director of `kg` (inbox only: no mini-program login needed)."""
    return await make_person(grants=(("director", "kindergarten", kg.id),))


def test_jobs_are_registered_with_their_cron():
    jobs = registered_jobs()
    assert jobs["reports.weekly_summaries"][1] == ("0 8 * * 1",)
    assert jobs["reports.semester_summaries"][1] == ("0 8 * * *",)


async def test_weekly_job_pushes_each_leader_group_and_director_once_even_run_twice(
    client, sandbox_client
):
    county = await make_county()
    w = county.w
    region_leader, region_openid = await leader_of(client, sandbox_client, "region", w.region.id)
    alliance_leader, _ = await leader_of(client, sandbox_client, "alliance", w.alliance.id)
    other_leader, _ = await leader_of(client, sandbox_client, "region", county.other.region.id)
    directors = [await director_of(w.supporting), await director_of(w.supported)]
    bystander = await director_of(await make_kindergarten(w.region))

    # Twice at the same moment (two workers) and once more afterwards (a retried job).
    results = await asyncio.gather(
        send_weekly_summaries(at=MONDAY_RUN), send_weekly_summaries(at=MONDAY_RUN)
    )
    await send_weekly_summaries(at=MONDAY_RUN.isoformat())
    assert all(r["period"] == WEEK for r in results)

    summaries = await Summary.filter(period=WEEK).order_by("scope_kind", "scope_id")
    assert sorted((s.scope_kind, s.scope_id) for s in summaries) == sorted(
        [
            ("alliance", w.alliance.id),
            ("city", 0),
            ("region", w.region.id),
            ("region", county.other.region.id),
        ]
    )
    mine = next(s for s in summaries if (s.scope_kind, s.scope_id) == ("region", w.region.id))
    key = f"summary:weekly:{WEEK}:region:{w.region.id}"
    [delivery] = await settle(key=key)
    assert delivery.person_id == region_leader.id
    assert delivery.status == DeliveryStatus.SENT and delivery.page.endswith(f"?id={mine.id}")
    assert "送教课时" in delivery.body
    for person in (alliance_leader, other_leader):
        assert await Delivery.filter(person_id=person.id, kind="summary").count() == 1
    sent = await read_outbox(
        sandbox_client, kind="subscribe_send", touser=region_openid, delivered="true"
    )
    assert len(sent) == 1
    assert sent[0]["request"]["page"] == f"pages/summary/index?id={mine.id}"

    # The leaders' group gets the city's summary once: markdown, then the chart.
    [group] = await settled_groups(1)
    assert group.key == f"summary:weekly:{WEEK}:city:0:group:leaders"
    calls = await wecom_calls(sandbox_client)
    assert [c["request"]["msgtype"] for c in calls] == ["markdown", "image"]
    assert "全市 工作周报" in calls[0]["request"]["markdown"]["content"]
    assert len(calls[0]["request"]["markdown"]["content"].encode()) <= 4096

    # Both directors of the at-risk pairing, once; nobody else.
    alerts = await Delivery.filter(key=f"alert:{w.pairing.id}:{WEEK}").order_by("person_id")
    assert [a.person_id for a in alerts] == sorted(d.id for d in directors)
    assert "送教课时" in alerts[0].body and alerts[0].title.startswith("帮扶进度预警")
    assert {a.kind for a in alerts} == {"alert"}
    assert not await Delivery.filter(person_id=bystander.id).exists()


async def test_next_week_is_a_new_summary_and_a_new_push(client, sandbox_client):
    county = await make_county()
    leader, _ = await leader_of(client, sandbox_client, "region", county.w.region.id)
    await send_weekly_summaries(at=MONDAY_RUN)
    await send_weekly_summaries(at=NEXT_MONDAY_RUN)
    keys = await Delivery.filter(person_id=leader.id).order_by("id").values_list("key", flat=True)
    assert keys == [
        f"summary:weekly:{WEEK}:region:{county.w.region.id}",
        f"summary:weekly:2026-W24:region:{county.w.region.id}",
    ]
    assert await GroupMessage.all().count() == 2


async def test_semester_job_makes_the_ended_semester_once_and_only_just_after_it(
    client, sandbox_client
):
    county = await make_county()
    leader, _ = await leader_of(client, sandbox_client, "region", county.w.region.id)
    assert (await send_semester_summaries(at=MONDAY_RUN))["period"] is None  # mid-semester
    first = await send_semester_summaries(at=AFTER_SPRING)
    again = await send_semester_summaries(at=AFTER_SPRING.replace(day=5))
    assert first["period"] == again["period"] == "2026春"
    summary = await Summary.get(kind="semester", scope_kind="region", scope_id=county.w.region.id)
    assert summary.period == "2026春" and summary.data["kind_label"] == "学期总结"
    [delivery] = await Delivery.filter(person_id=leader.id)
    assert delivery.key == f"summary:semester:2026春:region:{county.w.region.id}"
    assert delivery.title.startswith("学期总结")
    late = await send_semester_summaries(at=AFTER_SPRING.replace(day=20))
    assert late["period"] is None
