"""Two regions and two families for the foreign-id matrix: the caller's, and everyone else's."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from server.accounts.models import Account, Invitation, RoleGrant
from server.activities.models import ActivityInvitee, ActivityStatus, Presenter
from server.archive.models import ArchiveFile
from server.certificates.codes import new_token
from server.certificates.models import Certificate
from server.checkin.models import Checkin, CheckinMethod
from server.common.time import now
from server.delivery.models import Delivery, GroupMessage
from server.jobs.models import JobRecord
from server.ledger.models import Donation, DonationItem, FundEntry, LedgerFile
from server.notices.models import Notice, NoticeRecipient
from server.orgs.models import (
    Alliance,
    Child,
    Guardian,
    Kindergarten,
    KindergartenLevel,
    LeadingGroup,
    LeadingGroupMember,
    Pairing,
    Person,
    Region,
    SchoolClass,
    Teacher,
)
from server.publicity.models import Post
from server.reports.models import Summary
from server.wechat.sandbox import openid_for
from tests.support.factories import (
    LoggedIn,
    login,
    make_activity,
    make_child,
    make_class,
    make_person,
    unique,
)

#: Every name in the other region carries this mark: no answer to a region-1 caller may show it.
FOREIGN_MARK = "外区"
#: Every name of the second family in region 1 carries this mark: her parent never sees it.
OTHER_FAMILY_MARK = "别家"
#: The id no object has: an out-of-scope id must be answered exactly like this one.
UNKNOWN_ID = 999_999_999
UNKNOWN_JOB = "00000000-0000-4000-8000-000000000000"
ROLES = ("teacher", "organizer", "director", "leader", "parent")


@dataclass
class Side:
    """One region's objects, by kind: what an id field of that kind can name."""

    ids: dict[str, int | str] = field(default_factory=dict)
    people: list[int] = field(default_factory=list)


@dataclass
class World:
    """Region 1 (the callers'), region 2 (foreign), and a second family in region 1."""

    own: Side
    foreign: Side
    #: Region 1's second family: her child, guardian row and person (for parent callers).
    other_family: dict[str, int]
    callers: dict[str, LoggedIn]
    #: Region 2's rows and the second family's, by table: what must never change.
    watched: dict[str, dict] = field(default_factory=dict)


