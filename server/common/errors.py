"""Domain errors and the one handler that turns them into JSON answers."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sanic import Request, json
from sanic.exceptions import SanicException
from sanic.response import HTTPResponse

log = logging.getLogger("songjiao.errors")

#: Who counts the domain errors answered (metrics): common lies below every domain and
#: imports none, so the composition root connects it (server/wiring.py).
_error_counters: list[Callable[[str], None]] = []


def count_errors_with(counter: Callable[[str], None]) -> None:
    """Call `counter(code)` for every domain error answered (safe to call again)."""
    if counter not in _error_counters:
        _error_counters.append(counter)


#: HTTP status for well-known error codes; anything else is a 400.
STATUS_BY_CODE = {
    "unauthenticated": 401,
    "token_expired": 401,
    "token_invalid": 401,
    "forbidden": 403,
    "out_of_scope": 403,
    "not_found": 404,
    "conflict": 409,
    "duplicate": 409,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "rate_limited": 429,
    "wechat_unavailable": 502,
    "service_unavailable": 503,
}


class DomainError(Exception):
    """A refusal with a stable code and a Chinese message for the user."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        details: object = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status or STATUS_BY_CODE.get(code, 400)
        self.details = details
        #: Extra response headers, e.g. Retry-After on a 429.
        self.headers = headers or {}

    def to_dict(self) -> dict:
        """The JSON body every client reads."""
        body: dict = {"error": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


class NotFound(DomainError):
    """Something asked for does not exist (or is not visible to the caller)."""

    def __init__(self, what: str = "记录"):
        super().__init__("not_found", f"{what}不存在或您无权查看")


class Forbidden(DomainError):
    """The caller's role or scope does not allow this."""

    def __init__(self, message: str = "您没有权限进行此操作"):
        super().__init__("forbidden", message)


_SANIC_CODES = {
    400: ("bad_request", "请求格式不正确"),
    401: ("unauthenticated", "请先登录"),
    403: ("forbidden", "您没有权限进行此操作"),
    404: ("not_found", "接口不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    408: ("request_timeout", "请求超时，请重试"),
    413: ("payload_too_large", "上传内容过大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    503: ("service_unavailable", "服务暂时不可用，请稍后重试"),
}


async def handle_error(request: Request, exc: Exception) -> HTTPResponse:
    """Answer every error as {"error", "message"}; never leak a stack trace."""
    if isinstance(exc, DomainError):
        for count in _error_counters:
            count(exc.code)
        return json(exc.to_dict(), status=exc.status, headers=exc.headers)
    if isinstance(exc, SanicException):
        status = getattr(exc, "status_code", 500) or 500
        code, message = _SANIC_CODES.get(status, ("error", "请求无法处理"))
        if status == 400 and getattr(exc, "message", ""):
            # sanic-ext validation errors name the field; keep it as details.
            return json(
                {"error": "invalid_input", "message": "提交的数据不符合要求", "details": str(exc)},
                status=400,
            )
        return json({"error": code, "message": message}, status=status)
    from server.common.db_errors import is_bad_value, is_database_down

    if is_bad_value(exc):
        # Checked first: asyncpg's refusal of an argument is also an InterfaceError.
        return json(
            {"error": "invalid_input", "message": "提交的数值超出允许范围或含有无法保存的字符"},
            status=400,
        )
    if is_database_down(exc):
        log.error("database unavailable: %s", type(exc).__name__)
        return json(
            {"error": "service_unavailable", "message": "数据库暂时不可用，请稍后重试"},
            status=503,
        )
    log.exception("unhandled error on %s %s", request.method, request.path)
    return json({"error": "internal", "message": "服务器内部错误，请稍后重试"}, status=500)
