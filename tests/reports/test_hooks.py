"""Reports' hooks: publicity's post count reaches the summaries only through wiring."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server import wiring
from server.publicity import listing
from server.reports import hooks


@pytest.fixture
def unconnected():
    """The post count source emptied for the test, then put back as it was."""
    saved = list(hooks._post_counts)
    hooks._post_counts.clear()
    yield
    hooks._post_counts[:] = saved


async def test_the_summaries_refuse_to_count_posts_when_nobody_connected_a_source(unconnected):
    at = datetime(2026, 3, 2, tzinfo=UTC)
    with pytest.raises(hooks.NotConnected):
        await hooks.published_posts(since=at, until=at, kindergarten_ids=None)


def test_wiring_connects_publicitys_count_once(unconnected):
    wiring.connect()
    wiring.connect()
    assert hooks._post_counts == [listing.published_count]


async def test_the_count_is_asked_of_the_connected_source_with_the_same_arguments(unconnected):
    asked = []

    async def source(**query):
        asked.append(query)
        return 7

    hooks.posts_counted_by(source)
    since, until = datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC)
    assert await hooks.published_posts(since=since, until=until, kindergarten_ids={3}) == 7
    assert asked == [{"since": since, "until": until, "kindergarten_ids": {3}}]
