"""Query-string helpers of the orgs endpoints (booleans, dates, pages)."""

from __future__ import annotations

from datetime import date

from sanic import Request

from server.common.errors import DomainError
from server.common.params import page_args


def bool_arg(request: Request, name: str) -> bool | None:
    """?name=true/false (1/0, yes/no); None when absent."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("1", "true", "yes"):
        return True
    if raw.lower() in ("0", "false", "no"):
        return False
    raise DomainError("invalid_input", f"参数 {name} 只能是 true 或 false")


def date_arg(request: Request, name: str) -> date | None:
    """?name=YYYY-MM-DD; None when absent."""
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise DomainError("invalid_input", f"参数 {name} 须为日期，格式如 2024-03-01") from exc


def page(request: Request) -> dict:
    """limit and offset (limit ≤ 200) as keyword arguments for a list service."""
    limit, offset = page_args(request)
    return {"limit": limit, "offset": offset}
