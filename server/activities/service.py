"""Activities: create, list, show, change, publish, cancel, finish.

Every scope decision goes through access.py. Changing the times or the venue of a
published activity, or cancelling it, records an ActivityEvent that the notifications
domain delivers; each change a poster shows bumps `version` so cached posters expire.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, timedelta

from tortoise.expressions import F, Q, Subquery
from tortoise.transactions import in_transaction

from server.activities import access, rules
from server.activities.codes import new_activity_code, new_activity_secret, static_scene
from server.activities.models import (
    HELP_GIVEN_KINDS,
    STATUS_LABELS,
    Activity,
    ActivityAudience,
    ActivityEvent,
    ActivityInvitee,
    ActivityKind,
    ActivityStatus,
    AudienceMode,
    Presenter,
)
from server.activities.notify import notify_events_soon
from server.archive import service as archive
from server.audit import service as audit
from server.checkin import hours
from server.checkin.cache import forget_activity
from server.common.auth import Principal
from server.common.errors import DomainError, Forbidden, NotFound
from server.common.time import CHINA, china, now
from server.orgs import service as orgs

#: Fields a poster shows: changing one bumps the version, so cached posters expire.
POSTER_FIELDS = frozenset(
    {"title", "kind", "starts_at", "ends_at", "checkin_opens_at", "checkin_closes_at", "address"}
)
#: Fields whose change to a published activity is a move everyone must hear of.
MOVE_FIELDS = ("starts_at", "ends_at", "address", "lat", "lng")
#: Changes to a published activity that attendees hear of as an update.
NOTICE_FIELDS = frozenset(
    {"title", "kind", "checkin_opens_at", "late_after", "checkin_closes_at", "audience_mode"}
    | {"audience", "invitees", "presenters"}
)
EDITABLE = (ActivityStatus.DRAFT, ActivityStatus.PUBLISHED)
#: The check-in window and the late mark (迟到时间).
WINDOW_FIELDS = frozenset({"checkin_opens_at", "late_after", "checkin_closes_at"})
#: Patch fields that may be sent as null: cleared, or (window) reset to the default.
NULLABLE = frozenset(
    {"lat", "lng", "pairing_id", "alliance_id", "checkin_opens_at", "late_after"}
    | {"checkin_closes_at", "audience_mode"}
)
STAFF_ROLES = ("teacher", "organizer", "director", "leader")


# ---- views ------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return china(moment).isoformat() if moment else None


def display_status(activity: Activity, at: datetime | None = None) -> ActivityStatus:
    """The status users see: a published activity is ongoing between start and end."""
    at = at or now()
    status = ActivityStatus(activity.status)
    if status == ActivityStatus.PUBLISHED and activity.starts_at <= at < activity.ends_at:
        return ActivityStatus.ONGOING
    return status


def activity_summary(activity: Activity, *, host_name: str | None, at: datetime) -> dict:
    """An activity as list rows show it (never the secret)."""
    status = display_status(activity, at)
    return {
        "id": activity.id,
        "title": activity.title,
        "kind": ActivityKind(activity.kind).value,
        "status": status.value,
        "status_label": STATUS_LABELS[status],
        "host_id": activity.host_id,
        "host_name": host_name,
        "pairing_id": activity.pairing_id,
        "alliance_id": activity.alliance_id,
        "address": activity.address,
        "starts_at": _iso(activity.starts_at),
        "ends_at": _iso(activity.ends_at),
        "audience_mode": AudienceMode(activity.audience_mode).value,
        "version": activity.version,
    }


async def _host_names(activity_ids: list[int]) -> dict[int, str]:
    if not activity_ids:
        return {}
    rows = await Activity.filter(id__in=activity_ids).values_list("id", "host__name")
    return dict(rows)


async def activity_detail(activity: Activity, *, principal: Principal) -> dict:
    """One activity with its window, audience, invitees and presenters."""
    at = now()
    data = activity_summary(
        activity, host_name=(await _host_names([activity.id])).get(activity.id), at=at
    )
    manager = await access.can_manage(principal, activity)
    staff = principal.has(*STAFF_ROLES)
    audience = await ActivityAudience.filter(activity_id=activity.id).values(
        "kindergarten_id", "kindergarten__name"
    )
    invitee_ids = await ActivityInvitee.filter(activity_id=activity.id).values_list(
        "person_id", flat=True
    )
    presenters = await Presenter.filter(activity_id=activity.id).order_by("id")
    names = (
        await orgs.person_names(person_ids=[p.person_id for p in presenters])
        if staff and presenters
        else {}
    )
    data.update(
        {
            "lat": activity.lat,
            "lng": activity.lng,
            "radius_m": activity.radius_m,
            "checkin_opens_at": _iso(activity.checkin_opens_at),
            "late_after": _iso(activity.late_after),
            "checkin_closes_at": _iso(activity.checkin_closes_at),
            "audience_label": rules.AUDIENCE_LABELS[AudienceMode(activity.audience_mode)],
            "audience": [
                {"id": row["kindergarten_id"], "name": row["kindergarten__name"]}
                for row in audience
            ],
            "invitees_count": len(invitee_ids),
            "presenters": [
                {
                    "person_id": p.person_id,
                    # Names only for staff views; families see topics and hours.
                    "name": names.get(p.person_id) if staff else None,
                    "hours": p.hours,
                    "topic": p.topic,
                    "class_name": p.class_name,
                    "subject_area": p.subject_area,
                }
                for p in presenters
            ],
            "presenters_count": len(presenters),
            "attendee_hours": activity.attendee_hours,
            "plan": activity.plan,
            "measures": activity.measures,
            "rotate_seconds": activity.rotate_seconds,
            "cancel_reason": activity.cancel_reason,
            "created_by_id": activity.created_by_id,
            "created_at": _iso(activity.created_at),
            "updated_at": _iso(activity.updated_at),
            "can_manage": manager,
        }
    )
    if manager:
        data["invitee_ids"] = sorted(invitee_ids)
    return data


# ---- checks that need the database --------------------------------------------------------


#: One answer for an id that does not exist and one outside the caller's sight: ids are
#: sequential, so any difference would let an organizer map other regions.
UNKNOWN_PAIRING = ("invalid_pairing", "所选结对不存在，或主办园不是该结对中的一方")
UNKNOWN_ALLIANCE = ("invalid_alliance", "所选联盟不存在，或主办园不是该联盟的成员园")
UNKNOWN_PEOPLE = (
    "unknown_people",
    "所选人员不存在，或不是主办园、结对园或所属联盟成员园的教职工",
)


#: A host the caller may not hold activities at answers like one that does not exist.
UNKNOWN_HOST = "您只能在本园、所帮扶的被帮扶园（须选择有效期内的结对）或所牵头联盟的幼儿园组织活动"


async def _check_host(
    principal: Principal,
    *,
    host_id: int,
    pairing_id: int | None,
    alliance_id: int | None,
    day: date,
) -> None:
    """Who may host where.

    Runners host at their own kindergarten; the 帮扶园's runners also at the 被帮扶园 of a
    pairing whose cycle holds the activity's day (送教下乡 happens there and counts as
    每月到园 only there); an alliance lead's runners at its member kindergartens.
    """
    if principal.is_admin:
        return
    mine = principal.scope_ids("kindergarten", access.RUNNERS)
    if host_id in mine:
        return
    if alliance_id is not None:
        lead = await orgs.alliance_lead_id(alliance_id=alliance_id)
        if lead in mine and host_id in await orgs.alliance_member_ids(alliance_id=alliance_id):
            return
    if pairing_id is not None:
        sides = await orgs.pairing_sides(pairing_id=pairing_id)
        if sides and sides[0] in mine and sides[1] == host_id:
            pairing = await orgs.get_pairing(principal=principal, pairing_id=pairing_id)
            start = date.fromisoformat(pairing["cycle_start"])
            end = date.fromisoformat(pairing["cycle_end"])
            if start <= day <= end:
                return
            raise DomainError(
                "pairing_not_active",
                f"活动日期 {day.isoformat()} 不在该结对的帮扶周期（{start.isoformat()} 至 "
                f"{end.isoformat()}）内，不能在被帮扶园举办",
            )
    # Unknown kindergartens and other kindergartens get this same answer (ids are sequential).
    raise Forbidden(UNKNOWN_HOST)


async def _check_links(
    principal: Principal, *, host_id: int, pairing_id: int | None, alliance_id: int | None
) -> None:
    """The pairing has the host as one side, the alliance holds it, the caller manages it."""
    visible = await orgs.visible_kindergarten_ids(principal)
    if pairing_id is not None:
        sides = set(await orgs.pairing_sides(pairing_id=pairing_id))
        # A pairing the caller cannot see is answered as one that does not exist.
        if host_id not in sides or (visible is not None and not sides & visible):
            raise DomainError(*UNKNOWN_PAIRING)
    if alliance_id is not None:
        members = await orgs.alliance_member_ids(alliance_id=alliance_id)
        alliances = await orgs.visible_alliance_ids(principal)
        if host_id not in members or (alliances is not None and alliance_id not in alliances):
            raise DomainError(*UNKNOWN_ALLIANCE)
    probe = Activity(host_id=host_id, pairing_id=pairing_id, alliance_id=alliance_id)
    if not await access.can_manage(principal, probe):
        raise Forbidden(UNKNOWN_HOST)
    if principal.is_admin:
        await orgs.ensure_can_view_kindergarten(principal=principal, kindergarten_id=host_id)


async def _reach(*, host_id: int, pairing_id: int | None, alliance_id: int | None) -> set[int]:
    """Kindergartens whose staff may present at or be invited to the activity."""
    ids = {host_id}
    if pairing_id is not None:
        ids |= set(await orgs.pairing_sides(pairing_id=pairing_id))
    if alliance_id is not None:
        ids |= await orgs.alliance_member_ids(alliance_id=alliance_id)
    return ids


async def _check_people(
    person_ids: Sequence[int], *, reach: set[int], already: set[int] | frozenset[int] = frozenset()
) -> None:
    """Presenters and invitees are staff of the activity's kindergartens (or already on it).

    Anyone else, existing or not, gets one answer naming no id: ids are sequential.
    """
    wanted = set(person_ids) - set(already)
    if not wanted:
        return
    if wanted - await orgs.staff_among(person_ids=wanted, kindergarten_ids=reach):
        raise DomainError(*UNKNOWN_PEOPLE)


async def _audience_ids(
    principal: Principal,
    *,
    mode: AudienceMode,
    given: list[int],
    host_id: int,
    pairing_id: int | None,
    alliance_id: int | None,
    kind: ActivityKind | None = None,
) -> list[int]:
    """The audience kindergartens: checked against the caller's sight, defaulted.

    By default a pairing's activity is for the staff of both its sides and the host; a 送教
    or a 跟岗学习 is help given to the supported side, so it is for the supported
    kindergarten's staff alone: the sending side comes as presenters and organizer, and is
    not counted among "N名教师参加" (issue 16, item 14; docs/decisions.md).
    """
    if mode == AudienceMode.ALLIANCE and alliance_id is None:
        raise DomainError("invalid_audience", "面向联盟的活动须选择所属联盟")
    if mode in (AudienceMode.INVITED, AudienceMode.ALLIANCE):
        return []
    sides = tuple(await orgs.pairing_sides(pairing_id=pairing_id)) if pairing_id else ()
    wanted = list(dict.fromkeys(given))
    if not wanted:
        if mode == AudienceMode.KINDERGARTENS and kind in HELP_GIVEN_KINDS and len(sides) == 2:
            return [sides[1]]
        return sorted({host_id} | (set(sides) if mode == AudienceMode.KINDERGARTENS else set()))
    own = {host_id} | set(sides)
    if alliance_id is not None:
        own |= await orgs.alliance_member_ids(alliance_id=alliance_id)
    visible = await orgs.visible_kindergarten_ids(principal)
    for kid in wanted:
        if kid in own or (visible is not None and kid in visible):
            continue
        refusal = DomainError("invalid_audience", f"幼儿园（编号 {kid}）不存在或不在您的范围内")
        if visible is not None:
            raise refusal
        try:  # an admin sees every kindergarten: only existence is left to check
            await orgs.ensure_can_view_kindergarten(principal=principal, kindergarten_id=kid)
        except NotFound as exc:
            raise refusal from exc
    return wanted


async def _host_place(principal: Principal, host_id: int) -> dict:
    """The host kindergarten's address and coordinates, to default the venue."""
    try:
        host = await orgs.get_kindergarten(principal=principal, kindergarten_id=host_id)
    except NotFound:
        return {}
    return {"address": host.get("address") or "", "lat": host.get("lat"), "lng": host.get("lng")}


