"""Whose figures a caller may see: leaders their region or alliance, directors their
kindergarten and its pairings, admins everything."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.common.auth import Principal
from server.reports import units


@dataclass(frozen=True)
class ReportScope:
    """The units in sight; `everything` (admins, the whole city) overrides the sets."""

    everything: bool = False
    region_ids: frozenset[int] = field(default_factory=frozenset)
    alliance_ids: frozenset[int] = field(default_factory=frozenset)
    kindergarten_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def empty(self) -> bool:
        """True when nothing at all is in sight."""
        return not (
            self.everything or self.region_ids or self.alliance_ids or self.kindergarten_ids
        )

    def regions(self) -> set[int] | None:
        """Region filter for queries (None: all)."""
        return None if self.everything else set(self.region_ids)

    def alliances(self) -> set[int] | None:
        """Alliance filter for queries (None: all)."""
        return None if self.everything else set(self.alliance_ids)

    def kindergartens(self) -> set[int] | None:
        """Kindergarten filter for queries (None: all)."""
        return None if self.everything else set(self.kindergarten_ids)


CITY = ReportScope(everything=True)


async def build_scope(
    *,
    region_ids: set[int] | None = None,
    alliance_ids: set[int] | None = None,
    kindergarten_ids: set[int] | None = None,
) -> ReportScope:
    """A scope from units (for jobs and summaries): a region brings its alliances and
    kindergartens, an alliance its members."""
    regions = set(region_ids or ())
    alliances = set(alliance_ids or ())
    kindergartens = set(kindergarten_ids or ())
    if regions:
        alliances |= set(await units.alliances(region_ids=regions))
        kindergartens |= set(await units.kindergartens(region_ids=regions))
    if alliance_ids:
        kindergartens |= set(await units.kindergartens(alliance_ids=set(alliance_ids)))
    return ReportScope(
        region_ids=frozenset(regions),
        alliance_ids=frozenset(alliances),
        kindergarten_ids=frozenset(kindergartens),
    )


async def scope_of(principal: Principal) -> ReportScope:
    """The caller's scope: leaders' regions and alliances, directors' and organizers'
    kindergartens (the report routes themselves are for directors and up; organizers see
    their own kindergartens' figures on the console dashboard and in a pairing's 简报)."""
    if principal.is_admin:
        return CITY
    return await build_scope(
        region_ids=principal.scope_ids("region", ["leader"]),
        alliance_ids=principal.scope_ids("alliance", ["leader"]),
        kindergarten_ids=principal.scope_ids("kindergarten", ["director", "organizer"]),
    )
