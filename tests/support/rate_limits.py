"""Tests' handles on the rate limits: small limits for one test, a trusted proxy in front."""

from __future__ import annotations

import contextlib

from server.common.rate_limit import RateLimiter
from server.settings import RateLimits


@contextlib.contextmanager
def limits(api, **rules: str):
    """The api's limiter with `rules` overriding the settings' limits, for one test."""
    app = api.app
    before = app.ctx.runtime.limiter
    small = app.ctx.runtime.settings.rate_limits.model_copy(update=rules)
    app.ctx.runtime.limiter = RateLimiter(
        rules=RateLimits(**small.model_dump()), redis=app.ctx.runtime.redis
    )
    try:
        yield
    finally:
        app.ctx.runtime.limiter = before


@contextlib.contextmanager
def behind_proxy(api, count: int = 1):
    """The api as deployed behind nginx: trusts `count` X-Forwarded-For entries."""
    before = api.app.config.PROXIES_COUNT
    api.app.config.PROXIES_COUNT = count
    try:
        yield
    finally:
        api.app.config.PROXIES_COUNT = before
