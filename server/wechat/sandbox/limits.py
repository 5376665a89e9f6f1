"""Value rules of subscribe-message data, per key type, as WeChat documents them."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

_KEY_RE = re.compile(
    r"(?P<type>thing|number|letter|symbol|character_string|time|date|amount"
    r"|phone_number|car_number|name|phrase)\d+"
)
_NUMBER_RE = re.compile(r"\d+(\.\d+)?")
_LETTER_RE = re.compile(r"[A-Za-z]+")
_CHARACTER_STRING_RE = re.compile(r"[\x21-\x7e]+")
_AMOUNT_RE = re.compile(r"[￥¥]?\d{1,10}(\.\d{1,2})?元?")
_PHONE_RE = re.compile(r"[0-9+\- ]*[0-9][0-9+\- ]*")
_DATE_PART = r"\d{4}年\d{1,2}月\d{1,2}日|\d{4}-\d{1,2}-\d{1,2}|\d{4}/\d{1,2}/\d{1,2}"
_CLOCK_PART = r"\d{1,2}:\d{2}(?::\d{2})?"
_MOMENT_RE = re.compile(rf"(?:(?P<date>{_DATE_PART})\s*)?(?P<clock>{_CLOCK_PART})?")


def _is_hanzi(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _valid_date(text: str) -> bool:
    year, month, day = (int(part) for part in re.findall(r"\d+", text))
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _valid_clock(text: str) -> bool:
    parts = [int(part) for part in text.split(":")]
    return parts[0] < 24 and all(part < 60 for part in parts[1:])


def _moment(text: str, *, need_date: bool, need_clock: bool) -> bool:
    match = _MOMENT_RE.fullmatch(text.strip())
    if match is None or not (match["date"] or match["clock"]):
        return False
    if (need_date and not match["date"]) or (need_clock and not match["clock"]):
        return False
    if match["date"] and not _valid_date(match["date"]):
        return False
    return not match["clock"] or _valid_clock(match["clock"])


def _moments(value: str, *, need_date: bool, need_clock: bool) -> bool:
    # WeChat accepts a period written as two moments joined by "~".
    parts = re.split(r"[~～]", value)
    return len(parts) <= 2 and all(
        _moment(part, need_date=need_date, need_clock=need_clock) for part in parts
    )


def _symbol(value: str) -> bool:
    return len(value) <= 5 and all(not ch.isalnum() and not ch.isspace() for ch in value)


def _car_number(value: str) -> bool:
    # First and last may be a Chinese character (粤A8Z888挂); the rest letters or digits.
    if not 2 <= len(value) <= 8:
        return False
    inner = value[1:-1]
    ends_ok = all(ch.isascii() and ch.isalnum() or _is_hanzi(ch) for ch in (value[0], value[-1]))
    return ends_ok and all(ch.isascii() and ch.isalnum() for ch in inner)


def _name(value: str) -> bool:
    if all(_is_hanzi(ch) for ch in value):
        return len(value) <= 10
    return (
        len(value) <= 20
        and any(ch.isalpha() for ch in value)
        and all(ch.isascii() and not ch.isdigit() for ch in value)
    )


_RULES: dict[str, Callable[[str], bool]] = {
    "thing": lambda v: len(v) <= 20,
    "number": lambda v: len(v) <= 32 and bool(_NUMBER_RE.fullmatch(v)),
    "letter": lambda v: len(v) <= 32 and bool(_LETTER_RE.fullmatch(v)),
    "symbol": _symbol,
    "character_string": lambda v: len(v) <= 32 and bool(_CHARACTER_STRING_RE.fullmatch(v)),
    "time": lambda v: _moments(v, need_date=False, need_clock=True),
    "date": lambda v: _moments(v, need_date=True, need_clock=False),
    "amount": lambda v: bool(_AMOUNT_RE.fullmatch(v)),
    "phone_number": lambda v: len(v) <= 17 and bool(_PHONE_RE.fullmatch(v)),
    "car_number": _car_number,
    "name": _name,
    "phrase": lambda v: len(v) <= 5 and all(_is_hanzi(ch) for ch in v),
}


def value_ok(key: str, value: object) -> bool:
    """Whether `value` is acceptable for the data key `key` (e.g. "thing1", "phrase3")."""
    match = _KEY_RE.fullmatch(key)
    if match is None or not isinstance(value, str) or not value:
        return False
    return _RULES[match["type"]](value)


def first_invalid_key(data: dict) -> str | None:
    """The first key of subscribe `data` whose `{"value": ...}` breaks WeChat's rules."""
    for key, item in data.items():
        if not isinstance(item, dict) or not value_ok(key, item.get("value")):
            return key
    return None