async def _region(client, admin: LoggedIn, mark: str) -> Side:
    """A region with an alliance, a pairing, a leading group, a class, a family, an activity,
    a finished activity with a photo and a post, a notice, a check-in and the usual rows."""
    side = Side()
    region = await Region.create(name=unique(f"{mark}县"), bureau_name=f"{mark}教育局")
    alliance = await Alliance.create(region=region, name=unique(f"{mark}联盟"))
    supporting = await Kindergarten.create(
        name=unique(f"{mark}县实验幼儿园"),
        level=KindergartenLevel.COUNTY_MODEL,
        region=region,
        alliance=alliance,
        lat=28.2,
        lng=112.9,
    )
    supported = await Kindergarten.create(
        name=unique(f"{mark}村幼儿园"),
        level=KindergartenLevel.VILLAGE,
        region=region,
        alliance=alliance,
        lat=28.2,
        lng=112.9,
    )
    pairing = await Pairing.create(
        supporting=supporting,
        supported=supported,
        alliance=alliance,
        cycle_start=date(2026, 3, 1),
        cycle_end=date(2028, 3, 1),
    )
    staff = await make_person(unique(f"{mark}教师"), phone=_phone(), teacher_of=supporting)
    partner_staff = await make_person(unique(f"{mark}村教师"), phone=_phone(), teacher_of=supported)
    teacher_row = await Teacher.get(person=staff, kindergarten=supporting)
    grant = await RoleGrant.create(
        person=staff, role="organizer", scope_kind="kindergarten", scope_id=supporting.id
    )
    # The partner's teacher has a WeChat account; the host's is still unbound (so may be invited).
    account = await Account.create(
        openid=openid_for(unique(f"watched-{mark}-")), person=partner_staff
    )
    group = await LeadingGroup.create(name=unique(f"{mark}领导小组"), pairing=pairing)
    member = await LeadingGroupMember.create(group=group, person=partner_staff, position="组长")
    school_class = await make_class(supporting, unique(f"{mark}小一班"))
    parent = await make_person(unique(f"{mark}家长"), phone=_phone())
    child = await make_child(school_class, guardian=parent)
    child.name = unique(f"{mark}小朋友")
    await child.save()
    guardian = await Guardian.get(person=parent, child=child)
    await RoleGrant.create(person=parent, role="parent", scope_kind="child", scope_id=child.id)
    await Account.create(openid=openid_for(unique(f"watched-parent-{mark}-")), person=parent)
    live = await make_activity(
        supporting,
        title=unique(f"{mark}送教活动"),
        pairing=pairing,
        audience=[supporting, supported],
    )
    await Presenter.create(activity=live, person=staff, hours=1)
    await ActivityInvitee.create(activity=live, person=partner_staff)
    checkin = await Checkin.create(
        activity=live, person=partner_staff, method=CheckinMethod.STATIC, scanned_at=now()
    )
    done = await make_activity(
        supporting,
        title=unique(f"{mark}已结束活动"),
        pairing=pairing,
        audience=[supporting, supported],
        status=ActivityStatus.FINISHED,
        starts_at=now() - timedelta(days=2),
    )
    photo = await ArchiveFile.create(
        activity=done,
        kind="photo",
        filename="photo.jpg",
        stored_path=f"missing/{uuid.uuid4().hex}.jpg",
        content_type="image/jpeg",
        size=1,
        sha256="0" * 64,
        caption=unique(f"{mark}照片"),
        consent=True,
        uploaded_by=staff,
    )
    donation = await Donation.create(
        pairing=pairing,
        donor=supporting,
        recipient=supported,
        donated_on=date(2026, 10, 12),
        note=unique(f"{mark}捐赠"),
        recorded_by=staff,
    )
    donation_item = await DonationItem.create(
        donation=donation, category="图书", name=unique(f"{mark}绘本"), quantity=10, value="100.00"
    )
    fund = await FundEntry.create(
        pairing=pairing,
        direction="spent",
        occurred_on=date(2026, 10, 12),
        amount="50.00",
        category="交通",
        purpose=unique(f"{mark}车费"),
        recorder=supporting,
        counterpart=supported,
        recorded_by=staff,
    )
    ledger_file = await LedgerFile.create(
        kind="photo",
        donation=donation,
        filename="donation.jpg",
        stored_path=f"missing/{uuid.uuid4().hex}.jpg",
        content_type="image/jpeg",
        size=1,
        sha256="0" * 64,
    )
    post = await Post.create(
        activity=done,
        kindergarten=supporting,
        title=unique(f"{mark}推文")[:32],
        html=f"<p>{mark}</p>",
    )
    notice = await _notice(client, admin, supporting.id, mark, publish=True)
    draft = await _notice(client, admin, supporting.id, mark, publish=False)
    invitation = await Invitation.create(
        code=uuid.uuid4().hex[:12],
        kind="teacher",
        kindergarten=supporting,
        person=partner_staff,
        expires_at=now() + timedelta(days=7),
    )
    summary = await Summary.create(
        kind="weekly",
        period="2026-W49",
        scope_kind="region",
        scope_id=region.id,
        period_end=date(2026, 12, 6),
        generated_at=now(),
        data={},
    )
    delivery = await Delivery.create(
        key=unique(f"matrix:{mark}:"), person=staff, kind="notice", title=f"{mark}消息"
    )
    message = await GroupMessage.create(
        key=unique(f"matrix-group:{mark}:"), group="leaders", kind="summary", markdown=mark
    )
    job = await JobRecord.create(id=uuid.uuid4(), kind="export", account_id=account.id)
    certificate = await Certificate.create(
        token=new_token(),
        person=staff,
        kindergarten=supporting,
        period="2026秋",
        issuer_kind="region",
        issuer_name=region.bureau_name,
        holder_name=staff.name,
        kindergarten_name=supporting.name,
        entries=[
            {
                "activity_id": live.id,
                "title": live.title,
                "kind": "送教下乡",
                "date": "2026-10-15",
                "host": supporting.name,
                "role": "presenter",
                "hours": 1.0,
            }
        ],
        total_hours=1.0,
    )
    side.ids = {
        "region": region.id,
        "alliance": alliance.id,
        "kindergarten": supporting.id,
        "partner_kindergarten": supported.id,
        "pairing": pairing.id,
        "group": group.id,
        "member": member.id,
        "class": school_class.id,
        "child": child.id,
        "guardian": guardian.id,
        "person": staff.id,
        "partner_person": partner_staff.id,
        "parent_person": parent.id,
        "teacher": teacher_row.id,
        "activity": live.id,
        "finished_activity": done.id,
        "notice": notice,
        "draft_notice": draft,
        "post": post.id,
        "file": photo.id,
        "donation": donation.id,
        "donation_item": donation_item.id,
        "fund": fund.id,
        "ledger_file": ledger_file.id,
        "checkin": checkin.id,
        "invitation": invitation.id,
        "grant": grant.id,
        "summary": summary.id,
        "delivery": delivery.id,
        "group_message": message.id,
        "job": str(job.id),
        "certificate": certificate.id,
        "summary_scope": f"region:{region.id}",
        "recap_subject": f"pairing:{pairing.id}",
    }
    side.people = [staff.id, partner_staff.id, parent.id]
    return side


