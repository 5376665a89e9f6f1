"""Check in exactly once per activity and person, whatever the network does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from server.activities.service import FAMILY_KINDS, Activity, BadScene, may_attend, parse_scene
from server.checkin import hours
from server.checkin.cache import activity_by_code, attendees
from server.checkin.fastpath import remember, remembered
from server.checkin.geo import distance_m
from server.checkin.models import Checkin, CheckinMethod
from server.checkin.scan_rules import Refusal, check_window, scan_moment
from server.checkin.writer import NewCheckin, writer
from server.common.auth import Principal
from server.common.runtime import current
from server.common.time import china
from server.common.time import now as utcnow

#: Domains that know how people answered an invitation to an activity (a notice's RSVP) say,
#: per activity, whose check-in the organizer should look at: {person_id: "候补中" …}.
_ANSWER_FLAGS: list[Callable[[int], Awaitable[dict[int, str]]]] = []


def flag_answers(provider: Callable[[int], Awaitable[dict[int, str]]]) -> None:
    """Register a source of answers that make a check-in worth a look (waitlisted, declined)."""
    if provider not in _ANSWER_FLAGS:
        _ANSWER_FLAGS.append(provider)


_HEADCOUNTS: list[Callable[[int, int], Awaitable[tuple[int, int] | None]]] = []


def know_headcounts(provider: Callable[[int, int], Awaitable[tuple[int, int] | None]]) -> None:
    """Register a source of a family's announced headcount (adults, children) at an activity."""
    if provider not in _HEADCOUNTS:
        _HEADCOUNTS.append(provider)


async def announced_headcount(*, activity_id: int, person_id: int) -> tuple[int, int] | None:
    """What the person's family said it would bring (its confirmed RSVP), if anything."""
    for provider in _HEADCOUNTS:
        found = await provider(activity_id, person_id)
        if found is not None:
            return found
    return None


async def answer_flags(*, activity_id: int) -> dict[int, str]:
    """People whose answer to the activity's invitation was not a confirmed yes, by id."""
    out: dict[int, str] = {}
    for provider in _ANSWER_FLAGS:
        out.update(await provider(activity_id))
    return out


def checkin_view(c: Checkin) -> dict:
    """A check-in as the person who made it sees it."""
    return {
        "id": c.id,
        "activity_id": c.activity_id,
        "method": c.method.value,
        "late": c.late,
        "offline": c.offline,
        # China time, as every other time the clients show (they print the wall clock given).
        "scanned_at": china(c.scanned_at).isoformat(),
        "created_at": c.created_at.isoformat() if c.created_at else None,
        "outside_geofence": c.outside_geofence,
        "no_location": c.no_location,
        "adults": c.adults,
        "children": c.children,
        "checkout_at": china(c.checkout_at).isoformat() if c.checkout_at else None,
        "annulled": c.annulled_at is not None,
    }


def activity_brief(activity: Activity) -> dict:
    """What a scan's answer says of its activity: enough to name it on the phone."""
    return {
        "id": activity.id,
        "title": activity.title,
        "starts_at": china(activity.starts_at).isoformat(),
        "ends_at": china(activity.ends_at).isoformat(),
        "address": activity.address,
    }


def _answer(
    status: str,
    checkin: Checkin | None,
    *,
    reason: str | None = None,
    message: str,
    activity: Activity | None = None,
) -> dict:
    out = {
        "status": status,
        "reason": reason,
        "message": message,
        "checkin": checkin_view(checkin) if checkin else None,
        "activity": activity_brief(activity) if activity is not None else None,
        "hours": None,
    }
    if checkin is not None and activity is not None:
        # The attendee 课时 this check-in earns as things stand (a later check-out may
        # lower them); a parent at a family activity earns none.
        out["hours"] = hours.earned_attendee_hours(
            activity=activity,
            arrived_at=hours.arrival_of(
                activity=activity, method=checkin.method, scanned_at=checkin.scanned_at
            ),
            left_at=checkin.checkout_at,
        )
    return out


#: Refusals whose answer may name the activity, to someone who may attend it: the others
#: come before we know the code is real (bad_code, not_bound), tell a stranger nothing
#: (not_invited), or concern a draft nobody was told about (not_published).
NAMED_REFUSALS = frozenset({"code_expired", "not_open_yet", "closed", "activity_cancelled"})


async def _refused(refusal: Refusal, activity: Activity | None, person_id: int | None) -> dict:
    named = None
    if activity is not None and person_id is not None and refusal.reason in NAMED_REFUSALS:
        if person_id in await attendees(activity) or await may_attend(
            activity=activity, person_id=person_id
        ):
            named = activity
    return _answer("refused", None, reason=refusal.reason, message=refusal.message, activity=named)


def _geofence(activity: Activity, location: dict | None) -> dict:
    if not location or activity.lat is None or activity.lng is None:
        return {
            "no_location": not location,
            "outside_geofence": False,
            "distance_m": None,
            **_coords(location),
        }
    dist = distance_m(activity.lat, activity.lng, location["lat"], location["lng"])
    slack = min(float(location.get("accuracy") or 0), 1000.0)
    return {
        "no_location": False,
        "outside_geofence": dist > activity.radius_m + slack,
        "distance_m": round(dist, 1),
        **_coords(location),
    }


