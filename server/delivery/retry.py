"""Retries of one WeChat call: exponential backoff on transient errors, none on argument errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from server.wechat.errors import (
    InvalidCredential,
    RateLimited,
    SystemBusy,
    WeChatError,
    WeChatUnavailable,
)

#: Errors worth another try: WeChat busy (-1), rate limits (45009), timeouts, token trouble.
TRANSIENT = (SystemBusy, RateLimited, WeChatUnavailable, InvalidCredential)


class CallFailed(Exception):
    """A WeChat call that did not succeed: the last error and the calls made."""

    def __init__(self, error: WeChatError, attempts: int) -> None:
        super().__init__(str(error))
        self.error = error
        self.attempts = attempts


class GaveUp(CallFailed):
    """Transient errors until every attempt was used."""


class Refused(CallFailed):
    """WeChat refused the call for a reason another try would not change (4xxxx)."""


def maybe_delivered(error: WeChatError) -> bool:
    """True when WeChat may have acted on the call: it timed out after the request left."""
    return isinstance(error, WeChatUnavailable) and error.errmsg.startswith("timeout")


async def call_with_retries(
    call: Callable[[], Awaitable[object]],
    *,
    attempts: int,
    base: float,
    rate_wait_max: float,
    retry_rate_limited: bool = True,
    retry_maybe_delivered: bool = True,
) -> int:
    """Run `call` until it succeeds; the number of calls made.

    Raises GaveUp after `attempts` transient failures (waiting base, 2·base, 4·base …;
    a rate limit's retry_after when known, at most rate_wait_max), and Refused at once on
    any other WeChatError (argument errors are not retried). Without `retry_rate_limited`
    a RateLimited error is raised as it is, for the caller to wait or re-enqueue. Without
    `retry_maybe_delivered` a timeout (WeChat may have acted) ends the tries at once, as
    GaveUp: for a call WeChat would not dedupe, a repeat could be a second message.
    """
    # The first call runs bare: almost every call succeeds at once, and building the
    # retrying machinery for each one cost a fan-out worker a tenth of its CPU (py-spy).
    try:
        await call()
        return 1
    except WeChatError as exc:
        first: WeChatError | None = exc

    transient = (
        TRANSIENT if retry_rate_limited else tuple(t for t in TRANSIENT if t is not RateLimited)
    )

    def wait(state: RetryCallState) -> float:
        backoff = base * 2 ** (state.attempt_number - 1)
        error = state.outcome.exception() if state.outcome else None
        retry_after = getattr(error, "retry_after", None)
        if retry_after:
            backoff = max(backoff, min(float(retry_after), rate_wait_max))
        return backoff

    retryable = retry_if_exception(
        lambda exc: (
            isinstance(exc, transient) and (retry_maybe_delivered or not maybe_delivered(exc))
        )
    )

    async def again() -> None:
        # Tenacity's first attempt is the failed call above, replayed: its waits, stop rule
        # and count of calls made stay the same as if it had made that call itself.
        nonlocal first
        if first is not None:
            error, first = first, None
            raise error
        await call()

    retrying = AsyncRetrying(
        stop=stop_after_attempt(attempts),
        wait=wait,
        retry=retryable,
        reraise=True,
    )
    try:
        async for attempt in retrying:
            with attempt:
                await again()
    except WeChatError as exc:
        if isinstance(exc, RateLimited) and not retry_rate_limited:
            raise
        made = int(retrying.statistics.get("attempt_number", 1))
        failure = GaveUp if isinstance(exc, transient) else Refused
        raise failure(exc, made) from exc
    return int(retrying.statistics.get("attempt_number", 1))