_phones = iter(range(13800000000, 13900000000, 7))


def _phone() -> str:
    """A mobile number no other person of this world has."""
    return str(next(_phones))


async def _notice(client, admin: LoggedIn, kindergarten_id: int, mark: str, *, publish: bool):
    """A notice to the kindergarten's families, made and (optionally) published by the admin."""
    resp = await client.post(
        "/api/v1/notices",
        json={
            "kindergarten_id": kindergarten_id,
            "title": unique(f"{mark}开放日通知"),
            "audience": {"kindergarten": True},
            **({"ack_mode": "rsvp", "capacity": 50} if publish else {}),
        },
        headers=admin.headers,
    )
    assert resp.status_code == 201, resp.text
    notice_id = resp.json()["id"]
    if publish:
        resp = await client.post(
            f"/api/v1/notices/{notice_id}/publish", json={}, headers=admin.headers
        )
        assert resp.status_code == 200, resp.text
    return notice_id


async def build_world(client) -> World:
    """Both regions, the second family, and one logged-in caller per role in region 1."""
    admin_person = await make_person("矩阵管理员", grants=(("admin", "global", 0),))
    admin = await login(client, unique("matrix-admin-"), person=admin_person)
    own = await _region(client, admin, "本区")
    foreign = await _region(client, admin, FOREIGN_MARK)
    own_class = await SchoolClass.get(id=own.ids["class"])
    other_parent = await make_person(unique(f"{OTHER_FAMILY_MARK}家长"), phone=_phone())
    other_child = await make_child(own_class, guardian=other_parent)
    other_child.name = unique(f"{OTHER_FAMILY_MARK}小朋友")
    await other_child.save()
    await RoleGrant.create(
        person=other_parent, role="parent", scope_kind="child", scope_id=other_child.id
    )
    await Account.create(openid=openid_for(unique("watched-other-family-")), person=other_parent)
    other_guardian = await Guardian.get(person=other_parent, child=other_child)
    other_family = {
        "child": other_child.id,
        "guardian": other_guardian.id,
        "person": other_parent.id,
        "parent_person": other_parent.id,
    }
    kg = own.ids["kindergarten"]
    callers = {}
    for role in ("teacher", "organizer", "director"):
        person = await make_person(
            unique(f"本区{role}"),
            grants=((role, "kindergarten", kg),),
            teacher_of=await Kindergarten.get(id=kg),
        )
        callers[role] = await login(client, unique(f"matrix-{role}-"), person=person)
    leader = await make_person(
        unique("本区局长"), grants=(("leader", "region", own.ids["region"]),)
    )
    callers["leader"] = await login(client, unique("matrix-leader-"), person=leader)
    # The region-1 parent caller is the guardian of region 1's first child.
    parent = await Person.get(id=own.ids["parent_person"])
    callers["parent"] = await login(client, unique("matrix-parent-"), person=parent)
    world = World(own=own, foreign=foreign, other_family=other_family, callers=callers)
    world.watched = await _settled(world)
    return world