def _coords(location: dict | None) -> dict:
    if not location:
        return {"lat": None, "lng": None, "accuracy_m": None}
    return {"lat": location["lat"], "lng": location["lng"], "accuracy_m": location.get("accuracy")}


def _repeat(existing: Checkin, nonce: str, activity: Activity) -> dict:
    if existing.nonce == nonce:
        # The same scan sent again (a retry on a weak network): the same answer.
        return _answer("checked_in", existing, message=_welcome(existing), activity=activity)
    return _answer(
        "already_checked_in",
        existing,
        reason="already_checked_in",
        message="您已签到，无需重复签到",
        activity=activity,
    )


def _welcome(c: Checkin) -> str:
    if c.late:
        return "签到成功（迟到）"
    return "签到成功（离线签到已同步）" if c.offline else "签到成功"


async def check_in(
    *,
    principal: Principal,
    scene: str,
    nonce: str,
    location: dict | None = None,
    scanned_at: datetime | None = None,
    adults: int | None = None,
    children: int | None = None,
) -> dict:
    """Check the caller in from a scanned scene; refusals carry a reason code."""
    redis = current().redis
    activity = None
    try:
        if principal.person_id is None:
            raise Refusal("not_bound")
        try:
            parsed = parse_scene(scene)
        except BadScene as exc:
            raise Refusal("bad_code") from exc
        activity = await activity_by_code(parsed.code)
        if activity is None:
            raise Refusal("bad_code")
        now = utcnow()
        moment = scan_moment(activity=activity, scene=parsed, now=now, scanned_at=scanned_at)
        person_id = principal.person_id
        try:
            late = check_window(activity=activity, at=moment.at)
            if person_id not in await attendees(activity) and not await may_attend(
                activity=activity, person_id=person_id
            ):
                raise Refusal("not_invited")
        except Refusal:
            # Someone already checked in gets her check-in again, whatever the window or
            # the invitation say now. Only a refused scan asks Redis: a first scan passes
            # here and its insert finds any earlier record (one round trip fewer per scan).
            repeat = await _remembered_repeat(redis, activity, person_id, nonce)
            if repeat is not None:
                return repeat
            raise
    except Refusal as refusal:
        return await _refused(refusal, activity, principal.person_id)

    family = activity.kind in FAMILY_KINDS
    if family and adults is None and children is None:
        # A scan that did not ask (the home page's 扫码签到): the family's own RSVP says who
        # came, rather than "1 adult, no child" (issue 17, item 4).
        announced = await announced_headcount(activity_id=activity.id, person_id=person_id)
        if announced is not None:
            adults, children = announced
    fields = dict(
        method=CheckinMethod.DYNAMIC if parsed.dynamic else CheckinMethod.STATIC,
        late=late,
        nonce=nonce,
        scanned_at=moment.at,
        offline=moment.offline,
        adults=(adults if adults is not None else 1) if family else 0,
        children=(children or 0) if family else 0,
        **_geofence(activity, location),
    )
    checkin, created = await _insert_once(activity, person_id, fields, redis)
    if not created:
        return _repeat(checkin, nonce, activity)
    return _answer("checked_in", checkin, message=_welcome(checkin), activity=activity)


async def _remembered_repeat(redis, activity: Activity, person_id: int, nonce: str) -> dict | None:
    """The answer to a repeated scan when Redis remembers a standing check-in, else None."""
    known = await remembered(redis, activity.id, person_id)
    if known:
        existing = await Checkin.get_or_none(id=known)
        if existing and existing.annulled_at is None:
            return _repeat(existing, nonce, activity)
    return None


async def _insert_once(
    activity: Activity, person_id: int, fields: dict, redis
) -> tuple[Checkin, bool]:
    """Insert the check-in with its hours; the unique key decides between simultaneous scans.

    A new check-in is remembered in Redis and announced to the live boards before this
    returns (by the writer, one pipeline per batch; here for a revived one).
    """
    new = NewCheckin(
        values={"activity_id": activity.id, "person_id": person_id, **fields},
        hours=hours.attendee_entry_values(
            activity=activity, person_id=person_id, arrived_at=fields["scanned_at"]
        ),
    )
    written = await writer().write(new, redis=redis)
    existing = written.checkin
    if written.created or existing.annulled_at is None:
        return existing, written.created
    # An annulled check-in comes back to life when the person really scans again.
    revived = await Checkin.filter(id=existing.id, annulled_at__not_isnull=True).update(
        annulled_at=None, annul_reason="", checkout_at=None, **fields
    )
    await existing.refresh_from_db()
    if revived:
        await hours.settle_attendee(activity=activity, checkin=existing)
        await remember(redis, activity.id, person_id, existing.id, announce="new")
    return existing, bool(revived)
