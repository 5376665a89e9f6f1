"""Console tests: the browser scenario belongs to the embedded pass only."""

from __future__ import annotations

import pytest

from tests.support import backends
from tests.support.http import http_client


def pytest_collection_modifyitems(config, items):
    """On the services pass, leave this folder's embedded-only tests out (not skipped)."""
    if backends.backend() != "services":
        return
    here = [i for i in items if "tests/web/" in str(i.fspath) and i.get_closest_marker("embedded")]
    if here:
        config.hook.pytest_deselected(items=here)
        items[:] = [i for i in items if i not in here]


@pytest.fixture
async def browser(api):
    """A cookie-keeping client, as a browser is."""
    async with http_client(base_url=api.url, timeout=15) as http:
        yield http
