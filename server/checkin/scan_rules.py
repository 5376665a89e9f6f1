"""The check-in rules: which moment a scan counts for, and every reason to refuse it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from server.activities import service as activities

#: How far a phone's clock may run ahead of the server's.
CLOCK_SKEW = timedelta(minutes=2)
#: How long a scan may wait in a phone's offline queue.
OFFLINE_MAX_AGE = timedelta(days=7)

REASONS = {
    "bad_code": "无法识别的签到码，请扫描活动现场的签到码",
    "code_expired": "签到码已过期，请扫描投影屏上的最新签到码",
    "not_open_yet": "签到尚未开始",
    "closed": "签到已结束",
    "not_invited": "您不在本次活动的参加名单中，如有疑问请联系组织者",
    "activity_cancelled": "活动已取消",
    "not_published": "活动尚未发布",
    "not_bound": "请先使用邀请码绑定身份后再签到",
    "already_checked_in": "您已签到，无需重复签到",
}


class Refusal(Exception):
    """A check-in refused with a reason code."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
        self.message = REASONS[reason]


@dataclass(frozen=True)
class ScanMoment:
    """When a scan counts as made, and whether it came from an offline queue."""

    at: datetime
    offline: bool


def scan_moment(
    *,
    activity: activities.Activity,
    scene: activities.Scene,
    now: datetime,
    scanned_at: datetime | None,
) -> ScanMoment:
    """The moment the scan counts for; refuses forged and expired codes.

    A rotating code names its own time step and is signed, so a scan queued offline
    proves when the code was shown; the phone's clock only places it within that step.
    A static code proves nothing about time, so the server's clock decides.
    """
    if not scene.dynamic:
        return ScanMoment(at=now, offline=False)
    if not activities.signature_valid(scene, secret=activity.secret):
        raise Refusal("bad_code")
    rotate = timedelta(seconds=activity.rotate_seconds)
    current = activities.time_step(now, activity.rotate_seconds)
    if scene.step > current + 1:
        raise Refusal("bad_code")
    if scene.step >= current - 1:
        return ScanMoment(at=now, offline=False)
    shown_from = datetime.fromtimestamp(scene.step * activity.rotate_seconds, tz=now.tzinfo)
    shown_until = shown_from + 2 * rotate  # the current and the previous step are accepted
    if scanned_at is None or now - shown_from > OFFLINE_MAX_AGE:
        raise Refusal("code_expired")
    if scanned_at > now + CLOCK_SKEW or not shown_from <= scanned_at <= shown_until:
        raise Refusal("code_expired")
    return ScanMoment(at=scanned_at, offline=True)


def check_window(*, activity: activities.Activity, at: datetime) -> bool:
    """Refuse unless the activity takes check-ins at `at`; returns whether it is late."""
    if activity.status == activities.ActivityStatus.CANCELLED:
        raise Refusal("activity_cancelled")
    if activity.status == activities.ActivityStatus.DRAFT:
        raise Refusal("not_published")
    if at < activity.checkin_opens_at:
        raise Refusal("not_open_yet")
    if at > activity.checkin_closes_at:
        raise Refusal("closed")
    return at > activity.late_after