async def _settled(world: World) -> dict:
    """The watched rows once the jobs the world started (notice deliveries) have finished."""
    rows, quiet = await watched_rows(world), 0
    for _ in range(100):
        await asyncio.sleep(0.1)
        again = await watched_rows(world)
        quiet = quiet + 1 if again == rows else 0
        if quiet == 5:
            return rows
        rows = again
    raise AssertionError("the world's background jobs did not settle within 10 s")


async def watched_rows(world: World) -> dict[str, list]:
    """Every row about region 2's objects and the second family: none may change."""
    f = world.foreign.ids
    people = [*world.foreign.people, world.other_family["person"]]
    children = [f["child"], world.other_family["child"]]
    kgs = [f["kindergarten"], f["partner_kindergarten"]]
    activities = [f["activity"], f["finished_activity"]]
    queries = {
        "person": Person.filter(id__in=people),
        "account": Account.filter(person_id__in=people),
        "role_grant": RoleGrant.filter(person_id__in=people),
        "teacher": Teacher.filter(person_id__in=people),
        "teacher_of_kg": Teacher.filter(kindergarten_id__in=kgs),
        "child": Child.filter(id__in=children),
        "guardian": Guardian.filter(child_id__in=children),
        "guardian_of_person": Guardian.filter(person_id__in=people),
        "region": Region.filter(id=f["region"]),
        "alliance": Alliance.filter(id=f["alliance"]),
        "kindergarten": Kindergarten.filter(id__in=kgs),
        "pairing": Pairing.filter(id=f["pairing"]),
        "group": LeadingGroup.filter(id=f["group"]),
        "group_member": LeadingGroupMember.filter(group_id=f["group"]),
        "seat_of_person": LeadingGroupMember.filter(person_id__in=people),
        "class": SchoolClass.filter(kindergarten_id__in=kgs),
        "checkin_of_person": Checkin.filter(person_id__in=people),
        "checkin_at_activity": Checkin.filter(activity_id__in=activities),
        "presenter": Presenter.filter(person_id__in=people),
        "invitee": ActivityInvitee.filter(person_id__in=people),
        "invitation": Invitation.filter(person_id__in=people),
        "invitation_of_kg": Invitation.filter(kindergarten_id__in=kgs),
        "invitation_of_child": Invitation.filter(child_id__in=children),
        "file": ArchiveFile.filter(activity_id__in=activities),
        "ledger_donation": Donation.filter(pairing_id=f["pairing"]),
        "ledger_item": DonationItem.filter(donation__pairing_id=f["pairing"]),
        "ledger_fund": FundEntry.filter(pairing_id=f["pairing"]),
        "ledger_file": LedgerFile.filter(donation__pairing_id=f["pairing"]),
        "post": Post.filter(kindergarten_id__in=kgs),
        "notice": Notice.filter(kindergarten_id__in=kgs),
        "notice_recipient": NoticeRecipient.filter(person_id__in=people),
        "delivery": Delivery.filter(person_id__in=people),
        "summary": Summary.filter(id=f["summary"]),
        "job": JobRecord.filter(id=f["job"]),
        "certificate": Certificate.filter(kindergarten_id__in=kgs),
    }
    from server.activities.models import Activity

    queries["activity"] = Activity.filter(id__in=activities)
    rows = {}
    for name, query in queries.items():
        values = await query.values()
        volatile = _VOLATILE | _VOLATILE_IN.get(name, set())
        rows[name] = sorted(
            ({k: _plain(v) for k, v in row.items() if k not in volatile} for row in values),
            key=repr,
        )
    return rows


#: Columns that move without anyone acting on the row (touched by reads, clocks, queues).
_VOLATILE = {"last_login_at", "enqueued_at", "claimed_at", "claim"}
#: Per table: what the delivery worker moves on its own (who got what, and read_at, stay).
_VOLATILE_IN = {
    "delivery": {
        "status", "channel", "attempts", "last_error", "quota_template", "notify_batch",
        "sent_at",
    },
    "notice": {"announced_at", "updated_at"},
}  # fmt: skip


def _plain(value):
    """A value comparable across two reads (datetimes and UUIDs as text)."""
    if value is None or isinstance(value, int | float | str | bool):
        return value
    return str(value)
