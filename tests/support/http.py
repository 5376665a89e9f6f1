"""HTTP clients for the tests, all on one SSL context.

httpx gives each client an SSL context of its own by default, loading certifi's CA bundle
into it: about 33 ms of CPU a client, and a test builds two to four (the reset's, `client`,
`sandbox_client`, the outbox reader's). Every test talks plain HTTP to servers on
127.0.0.1, so one context, made once with httpx's own defaults, serves them all.
"""

from __future__ import annotations

import httpx

_SSL = httpx.create_ssl_context()


def http_client(**kwargs) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` with `kwargs`, on the shared SSL context."""
    return httpx.AsyncClient(verify=_SSL, **kwargs)


def sync_http_client(**kwargs) -> httpx.Client:
    """An `httpx.Client` with `kwargs`, on the shared SSL context."""
    return httpx.Client(verify=_SSL, **kwargs)
