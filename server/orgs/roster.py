"""Roster (花名册) import from .xlsx: the public face of the roster modules.

- `roster_sheets`: the workbook's sheets and columns, and the rows read from them
- `roster_template`: the template workbook directors download
- `roster_reading`: upload limits, opening the .xlsx safely, rows into issues
- `roster_apply`: matching rows to the kindergarten and the idempotent writes
- `roster_import`: checking a file against the kindergarten and queueing its import job
"""

from server.orgs.roster_apply import apply_roster, describe_counts, plan_roster
from server.orgs.roster_import import (
    IMPORT_JOB,
    MAX_ISSUES_IN_JOB,
    check_roster,
    ensure_may_import,
    inspect_roster,
    start_import,
    upload_path,
)
from server.orgs.roster_reading import check_upload_size, read_roster, too_large
from server.orgs.roster_sheets import XLSX_CONTENT_TYPE, ChildRow, Issue, Roster, TeacherRow
from server.orgs.roster_template import build_template, template_filename, template_for

__all__ = [
    "IMPORT_JOB",
    "MAX_ISSUES_IN_JOB",
    "XLSX_CONTENT_TYPE",
    "ChildRow",
    "Issue",
    "Roster",
    "TeacherRow",
    "apply_roster",
    "build_template",
    "check_roster",
    "check_upload_size",
    "describe_counts",
    "ensure_may_import",
    "inspect_roster",
    "plan_roster",
    "read_roster",
    "start_import",
    "template_filename",
    "template_for",
    "too_large",
    "upload_path",
]
