"""Activities' hooks: the domains above connect once, and a missing one is loud."""

from __future__ import annotations

import pytest

from server import wiring
from server.activities import hooks
from server.checkin import overview
from server.common import errors
from server.metrics import service as metrics
from server.orgs import grant_links
from server.reports import hooks as reports_hooks

CONNECTED = (
    hooks._changed,
    hooks._cancelled,
    hooks._finished,
    hooks._record_guards,
    hooks._attendance,
    hooks._answer_invitees,
    errors._error_counters,
    grant_links._store,
    overview._targets,
    metrics._gauge_sources,
    reports_hooks._post_counts,
)


@pytest.fixture
def unconnected():
    """Every hook list emptied for the test, then put back as it was."""
    saved = [list(hook) for hook in CONNECTED]
    for hook in CONNECTED:
        hook.clear()
    yield
    for hook, before in zip(CONNECTED, saved, strict=True):
        hook[:] = before


async def test_a_hook_nobody_connected_refuses_instead_of_doing_nothing(unconnected):
    with pytest.raises(hooks.NotConnected):
        await hooks.cancelled(1)
    with pytest.raises(hooks.NotConnected):
        await hooks.finished(1)
    with pytest.raises(hooks.NotConnected):
        await hooks.checked_in_ids(1)
    with pytest.raises(hooks.NotConnected):
        await hooks.check_record_change(1)
    with pytest.raises(hooks.NotConnected):
        hooks.changed(1)
    with pytest.raises(RuntimeError):
        await grant_links.holders(role="teacher", scope_kind="kindergarten", scope_id=1)
    # Invitations by answers are optional: no domain inviting so means none to keep.
    assert await hooks.answer_invitees(1) == set()


def test_connecting_twice_registers_each_hook_once(unconnected):
    wiring.connect()
    counts = [len(hook) for hook in CONNECTED]
    wiring.connect()
    assert [len(hook) for hook in CONNECTED] == counts
    assert all(counts), "every hook has a listener once connected"
