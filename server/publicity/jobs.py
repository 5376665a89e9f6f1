"""Publicity jobs: publish a signed post; poll WeChat for outcomes the callback did not bring."""

from __future__ import annotations

from server.jobs.registry import job
from server.publicity import mass_send, publish
from server.publicity.mass_send import MASS_POLL_JOB


@job(publish.PUBLISH_JOB)
async def publish_post(*, post_id: int) -> dict:
    """Upload images and cover, add the draft and submit it (continues where a run stopped)."""
    return await publish.publish_post(post_id=post_id)


@job(publish.POLL_JOB, cron=("*/2 * * * *",))
async def poll_publishes() -> dict:
    """Settle posts whose PUBLISHJOBFINISH never came; restart those stuck before submit."""
    return await publish.poll_publishes()


@job(MASS_POLL_JOB, cron=("*/10 * * * *",))
async def poll_mass_sends() -> dict:
    """Settle 群发 jobs whose MASSSENDJOBFINISH never came (message/mass/get)."""
    return await mass_send.poll_mass_sends()
