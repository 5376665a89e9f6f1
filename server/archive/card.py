"""The 帮扶记录卡: both sides confirm the record; once both have, it is locked.

A confirmation is bound to a hash of the record's content (texts, files, captions,
consent flags). When the content changes, the stored hash no longer matches and the
confirmations are void: the card shows them as needing re-confirmation. So "locked"
is never a flag that can go stale: it is "both confirmed, and the hash still matches".
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from server.activities import service as activities
from server.archive.models import ArchiveFile, RecordCard
from server.audit.service import actions_on_activity, record_action
from server.common.auth import Principal
from server.common.errors import DomainError, Forbidden
from server.common.time import china, now
from server.orgs import service as orgs

SIDES = ("supporting", "supported")
SIDE_LABELS = {"supporting": "帮扶园", "supported": "被帮扶园"}
CONFIRMERS = ("director", "organizer")
TEXT_FIELDS = ("plan", "measures", "summary", "reflection")
REASON_MAX = 200


def record_locked() -> DomainError:
    """The refusal of any change to a locked record."""
    return DomainError(
        "record_locked",
        "帮扶记录卡已由双方确认并锁定，如需修改请先撤销确认",
        status=409,
    )


async def card_sides(activity: activities.Activity) -> dict[str, int]:
    """Kindergarten of each side: the pairing's, else the alliance lead (or host) and the host."""
    if activity.pairing_id:
        sides = await orgs.pairing_sides(pairing_id=activity.pairing_id)
        if sides:
            return {"supporting": sides[0], "supported": sides[1]}
    lead = None
    if activity.alliance_id:
        lead = await orgs.alliance_lead_id(alliance_id=activity.alliance_id)
    return {"supporting": lead or activity.host_id, "supported": activity.host_id}


#: The audit action of a withdrawn photo consent; the card lists these beside its content.
CONSENT_WITHDRAWN = "archive.consent_withdrawn"


async def consent_withdrawals(activity: activities.Activity) -> list[dict]:
    """Every withdrawal of a photo's publication consent: which photo, who, when, why."""
    rows = await actions_on_activity(activity_id=activity.id, action=CONSENT_WITHDRAWN)
    return [
        {
            "file_id": r["target_id"],
            # A parent is named by her role only: the card is no place for parents' names.
            "by": "" if (r["detail"] or {}).get("role") == "家长" else r["actor"],
            "role": (r["detail"] or {}).get("role", ""),
            "reason": r["reason"],
            "at": china(datetime.fromisoformat(r["at"])).isoformat(),
        }
        for r in rows
    ]


async def content_hash(activity: activities.Activity) -> str:
    """sha256 over the texts and the sorted (file sha256, caption, consent) of the record.

    A photo whose consent was withdrawn counts as it was confirmed: a withdrawal must
    always work (PIPL: consent may be withdrawn at any time) and is recorded beside the
    confirmed content, so it neither unlocks the card nor voids a confirmation.
    """
    files = await ArchiveFile.filter(activity_id=activity.id).values_list(
        "id", "sha256", "caption", "consent"
    )
    withdrawn = {w["file_id"] for w in await consent_withdrawals(activity)}
    payload = {
        **{name: getattr(activity, name) or "" for name in TEXT_FIELDS},
        "files": sorted(
            [sha, caption or "", bool(consent) or file_id in withdrawn]
            for file_id, sha, caption, consent in files
        ),
    }
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class CardState:
    """A record card read against the record's current content."""

    card: RecordCard | None
    current_hash: str

    @property
    def matches(self) -> bool:
        """True when the stored confirmations were made on the current content."""
        return self.card is not None and self.card.content_hash == self.current_hash

    def side_state(self, side: str) -> str:
        """confirmed, stale (confirmed on older content) or pending."""
        if self.card is None or getattr(self.card, f"{side}_at") is None:
            return "pending"
        return "confirmed" if self.matches else "stale"

    @property
    def locked(self) -> bool:
        """Both sides confirmed this very content."""
        return all(self.side_state(side) == "confirmed" for side in SIDES)

    @property
    def label(self) -> str:
        """The card's state in Chinese, for the index and the record text."""
        states = {side: self.side_state(side) for side in SIDES}
        if self.locked:
            return "已锁定（双方已确认）"
        if "stale" in states.values():
            return "内容已修改，需重新确认"
        confirmed = [SIDE_LABELS[s] for s, state in states.items() if state == "confirmed"]
        return f"{confirmed[0]}已确认，待另一方确认" if confirmed else "未确认"


async def card_state(activity: activities.Activity) -> CardState:
    """The activity's card (if any) and the current content hash."""
    card = await RecordCard.get_or_none(activity_id=activity.id)
    return CardState(card=card, current_hash=await content_hash(activity))


async def ensure_unlocked(activity: activities.Activity) -> None:
    """Refuse with record_locked when both sides have confirmed the current content."""
    card = await RecordCard.get_or_none(activity_id=activity.id)
    if card is None or card.supporting_at is None or card.supported_at is None:
        return
    if card.content_hash == await content_hash(activity):
        raise record_locked()


