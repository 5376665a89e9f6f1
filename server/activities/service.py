"""Activities' public face: what other domains may call and name.

Other domains import this module only (as orgs/service.py is for orgs), never activities'
models or inner modules. The work is done in:
  display.py      how an activity is shown (status, list row, detail)
  hosting.py      who may host where, whom and for which audience (checks with the database)
  creation.py     create a draft
  listing.py      list and show within sight
  editing.py      change a draft or published activity
  transitions.py  publish, cancel, finish
  members.py      audience, invitees and presenters of an activity
  audience.py     who is expected at an activity, whether one person may attend
  facts.py        short facts for other domains (no scope check)
  hooks.py        what the domains above (check-in, hours, archive, notices) connect
The model classes named here are for type hints and enum values; rows are read through
the functions.
"""

from __future__ import annotations

from server.activities.access import (
    RUNNERS,
    STAFF,
    can_manage,
    can_view,
    get_managed_activity,
    get_visible_activity,
)
from server.activities.activity_rules import AUDIENCE_LABELS
from server.activities.audience import expected_person_ids, may_attend
from server.activities.codes import (
    BadScene,
    Scene,
    parse_scene,
    signature_valid,
    static_scene,
    time_step,
)
from server.activities.creation import create_activity
from server.activities.display import activity_detail, activity_summary, display_status
from server.activities.editing import update_activity
from server.activities.facts import (
    activities_by_ids,
    activity_briefs,
    activity_by_code,
    activity_ids_of_alliance,
    activity_ids_of_pairing,
    find_activity,
    load_activity,
    presenters_of,
    publicity_facts,
    published_activities_of_pairing,
)
from server.activities.hooks import (
    attendance_from,
    guard_record,
    keep_answer_invitees,
    on_cancelled,
    on_changed,
    on_finished,
)
from server.activities.listing import (
    activity_code,
    get_activity,
    list_activities,
    managed_open_activities,
    upcoming_activities,
)
from server.activities.members import add_invitees, remove_invitees
from server.activities.models import (
    FAMILY_KINDS,
    HELP_GIVEN_KINDS,
    SEND_KINDS,
    STATUS_LABELS,
    Activity,
    ActivityKind,
    ActivityStatus,
    AudienceMode,
)
from server.activities.transitions import cancel_activity, finish_activity, publish_activity

__all__ = [
    "AUDIENCE_LABELS",
    "FAMILY_KINDS",
    "HELP_GIVEN_KINDS",
    "RUNNERS",
    "SEND_KINDS",
    "STAFF",
    "STATUS_LABELS",
    "Activity",
    "ActivityKind",
    "ActivityStatus",
    "AudienceMode",
    "BadScene",
    "Scene",
    "activities_by_ids",
    "activity_by_code",
    "activity_briefs",
    "activity_code",
    "activity_detail",
    "activity_ids_of_alliance",
    "activity_ids_of_pairing",
    "activity_summary",
    "add_invitees",
    "attendance_from",
    "can_manage",
    "can_view",
    "cancel_activity",
    "create_activity",
    "display_status",
    "expected_person_ids",
    "find_activity",
    "finish_activity",
    "get_activity",
    "get_managed_activity",
    "get_visible_activity",
    "guard_record",
    "keep_answer_invitees",
    "list_activities",
    "load_activity",
    "managed_open_activities",
    "may_attend",
    "on_cancelled",
    "on_changed",
    "on_finished",
    "parse_scene",
    "presenters_of",
    "publicity_facts",
    "published_activities_of_pairing",
    "publish_activity",
    "remove_invitees",
    "signature_valid",
    "static_scene",
    "time_step",
    "update_activity",
    "upcoming_activities",
]
