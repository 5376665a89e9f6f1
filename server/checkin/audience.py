"""Who is expected at an activity: activities owns it (kept here for check-in's own modules).

The lead switches cache.py and service.py to ``server.activities.service`` and deletes this.
"""

from __future__ import annotations

from server.activities.service import expected_person_ids, may_attend

__all__ = ["expected_person_ids", "may_attend"]
