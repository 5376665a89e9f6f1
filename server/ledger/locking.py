"""Confirmation and locking of ledger lines, as the 帮扶记录卡 locks (server/archive/card.py).

A confirmation stores a hash of the line's content as confirmed. "Locked" is never a flag
that can go stale: it is "confirmed, not voided, and the hash still matches". A locked line
refuses every change; reopening it needs a reason, clears the confirmation and is audited.
"""

from __future__ import annotations

import hashlib
import json

from server.common.errors import DomainError

STATE_LABELS = {
    "pending": "待确认",
    "confirmed": "已确认",
    "stale": "内容已修改，需重新确认",
    "void": "已作废",
}
REASON_MAX = 200


def content_hash(payload: dict) -> str:
    """sha256 of a line's content, written canonically."""
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def state(row, current_hash: str) -> str:
    """pending, confirmed, stale (confirmed on other content) or void."""
    if row.voided_at is not None:
        return "void"
    if row.confirmed_at is None:
        return "pending"
    return "confirmed" if row.content_hash == current_hash else "stale"


def record_locked() -> DomainError:
    """The refusal of any change to a confirmed line."""
    return DomainError(
        "record_locked",
        "该记录已由对方确认并锁定；如需修改，请园长先填写原因撤销确认",
        status=409,
    )


def ensure_changeable(row, current_hash: str) -> None:
    """Refuse changes to a locked or voided line."""
    current = state(row, current_hash)
    if current == "confirmed":
        raise record_locked()
    if current == "void":
        raise DomainError("record_void", "该记录已作废，不能再修改", status=409)


def clean_reason(reason: str | None, *, what: str) -> str:
    """A required reason, at most REASON_MAX characters."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", f"请填写{what}的原因")
    if len(reason) > REASON_MAX:
        raise DomainError("text_too_long", f"{what}原因不能超过 {REASON_MAX} 个字")
    return reason


def check_seen(expected: str | None, current_hash: str) -> None:
    """When the confirmer names the content she saw, it must be the content now."""
    if expected and expected != current_hash:
        raise DomainError("content_changed", "记录内容已被修改，请刷新页面核对后再确认", status=409)
