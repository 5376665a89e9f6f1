"""The role grants that follow org changes (a new teacher, a removed guardian).

The writes belong to the accounts domain (``server.accounts.grant_store``), which also
makes a change reach the person's live access tokens on their next request.
"""

from __future__ import annotations

from server.accounts.grant_store import drop_scope_grants, give_grant, take_grants

__all__ = ["drop_scope_grants", "give_grant", "take_grants"]
