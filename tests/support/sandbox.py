"""The one reader of the WeChat sandbox's outbox (every call the sandbox answered)."""

from __future__ import annotations

import httpx

from tests.support.http import http_client


async def read_outbox(sandbox: httpx.AsyncClient | str, **filters: str | int) -> list[dict]:
    """Outbox entries through GET /sandbox/outbox, filtered (kind=…, touser=…, delivered="true").

    `sandbox` is an httpx client whose base URL is the sandbox, or the sandbox's URL (under
    the api that is ``…/_sandbox``).
    """
    if isinstance(sandbox, str):
        async with http_client(base_url=sandbox, timeout=30) as http:
            return await read_outbox(http, **filters)
    resp = await sandbox.get("/sandbox/outbox", params=filters)
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]
