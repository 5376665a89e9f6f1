"""Organisation services: the facade other domains call."""

from __future__ import annotations

from server.orgs.alliances import get_alliance, list_alliances
from server.orgs.children import get_child
from server.orgs.classes import get_class, list_classes
from server.orgs.kindergartens import get_kindergarten, list_kindergartens
from server.orgs.lookups import (
    alliance_lead_id,
    alliance_member_ids,
    alliance_name,
    child_kindergarten_ids_of_guardian,
    classes_of_kindergarten,
    existing_person_ids,
    grade_names,
    guardian_links,
    guardian_person_ids,
    kindergarten_names,
    kindergartens_of_children,
    pairing_ids_of_alliance,
    pairing_ids_of_kindergartens,
    pairing_sides,
    person_names,
    staff_among,
    staff_kindergarten_ids_of,
    staff_person_ids,
)
from server.orgs.pairings import get_pairing, list_pairings, merge_targets
from server.orgs.people import get_teacher, list_teachers, sees_full_phones
from server.orgs.scope import (
    ensure_can_manage_kindergarten,
    ensure_can_see_children,
    ensure_can_see_staff,
    ensure_can_view_kindergarten,
    ensure_directs_kindergarten,
    kindergarten_ids_led,
    leads_all_kindergartens,
    manageable_kindergarten_ids,
    scope_name,
    staff_kindergarten_ids,
    visible_alliance_ids,
    visible_kindergarten_ids,
)
from server.orgs.validation import mask_phone, normalise_phone

__all__ = [
    "alliance_lead_id",
    "alliance_member_ids",
    "alliance_name",
    "child_kindergarten_ids_of_guardian",
    "classes_of_kindergarten",
    "grade_names",
    "guardian_links",
    "kindergarten_names",
    "existing_person_ids",
    "guardian_person_ids",
    "kindergartens_of_children",
    "pairing_ids_of_alliance",
    "pairing_ids_of_kindergartens",
    "pairing_sides",
    "person_names",
    "staff_among",
    "staff_kindergarten_ids_of",
    "staff_person_ids",
    "ensure_can_manage_kindergarten",
    "ensure_can_see_children",
    "ensure_can_see_staff",
    "ensure_can_view_kindergarten",
    "ensure_directs_kindergarten",
    "get_alliance",
    "get_child",
    "get_class",
    "get_kindergarten",
    "get_pairing",
    "get_teacher",
    "kindergarten_ids_led",
    "leads_all_kindergartens",
    "list_alliances",
    "list_classes",
    "list_kindergartens",
    "list_pairings",
    "list_teachers",
    "manageable_kindergarten_ids",
    "mask_phone",
    "merge_targets",
    "normalise_phone",
    "scope_name",
    "sees_full_phones",
    "staff_kindergarten_ids",
    "visible_alliance_ids",
    "visible_kindergarten_ids",
]