async def card_view(activity: activities.Activity, state: CardState) -> dict:
    """Both sides' confirmation (who, when, state) and whether the card is locked."""
    sides = await card_sides(activity)
    card = state.card
    people = [getattr(card, f"{s}_by_id") for s in SIDES if card and getattr(card, f"{s}_by_id")]
    names = await orgs.person_names(person_ids=people) if people else {}
    view: dict = {}
    for side in SIDES:
        by = getattr(card, f"{side}_by_id") if card else None
        at = getattr(card, f"{side}_at") if card else None
        view[side] = {
            "label": SIDE_LABELS[side],
            "kindergarten_id": sides[side],
            "state": state.side_state(side),
            "confirmed_by": {"id": by, "name": names.get(by)} if by else None,
            "confirmed_at": at.isoformat() if at else None,
        }
    return {
        "sides": view,
        "locked": state.locked,
        "needs_reconfirmation": any(v["state"] == "stale" for v in view.values()),
        "state_label": state.label,
        "content_hash": state.current_hash,
        "consent_withdrawals": await consent_withdrawals(activity),
    }


async def _card_row(activity_id: int) -> RecordCard:
    card = await RecordCard.get_or_none(activity_id=activity_id)
    if card is not None:
        return card
    try:
        return await RecordCard.create(activity_id=activity_id)
    except IntegrityError:  # created at the same moment by the other side
        return await RecordCard.get(activity_id=activity_id)


def _eligible_sides(principal: Principal, sides: dict[str, int]) -> list[str]:
    if principal.is_admin:
        return list(SIDES)
    mine = principal.scope_ids("kindergarten", CONFIRMERS)
    return [side for side in SIDES if sides[side] in mine]


def _clear(card: RecordCard) -> None:
    for side in SIDES:
        setattr(card, f"{side}_by_id", None)
        setattr(card, f"{side}_at", None)


async def confirm(
    *, principal: Principal, activity: activities.Activity, side: str | None
) -> list[str]:
    """Confirm the record for the caller's side (admins: both at once); the sides confirmed."""
    sides = await card_sides(activity)
    eligible = _eligible_sides(principal, sides)
    if not eligible:
        raise Forbidden("只有帮扶园或被帮扶园的园长、组织者可以确认帮扶记录卡")
    if side is not None and side not in eligible:
        raise Forbidden(f"您不是{SIDE_LABELS[side]}的园长或组织者，不能代表该方确认")
    current = await content_hash(activity)
    await _card_row(activity.id)
    async with in_transaction():
        card = await RecordCard.filter(activity_id=activity.id).select_for_update().get()
        if card.content_hash != current:
            _clear(card)  # confirmations of older content are void
            card.content_hash = current
        done = {s for s in SIDES if getattr(card, f"{s}_at") is not None}
        targets = _targets(principal, card, eligible=eligible, side=side, done=done)
        at = now()
        for target in targets:
            setattr(card, f"{target}_by_id", principal.person_id)
            setattr(card, f"{target}_at", at)
        await card.save()
    if targets:
        await record_action(
            actor_id=principal.person_id,
            action="archive.confirm",
            target_type="record_card",
            target_id=card.id,
            activity_id=activity.id,
            detail={"sides": targets, "content_hash": current},
        )
    return targets


def _targets(
    principal: Principal, card: RecordCard, *, eligible: list[str], side: str | None, done: set
) -> list[str]:
    """Which sides this confirmation covers; one person confirms one side (admins both)."""
    wanted = [s for s in ([side] if side else eligible) if s not in done]
    if principal.is_admin or not wanted:
        return wanted
    target = wanted[0]
    other = SIDES[1 - SIDES.index(target)]
    if other in done and getattr(card, f"{other}_by_id") == principal.person_id:
        raise DomainError(
            "same_person_both_sides",
            f"您已代表{SIDE_LABELS[other]}确认，{SIDE_LABELS[target]}一方须由另一位负责人确认"
            "（同一人不能代表双方确认）",
            status=403,
        )
    return [target]


async def reopen(*, principal: Principal, activity: activities.Activity, reason: str) -> None:
    """Clear both confirmations so the record may change again (directors of a side, admins)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", "请填写撤销确认的原因")
    if len(reason) > REASON_MAX:
        raise DomainError("text_too_long", f"撤销原因不能超过 {REASON_MAX} 个字")
    sides = await card_sides(activity)
    directors = principal.scope_ids("kindergarten", ["director"])
    if not principal.is_admin and not directors & set(sides.values()):
        raise Forbidden("只有帮扶双方的园长或管理员可以撤销帮扶记录卡的确认")
    async with in_transaction():
        card = await RecordCard.filter(activity_id=activity.id).select_for_update().first()
        if card is None or (card.supporting_at is None and card.supported_at is None):
            raise DomainError("not_confirmed", "帮扶记录卡尚未确认，无需撤销", status=409)
        previous = {
            side: {
                "by": getattr(card, f"{side}_by_id"),
                "at": getattr(card, f"{side}_at").isoformat()
                if getattr(card, f"{side}_at")
                else None,
            }
            for side in SIDES
        }
        _clear(card)
        card.content_hash = ""
        await card.save()
    await record_action(
        actor_id=principal.person_id,
        action="archive.reopen",
        target_type="record_card",
        target_id=card.id,
        activity_id=activity.id,
        reason=reason,
        detail={"previous": previous},
    )
