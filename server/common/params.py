"""Query-string parsing with Chinese errors."""

from __future__ import annotations

from sanic import Request

from server.common.errors import DomainError


def int_arg(
    request: Request,
    name: str,
    *,
    required: bool = False,
    default: int | None = None,
    minimum: int = 1,
    maximum: int = 2**31 - 1,
) -> int | None:
    """An integer query parameter, refused clearly when malformed."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        if required:
            raise DomainError("invalid_input", f"缺少参数 {name}")
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise DomainError("invalid_input", f"参数 {name} 必须是整数") from exc
    if not minimum <= value <= maximum:
        raise DomainError("invalid_input", f"参数 {name} 超出范围（{minimum}–{maximum}）")
    return value


def page_args(request: Request) -> tuple[int, int]:
    """(limit, offset) from ?limit=&offset=, limit at most 200."""
    limit = int_arg(request, "limit", default=50, minimum=1, maximum=200)
    offset = int_arg(request, "offset", default=0, minimum=0)
    return limit, offset
