"""Funds: money allocated to a unit (拨付) or spent by it (支出), to the fen. One side records a
line with its receipt; the other side's director confirms it, and it is then locked.

A spending line is confirmed only with its receipt attached. Every act is audited
(`ledger.fund.*`), a change with what it was before.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tortoise.transactions import in_transaction

from server.audit.service import record_action
from server.common.auth import Principal
from server.common.errors import DomainError, Forbidden, NotFound
from server.common.time import now
from server.ledger import files, locking, units
from server.ledger.bundles import FundBundle, fund_bundle, fund_payload
from server.ledger.donations import check_day, clean_text, unit_of
from server.ledger.models import (
    FundCategory,
    FundDirection,
    FundEntry,
    LedgerFile,
    LedgerFileKind,
)
from server.ledger.money import parse_amount
from server.ledger.present import fund_view, people_names
from server.orgs import service as orgs

PURPOSE_MAX = 200
MAX_RECEIPTS = 10


def _direction(value: str | None) -> FundDirection:
    try:
        return FundDirection((value or "").strip())
    except ValueError as exc:
        raise DomainError(
            "invalid_direction", "收支类型只能是 allocated（拨付）或 spent（支出）"
        ) from exc


def _category(value: str | None) -> FundCategory:
    try:
        return FundCategory((value or "").strip())
    except ValueError as exc:
        names = "、".join(c.value for c in FundCategory)
        raise DomainError("invalid_category", f"经费类别只能是：{names}") from exc


async def _visible(principal: Principal, fund_id: int) -> tuple[FundBundle, units.Unit]:
    row = await FundEntry.get_or_none(id=fund_id)
    if row is None:
        raise NotFound("经费记录")
    try:
        unit = await unit_of(principal, row)
    except NotFound as exc:
        raise NotFound("经费记录") from exc
    return await fund_bundle(row), unit


def fund_actions(principal: Principal, bundle: FundBundle) -> dict[str, bool]:
    """What the caller may do with the fund line now."""
    row, state = bundle.row, bundle.state
    recorder = principal.is_admin or row.recorder_id in units.keeps_books_of(principal)
    open_ = state in ("pending", "stale")
    return {
        "edit": recorder and open_,
        "void": recorder and open_,
        "upload": recorder and open_,
        "confirm": row.counterpart_id in units.directs(principal) and open_,
        "reopen": state in ("confirmed", "stale")
        and (
            principal.is_admin
            or bool({row.recorder_id, row.counterpart_id} & units.directs(principal))
        ),
    }


async def present(principal: Principal, bundle: FundBundle, unit: units.Unit) -> dict:
    """A fund line as its viewers see it, with what the caller may do."""
    row = bundle.row
    names = dict(unit.names)
    names.update(
        await orgs.kindergarten_names(kindergarten_ids={row.recorder_id, row.counterpart_id})
    )
    view = fund_view(bundle, kindergartens=names, people=await people_names([bundle]))
    view["unit"] = {"kind": unit.kind, "id": unit.id, "name": unit.name}
    view["can"] = fund_actions(principal, bundle)
    return view


async def get_fund(*, principal: Principal, fund_id: int) -> dict:
    """One fund line the caller may see."""
    bundle, unit = await _visible(principal, fund_id)
    return await present(principal, bundle, unit)


async def _audit(
    principal: Principal, row: FundEntry, act: str, *, reason: str = "", detail: dict | None = None
) -> None:
    await record_action(
        actor_id=principal.person_id,
        action=f"ledger.fund.{act}",
        target_type="fund_entry",
        target_id=row.id,
        reason=reason,
        detail=detail,
    )


async def create_fund(
    *,
    principal: Principal,
    kind: str,
    unit_id: int,
    direction: str,
    occurred_on: date,
    amount: object,
    category: str,
    purpose: str,
    counterpart_id: int | None = None,
) -> dict:
    """Record money allocated or spent for the caller's side of the unit."""
    unit = await units.visible_unit(principal, kind=kind, unit_id=unit_id)
    recorder = units.recording_side(principal, unit)
    counterpart = units.counterpart_of(unit, recorder, counterpart_id)
    values = {
        "direction": _direction(direction),
        "occurred_on": check_day(occurred_on, what="日期"),
        "amount": parse_amount(amount),
        "category": _category(category),
        "purpose": clean_text(purpose, what="用途", max_length=PURPOSE_MAX, required=True),
    }
    row = await FundEntry.create(
        **unit.key,
        **values,
        recorder_id=recorder,
        counterpart_id=counterpart,
        recorded_by_id=principal.person_id,
    )
    bundle = await fund_bundle(row)
    await _audit(principal, row, "create", detail={"content": fund_payload(bundle)})
    return await present(principal, bundle, unit)


