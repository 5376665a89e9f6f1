"""A unit's books for a period: its donations and fund lines, and their totals; the files."""

from __future__ import annotations

import asyncio
from pathlib import Path

from server.activities import service as activities
from server.common.auth import Principal
from server.common.errors import DomainError, NotFound
from server.ledger import files, periods, units
from server.ledger.bundles import (
    DonationBundle,
    FundBundle,
    donation_bundles,
    fund_bundles,
)
from server.ledger.donations import donation_actions, unit_of
from server.ledger.funds import fund_actions
from server.ledger.models import Donation, FundEntry, LedgerFile
from server.ledger.present import donation_view, fund_view, people_names
from server.ledger.totals import donation_totals, figures, fund_totals
from server.orgs import service as orgs


async def unit_lines(
    unit: units.Unit, period: periods.LedgerPeriod
) -> tuple[list[DonationBundle], list[FundBundle]]:
    """The unit's donations and fund lines dated within the period, oldest first."""
    donations = await Donation.filter(
        **unit.key, donated_on__gte=period.first, donated_on__lte=period.last
    ).order_by("donated_on", "id")
    funds = await FundEntry.filter(
        **unit.key, occurred_on__gte=period.first, occurred_on__lte=period.last
    ).order_by("occurred_on", "id")
    return await donation_bundles(donations), await fund_bundles(funds)


def _role(unit: units.Unit, kindergarten_id: int) -> str:
    if unit.kind == "pairing":
        return "帮扶园" if kindergarten_id == unit.giver_id else "被帮扶园"
    return "牵头园" if kindergarten_id == unit.giver_id else "成员园"


def parties(unit: units.Unit) -> list[dict]:
    """The unit's kindergartens with their part (giver first)."""
    ordered = sorted(unit.parties, key=lambda k: (k != unit.giver_id, k))
    return [{"id": k, "name": unit.names.get(k, ""), "role": _role(unit, k)} for k in ordered]


def by_semester(
    period: periods.LedgerPeriod, donations: list[DonationBundle], funds: list[FundBundle]
) -> list[dict]:
    """A year's figures per semester (a semester: itself)."""
    out = []
    for name in period.semesters:
        part = periods.semester(name)
        out.append(
            {
                "semester": name,
                **figures(
                    [d for d in donations if part.holds(d.row.donated_on)],
                    [f for f in funds if part.holds(f.row.occurred_on)],
                ),
            }
        )
    return out


async def unit_ledger(
    *, principal: Principal, kind: str, unit_id: int, semester: str | None, year: str | None
) -> dict:
    """The unit's lines and totals for a semester or year, as both sides and leaders see them."""
    unit = await units.visible_unit(principal, kind=kind, unit_id=unit_id)
    period = periods.resolve(semester_name=semester, year_text=year)
    donations, funds = await unit_lines(unit, period)
    people = await people_names([*donations, *funds])
    ids = [d.row.activity_id for d in donations if d.row.activity_id]
    found = await activities.activity_briefs(activity_ids=ids) if ids else {}
    keeps = units.keeps_books_of(principal) & unit.parties
    return {
        "unit": {"kind": unit.kind, "id": unit.id, "name": unit.name, "label": unit.label()},
        "parties": parties(unit),
        "period": {
            "label": period.label,
            "first": period.first.isoformat(),
            "last": period.last.isoformat(),
        },
        "donations": [
            {
                **donation_view(d, kindergartens=unit.names, people=people, activities=found),
                "can": donation_actions(principal, d, unit),
            }
            for d in donations
        ],
        "funds": [
            {
                **fund_view(f, kindergartens=unit.names, people=people),
                "can": fund_actions(principal, f),
            }
            for f in funds
        ],
        "totals": {"donations": donation_totals(donations), "funds": fund_totals(funds)},
        "by_semester": by_semester(period, donations, funds),
        "can": {
            "record_donation": unit.giver_id is not None
            and (principal.is_admin or unit.giver_id in keeps),
            "record_fund": principal.is_admin or bool(keeps),
        },
    }


async def file_for_download(
    *, principal: Principal, file_id: int, data_dir: Path
) -> tuple[Path, str, str]:
    """(path on disk, download name, content type) of a photo or receipt the caller may see."""
    row = await LedgerFile.get_or_none(id=file_id)
    if row is None:
        raise NotFound("文件")
    line = await (
        Donation.get_or_none(id=row.donation_id)
        if row.donation_id
        else FundEntry.get_or_none(id=row.fund_entry_id)
    )
    if line is None:
        raise NotFound("文件")
    try:
        await unit_of(principal, line)
    except NotFound as exc:
        raise NotFound("文件") from exc
    path = files.absolute_path(data_dir, row.stored_path)
    if not await asyncio.to_thread(path.is_file):
        raise DomainError("file_missing", "文件已丢失，请重新上传", status=410)
    return path, row.filename, files.served_content_type(row.content_type, row.stored_path)


async def units_in_sight(*, principal: Principal) -> list[dict]:
    """Pairings and alliances whose books the caller may see (at most 200 of each)."""
    pairings = (await orgs.list_pairings(principal=principal, limit=200, offset=0))["items"]
    alliances = (await orgs.list_alliances(principal=principal, limit=200, offset=0))["items"]
    keeps = units.keeps_books_of(principal)
    led = await orgs.kindergarten_ids_led(principal)
    led_alliances = principal.scope_ids("alliance", ["leader"])
    out = []
    for p in pairings:
        sides = {p["supporting_id"], p["supported_id"]}
        if principal.is_admin or (keeps | led) & sides:
            name = f"{p['supporting_name']}—{p['supported_name']}"
            out.append({"kind": "pairing", "id": p["id"], "name": name, "label": "结对"})
    for a in alliances:
        members = await orgs.alliance_member_ids(alliance_id=a["id"])
        if principal.is_admin or a["id"] in led_alliances or (keeps | led) & members:
            out.append({"kind": "alliance", "id": a["id"], "name": a["name"], "label": "联盟"})
    return out
