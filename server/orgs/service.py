"""Organisation services: the facade other domains call."""

from __future__ import annotations

from server.orgs.scope import (
    ensure_can_manage_kindergarten,
    ensure_can_view_kindergarten,
    manageable_kindergarten_ids,
    scope_name,
    visible_kindergarten_ids,
)

__all__ = [
    "ensure_can_manage_kindergarten",
    "ensure_can_view_kindergarten",
    "manageable_kindergarten_ids",
    "scope_name",
    "visible_kindergarten_ids",
]
