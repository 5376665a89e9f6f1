"""Lines read with their parts (items, photos, receipts), content hash and state, in bulk."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.ledger import locking
from server.ledger.models import (
    Donation,
    DonationItem,
    FundEntry,
    LedgerFile,
    LedgerFileKind,
)
from server.ledger.money import as_text, total


@dataclass
class DonationBundle:
    """A donation, its items in order and its photos."""

    row: Donation
    items: list[DonationItem] = field(default_factory=list)
    photos: list[LedgerFile] = field(default_factory=list)

    @property
    def current_hash(self) -> str:
        """The hash of what the donation says now."""
        return locking.content_hash(donation_payload(self))

    @property
    def state(self) -> str:
        """pending, confirmed, stale or void."""
        return locking.state(self.row, self.current_hash)

    @property
    def value(self):
        """The estimated value of all items (Decimal)."""
        return total(i.value for i in self.items)


@dataclass
class FundBundle:
    """A fund line and its receipts."""

    row: FundEntry
    receipts: list[LedgerFile] = field(default_factory=list)

    @property
    def current_hash(self) -> str:
        """The hash of what the line says now."""
        return locking.content_hash(fund_payload(self))

    @property
    def state(self) -> str:
        """pending, confirmed, stale or void."""
        return locking.state(self.row, self.current_hash)


def donation_payload(bundle: DonationBundle) -> dict:
    """What a recipient confirms: date, sides, activity, note, every item, the photos."""
    row = bundle.row
    return {
        "donated_on": row.donated_on.isoformat(),
        "donor": row.donor_id,
        "recipient": row.recipient_id,
        "activity": row.activity_id,
        "note": row.note,
        "items": [
            [str(i.category), i.name, i.quantity, i.unit, as_text(i.value)] for i in bundle.items
        ],
        "photos": sorted(p.sha256 for p in bundle.photos),
    }


def fund_payload(bundle: FundBundle) -> dict:
    """What the other side confirms: date, direction, amount, category, purpose, receipts."""
    row = bundle.row
    return {
        "occurred_on": row.occurred_on.isoformat(),
        "direction": str(row.direction),
        "amount": as_text(row.amount),
        "category": str(row.category),
        "purpose": row.purpose,
        "recorder": row.recorder_id,
        "counterpart": row.counterpart_id,
        "receipts": sorted(r.sha256 for r in bundle.receipts),
    }


async def donation_bundles(rows: list[Donation]) -> list[DonationBundle]:
    """Bundles of the given donations, in the given order (two queries whatever their number)."""
    ids = [r.id for r in rows]
    bundles = {r.id: DonationBundle(r) for r in rows}
    if ids:
        for item in await DonationItem.filter(donation_id__in=ids).order_by("position", "id"):
            bundles[item.donation_id].items.append(item)
        photos = LedgerFile.filter(donation_id__in=ids, kind=LedgerFileKind.PHOTO)
        for photo in await photos.order_by("id"):
            bundles[photo.donation_id].photos.append(photo)
    return [bundles[i] for i in ids]


async def fund_bundles(rows: list[FundEntry]) -> list[FundBundle]:
    """Bundles of the given fund lines, in the given order."""
    ids = [r.id for r in rows]
    bundles = {r.id: FundBundle(r) for r in rows}
    if ids:
        receipts = LedgerFile.filter(fund_entry_id__in=ids, kind=LedgerFileKind.RECEIPT)
        for receipt in await receipts.order_by("id"):
            bundles[receipt.fund_entry_id].receipts.append(receipt)
    return [bundles[i] for i in ids]


async def donation_bundle(row: Donation) -> DonationBundle:
    """One donation's bundle."""
    return (await donation_bundles([row]))[0]


async def fund_bundle(row: FundEntry) -> FundBundle:
    """One fund line's bundle."""
    return (await fund_bundles([row]))[0]
