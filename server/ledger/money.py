"""Yuan to the fen: parsing, checking and writing amounts as decimals, never floats."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, InvalidOperation

from server.common.errors import DomainError

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
#: The column holds 12 digits, two after the point; no line of a kindergarten's books nears it.
MAX_AMOUNT = Decimal("9999999999.99")


def parse_amount(value: object, *, what: str = "金额", allow_zero: bool = False) -> Decimal:
    """A Decimal of at most two places, positive (or zero when allowed), within the column.

    Strings and integers are read exactly; a JSON number is read through its shortest
    decimal text (so 12.5 is 12.50, and a binary remainder such as 0.30000000000000004 is
    refused rather than rounded).
    """
    if isinstance(value, bool) or value is None:
        raise DomainError("invalid_amount", f"请填写{what}（元，最多两位小数）")
    try:
        amount = Decimal(value if isinstance(value, str | int | Decimal) else str(value))
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise DomainError("invalid_amount", f"{what}应为数字，如 1280.50") from exc
    if not amount.is_finite():
        raise DomainError("invalid_amount", f"{what}应为数字，如 1280.50")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise DomainError("invalid_amount", f"{what}不能为负" if allow_zero else f"{what}须大于 0")
    if amount > MAX_AMOUNT:
        raise DomainError("invalid_amount", f"{what}超出允许范围")
    if amount != amount.quantize(FEN, rounding=ROUND_DOWN):
        raise DomainError("invalid_amount", f"{what}最多精确到分（两位小数）")
    return amount.quantize(FEN)


def as_text(amount: Decimal) -> str:
    """Two places, no grouping: "1280.50" (what the API answers)."""
    return f"{amount.quantize(FEN):f}"


def grouped(amount: Decimal) -> str:
    """Two places with thousands separators: "12,800.50" (what pages and the 公示 print)."""
    return f"{amount.quantize(FEN):,.2f}"


def total(values) -> Decimal:
    """The exact sum of decimals (ZERO for none)."""
    out = ZERO
    for value in values:
        out += value
    return out.quantize(FEN)
