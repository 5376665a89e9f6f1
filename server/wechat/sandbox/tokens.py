"""Access tokens issued by the sandbox, per app, with WeChat's lifetime and refresh grace."""

from __future__ import annotations

import secrets
from collections.abc import Callable

LIFETIME_S = 7200
#: After a refresh the previous token keeps working this long, as WeChat documents.
GRACE_S = 300


class TokenRegistry:
    """Every token this sandbox issued, the app it was issued to and when it stops working."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._expiry: dict[str, float] = {}
        self._owner: dict[str, str] = {}  #: token -> appid
        self._current: dict[str, str] = {}  #: appid -> its newest token

    def clear(self) -> None:
        """Forget every token."""
        self._expiry.clear()
        self._owner.clear()
        self._current.clear()

    def issue(self, appid: str) -> tuple[str, int]:
        """Issue a new token to `appid`; its previous one stays valid for the grace period."""
        now = self._clock()
        if (previous := self._current.get(appid)) is not None:
            self._expiry[previous] = min(self._expiry[previous], now + GRACE_S)
        self._forget_old(now)
        token = "SBX_" + secrets.token_urlsafe(60)
        self._expiry[token] = now + LIFETIME_S
        self._owner[token] = appid
        self._current[appid] = token
        return token, LIFETIME_S

    def stable(self, appid: str, *, force_refresh: bool) -> tuple[str, int]:
        """stable_token semantics: the app's current token while valid, a new one when forced."""
        now = self._clock()
        current = self._current.get(appid)
        if not force_refresh and current is not None and self._expiry[current] > now:
            return current, int(self._expiry[current] - now)
        return self.issue(appid)

    def check(self, token: str | None) -> int:
        """The errcode WeChat gives for `token`: 0, 41001 missing, 40001 unknown, 42001 expired."""
        if not token:
            return 41001
        expires_at = self._expiry.get(token)
        if expires_at is None:
            return 40001
        if expires_at <= self._clock():
            return 42001
        return 0

    def owner(self, token: str | None) -> str | None:
        """The appid a known token was issued to."""
        return self._owner.get(token) if token else None

    def expire_all(self) -> None:
        """Make every issued token expired now (they stay known, so they answer 42001)."""
        now = self._clock()
        for token in self._expiry:
            self._expiry[token] = min(self._expiry[token], now - 1)

    def _forget_old(self, now: float) -> None:
        # Tokens long expired would answer 40001 in WeChat too; dropping them bounds memory.
        stale = [t for t, exp in self._expiry.items() if exp < now - 86400]
        for token in stale:
            del self._expiry[token]
            self._owner.pop(token, None)
