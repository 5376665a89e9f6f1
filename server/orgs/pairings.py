"""Pairings (结对): a supporting kindergarten helps a supported one for a cycle."""

from __future__ import annotations

from datetime import date

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from server.common.auth import Principal
from server.common.errors import DomainError, Forbidden, NotFound
from server.orgs.models import DEFAULT_PAIRING_TARGETS, Alliance, Kindergarten, Pairing
from server.orgs.scope import (
    leads_all_kindergartens,
    led_alliance_ids,
    led_region_ids,
    visible_kindergarten_ids,
)
from server.orgs.validation import clean_text, paginate

#: Upper bound for counted targets (hours, lectures …): catches typos like 1000.
MAX_COUNT_TARGET = 999
TARGET_NAMES = {
    "send_hours_per_semester": "每学期送教课时",
    "lectures_per_semester": "每学期专题讲座次数",
    "visit_every_month": "每月专人到园",
    "shadow_teachers_per_semester": "每学期跟岗教师人数",
    "trainings_per_year": "每年集中培训次数",
    "excellent_lesson_rate": "教师优课率",
    "qualified_lesson_rate": "教师合格率",
    "papers_per_year": "每年论文发表或获奖篇数",
}


def pairing_view(p: Pairing, names: dict[int, str] | None = None) -> dict:
    """A pairing as the clients show it."""
    names = names or {}
    return {
        "id": p.id,
        "supporting_id": p.supporting_id,
        "supporting_name": names.get(p.supporting_id),
        "supported_id": p.supported_id,
        "supported_name": names.get(p.supported_id),
        "alliance_id": p.alliance_id,
        "cycle_start": p.cycle_start.isoformat(),
        "cycle_end": p.cycle_end.isoformat(),
        "agreement_date": p.agreement_date.isoformat() if p.agreement_date else None,
        "targets": {**DEFAULT_PAIRING_TARGETS, **(p.targets or {})},
        "note": p.note,
    }


async def _names(pairings: list[Pairing]) -> dict[int, str]:
    ids = {p.supporting_id for p in pairings} | {p.supported_id for p in pairings}
    if not ids:
        return {}
    return dict(await Kindergarten.filter(id__in=ids).values_list("id", "name"))


def merge_targets(given: dict | None, base: dict | None = None) -> dict:
    """The defaults, overlaid by `base` then by `given`; each value checked by its key."""
    merged = {**DEFAULT_PAIRING_TARGETS, **(base or {})}
    for key, value in (given or {}).items():
        if key not in DEFAULT_PAIRING_TARGETS:
            raise DomainError(
                "unknown_target",
                f"未知的帮扶指标“{key}”，可用指标：{'、'.join(DEFAULT_PAIRING_TARGETS)}",
            )
        merged[key] = _check_target(key, value)
    return merged


def _check_target(key: str, value: object) -> object:
    default, label = DEFAULT_PAIRING_TARGETS[key], TARGET_NAMES[key]
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise DomainError("invalid_target", f"{label}只能是 true 或 false")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise DomainError("invalid_target", f"{label}须为整数")
        if not 0 <= value <= MAX_COUNT_TARGET:
            raise DomainError("invalid_target", f"{label}须在 0 至 {MAX_COUNT_TARGET} 之间")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise DomainError("invalid_target", f"{label}须为 0 至 1 之间的比例（如 0.3 表示 30%）")
    return float(value)


def _check_dates(start: date, end: date, agreement: date | None) -> None:
    if end <= start:
        raise DomainError("invalid_cycle", "帮扶周期的结束日期必须晚于开始日期")
    if agreement is not None and agreement > end:
        raise DomainError("agreement_after_cycle", "协议签订日期不能晚于帮扶周期结束日期")


async def _ensure_manager(principal: Principal, supporting_id: int, supported_id: int) -> None:
    if not await leads_all_kindergartens(principal, {supporting_id, supported_id}):
        raise Forbidden("只有同时负责结对双方的领导或管理员可以管理该结对")


async def _check_alliance(principal: Principal, alliance_id: int | None) -> None:
    if alliance_id is None:
        return
    alliance = await Alliance.get_or_none(id=alliance_id)
    if principal.is_admin:
        if alliance is None:
            raise NotFound("联盟")
        return
    # Scope first: another region's alliance and an unknown id get the same refusal.
    if alliance is None or not (
        alliance.region_id in led_region_ids(principal)
        or alliance.id in led_alliance_ids(principal)
    ):
        raise Forbidden("您只能把结对归入自己负责的联盟")


async def _visible_pairing(principal: Principal, pairing_id: int) -> Pairing:
    pairing = await Pairing.get_or_none(id=pairing_id)
    if pairing is None:
        raise NotFound("结对")
    visible = await visible_kindergarten_ids(principal)
    if visible is not None and not {pairing.supporting_id, pairing.supported_id} & visible:
        raise NotFound("结对")
    return pairing


