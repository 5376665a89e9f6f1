"""People entering the org records from outside the roster: an invitation, the first admin.

The accounts domain (invitations, web login) calls these through orgs' service; the
roster import has its own path (roster_apply.py).
"""

from __future__ import annotations

from server.orgs.models import Guardian, Person, Teacher


async def create_person(*, name: str) -> int:
    """A new person with only a name; her id."""
    return (await Person.create(name=name)).id


async def enrol_guardian(*, person_id: int, child_id: int, relation: str) -> None:
    """Make the person a guardian of the child (already one: nothing changes)."""
    await Guardian.get_or_create(
        person_id=person_id, child_id=child_id, defaults={"relation": relation}
    )


async def enrol_teacher(*, person_id: int, kindergarten_id: int) -> None:
    """Put the person on the kindergarten's staff list (already on it: nothing changes)."""
    await Teacher.get_or_create(person_id=person_id, kindergarten_id=kindergarten_id)
