"""What reports asks the domains above it, without importing them.

Publicity lies above reports (its briefs and recaps read reports' figures), so reports
never imports publicity: the leaders' summaries count its published posts through the
source the composition root connects here (server/wiring.py). Unconnected, a summary
would count no posts and store that for good, so it refuses instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

#: `source(since=, until=, kindergarten_ids=)`: posts published in [since, until) by these
#: kindergartens (None: everywhere).
PostCount = Callable[..., Awaitable[int]]
_post_counts: list[PostCount] = []


class NotConnected(RuntimeError):
    """A hook nobody connected: the composition root did not run server.wiring.connect()."""


def posts_counted_by(source: PostCount) -> None:
    """Where the summaries' count of published posts comes from (one source; safe again)."""
    _post_counts[:] = [source]


async def published_posts(
    *, since: datetime, until: datetime, kindergarten_ids: set[int] | None
) -> int:
    """Posts published in [since, until) by these kindergartens (None: everywhere)."""
    if not _post_counts:
        raise NotConnected("reports: no published posts source connected (server.wiring.connect())")
    return await _post_counts[0](since=since, until=until, kindergarten_ids=kindergarten_ids)
