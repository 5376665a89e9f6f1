"""Request bodies of the organisation endpoints.

Types only: the rules with Chinese messages and stable codes (name lengths, ranges,
enums, phones) live in the services, so every client gets the same explanation.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    """Unknown fields are refused, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid")


class RegionBody(Body):
    """A new region (教育局)."""

    name: str
    bureau_name: str = ""


class RegionPatch(Body):
    """Changes to a region."""

    name: str | None = None
    bureau_name: str | None = None


class AllianceBody(Body):
    """A new alliance (联盟) in a region."""

    name: str
    region_id: int = Field(gt=0)


class AlliancePatch(Body):
    """Changes to an alliance: its name, its lead (a member kindergarten, or null)."""

    name: str | None = None
    lead_id: int | None = Field(default=None, gt=0)


class KindergartenBody(Body):
    """A new kindergarten."""

    name: str
    level: str
    region_id: int = Field(gt=0)
    alliance_id: int | None = Field(default=None, gt=0)
    address: str = ""
    lat: float | None = None
    lng: float | None = None


class KindergartenPatch(Body):
    """Changes to a kindergarten; directors may change only address and coordinates."""

    name: str | None = None
    level: str | None = None
    region_id: int | None = Field(default=None, gt=0)
    alliance_id: int | None = Field(default=None, gt=0)
    address: str | None = None
    lat: float | None = None
    lng: float | None = None


class PairingBody(Body):
    """A new 结对: supporting → supported for a cycle."""

    supporting_id: int = Field(gt=0)
    supported_id: int = Field(gt=0)
    alliance_id: int | None = Field(default=None, gt=0)
    cycle_start: date
    cycle_end: date
    agreement_date: date | None = None
    targets: dict[str, Any] = Field(default_factory=dict)
    note: str = ""


class PairingPatch(Body):
    """Changes to a pairing; the two kindergartens stay (delete and recreate instead)."""

    alliance_id: int | None = Field(default=None, gt=0)
    cycle_start: date | None = None
    cycle_end: date | None = None
    agreement_date: date | None = None
    targets: dict[str, Any] | None = None
    note: str | None = None


class LeadingGroupBody(Body):
    """A new 领导小组 of a pairing or of an alliance (exactly one of the two)."""

    name: str
    pairing_id: int | None = Field(default=None, gt=0)
    alliance_id: int | None = Field(default=None, gt=0)


class GroupMemberBody(Body):
    """A seat in a leading group."""

    person_id: int = Field(gt=0)
    position: str = "成员"
    duty: str = ""


class GroupMemberPatch(Body):
    """Changes to a seat."""

    position: str | None = None
    duty: str | None = None


class ClassBody(Body):
    """A new class (班级)."""

    name: str
    grade: str


class ClassPatch(Body):
    """Changes to a class."""

    name: str | None = None
    grade: str | None = None


class ChildBody(Body):
    """A new child: a name, nothing more."""

    name: str


class ChildPatch(Body):
    """Changes to a child: the name, or a move to another class of the same kindergarten."""

    name: str | None = None
    class_id: int | None = Field(default=None, gt=0)


class GuardianBody(Body):
    """A guardian of a child."""

    name: str
    phone: str | None = None
    relation: str = "家长"


class TeacherBody(Body):
    """A new staff member of a kindergarten."""

    name: str
    phone: str | None = None
    title: str = "教师"
    is_key_teacher: bool = False


class TeacherPatch(Body):
    """Changes to a staff member; active=true re-admits a deactivated teacher."""

    name: str | None = None
    phone: str | None = None
    title: str | None = None
    is_key_teacher: bool | None = None
    active: bool | None = None
