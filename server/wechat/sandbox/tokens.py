"""Access tokens issued by the sandbox, per app, with WeChat's lifetime and refresh grace."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

LIFETIME_S = 7200
#: After a refresh the previous token keeps working this long, as WeChat documents.
GRACE_S = 300
#: "强制刷新模式每天限用 20 次且需间隔 30 秒" (getStableAccessToken, 注意事项), and "连续使用该模式
#: 时，请保证调用时间隔至少为30s，否则不会刷新": within 30 s the current token comes back.
FORCED_PER_DAY = 20
FORCED_GAP_S = 30
#: WeChat's days are Beijing days.
_BEIJING = timedelta(hours=8)


class TokenRegistry:
    """Every token this sandbox issued, the app it was issued to and when it stops working."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._expiry: dict[str, float] = {}
        self._owner: dict[str, str] = {}  #: token -> appid
        self._current: dict[str, str] = {}  #: appid -> its newest token
        self._forced: Counter[tuple[str, str]] = Counter()  #: (appid, day) -> forced refreshes
        self._last_forced: dict[str, float] = {}  #: appid -> time of its last forced refresh

    def clear(self) -> None:
        """Forget every token and every count of forced refreshes."""
        self._expiry.clear()
        self._owner.clear()
        self._current.clear()
        self._forced.clear()
        self._last_forced.clear()

    def forced_today(self, appid: str) -> int:
        """Forced refreshes `appid` made on the current (Beijing) day."""
        return self._forced[(appid, self._day())]

    def issue(self, appid: str) -> tuple[str, int]:
        """Issue a new token to `appid`; its previous one stays valid for the grace period."""
        now = self._clock()
        if (previous := self._current.get(appid)) in self._expiry:
            self._expiry[previous] = min(self._expiry[previous], now + GRACE_S)
        self._forget_old(now)
        token = "SBX_" + secrets.token_urlsafe(60)
        self._expiry[token] = now + LIFETIME_S
        self._owner[token] = appid
        self._current[appid] = token
        return token, LIFETIME_S

    def stable(self, appid: str, *, force_refresh: bool) -> tuple[str, int] | None:
        """stable_token: the app's current token while valid, a new one when forced.

        A forced refresh makes the previous token stop at once ("强制刷新模式，会导致上次获取的
        access_token 失效"); None when the day's forced refreshes are used up.
        """
        now = self._clock()
        current = self._current.get(appid)
        valid = current is not None and self._expiry.get(current, 0) > now
        last = self._last_forced.get(appid)
        if force_refresh and valid and last is not None and now - last < FORCED_GAP_S:
            force_refresh = False  # "否则不会刷新"
        if not force_refresh:
            # "普通模式下平台会提前 5 分钟更新 access_token": within its last five minutes a
            # new one is handed out, the old one still working until it expires.
            if valid and self._expiry[current] - now > GRACE_S:
                return current, int(self._expiry[current] - now)
            return self.issue(appid)
        day = (appid, self._day())
        if self._forced[day] >= FORCED_PER_DAY:
            return None
        self._forced[day] += 1
        self._last_forced[appid] = now
        if current is not None:
            # Unknown from now on: WeChat answers 40001 for it.
            del self._current[appid]
            self._expiry.pop(current, None)
            self._owner.pop(current, None)
        return self.issue(appid)

    def _day(self) -> str:
        return (datetime.fromtimestamp(self._clock(), UTC) + _BEIJING).date().isoformat()

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
        # Another app's newest token may be among them (it has not asked for a day): it has
        # no current token any more, and its next call is issued a new one.
        for appid in [a for a, t in self._current.items() if t not in self._expiry]:
            del self._current[appid]
