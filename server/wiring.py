"""Connect the domains' hooks: the one place that knows who listens to whom.

A domain low in the graph never imports the ones above it (common none; activities not
check-in, the archive or notices; orgs not accounts; check-in not reports; reports not
publicity): they register what it should call back, here, once per process, before the
first request or job. open_runtime() calls connect(), and so do the demo and the roster
command. A hook that must not be missed refuses to run unconnected.
"""

from __future__ import annotations

from server.accounts import grant_store
from server.archive import activity_hooks as archive_hooks
from server.checkin import activity_hooks as checkin_hooks
from server.checkin import overview
from server.common import errors
from server.jobs import gauges as job_gauges
from server.metrics import counters
from server.metrics import service as metrics
from server.notices import rsvp
from server.orgs import grant_links
from server.publicity import listing as publicity_listing
from server.reports import hooks as reports_hooks
from server.reports import service as reports


def connect() -> None:
    """Register every domain's hooks (safe to call again)."""
    errors.count_errors_with(counters.domain_error)
    metrics.gauges_from(job_gauges.job_gauges)
    grant_links.keep_grants_in(grant_store)
    checkin_hooks.connect()
    archive_hooks.connect()
    rsvp.connect()
    overview.targets_from(reports.hours_targets)
    reports_hooks.posts_counted_by(publicity_listing.published_count)
