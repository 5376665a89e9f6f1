"""What activities tells the domains above it, and asks them, without importing them.

Check-in, hours and the 帮扶记录卡 live above activities (they read activities); when an
activity changes, is cancelled or finished, activities calls back through the hooks
registered here. The composition root connects them at start-up (server/wiring.py).
A hook whose absence would silently change behaviour (hours, attendance) refuses to run
unconnected instead of doing nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

#: An activity id, and what the listener does about it.
Forget = Callable[[int], None]
Settle = Callable[[int], Awaitable[dict | None]]
Guard = Callable[[int], Awaitable[None]]
People = Callable[[int], Awaitable[set[int]]]

_changed: list[Forget] = []
_cancelled: list[Settle] = []
_finished: list[Settle] = []
_record_guards: list[Guard] = []
_attendance: list[People] = []
_answer_invitees: list[People] = []


class NotConnected(RuntimeError):
    """A hook nobody connected: the composition root did not run server.wiring.connect()."""


def _add(hooks: list, hook) -> None:
    if hook not in hooks:
        hooks.append(hook)


def _needed(hooks: list, what: str) -> list:
    if not hooks:
        raise NotConnected(f"activities: no {what} connected (server.wiring.connect())")
    return hooks


def on_changed(listener: Forget) -> None:
    """Call `listener(activity_id)` after an activity, its status or its people changed."""
    _add(_changed, listener)


def on_cancelled(listener: Settle) -> None:
    """Call `listener(activity_id)` inside the cancelling transaction (hours taken back)."""
    _add(_cancelled, listener)


def on_finished(listener: Settle) -> None:
    """Call `listener(activity_id)` inside the finishing transaction; its dict joins the audit."""
    _add(_finished, listener)


def guard_record(guard: Guard) -> None:
    """Run `guard(activity_id)` before the plan or measures change; it raises to refuse."""
    _add(_record_guards, guard)


def attendance_from(provider: People) -> None:
    """Where the ids of people with a valid check-in at an activity come from."""
    _add(_attendance, provider)


def keep_answer_invitees(provider: People) -> None:
    """Register a source of invitations made by answers (kept when invitees are replaced)."""
    _add(_answer_invitees, provider)


def changed(activity_id: int) -> None:
    """Tell the listeners an activity changed (caches forget it)."""
    for listener in _needed(_changed, "change listener"):
        listener(activity_id)


async def cancelled(activity_id: int) -> dict:
    """Tell the listeners an activity is cancelled; what they report, merged."""
    out: dict = {}
    for listener in _needed(_cancelled, "cancellation listener"):
        out.update(await listener(activity_id) or {})
    return out


async def finished(activity_id: int) -> dict:
    """Tell the listeners an activity finished; what they report, merged."""
    out: dict = {}
    for listener in _needed(_finished, "finish listener"):
        out.update(await listener(activity_id) or {})
    return out


async def check_record_change(activity_id: int) -> None:
    """Refuse (by raising) a change of the plan or measures the guards forbid."""
    for guard in _needed(_record_guards, "record guard"):
        await guard(activity_id)


async def checked_in_ids(activity_id: int) -> set[int]:
    """People with a valid (not annulled) check-in at the activity."""
    ids: set[int] = set()
    for provider in _needed(_attendance, "attendance source"):
        ids |= await provider(activity_id)
    return ids


async def answer_invitees(activity_id: int) -> set[int]:
    """People invited by their answers (a notice's RSVP); none when no domain invites so."""
    kept: set[int] = set()
    for provider in _answer_invitees:
        kept |= await provider(activity_id)
    return kept
