"""Query-string and form models, refused in Chinese: the one place that reads request input.

The API declares its query parameters as pydantic models that sanic-ext reads with
`@validate(query=Model)`; the console declares its forms the same way with
`@validate(form=Model)`. Sanic hands both over as lists of strings, so a `Params` model
takes the first value of each field (what `request.args.get` gives), treats a blank value
as absent, and refuses bad input with a DomainError whose Chinese message names the
parameter (the API: `参数 limit 超出范围（1–200）`) or the form's label (the console:
`请选择帮扶园`). The API's error handler answers it as 400 JSON; the console's `page`
shows it as a 400 page, or JSON to the page's own fetch calls.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from server.common.errors import DomainError
from server.common.time import CHINA

INT_MAX = 2**31 - 1


def refuse(message: str, code: str = "invalid_input") -> DomainError:
    """The refusal of malformed input."""
    return DomainError(code, message)


class Missing:
    """Annotated metadata: how a form refuses this field when it is absent or blank."""

    def __init__(self, message: str, code: str = "invalid_input"):
        self.message = message
        self.code = code


class KeepBlank:
    """Annotated metadata: a blank value of this field is kept, not taken as absent."""


class Params(BaseModel):
    """Base of every query and form model (see the module's docstring)."""

    model_config = ConfigDict(extra="ignore")
    #: The refusal of an absent required parameter without its own `Missing` message.
    missing: ClassVar[str] = "缺少参数 {name}"
    #: Fields of a repeated row or set, by the name they share with {i} (presenter_{i}),
    #: so that whoever lists a form's fields (the foreign-id matrix) sees each kind once.
    repeated: ClassVar[dict[str, str]] = {}

    @classmethod
    def field_names(cls) -> set[str]:
        """The names this model reads, a repeated field under its shared name."""
        names = {field.alias or name for name, field in cls.model_fields.items()}
        return {cls.repeated.get(name, name) for name in names}

    @model_validator(mode="wrap")
    @classmethod
    def _read(cls, data: Any, handler: Callable) -> Any:
        if isinstance(data, cls):
            return data
        values = cls._first_values(data or {})
        for name, field in cls.model_fields.items():
            if field.is_required() and (field.alias or name) not in values:
                said = [m for m in field.metadata if isinstance(m, Missing)]
                if said:
                    raise refuse(said[0].message, said[0].code)
                raise refuse(cls.missing.format(name=name))
        try:
            return handler(values)
        except ValidationError as exc:
            # A type no validator below covers (a Literal, a str too long): name the field.
            name = ".".join(str(part) for part in exc.errors()[0]["loc"]) or "?"
            raise refuse(f"参数 {name} 的值不正确") from exc

    @classmethod
    def _first_values(cls, data: Any) -> dict:
        values = {}
        for name, field in cls.model_fields.items():
            key = field.alias or name
            if key not in data:
                continue
            value = data[key]
            wants_list = get_origin(field.annotation) is list
            if isinstance(value, list) and not wants_list:
                value = value[0] if value else None
            if wants_list and not isinstance(value, list):
                value = [value]
            blank = value == "" and not any(isinstance(m, KeepBlank) for m in field.metadata)
            if value is None or blank:
                continue
            values[key] = value
        return values


# ---- the API's query parameters: messages name the parameter ------------------------------------


def _int_in(minimum: int, maximum: int) -> Callable:
    def parse(value: Any, info: ValidationInfo) -> int:
        name = info.field_name
        try:
            number = int(value)
        except (TypeError, ValueError) as exc:
            raise refuse(f"参数 {name} 必须是整数") from exc
        if not minimum <= number <= maximum:
            raise refuse(f"参数 {name} 超出范围（{minimum}–{maximum}）")
        return number

    return parse


def IntArg(minimum: int = 1, maximum: int = INT_MAX) -> Any:  # noqa: N802 - a type
    """An integer parameter within [minimum, maximum]."""
    return Annotated[int, BeforeValidator(_int_in(minimum, maximum))]


def _bool(value: Any, info: ValidationInfo) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("1", "true", "yes"):
        return True
    if str(value).lower() in ("0", "false", "no"):
        return False
    raise refuse(f"参数 {info.field_name} 只能是 true 或 false")


def _date_of(name: str | None, example: str, length: int | None) -> Callable:
    def parse(value: Any, info: ValidationInfo) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value)[:length])
        except ValueError as exc:
            raise refuse(f"参数 {name or info.field_name} 须为日期，格式如 {example}") from exc

    return parse