async def _recorder_bundle(principal: Principal, fund_id: int) -> tuple[FundBundle, units.Unit]:
    bundle, unit = await _visible(principal, fund_id)
    if not (principal.is_admin or bundle.row.recorder_id in units.keeps_books_of(principal)):
        raise Forbidden("只有登记这笔经费的一方（园长或组织者）可以修改")
    return bundle, unit


async def update_fund(*, principal: Principal, fund_id: int, changes: dict) -> dict:
    """Change an unconfirmed line (date, direction, amount, category, purpose); audited."""
    bundle, unit = await _recorder_bundle(principal, fund_id)
    locking.ensure_changeable(bundle.row, bundle.current_hash)
    row, before = bundle.row, fund_payload(bundle)
    if "direction" in changes:
        row.direction = _direction(changes["direction"])
    if "occurred_on" in changes:
        row.occurred_on = check_day(changes["occurred_on"], what="日期")
    if "amount" in changes:
        row.amount = parse_amount(changes["amount"])
    if "category" in changes:
        row.category = _category(changes["category"])
    if "purpose" in changes:
        row.purpose = clean_text(
            changes["purpose"], what="用途", max_length=PURPOSE_MAX, required=True
        )
    if "counterpart_id" in changes:
        row.counterpart_id = units.counterpart_of(unit, row.recorder_id, changes["counterpart_id"])
    async with in_transaction():
        fresh = await FundEntry.filter(id=row.id).select_for_update().get()
        if fresh.updated_at != row.updated_at:
            raise DomainError("conflict", "记录已被他人修改，请刷新后再试", status=409)
        await row.save()
    bundle = await fund_bundle(row)
    after = fund_payload(bundle)
    if after != before:
        await _audit(principal, row, "update", detail={"before": before, "after": after})
    return await present(principal, bundle, unit)


async def void_fund(*, principal: Principal, fund_id: int, reason: str | None) -> dict:
    """Void an unconfirmed line (it stays listed, struck through, and counts nowhere)."""
    bundle, _ = await _recorder_bundle(principal, fund_id)
    locking.ensure_changeable(bundle.row, bundle.current_hash)
    reason = locking.clean_reason(reason, what="作废")
    done = await FundEntry.filter(id=bundle.row.id, voided_at=None, confirmed_at=None).update(
        voided_at=now(), void_reason=reason
    )
    if not done:
        raise DomainError("conflict", "记录状态已变化，请刷新后再试", status=409)
    await _audit(principal, bundle.row, "void", reason=reason)
    return await get_fund(principal=principal, fund_id=fund_id)


