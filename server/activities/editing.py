"""Change a draft or published activity.

Changing the times or the venue of a published activity records an ActivityEvent that the
notifications deliver; each change a poster shows bumps `version` so cached posters expire."""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from server.activities import access, hooks
from server.activities import activity_rules as rules
from server.activities.display import activity_detail, iso_time, place_of
from server.activities.hosting import audience_ids, check_host, check_links, check_people, reach
from server.activities.members import members_changed, replace_members, with_answer_invitees
from server.activities.models import (
    Activity,
    ActivityAudience,
    ActivityEvent,
    ActivityInvitee,
    ActivityKind,
    ActivityStatus,
    Presenter,
)
from server.activities.notify import notify_events_soon
from server.audit import service as audit
from server.common.auth import Principal
from server.common.errors import DomainError
from server.common.time import china, now

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
#: The check-in window and the late mark (迟到时间).
WINDOW_FIELDS = frozenset({"checkin_opens_at", "late_after", "checkin_closes_at"})
#: Patch fields that may be sent as null: cleared, or (window) reset to the default.
NULLABLE = frozenset(
    {"lat", "lng", "pairing_id", "alliance_id", "checkin_opens_at", "late_after"}
    | {"checkin_closes_at", "audience_mode"}
)


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
        await check_links(
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
        await check_host(
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
        reachable = await reach(
            host_id=activity.host_id, pairing_id=pairing_id, alliance_id=alliance_id
        )
    if "invitees" in out:
        current = await ActivityInvitee.filter(activity_id=activity.id).values_list(
            "person_id", flat=True
        )
        await check_people(out["invitees"], reach=reachable, already=set(current))
    if "presenters" in out:
        current = await Presenter.filter(activity_id=activity.id).values_list(
            "person_id", flat=True
        )
        await check_people(
            [p["person_id"] for p in out["presenters"]], reach=reachable, already=set(current)
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
        out["audience"] = await audience_ids(
            principal,
            mode=mode,
            given=list(given or []),
            host_id=activity.host_id,
            pairing_id=pairing_id,
            alliance_id=alliance_id,
            kind=kind,
        )
    return out


async def update_activity(*, principal: Principal, activity_id: int, changes: dict) -> dict:
    """Change a draft or published activity; a published one that moves tells everyone."""
    activity = await access.get_managed_activity(principal=principal, activity_id=activity_id)
    rules.ensure_editable(activity)
    out = await _validated_changes(principal, activity, changes)
    members = {k: out.pop(k) for k in ("audience", "invitees", "presenters") if k in out}
    if "invitees" in members:
        members["invitees"] = await with_answer_invitees(activity.id, members["invitees"])
    fields = {k: v for k, v in out.items() if getattr(activity, k) != v}
    changed = set(fields) | await members_changed(activity.id, members)
    if not changed:
        return await activity_detail(activity, principal=principal)
    if {"plan", "measures"} & set(fields):
        # The plan and measures are part of the 帮扶记录卡 both sides confirmed.
        await hooks.check_record_change(activity.id)
    before = place_of(activity)
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
        done = await Activity.filter(id=activity.id, status__in=rules.EDITABLE).update(**update)
        if not done:
            raise DomainError("not_editable", "活动状态已变化，请刷新后再试", status=409)
        await replace_members(activity.id, **members)
        fresh = await Activity.get(id=activity.id)
        moved = [name for name in MOVE_FIELDS if name in changed]
        if published and moved:
            after = place_of(fresh)
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
                    "before": {k: iso_time(getattr(activity, k)) for k in window_moved},
                    "after": {k: iso_time(getattr(fresh, k)) for k in window_moved},
                },
            )
    if published:
        await notify_events_soon()
    hooks.changed(activity.id)
    return await activity_detail(fresh, principal=principal)