def DateOf(  # noqa: N802 - a type
    name: str | None = None, *, example: str = "2024-03-01", length: int | None = None
) -> Any:
    """?name=YYYY-MM-DD, read from its first `length` characters (all when None)."""
    return Annotated[date, BeforeValidator(_date_of(name, example, length))]


#: ?name=true/false (1/0, yes/no).
BoolArg = Annotated[bool, BeforeValidator(_bool)]
#: ?name=YYYY-MM-DD.
DateArg = DateOf()
#: ?name=1/true/yes means yes; anything else (or nothing) no, never a refusal.
Yes = Annotated[bool, BeforeValidator(lambda value: str(value).lower() in ("1", "true", "yes"))]
#: A number if the value is all digits, else nothing: for links and filters that fall back
#: quietly (a page number, a chosen person) rather than refuse.
Digits = Annotated[int | None, BeforeValidator(lambda v: int(v) if str(v).isdigit() else None)]
#: The ids among the values that are all digits (boxes ticked on a list), the rest dropped.
DigitIds = Annotated[list[int], BeforeValidator(lambda vs: [int(v) for v in vs if v.isdigit()])]
#: A tick box or flag: any value but a blank one means yes (what `bool(form.get(x))` said).
Flag = Annotated[bool, BeforeValidator(lambda value: bool(value))]


class Page(Params):
    """?limit=&offset=: limit 1–200 (50 when absent), offset from 0."""

    limit: IntArg(1, 200) = 50
    offset: IntArg(0) = 0

    def page(self) -> dict:
        """limit and offset as keyword arguments for a list service."""
        return {"limit": self.limit, "offset": self.offset}


# ---- the console's forms: messages name the field's label ---------------------------------------


def _form_int(bad: str) -> Callable:
    def parse(value: Any) -> int:
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise refuse(bad) from exc

    return parse


def _form_ids(bad: str) -> Callable:
    def parse(values: Any) -> list[int]:
        try:
            return [int(v) for v in values or []]
        except (TypeError, ValueError) as exc:
            raise refuse(bad) from exc

    return parse


def _form_number(label: str) -> Callable:
    def parse(value: Any) -> float:
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise refuse(f"{label}须为数字") from exc

    return parse


def _form_date(label: str) -> Callable:
    def parse(value: Any) -> date:
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError as exc:
            raise refuse(f"{label}格式不正确，如 2026-09-01") from exc

    return parse


def _form_when(bad: str) -> Callable:
    def parse(value: Any) -> datetime:
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError as exc:
            raise refuse(bad) from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=CHINA)

    return parse


def FormInt(  # noqa: N802 - a type
    label: str, *, missing: str | None = None, bad: str | None = None
) -> Any:
    """A number chosen or typed in a form; absent: `missing` (请选择{label}), else `bad`."""
    return Annotated[
        int,
        BeforeValidator(_form_int(bad or f"{label}须为数字")),
        Missing(missing or f"请选择{label}"),
    ]


def FormIds(bad: str) -> Any:  # noqa: N802 - a type
    """The ids ticked in a list of boxes (all of one name); `bad` when one is not a number."""
    return Annotated[list[int], BeforeValidator(_form_ids(bad))]


def FormNumber(label: str) -> Any:  # noqa: N802 - a type
    """A decimal number typed in a form (hours, coordinates)."""
    return Annotated[float, BeforeValidator(_form_number(label))]


def FormDate(label: str) -> Any:  # noqa: N802 - a type
    """A date (YYYY-MM-DD) in a form; absent: 请填写{label}."""
    return Annotated[date, BeforeValidator(_form_date(label)), Missing(f"请填写{label}")]


def FormWhen(label: str, *, bad: str | None = None) -> Any:  # noqa: N802 - a type
    """A date and time (<input type=datetime-local>), China time unless it says otherwise.

    Absent: 请填写{label}…; malformed: `bad`, the same unless given.
    """
    message = f"请填写{label}，格式如 2026-11-27 14:30"
    return Annotated[datetime, BeforeValidator(_form_when(bad or message)), Missing(message)]


#: A text field as typed, where blank (clear it) differs from absent (None: leave it).
Typed = Annotated[str | None, KeepBlank()]
#: A text field, without the spaces around it.
Text = Annotated[str, BeforeValidator(lambda value: str(value).strip())]