async def confirm_fund(*, principal: Principal, fund_id: int, content_hash: str | None) -> dict:
    """The other side's director confirms the line; it is then locked."""
    bundle, _ = await _visible(principal, fund_id)
    row = bundle.row
    if row.counterpart_id not in units.directs(principal):
        raise Forbidden("只有对方园的园长可以确认这笔经费")
    if row.recorded_by_id is not None and row.recorded_by_id == principal.person_id:
        raise DomainError(
            "same_person_both_sides",
            "登记经费的人不能同时确认，请由对方园的另一位园长确认",
            status=403,
        )
    current = bundle.current_hash
    locking.ensure_changeable(row, current)
    locking.check_seen(content_hash, current)
    if row.direction == FundDirection.SPENT and not bundle.receipts:
        raise DomainError(
            "receipt_required", "支出须附票据后才能确认，请登记方先上传票据", status=409
        )
    async with in_transaction():
        fresh = await FundEntry.filter(id=row.id).select_for_update().get()
        if locking.state(fresh, current) in ("confirmed", "void"):
            raise DomainError("conflict", "记录状态已变化，请刷新后再试", status=409)
        await FundEntry.filter(id=row.id).update(
            content_hash=current, confirmed_by_id=principal.person_id, confirmed_at=now()
        )
    await _audit(principal, row, "confirm", detail={"content_hash": current})
    return await get_fund(principal=principal, fund_id=fund_id)


async def reopen_fund(*, principal: Principal, fund_id: int, reason: str | None) -> dict:
    """Withdraw the confirmation so the line may change again (a director of either side)."""
    bundle, _ = await _visible(principal, fund_id)
    row = bundle.row
    if not principal.is_admin and not {row.recorder_id, row.counterpart_id} & units.directs(
        principal
    ):
        raise Forbidden("只有经费双方的园长或管理员可以撤销确认")
    reason = locking.clean_reason(reason, what="撤销确认")
    if row.confirmed_at is None or row.voided_at is not None:
        raise DomainError("not_confirmed", "该记录尚未确认，无需撤销", status=409)
    previous = {
        "confirmed_by": row.confirmed_by_id,
        "confirmed_at": row.confirmed_at.isoformat(),
        "content_hash": row.content_hash,
    }
    done = await FundEntry.filter(
        id=row.id, confirmed_at__isnull=False, content_hash=row.content_hash
    ).update(content_hash="", confirmed_by_id=None, confirmed_at=None)
    if not done:
        raise DomainError("conflict", "记录状态已变化，请刷新后再试", status=409)
    await _audit(principal, row, "reopen", reason=reason, detail={"previous": previous})
    return await get_fund(principal=principal, fund_id=fund_id)


async def ensure_may_upload(*, principal: Principal, fund_id: int) -> None:
    """Refuse before the upload is read unless the caller may attach a receipt now."""
    bundle, _ = await _visible(principal, fund_id)
    if not fund_actions(principal, bundle)["upload"]:
        locking.ensure_changeable(bundle.row, bundle.current_hash)
        raise Forbidden("只有登记这笔经费的一方可以上传票据")


async def add_receipt(
    *,
    principal: Principal,
    fund_id: int,
    data: bytes,
    filename: str | None,
    data_dir: Path,
    max_bytes: int,
) -> dict:
    """A receipt (photo or PDF) of the line; part of what the other side confirms."""
    await ensure_may_upload(principal=principal, fund_id=fund_id)
    checked = files.check_upload(data, filename, kind="receipt", max_bytes=max_bytes)
    receipt = await files.store_ledger_file(
        model=LedgerFile,
        owner={"fund_entry_id": fund_id},
        kind=LedgerFileKind.RECEIPT,
        checked=checked,
        data_dir=data_dir,
        uploader_id=principal.person_id,
        limit=MAX_RECEIPTS,
        too_many=DomainError("too_many_receipts", f"一笔经费最多上传 {MAX_RECEIPTS} 张票据"),
    )
    if receipt is None:  # the same receipt again
        return await get_fund(principal=principal, fund_id=fund_id)
    row = await FundEntry.get(id=fund_id)
    detail = {"file_id": receipt.id, "sha256": receipt.sha256}
    await _audit(principal, row, "receipt", detail=detail)
    return await get_fund(principal=principal, fund_id=fund_id)
