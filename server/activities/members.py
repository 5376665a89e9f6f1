"""Who is on an activity: its audience kindergartens, invitees and presenters.

Invitations a notice's RSVP made (families who said yes) are kept when an organizer replaces
the invitee list; the domain that makes them registers itself through hooks.keep_answer_invitees."""

from __future__ import annotations

from collections.abc import Sequence

from server.activities import hooks
from server.activities.models import ActivityAudience, ActivityInvitee, Presenter


async def replace_members(
    activity_id: int,
    *,
    audience: list[int] | None = None,
    invitees: list[int] | None = None,
    presenters: list[dict] | None = None,
) -> None:
    """Replace the lists given (None leaves a list as it is)."""
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


async def members_changed(activity_id: int, out: dict) -> set[str]:
    """Which of audience, invitees and presenters in `out` differ from the stored ones."""
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


async def with_answer_invitees(activity_id: int, invitees: list[int]) -> list[int]:
    """The new invitee list plus those invited by their answers."""
    kept = await hooks.answer_invitees(activity_id)
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
    hooks.changed(activity_id)
    return new


async def remove_invitees(*, activity_id: int, person_ids: Sequence[int]) -> None:
    """Withdraw invitations made by add_invitees (e.g. a family cancelled)."""
    if person_ids:
        await ActivityInvitee.filter(
            activity_id=activity_id, person_id__in=list(person_ids)
        ).delete()
        hooks.changed(activity_id)