async def _new_code() -> str:
    while True:
        code = new_activity_code()
        if not await Activity.exists(code=code):
            return code


async def _replace_members(
    activity_id: int,
    *,
    audience: list[int] | None = None,
    invitees: list[int] | None = None,
    presenters: list[dict] | None = None,
) -> None:
    if audience is not None:
        await ActivityAudience.filter(activity_id=activity_id).delete()
        await ActivityAudience.bulk_create(
            [ActivityAudience(activity_id=activity_id, kindergarten_id=k) for k in audience]
        )
    if invitees is not None:
        await ActivityInvitee.filter(activity_id=activity_id).delete()
        await ActivityInvitee.bulk_create(
            [ActivityInvitee(activity_id=activity_id, person_id=p) for p in dict.fromkeys(invitees)]
        )
    if presenters is not None:
        await Presenter.filter(activity_id=activity_id).delete()
        await Presenter.bulk_create([Presenter(activity_id=activity_id, **p) for p in presenters])


# ---- create, list, show ----------------------------------------------------------------


async def create_activity(
    *,
    principal: Principal,
    title: str,
    kind: str,
    host_id: int,
    starts_at: datetime,
    ends_at: datetime,
    pairing_id: int | None = None,
    alliance_id: int | None = None,
    address: str = "",
    lat: float | None = None,
    lng: float | None = None,
    radius_m: int = 500,
    checkin_opens_at: datetime | None = None,
    late_after: datetime | None = None,
    checkin_closes_at: datetime | None = None,
    audience_mode: str | None = None,
    audience_kindergarten_ids: Sequence[int] = (),
    invitee_ids: Sequence[int] = (),
    presenters: Sequence[dict] = (),
    attendee_hours: float = 0,
    plan: str = "",
    measures: str = "",
    rotate_seconds: int = 15,
) -> dict:
    """Create a draft activity where the caller may host (see _check_host)."""
    await _check_links(principal, host_id=host_id, pairing_id=pairing_id, alliance_id=alliance_id)
    await _check_host(
        principal,
        host_id=host_id,
        pairing_id=pairing_id,
        alliance_id=alliance_id,
        day=china(rules.aware(starts_at)).date(),
    )
    title = rules.clean_title(title)
    parsed_kind = rules.parse_kind(kind)
    mode = rules.parse_audience_mode(audience_mode, parsed_kind)
    starts, ends = rules.aware(starts_at), rules.aware(ends_at)
    default = rules.default_window(starts, ends)
    window = rules.Window(
        opens=rules.aware(checkin_opens_at) if checkin_opens_at else default.opens,
        late_after=rules.aware(late_after) if late_after else default.late_after,
        closes=rules.aware(checkin_closes_at) if checkin_closes_at else default.closes,
    )
    rules.check_times(starts, ends, window)
    address = rules.clean_text(address, what="活动地点", max_length=200)
    if not address and lat is None and lng is None:
        place = await _host_place(principal, host_id)
        address, lat, lng = place.get("address", ""), place.get("lat"), place.get("lng")
    rules.check_place(lat, lng, radius_m)
    cleaned_presenters = rules.clean_presenters(list(presenters))
    attendee_hours = rules.check_hours(attendee_hours, what="参与教师课时")
    rules.check_rotation(rotate_seconds)
    plan = rules.clean_text(plan, what="活动计划", max_length=5000)
    measures = rules.clean_text(measures, what="活动措施", max_length=5000)
    await _check_people(
        [*invitee_ids, *(p["person_id"] for p in cleaned_presenters)],
        reach=await _reach(host_id=host_id, pairing_id=pairing_id, alliance_id=alliance_id),
    )
    audience = await _audience_ids(
        principal,
        mode=mode,
        given=list(audience_kindergarten_ids),
        host_id=host_id,
        pairing_id=pairing_id,
        alliance_id=alliance_id,
        kind=parsed_kind,
    )
    code = await _new_code()
    async with in_transaction():
        activity = await Activity.create(
            title=title,
            kind=parsed_kind,
            host_id=host_id,
            pairing_id=pairing_id,
            alliance_id=alliance_id,
            created_by_id=principal.person_id,
            address=address,
            lat=lat,
            lng=lng,
            radius_m=radius_m,
            starts_at=starts,
            ends_at=ends,
            checkin_opens_at=window.opens,
            late_after=window.late_after,
            checkin_closes_at=window.closes,
            audience_mode=mode,
            attendee_hours=attendee_hours,
            plan=plan,
            measures=measures,
            code=code,
            secret=new_activity_secret(),
            rotate_seconds=rotate_seconds,
        )
        await _replace_members(
            activity.id,
            audience=audience,
            invitees=list(invitee_ids),
            presenters=cleaned_presenters,
        )
        await audit.record_action(
            actor_id=principal.person_id,
            action="activity.create",
            target_type="activity",
            target_id=activity.id,
            activity_id=activity.id,
        )
    return await activity_detail(activity, principal=principal)


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=CHINA)


