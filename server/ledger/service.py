"""The ledger's face to other domains: the 公示 for a post, figures for reports and summaries.

Figures are the same totals the ledger page and the 公示 print (server/ledger/totals.py).
A pairing's lines belong to the region of its supported kindergarten (where the work is
done, as in the reports); an alliance's own lines to the alliance's region.
"""

from __future__ import annotations

import asyncio
from datetime import date

from tortoise.expressions import Q

from server.common.auth import Principal
from server.ledger import periods, units
from server.ledger.book import file_for_download, unit_ledger, units_in_sight
from server.ledger.bundles import donation_bundles, fund_bundles
from server.ledger.disclosure import disclosure_data, unit_disclosure
from server.ledger.disclosure_pdf import render_disclosure
from server.ledger.models import Donation, FundCategory, FundEntry, ItemCategory
from server.ledger.totals import EMPTY_FIGURES, figures

__all__ = [
    "EMPTY_FIGURES",
    "FundCategory",
    "ItemCategory",
    "disclosure_for_post",
    "disclosure_pdf",
    "file_for_download",
    "period_label",
    "region_figures",
    "scope_figures",
    "unit_disclosure",
    "unit_figures",
    "unit_ledger",
    "units_in_sight",
]


async def disclosure_pdf(
    *, principal: Principal, kind: str, unit_id: int, semester: str | None, year: str | None
) -> tuple[bytes, str]:
    """The 公示 as a PDF and its Chinese file name (whoever may see the unit's books)."""
    data = await unit_disclosure(
        principal=principal, kind=kind, unit_id=unit_id, semester=semester, year=year
    )
    name = f"{data['unit']['name']}_{data['period']['label']}_捐赠与经费公示.pdf"
    # A long 公示 takes a moment to lay out: off the event loop.
    return await asyncio.to_thread(render_disclosure, data), name


def period_label(*, semester: str | None = None, year: str | None = None) -> str:
    """The label of the period asked for (2026秋, 2026年); the current semester by default."""
    return periods.resolve(semester_name=semester, year_text=year).label


async def disclosure_for_post(*, kind: str, unit_id: int, period: str) -> dict:
    """The 公示 data of a unit for a post (no scope check: publicity checked the writer)."""
    unit = await units.load_unit(kind=kind, unit_id=unit_id)
    data = await disclosure_data(unit, periods.from_label(period))
    data["giver_id"] = unit.giver_id
    return data


def _dated(model, first: date, last: date):
    column = "donated_on" if model is Donation else "occurred_on"
    return model.filter(**{f"{column}__gte": first, f"{column}__lte": last})


async def _figures_of(donations: list[Donation], funds: list[FundEntry]) -> dict:
    return figures(await donation_bundles(donations), await fund_bundles(funds))


async def unit_figures(
    *,
    first: date,
    last: date,
    pairing_ids: set[int] | None = None,
    alliance_ids: set[int] | None = None,
) -> dict[tuple[str, int], dict]:
    """Figures per unit, ("pairing", id) or ("alliance", id), of lines dated in [first, last].

    An alliance's figures are its own books; its pairings' lines are their pairings'.
    """
    out: dict[tuple[str, int], dict] = {}
    for kind, ids in (("pairing", pairing_ids), ("alliance", alliance_ids)):
        if ids is not None and not ids:
            continue
        column = f"{kind}_id"
        where = {f"{column}__in": sorted(ids)} if ids is not None else {f"{column}__isnull": False}
        donations = await _dated(Donation, first, last).filter(**where)
        funds = await _dated(FundEntry, first, last).filter(**where)
        keys = {getattr(r, column) for r in [*donations, *funds]}
        for key in keys:
            out[(kind, key)] = await _figures_of(
                [d for d in donations if getattr(d, column) == key],
                [f for f in funds if getattr(f, column) == key],
            )
    return out


async def _region_of(model, rows: list) -> dict[int, int | None]:
    ids = [r.id for r in rows]
    if not ids:
        return {}
    through_pairing = dict(
        await model.filter(id__in=ids, pairing_id__isnull=False).values_list(
            "id", "pairing__supported__region_id"
        )
    )
    through_alliance = dict(
        await model.filter(id__in=ids, alliance_id__isnull=False).values_list(
            "id", "alliance__region_id"
        )
    )
    return {i: through_pairing.get(i, through_alliance.get(i)) for i in ids}


async def _lines_in(
    model, first: date, last: date, *, region_ids: set[int] | None, alliance_ids: set[int] | None
) -> list:
    """Lines dated in [first, last] within regions or alliances (an alliance with its
    pairings); neither given: every line of a pairing or an alliance."""
    base = _dated(model, first, last)
    if region_ids is None and alliance_ids is None:
        return await base.filter(Q(pairing_id__isnull=False) | Q(alliance_id__isnull=False))
    wheres = []
    if region_ids:
        wheres += [
            {"pairing__supported__region_id__in": sorted(region_ids)},
            {"alliance__region_id__in": sorted(region_ids)},
        ]
    if alliance_ids:
        wheres += [
            {"alliance_id__in": sorted(alliance_ids)},
            {"pairing__alliance_id__in": sorted(alliance_ids)},
        ]
    found = {}
    for where in wheres:  # one query per path: an OR across two joins would drop rows
        found.update({r.id: r for r in await base.filter(**where)})
    return [found[i] for i in sorted(found)]


async def region_figures(
    *, first: date, last: date, region_ids: set[int] | None = None
) -> dict[int | None, dict]:
    """Figures per region, and under None all the regions asked for together."""
    donations = await _lines_in(Donation, first, last, region_ids=region_ids, alliance_ids=None)
    funds = await _lines_in(FundEntry, first, last, region_ids=region_ids, alliance_ids=None)
    d_region = await _region_of(Donation, donations)
    f_region = await _region_of(FundEntry, funds)
    out: dict[int | None, dict] = {None: await _figures_of(donations, funds)}
    for rid in set(d_region.values()) | set(f_region.values()):
        if rid is None:
            continue
        out[rid] = await _figures_of(
            [d for d in donations if d_region[d.id] == rid],
            [f for f in funds if f_region[f.id] == rid],
        )
    return out


async def scope_figures(
    *,
    first: date,
    last: date,
    region_ids: set[int] | None = None,
    alliance_ids: set[int] | None = None,
) -> dict:
    """Figures of every line within regions or alliances (an alliance with its pairings);
    neither given: the whole city."""
    donations = await _lines_in(
        Donation, first, last, region_ids=region_ids, alliance_ids=alliance_ids
    )
    funds = await _lines_in(
        FundEntry, first, last, region_ids=region_ids, alliance_ids=alliance_ids
    )
    return await _figures_of(donations, funds)
