"""Ledger lines as the API, the console and the 公示 show them.

People are named only as the responsible people of a line (who recorded it, who confirmed
it); nothing else about anyone is shown.
"""

from __future__ import annotations

from datetime import datetime

from server.common.time import china
from server.ledger.bundles import DonationBundle, FundBundle
from server.ledger.locking import STATE_LABELS
from server.ledger.models import (
    DIRECTION_LABELS,
    OUTCOME_LABELS,
    FundDirection,
    ItemOutcome,
    LedgerFile,
)
from server.ledger.money import as_text
from server.orgs import service as orgs


def _at(moment: datetime | None) -> str | None:
    return china(moment).isoformat() if moment else None


def file_view(row: LedgerFile) -> dict:
    """A photo or receipt as clients list it (never its place on disk)."""
    return {
        "id": row.id,
        "kind": str(row.kind),
        "filename": row.filename,
        "size": row.size,
        "url": f"/api/v1/ledger-files/{row.id}/content",
    }


async def people_names(bundles: list[DonationBundle | FundBundle]) -> dict[int, str]:
    """Names of the responsible people of these lines (recorder and confirmer)."""
    ids = {
        i for b in bundles for i in (b.row.recorded_by_id, b.row.confirmed_by_id) if i is not None
    }
    return await orgs.person_names(person_ids=sorted(ids)) if ids else {}


def donation_state_label(bundle: DonationBundle) -> str:
    """The line's state in Chinese; a confirmed donation says whether anything was missing."""
    state = bundle.state
    if state == "confirmed":
        issues = [i for i in bundle.items if i.outcome in (ItemOutcome.SHORT, ItemOutcome.DAMAGED)]
        return "已确认接收（部分物品数量不足或有损坏）" if issues else "已确认接收"
    return STATE_LABELS[state]


def item_view(item) -> dict:
    """One item of a donation with what arrived."""
    outcome = ItemOutcome(item.outcome)
    return {
        "id": item.id,
        "category": str(item.category),
        "name": item.name,
        "quantity": item.quantity,
        "unit": item.unit,
        "value": as_text(item.value),
        "outcome": outcome.value,
        "outcome_label": OUTCOME_LABELS[outcome],
        "received_quantity": item.received_quantity,
        "outcome_note": item.outcome_note,
    }


def donation_view(
    bundle: DonationBundle,
    *,
    kindergartens: dict[int, str],
    people: dict[int, str],
    activities: dict[int, dict] | None = None,
) -> dict:
    """A donation with its items, photos, value and confirmation."""
    row = bundle.row
    activity = (activities or {}).get(row.activity_id) if row.activity_id else None
    state = bundle.state
    return {
        "id": row.id,
        "pairing_id": row.pairing_id,
        "alliance_id": row.alliance_id,
        "donor": {"id": row.donor_id, "name": kindergartens.get(row.donor_id, "")},
        "recipient": {"id": row.recipient_id, "name": kindergartens.get(row.recipient_id, "")},
        "donated_on": row.donated_on.isoformat(),
        "activity": {"id": activity["id"], "title": activity["title"]} if activity else None,
        "note": row.note,
        "items": [item_view(i) for i in bundle.items],
        "total_value": as_text(bundle.value),
        "photos": [file_view(p) for p in bundle.photos],
        "recorded_by": people.get(row.recorded_by_id) if row.recorded_by_id else None,
        "confirmed_by": people.get(row.confirmed_by_id) if row.confirmed_by_id else None,
        "confirmed_at": _at(row.confirmed_at),
        "state": state,
        "state_label": donation_state_label(bundle),
        "locked": state == "confirmed",
        "content_hash": bundle.current_hash,
        "voided_at": _at(row.voided_at),
        "void_reason": row.void_reason or None,
    }


def fund_view(bundle: FundBundle, *, kindergartens: dict[int, str], people: dict[int, str]) -> dict:
    """A fund line with its receipts and confirmation."""
    row = bundle.row
    direction = FundDirection(row.direction)
    state = bundle.state
    return {
        "id": row.id,
        "pairing_id": row.pairing_id,
        "alliance_id": row.alliance_id,
        "direction": direction.value,
        "direction_label": DIRECTION_LABELS[direction],
        "occurred_on": row.occurred_on.isoformat(),
        "amount": as_text(row.amount),
        "category": str(row.category),
        "purpose": row.purpose,
        "recorder": {"id": row.recorder_id, "name": kindergartens.get(row.recorder_id, "")},
        "counterpart": {
            "id": row.counterpart_id,
            "name": kindergartens.get(row.counterpart_id, ""),
        },
        "receipts": [file_view(r) for r in bundle.receipts],
        "recorded_by": people.get(row.recorded_by_id) if row.recorded_by_id else None,
        "confirmed_by": people.get(row.confirmed_by_id) if row.confirmed_by_id else None,
        "confirmed_at": _at(row.confirmed_at),
        "state": state,
        "state_label": STATE_LABELS[state],
        "locked": state == "confirmed",
        "content_hash": bundle.current_hash,
        "voided_at": _at(row.voided_at),
        "void_reason": row.void_reason or None,
    }
