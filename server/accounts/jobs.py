"""Accounts jobs: housekeeping of sessions and invitations."""

from __future__ import annotations

from datetime import timedelta

from server.accounts.models import Session
from server.common.time import now
from server.jobs.registry import job


@job("accounts.purge_sessions", cron=("17 3 * * *",))
async def purge_sessions() -> int:
    """Delete sessions that expired or were revoked more than a week ago (safe twice)."""
    cutoff = now() - timedelta(days=7)
    expired = await Session.filter(expires_at__lt=cutoff).delete()
    revoked = await Session.filter(revoked_at__lt=cutoff).delete()
    return expired + revoked
