"""Families' figures: check-ins at family activities, and what the notices domain knows
(家长满意度 now; RSVP once it offers a roll-up). Missing sources give None, never a guess."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable

from server.reports import family_checkins
from server.reports.periods import Period


def _notices_function(name: str) -> Callable | None:
    """A function of the notices domain's facade (or its feedback module), if it exists."""
    for module in ("server.notices.service", "server.notices.feedback"):
        try:
            found = getattr(importlib.import_module(module), name, None)
        except ImportError:
            continue
        if callable(found):
            return found
    return None


async def satisfaction(period: Period, kindergarten_ids: set[int] | None) -> dict | None:
    """家长满意度 from the notices domain: {average, count, by_kindergarten}, or None.

    `kindergarten_ids` None: every kindergarten (the city), asked without a list of ids.
    """
    return await _ask_notices("satisfaction", period, kindergarten_ids)


async def rsvp(period: Period, kindergarten_ids: set[int] | None) -> dict | None:
    """Family RSVP roll-up from the notices domain when it offers one (`rsvp_totals`)."""
    return await _ask_notices("rsvp_totals", period, kindergarten_ids)


async def _ask_notices(name: str, period: Period, kindergarten_ids: set[int] | None):
    ask = _notices_function(name)
    if ask is None or (kindergarten_ids is not None and not kindergarten_ids):
        return None
    ids = None if kindergarten_ids is None else sorted(kindergarten_ids)
    return await ask(kindergarten_ids=ids, since=period.since, until=period.asof)


class FamilyFigures:
    """Families' figures of a period, fetched once for many kindergartens, then grouped."""

    def __init__(self, period: Period):
        self.period = period
        self.checkins: dict[int, dict] = {}
        self.stars: dict | None = None
        self.rsvps: dict | None = None
        self.pairing_stars: dict[int, dict] = {}
        #: Family check-ins per pairing of the activity; None until load_pairings().
        self.pairing_checkins: dict[int, dict] | None = None

    async def load(self, kindergarten_ids: set[int] | None) -> FamilyFigures:
        """Read check-ins and notices figures for the kindergartens (None: all)."""
        # None (the city) is passed on as it is: no list of every kindergarten's id.
        ids = set(kindergarten_ids) if kindergarten_ids is not None else None
        self.checkins, self.stars, self.rsvps = await asyncio.gather(
            family_checkins.family_checkins(self.period, kindergarten_ids),
            satisfaction(self.period, ids),
            rsvp(self.period, ids),
        )
        self.pairing_stars = await _by_pairing(self.stars)
        return self

    async def load_pairings(self) -> FamilyFigures:
        """Also read family check-ins per pairing of the activity (for pairing reports)."""
        self.pairing_checkins = await family_checkins.family_checkins_by_pairing(self.period)
        return self

    def of(self, kindergarten_ids: set[int], *, pairing_id: int | None = None) -> dict:
        """The figures of a group of kindergartens; of a pairing, those of its own activities.

        A kindergarten may be in several pairings: families checked in at an open day, and
        their ratings, belong to the pairing of that activity (the ratings: of the activity
        the notice was linked to), and to no pairing otherwise.
        """
        rows = [self.checkins[k] for k in kindergarten_ids if k in self.checkins]
        stars = self.stars
        star_keys = kindergarten_ids
        if pairing_id is not None and self.pairing_checkins is not None:
            own = self.pairing_checkins.get(pairing_id)
            rows = [own] if own else []
        if pairing_id is not None:
            stars = None if self.stars is None else {"by_kindergarten": self.pairing_stars}
            star_keys = {pairing_id}
        return {
            "families_checked_in": sum(r["families"] for r in rows),
            "adults": sum(r["adults"] for r in rows),
            "children": sum(r["children"] for r in rows),
            "satisfaction": _stars(stars, star_keys),
            "satisfaction_count": _star_count(stars, star_keys),
            "rsvp": _rsvp(self.rsvps, kindergarten_ids),
        }


async def _by_pairing(stars: dict | None) -> dict[int, dict]:
    """Ratings of linked activities summed up per pairing of the activity."""
    per_activity = (stars or {}).get("by_activity") or {}
    pairings = await family_checkins.pairings_of_activities({int(a) for a in per_activity})
    out: dict[int, dict] = {}
    for activity_id, row in per_activity.items():
        pairing_id = pairings.get(int(activity_id))
        if pairing_id is None or not row.get("count"):
            continue
        seen = out.setdefault(pairing_id, {"total": 0, "count": 0})
        seen["total"] += row["stars"]
        seen["count"] += row["count"]
    return {
        pid: {"average": round(v["total"] / v["count"], 2), "count": v["count"]}
        for pid, v in out.items()
    }


def _per_kindergarten(source: dict | None, kindergarten_ids: set[int]) -> list[dict] | None:
    if source is None:
        return None
    per = source.get("by_kindergarten") or {}
    rows = (per.get(k) or per.get(str(k)) for k in kindergarten_ids)
    return [r for r in rows if r]


def _stars(source: dict | None, kindergarten_ids: set[int]) -> float | None:
    rows = _per_kindergarten(source, kindergarten_ids)
    if not rows:
        return None
    count = sum(r["count"] for r in rows if r.get("average") is not None)
    if not count:
        return None
    total = sum(r["average"] * r["count"] for r in rows if r.get("average") is not None)
    return round(total / count, 2)


def _star_count(source: dict | None, kindergarten_ids: set[int]) -> int | None:
    rows = _per_kindergarten(source, kindergarten_ids)
    if rows is None:
        return None
    return sum(r.get("count", 0) for r in rows)


def _rsvp(source: dict | None, kindergarten_ids: set[int]) -> dict | None:
    rows = _per_kindergarten(source, kindergarten_ids)
    if rows is None:
        return None
    keys = {k for r in rows for k, v in r.items() if isinstance(v, int | float)}
    return {k: sum(r.get(k, 0) for r in rows) for k in sorted(keys)}
