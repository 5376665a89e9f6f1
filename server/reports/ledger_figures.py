"""Donations and spending per pairing, alliance and region, from the ledger's own totals.

The ledger domain counts (server/ledger/service.py); reports only attach its figures to
their items, under `ledger`, for the same period: a pairing its lines, an alliance its own
books, a region every line of its pairings (the supported kindergarten's region) and of its
alliances. Amounts are decimal strings to the fen, as the ledger answers them.
"""

from __future__ import annotations

from server.ledger import service as ledger
from server.reports.periods import Period

#: The figures and their column titles, in the order the tables show them.
COLUMNS = (
    ("donated_value", "捐赠物资估值（元）"),
    ("donated_confirmed_value", "其中已确认接收（元）"),
    ("allocated", "经费拨付（元）"),
    ("spent", "经费支出（元）"),
    ("spent_confirmed", "其中支出已确认（元）"),
)


async def with_pairings(items: list[dict], period: Period) -> list[dict]:
    """Each pairing item with its `ledger` figures for the period."""
    found = await ledger.unit_figures(
        first=period.first, last=period.last, pairing_ids={i["pairing_id"] for i in items}
    )
    for item in items:
        item["ledger"] = found.get(("pairing", item["pairing_id"]), ledger.EMPTY_FIGURES)
    return items


async def with_alliances(items: list[dict], period: Period) -> list[dict]:
    """Each alliance item with the `ledger` figures of its own books for the period."""
    found = await ledger.unit_figures(
        first=period.first, last=period.last, alliance_ids={i["alliance_id"] for i in items}
    )
    for item in items:
        item["ledger"] = found.get(("alliance", item["alliance_id"]), ledger.EMPTY_FIGURES)
    return items


async def with_regions(data: dict, period: Period) -> dict:
    """Each region item, and the total, with the `ledger` figures of the period."""
    ids = {i["region_id"] for i in data["items"]}
    if not ids:
        return data
    found = await ledger.region_figures(first=period.first, last=period.last, region_ids=ids)
    for item in data["items"]:
        item["ledger"] = found.get(item["region_id"], ledger.EMPTY_FIGURES)
    if data.get("total") is not None:
        data["total"]["ledger"] = found[None]
    return data
