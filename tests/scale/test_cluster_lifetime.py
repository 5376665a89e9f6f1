"""The package's cluster runs only beside the tests that use it.

Its processes share the test database: left running beside another test, its scheduler's
sweep (every minute) sent that test's messages through the cluster's own sandbox, so the
test's sandbox never received them (issue 18, the Redis restart test on a busy machine).
"""

from __future__ import annotations

import httpx
import pytest

from tests.scale.conftest import Cluster
from tests.support.http import http_client

pytestmark = pytest.mark.services

#: The cluster as the first test saw it, for the second to look at.
_seen: list[Cluster] = []


async def test_a_test_that_uses_the_cluster_has_every_process_running(fresh):
    assert all(p.proc is not None and p.proc.returncode is None for p in fresh.procs.values())
    async with http_client(timeout=10) as http:
        assert (await http.get(fresh.sandbox + "/sandbox/stats")).status_code == 200
    _seen.append(fresh)


async def test_a_test_that_does_not_use_it_runs_with_none_of_its_processes(settings):
    assert _seen, "the test before this one starts the cluster"
    cluster = _seen[-1]
    alive = [name for name, p in cluster.procs.items() if p.proc.returncode is None]
    assert alive == []
    async with http_client(timeout=10) as http:
        for url in (cluster.sandbox + "/sandbox/stats", *(a + "/healthz" for a in cluster.apis)):
            with pytest.raises(httpx.ConnectError):
                await http.get(url)