def _status_filter(status: str, at: datetime) -> Q:
    try:
        wanted = ActivityStatus(status)
    except ValueError as exc:
        names = "、".join(f"{s.value}（{label}）" for s, label in STATUS_LABELS.items())
        raise DomainError("invalid_input", f"状态参数不正确，可选：{names}") from exc
    ongoing = Q(status=ActivityStatus.PUBLISHED, starts_at__lte=at, ends_at__gt=at)
    if wanted == ActivityStatus.ONGOING:
        return ongoing
    if wanted == ActivityStatus.PUBLISHED:
        return Q(status=ActivityStatus.PUBLISHED) & ~ongoing
    return Q(status=wanted)


async def list_activities(
    *,
    principal: Principal,
    status: str | None = None,
    kind: str | None = None,
    host_id: int | None = None,
    pairing_id: int | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict:
    """Activities within the caller's sight, newest start first, as {"items", "total"}."""
    # China time: SQLite compares the stored "+08:00" text, so the filter must match it.
    at = china(now())
    query = Activity.all()
    visible = await access.visible_activity_filter(principal)
    if visible is not None:
        query = query.filter(id__in=Subquery(Activity.filter(visible).values("id")))
    if status:
        query = query.filter(_status_filter(status, at))
    if kind:
        query = query.filter(kind=rules.parse_kind(kind))
    if host_id is not None:
        query = query.filter(host_id=host_id)
    if pairing_id is not None:
        query = query.filter(pairing_id=pairing_id)
    if day_from is not None:
        query = query.filter(ends_at__gt=_day_start(day_from))
    if day_to is not None:
        query = query.filter(starts_at__lt=_day_start(day_to) + timedelta(days=1))
    total = await query.count()
    rows = await query.order_by("-starts_at", "-id").offset(offset).limit(limit)
    names = await _host_names([a.id for a in rows])
    return {
        "items": [activity_summary(a, host_name=names.get(a.id), at=at) for a in rows],
        "total": total,
    }


async def managed_open_activities(*, principal: Principal, limit: int = 100) -> list[dict]:
    """Draft and published activities the caller manages, newest start first (for pickers)."""
    query = Activity.filter(status__in=EDITABLE)
    visible = await access.visible_activity_filter(principal)
    if visible is not None:
        query = query.filter(id__in=Subquery(Activity.filter(visible).values("id")))
    at = now()
    out = []
    for activity in await query.order_by("-starts_at", "-id").limit(limit * 2):
        if len(out) < limit and await access.can_manage(principal, activity):
            out.append(activity)
    names = await _host_names([a.id for a in out])
    return [activity_summary(a, host_name=names.get(a.id), at=at) for a in out]


async def get_activity(*, principal: Principal, activity_id: int) -> dict:
    """One activity the caller may see."""
    activity = await access.get_visible_activity(principal=principal, activity_id=activity_id)
    return await activity_detail(activity, principal=principal)


async def activity_code(*, principal: Principal, activity_id: int, page: str) -> dict:
    """The static scene a poster carries and the mini-program page it opens."""
    activity = await access.get_managed_activity(principal=principal, activity_id=activity_id)
    return {"scene": static_scene(activity.code), "page": page}


# ---- change ---------------------------------------------------------------------------


def _ensure_editable(activity: Activity) -> None:
    status = ActivityStatus(activity.status)
    if status == ActivityStatus.FINISHED:
        raise DomainError("not_editable", "活动已结束，不能再修改", status=409)
    if status == ActivityStatus.CANCELLED:
        raise DomainError("not_editable", "活动已取消，不能再修改", status=409)


def _new_window(activity: Activity, changes: dict, starts: datetime, ends: datetime):
    """The window after a change: given values, else shifted with the times, else defaults."""
    default = rules.default_window(starts, ends)
    shifted = rules.Window(
        opens=starts + (activity.checkin_opens_at - activity.starts_at),
        late_after=starts + (activity.late_after - activity.starts_at),
        closes=ends + (activity.checkin_closes_at - activity.ends_at),
    )
    if not {"checkin_opens_at", "late_after", "checkin_closes_at"} & changes.keys():
        try:
            rules.check_times(starts, ends, shifted)
            return shifted
        except DomainError:
            # The old offsets no longer fit the new times: start from the defaults.
            return default

    def pick(name: str, attr: str) -> datetime:
        if name in changes:
            value = changes[name]
            return rules.aware(value) if value is not None else getattr(default, attr)
        return getattr(shifted, attr)

    return rules.Window(
        opens=pick("checkin_opens_at", "opens"),
        late_after=pick("late_after", "late_after"),
        closes=pick("checkin_closes_at", "closes"),
    )


async def _validated_changes(principal: Principal, activity: Activity, changes: dict) -> dict:
    """Model attributes to write (lists under audience/invitees/presenters)."""
    for name, value in changes.items():
        if value is None and name not in NULLABLE:
            raise DomainError("invalid_input", f"字段 {name} 不能为空")
    out: dict = {}
    pairing_id = changes.get("pairing_id", activity.pairing_id)
    alliance_id = changes.get("alliance_id", activity.alliance_id)
    if {"pairing_id", "alliance_id"} & changes.keys():
        await _check_links(
            principal, host_id=activity.host_id, pairing_id=pairing_id, alliance_id=alliance_id
        )
        out.update(pairing_id=pairing_id, alliance_id=alliance_id)
    if "title" in changes:
        out["title"] = rules.clean_title(changes["title"])
    kind = rules.parse_kind(changes["kind"]) if "kind" in changes else activity.kind
    out["kind"] = ActivityKind(kind)
    starts = rules.aware(changes.get("starts_at") or activity.starts_at)
    ends = rules.aware(changes.get("ends_at") or activity.ends_at)
    window = _new_window(activity, changes, starts, ends)
    rules.check_times(starts, ends, window)
    if {"pairing_id", "alliance_id", "starts_at"} & changes.keys():
        # A move out of the pairing's cycle (or off the pairing) ends hosting at the partner.
        await _check_host(
            principal,
            host_id=activity.host_id,
            pairing_id=pairing_id,
            alliance_id=alliance_id,
            day=china(starts).date(),
        )
    out.update(
        starts_at=starts,
        ends_at=ends,
        checkin_opens_at=window.opens,
        late_after=window.late_after,
        checkin_closes_at=window.closes,
    )
    if "address" in changes:
        out["address"] = rules.clean_text(changes["address"], what="活动地点", max_length=200)
    lat, lng = changes.get("lat", activity.lat), changes.get("lng", activity.lng)
    radius = changes.get("radius_m", activity.radius_m)
    rules.check_place(lat, lng, radius)
    out.update(lat=lat, lng=lng, radius_m=radius)
    if "attendee_hours" in changes:
        out["attendee_hours"] = rules.check_hours(changes["attendee_hours"], what="参与教师课时")
    if "rotate_seconds" in changes:
        out["rotate_seconds"] = rules.check_rotation(changes["rotate_seconds"])
    for name, what in (("plan", "活动计划"), ("measures", "活动措施")):
        if name in changes:
            out[name] = rules.clean_text(changes[name], what=what, max_length=5000)
    if "presenters" in changes:
        out["presenters"] = rules.clean_presenters(changes["presenters"])
    if "invitee_ids" in changes:
        out["invitees"] = list(dict.fromkeys(changes["invitee_ids"]))
    if {"invitees", "presenters"} & out.keys():
        reach = await _reach(
            host_id=activity.host_id, pairing_id=pairing_id, alliance_id=alliance_id
        )
    if "invitees" in out:
        current = await ActivityInvitee.filter(activity_id=activity.id).values_list(
            "person_id", flat=True
        )
        await _check_people(out["invitees"], reach=reach, already=set(current))
    if "presenters" in out:
        current = await Presenter.filter(activity_id=activity.id).values_list(
            "person_id", flat=True
        )
        await _check_people(
            [p["person_id"] for p in out["presenters"]], reach=reach, already=set(current)
        )
    audience_keys = {"audience_mode", "audience_kindergarten_ids", "pairing_id", "alliance_id"}
    if audience_keys & changes.keys():
        mode = rules.parse_audience_mode(changes.get("audience_mode", activity.audience_mode), kind)
        given = changes.get("audience_kindergarten_ids")
        if given is None and mode == activity.audience_mode:
            given = await ActivityAudience.filter(activity_id=activity.id).values_list(
                "kindergarten_id", flat=True
            )
        out["audience_mode"] = mode
        out["audience"] = await _audience_ids(
            principal,
            mode=mode,
            given=list(given or []),
            host_id=activity.host_id,
            pairing_id=pairing_id,
            alliance_id=alliance_id,
            kind=kind,
        )
    return out


async def _members_changed(activity_id: int, out: dict) -> set[str]:
    changed = set()
    if "audience" in out:
        old = await ActivityAudience.filter(activity_id=activity_id).values_list(
            "kindergarten_id", flat=True
        )
        if set(old) != set(out["audience"]):
            changed.add("audience")
    if "invitees" in out:
        old = await ActivityInvitee.filter(activity_id=activity_id).values_list(
            "person_id", flat=True
        )
        if set(old) != set(out["invitees"]):
            changed.add("invitees")
    if "presenters" in out:
        old = (
            await Presenter.filter(activity_id=activity_id)
            .order_by("id")
            .values("person_id", "hours", "topic", "class_name", "subject_area")
        )
        if old != out["presenters"]:
            changed.add("presenters")
    return changed


def _place(activity: Activity) -> dict:
    """Times and venue, as a moved/cancelled event carries them."""
    return {
        "starts_at": _iso(activity.starts_at),
        "ends_at": _iso(activity.ends_at),
        "address": activity.address,
        "lat": activity.lat,
        "lng": activity.lng,
    }


async def update_activity(*, principal: Principal, activity_id: int, changes: dict) -> dict:
    """Change a draft or published activity; a published one that moves tells everyone."""
    activity = await access.get_managed_activity(principal=principal, activity_id=activity_id)
    _ensure_editable(activity)
    out = await _validated_changes(principal, activity, changes)
    members = {k: out.pop(k) for k in ("audience", "invitees", "presenters") if k in out}
    if "invitees" in members:
        members["invitees"] = await _with_answer_invitees(activity.id, members["invitees"])
    fields = {k: v for k, v in out.items() if getattr(activity, k) != v}
    changed = set(fields) | await _members_changed(activity.id, members)
    if not changed:
        return await activity_detail(activity, principal=principal)
    if {"plan", "measures"} & set(fields):
        # The plan and measures are part of the 帮扶记录卡 both sides confirmed.
        await archive.ensure_record_unlocked(activity_id=activity.id)
    before = _place(activity)
    published = ActivityStatus(activity.status) == ActivityStatus.PUBLISHED
    # Once check-in has begun, the window and the late mark decide who is late or refused:
    # changing them is on the record, with the times before and after.
    window_moved = sorted(WINDOW_FIELDS & set(fields))
    running = published and now() >= activity.checkin_opens_at
    async with in_transaction():
        update = dict(fields)
        if changed & POSTER_FIELDS:
            update["version"] = F("version") + 1
        update["updated_at"] = now()
        done = await Activity.filter(id=activity.id, status__in=EDITABLE).update(**update)
        if not done:
            raise DomainError("not_editable", "活动状态已变化，请刷新后再试", status=409)
        await _replace_members(activity.id, **members)
        fresh = await Activity.get(id=activity.id)
        moved = [name for name in MOVE_FIELDS if name in changed]
        if published and moved:
            after = _place(fresh)
            payload = {"before": before, "after": after, "fields": sorted(changed)}
            await ActivityEvent.create(activity_id=activity.id, kind="moved", payload=payload)
            await audit.record_action(
                actor_id=principal.person_id,
                action="activity.move",
                target_type="activity",
                target_id=activity.id,
                activity_id=activity.id,
                detail={"before": before, "after": after},
            )
        elif published and changed & NOTICE_FIELDS:
            await ActivityEvent.create(
                activity_id=activity.id, kind="updated", payload={"fields": sorted(changed)}
            )
        if running and window_moved:
            await audit.record_action(
                actor_id=principal.person_id,
                action="activity.window",
                target_type="activity",
                target_id=activity.id,
                activity_id=activity.id,
                detail={
                    "fields": window_moved,
                    "before": {k: _iso(getattr(activity, k)) for k in window_moved},
                    "after": {k: _iso(getattr(fresh, k)) for k in window_moved},
                },
            )
    if published:
        await notify_events_soon()
    forget_activity(activity.id)
    return await activity_detail(fresh, principal=principal)


# ---- life: publish, cancel, finish ----------------------------------------------------------


async def _transition(
    activity: Activity, *, source: ActivityStatus, target: ActivityStatus, **extra
) -> Activity:
    """Move the status only if nobody moved it meanwhile (two clicks, two organizers)."""
    done = await Activity.filter(id=activity.id, status=source).update(
        status=target, updated_at=now(), **extra
    )
    if not done:
        raise DomainError("conflict", "活动状态已变化，请刷新后再试")
    # Check-in caches of this process forget the old status at once.
    forget_activity(activity.id)
    return await Activity.get(id=activity.id)


async def publish_activity(*, principal: Principal, activity_id: int) -> dict:
    """Publish a draft: the audience may now see it and will be told."""
    activity = await access.get_managed_activity(principal=principal, activity_id=activity_id)
    if ActivityStatus(activity.status) != ActivityStatus.DRAFT:
        raise DomainError("not_draft", "只有草稿状态的活动可以发布", status=409)
    async with in_transaction():
        activity = await _transition(
            activity, source=ActivityStatus.DRAFT, target=ActivityStatus.PUBLISHED
        )
        await ActivityEvent.create(
            activity_id=activity.id, kind="published", payload=_place(activity)
        )
        await audit.record_action(
            actor_id=principal.person_id,
            action="activity.publish",
            target_type="activity",
            target_id=activity.id,
            activity_id=activity.id,
        )
    await notify_events_soon()
    return await activity_detail(activity, principal=principal)


async def cancel_activity(*, principal: Principal, activity_id: int, reason: str) -> dict:
    """Cancel a draft or published activity; its hours are taken back, everyone told."""
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= 200:
        raise DomainError("invalid_reason", "请填写取消原因（1 至 200 字）")
    activity = await access.get_managed_activity(principal=principal, activity_id=activity_id)
    _ensure_editable(activity)
    was = ActivityStatus(activity.status)
    async with in_transaction():
        activity = await _transition(
            activity,
            source=was,
            target=ActivityStatus.CANCELLED,
            cancel_reason=reason,
            version=F("version") + 1,
        )
        if was == ActivityStatus.PUBLISHED:
            # A draft was never announced: nobody needs to hear of its end.
            payload = {"reason": reason, **_place(activity)}
            await ActivityEvent.create(activity_id=activity.id, kind="cancelled", payload=payload)
        await audit.record_action(
            actor_id=principal.person_id,
            action="activity.cancel",
            target_type="activity",
            target_id=activity.id,
            activity_id=activity.id,
            reason=reason,
            detail={"was": was.value},
        )
        await hours.revoke_all(activity_id=activity.id)
    if was == ActivityStatus.PUBLISHED:
        await notify_events_soon()
    return await activity_detail(activity, principal=principal)


async def finish_activity(*, principal: Principal, activity_id: int) -> dict:
    """Close a published activity that has started; presenters get their 课时."""
    activity = await access.get_managed_activity(principal=principal, activity_id=activity_id)
    status = ActivityStatus(activity.status)
    if status == ActivityStatus.DRAFT:
        raise DomainError("not_published", "活动尚未发布，不能结束", status=409)
    _ensure_editable(activity)
    if now() < activity.starts_at:
        raise DomainError("not_started", "活动尚未开始，不能结束", status=409)
    async with in_transaction():
        activity = await _transition(
            activity, source=ActivityStatus.PUBLISHED, target=ActivityStatus.FINISHED
        )
        credited = await hours.credit_presenters(activity_id=activity.id)
        # Attendee hours follow the final times (an edit may have moved start or end).
        await hours.settle_attendees(activity_id=activity.id)
        await audit.record_action(
            actor_id=principal.person_id,
            action="activity.finish",
            target_type="activity",
            target_id=activity.id,
            activity_id=activity.id,
            detail={"presenters_credited": credited},
        )
    return await activity_detail(activity, principal=principal)


# ---- for other domains: invitations by answer, short facts -----------------------------------

#: Domains that invite people by their answers (a notice's RSVP) say who, per activity, so
#: an organizer who replaces the invitee list does not withdraw those invitations.
_ANSWER_INVITEES: list[Callable[[int], Awaitable[set[int]]]] = []


def keep_answer_invitees(provider: Callable[[int], Awaitable[set[int]]]) -> None:
    """Register a source of invitations made by answers (kept when invitees are replaced)."""
    if provider not in _ANSWER_INVITEES:
        _ANSWER_INVITEES.append(provider)


async def _with_answer_invitees(activity_id: int, invitees: list[int]) -> list[int]:
    kept: set[int] = set()
    for provider in _ANSWER_INVITEES:
        kept |= await provider(activity_id)
    return list(dict.fromkeys([*invitees, *sorted(kept)]))


async def add_invitees(*, activity_id: int, person_ids: Sequence[int]) -> list[int]:
    """Invite people by name (e.g. families who said yes); returns those newly invited."""
    wanted = list(dict.fromkeys(person_ids))
    if not wanted:
        return []
    present = set(
        await ActivityInvitee.filter(activity_id=activity_id, person_id__in=wanted).values_list(
            "person_id", flat=True
        )
    )
    new = [p for p in wanted if p not in present]
    await ActivityInvitee.bulk_create(
        [ActivityInvitee(activity_id=activity_id, person_id=p) for p in new],
        ignore_conflicts=True,
    )
    forget_activity(activity_id)
    return new


async def remove_invitees(*, activity_id: int, person_ids: Sequence[int]) -> None:
    """Withdraw invitations made by add_invitees (e.g. a family cancelled)."""
    if person_ids:
        await ActivityInvitee.filter(
            activity_id=activity_id, person_id__in=list(person_ids)
        ).delete()
        forget_activity(activity_id)


async def activity_briefs(*, activity_ids: Sequence[int]) -> dict[int, dict]:
    """Title, kind, status, times, venue and host of activities, by id (no scope check)."""
    rows = await Activity.filter(id__in=list(activity_ids))
    return {
        a.id: {
            "id": a.id,
            "title": a.title,
            "kind": ActivityKind(a.kind).value,
            "status": ActivityStatus(a.status).value,
            "host_id": a.host_id,
            "address": a.address,
            "starts_at": a.starts_at,
            "ends_at": a.ends_at,
        }
        for a in rows
    }


async def activity_ids_of_pairing(
    *, pairing_id: int, since: datetime, until: datetime
) -> list[int]:
    """Ids of a pairing's activities starting in [since, until), not cancelled, by start."""
    return list(
        await Activity.filter(pairing_id=pairing_id, starts_at__gte=since, starts_at__lt=until)
        .exclude(status=ActivityStatus.CANCELLED)
        .order_by("starts_at", "id")
        .values_list("id", flat=True)
    )


async def activity_ids_of_alliance(
    *, alliance_id: int, pairing_ids: Sequence[int], since: datetime, until: datetime
) -> list[int]:
    """Ids of an alliance's activities (its own, and its pairings') in [since, until), by start."""
    return list(
        await Activity.filter(
            Q(alliance_id=alliance_id) | Q(pairing_id__in=list(pairing_ids) or [0]),
            starts_at__gte=since,
            starts_at__lt=until,
        )
        .exclude(status=ActivityStatus.CANCELLED)
        .order_by("starts_at", "id")
        .values_list("id", flat=True)
    )


async def publicity_facts(*, activity_id: int) -> dict:
    """What a post tells of an activity: kind, times, places, sides, presenters (no scope check)."""
    activity = await Activity.get_or_none(id=activity_id)
    if activity is None:
        raise NotFound("活动")
    presenters = await Presenter.filter(activity_id=activity.id).order_by("id")
    names = await orgs.person_names(person_ids=[p.person_id for p in presenters])
    sides: dict[str, int] = {}
    if activity.pairing_id:
        found = await orgs.pairing_sides(pairing_id=activity.pairing_id)
        if found:
            sides = {"supporting_id": found[0], "supported_id": found[1]}
    audience = await ActivityAudience.filter(activity_id=activity.id).values_list(
        "kindergarten_id", flat=True
    )
    kg_names = await orgs.kindergarten_names(
        kindergarten_ids={activity.host_id, *sides.values(), *audience}
    )
    return {
        "id": activity.id,
        "title": activity.title,
        "kind": ActivityKind(activity.kind).value,
        "status": ActivityStatus(activity.status).value,
        "host_id": activity.host_id,
        "pairing_id": activity.pairing_id,
        "alliance_id": activity.alliance_id,
        "host_name": kg_names.get(activity.host_id, ""),
        "supporting_name": kg_names.get(sides.get("supporting_id", 0), ""),
        "supported_name": kg_names.get(sides.get("supported_id", 0), ""),
        "audience_names": [kg_names[k] for k in audience if k in kg_names],
        "address": activity.address,
        "starts_at": activity.starts_at,
        "ends_at": activity.ends_at,
        "attendee_hours": activity.attendee_hours,
        "plan": activity.plan,
        "created_by_id": activity.created_by_id,
        "presenters": [
            {
                "person_id": p.person_id,
                "name": names.get(p.person_id, ""),
                "topic": p.topic,
                "class_name": p.class_name,
                "subject_area": p.subject_area,
                "hours": p.hours,
            }
            for p in presenters
        ],
    }