async def list_pairings(
    *,
    principal: Principal,
    kindergarten_id: int | None = None,
    alliance_id: int | None = None,
    active_on: date | None = None,
    limit: int,
    offset: int,
) -> dict:
    """Pairings that involve a kindergarten within the caller's sight."""
    query = Pairing.all().order_by("id")
    visible = await visible_kindergarten_ids(principal)
    if visible is not None:
        query = query.filter(Q(supporting_id__in=visible) | Q(supported_id__in=visible))
    if kindergarten_id is not None:
        query = query.filter(Q(supporting_id=kindergarten_id) | Q(supported_id=kindergarten_id))
    if alliance_id is not None:
        query = query.filter(alliance_id=alliance_id)
    if active_on is not None:
        query = query.filter(cycle_start__lte=active_on, cycle_end__gte=active_on)
    page = await paginate(query, limit=limit, offset=offset, view=lambda p: p)
    names = await _names(page["items"])
    page["items"] = [pairing_view(p, names) for p in page["items"]]
    return page


async def get_pairing(*, principal: Principal, pairing_id: int) -> dict:
    """One pairing with both kindergartens' names."""
    pairing = await _visible_pairing(principal, pairing_id)
    return pairing_view(pairing, await _names([pairing]))


async def create_pairing(
    *,
    principal: Principal,
    supporting_id: int,
    supported_id: int,
    cycle_start: date,
    cycle_end: date,
    alliance_id: int | None = None,
    agreement_date: date | None = None,
    targets: dict | None = None,
    note: str = "",
) -> dict:
    """Pair two kindergartens (admins, or a leader responsible for both)."""
    if supporting_id == supported_id:
        raise DomainError("same_kindergarten", "帮扶园和被帮扶园不能是同一所幼儿园")
    # Scope first: another region's kindergarten and an unknown id get the same refusal.
    await _ensure_manager(principal, supporting_id, supported_id)
    found = await Kindergarten.filter(id__in=[supporting_id, supported_id]).count()
    if found != 2:
        raise NotFound("幼儿园")
    _check_dates(cycle_start, cycle_end, agreement_date)
    merged = merge_targets(targets)
    note = clean_text(note, what="备注", max_length=2000)
    await _check_alliance(principal, alliance_id)
    duplicate = DomainError("duplicate", "这两所幼儿园在该周期开始日已有结对")
    if await Pairing.exists(
        supporting_id=supporting_id, supported_id=supported_id, cycle_start=cycle_start
    ):
        raise duplicate
    try:
        pairing = await Pairing.create(
            supporting_id=supporting_id,
            supported_id=supported_id,
            alliance_id=alliance_id,
            cycle_start=cycle_start,
            cycle_end=cycle_end,
            agreement_date=agreement_date,
            targets=merged,
            note=note,
        )
    except IntegrityError as exc:
        raise duplicate from exc
    return pairing_view(pairing, await _names([pairing]))


async def update_pairing(*, principal: Principal, pairing_id: int, changes: dict) -> dict:
    """Change a pairing's cycle, agreement date, alliance, targets or note."""
    pairing = await _visible_pairing(principal, pairing_id)
    await _ensure_manager(principal, pairing.supporting_id, pairing.supported_id)
    for key in ("cycle_start", "cycle_end", "agreement_date"):
        if key in changes:
            if changes[key] is None and key != "agreement_date":
                raise DomainError("invalid_cycle", "帮扶周期的开始和结束日期不能为空")
            setattr(pairing, key, changes[key])
    _check_dates(pairing.cycle_start, pairing.cycle_end, pairing.agreement_date)
    if "targets" in changes:
        pairing.targets = merge_targets(changes["targets"], base=pairing.targets)
    if "note" in changes:
        pairing.note = clean_text(changes["note"], what="备注", max_length=2000)
    if "alliance_id" in changes:
        await _check_alliance(principal, changes["alliance_id"])
        pairing.alliance_id = changes["alliance_id"]
    duplicate = DomainError("duplicate", "这两所幼儿园在该周期开始日已有结对")
    if (
        await Pairing.filter(
            supporting_id=pairing.supporting_id,
            supported_id=pairing.supported_id,
            cycle_start=pairing.cycle_start,
        )
        .exclude(id=pairing.id)
        .exists()
    ):
        raise duplicate
    try:
        await pairing.save()
    except IntegrityError as exc:
        raise duplicate from exc
    return pairing_view(pairing, await _names([pairing]))


async def delete_pairing(*, principal: Principal, pairing_id: int) -> None:
    """Remove a pairing and its leading groups."""
    pairing = await _visible_pairing(principal, pairing_id)
    await _ensure_manager(principal, pairing.supporting_id, pairing.supported_id)
    await pairing.delete()
