"""The web console's frame: cookie sessions, CSRF, security headers, templates, the nav.

Every console page is a handler decorated with `console_page(*roles)`, in a page-area module
listed in server/web/areas.py. The area's blueprint gets the console's middleware from
`build_console`: the caller from the session cookie (never from a bearer token), the CSRF
check on every unsafe method, and the security headers on every answer.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Blueprint, Request, html, json, redirect
from sanic.response import HTTPResponse
from sanic_ext import openapi

from server.accounts import web_login
from server.common.errors import DomainError
from server.common.runtime import current

PREFIX = "/console"
WEB = Path(__file__).resolve().parent
SESSION_COOKIE = "sjt_console"
#: A random name for a browser before it logs in: keys its CSRF token and its scan code.
BROWSER_COOKIE = "sjt_browser"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
#: The message of the last form, for the page the form leads to: a signed, short-lived
#: cookie, never the query string (URLs land in access logs, history and Referer headers,
#: and a message may carry an invitation code).
FLASH_COOKIE = "sjt_flash"
FLASH_TTL = 60
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
        "object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
ROLE_NAMES = {
    "admin": "管理员",
    "leader": "领导",
    "director": "园长",
    "organizer": "组织者",
    "teacher": "教师",
    "parent": "家长",
}


@dataclass(frozen=True)
class NavItem:
    """One entry of the console's navigation, shown to the roles that may open it."""

    label: str
    path: str
    roles: tuple[str, ...]
    order: int = 50
    #: Shown only where the app mounts this blueprint (the sandbox inbox); empty: always.
    blueprint: str = ""


_NAV: list[NavItem] = []


def add_nav(*items: NavItem) -> None:
    """Put items into the navigation (page-area modules call this at import)."""
    for item in items:
        if item not in _NAV:
            _NAV.append(item)


def nav_for(principal, mounted: Iterable[str] = ()) -> list[NavItem]:
    """The navigation a caller may use, among the pages of the `mounted` blueprints."""
    mounted = set(mounted)
    return sorted(
        (
            i
            for i in _NAV
            if principal is not None
            and principal.has(*i.roles)
            and (not i.blueprint or i.blueprint in mounted)
        ),
        key=lambda i: (i.order, i.path),
    )


@functools.cache
def templates() -> Environment:
    """The console's Jinja2 environment (server/web/templates, autoescaped)."""
    env = Environment(
        loader=FileSystemLoader(WEB / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(PREFIX=PREFIX, ROLE_NAMES=ROLE_NAMES)
    return env


def _csrf_key(request: Request) -> str:
    principal = getattr(request.ctx, "console_principal", None)
    if principal is not None:
        return principal.session_id
    return request.cookies.get(BROWSER_COOKIE, "")


def csrf_for(request: Request) -> str:
    """The CSRF token the page's forms and fetch calls must send back."""
    key = _csrf_key(request)
    if not key:
        # A first visit: the browser cookie is set on the way out.
        key = request.ctx.new_browser = secrets.token_urlsafe(24)
    return web_login.csrf_token(key=key, secret=current().settings.jwt_secret)


def render(request: Request, template: str, *, status: int = 200, **context) -> HTTPResponse:
    """A console page: the template with the caller, the nav and the CSRF token."""
    principal = getattr(request.ctx, "console_principal", None)
    body = (
        templates()
        .get_template(template)
        .render(
            principal=principal,
            me=getattr(request.ctx, "console_me", None),
            nav=nav_for(principal, request.app.blueprints),
            path=request.path,
            csrf_token=csrf_for(request),
            flash=_flash(request),
            **context,
        )
    )
    response = html(body, status=status)
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path=PREFIX)  # shown once
    return response


def _flash_signature(request: Request, text: str) -> str:
    # Bound to this browser's session (or pre-login cookie): no other browser's flash fits.
    secret = current().settings.jwt_secret.encode()
    signed = f"flash:{_csrf_key(request)}:{text}".encode()
    return hmac.new(secret, signed, hashlib.sha256).hexdigest()[:32]


def _flash(request: Request) -> str:
    """The message of the last form, only if the console wrote it for this browser."""
    text, _, signature = request.cookies.get(FLASH_COOKIE, "").rpartition(".")
    if not text or not hmac.compare_digest(signature, _flash_signature(request, text)):
        return ""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ""


def back(path: str, message: str = "") -> HTTPResponse:
    """Redirect after a form (POST → GET); a short Chinese message goes along in a cookie."""
    response = redirect(path, status=303)
    if message:
        request = Request.get_current()
        text = base64.urlsafe_b64encode(message.encode()).decode().rstrip("=")
        value = f"{text}.{_flash_signature(request, text)}"
        set_cookie(request, response, FLASH_COOKIE, value, max_age=FLASH_TTL)
    return response


def wants_json(request: Request) -> bool:
    """True for the page's own fetch calls (they send the CSRF header and want JSON)."""
    return "application/json" in request.headers.get("accept", "")


def error_page(request: Request, exc: DomainError) -> HTTPResponse:
    """A refusal as the console shows it: a page, or JSON for fetch calls."""
    if wants_json(request):
        return json(exc.to_dict(), status=exc.status, headers=exc.headers)
    response = render(request, "web/error.html", status=exc.status, message=exc.message)
    response.headers.update(exc.headers)
    return response


def console_page(*roles: str, login: bool = True) -> Callable:
    """Declare a console page: who may open it; role refusals render a Chinese page.

    Scope (which kindergarten, which region) is checked by the services the page calls,
    with the same Principal the API builds from its token.
    """

    def decorate(handler: Callable) -> Callable:
        @functools.wraps(handler)
        async def guarded(request: Request, *args, **kwargs):
            if not hasattr(request.ctx, "console_principal"):
                # A HEAD: sanic-ext answers it by a route of its own outside the console's
                # blueprints, so their middleware (the session) has not run.
                await _read_session(request)
            # The app's bearer-token middleware may run after ours: the cookie decides here.
            principal = request.ctx.principal = request.ctx.console_principal
            if login and principal is None:
                if wants_json(request):
                    return json({"error": "unauthenticated", "message": "请先登录"}, status=401)
                return redirect(f"{PREFIX}/login?next={quote(request.path)}", status=303)
            if login and not principal.has(*(roles or web_login.CONSOLE_ROLES)):
                return error_page(request, DomainError("forbidden", "您没有权限查看此页面"))
            try:
                return await handler(request, *args, **kwargs)
            except DomainError as exc:
                return error_page(request, exc)

        guarded.__console_roles__ = roles
        return openapi.exclude()(guarded)

    return decorate


async def _read_session(request: Request) -> None:
    request.ctx.console_principal = None
    request.ctx.console_me = None
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if cookie:
        principal = await web_login.session_principal(cookie=cookie, settings=current().settings)
        request.ctx.console_principal = principal
        if principal is not None:
            request.ctx.console_me = await web_login.whoami(principal=principal)
    if request.method in UNSAFE:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent and request.form:
            sent = request.form.get(CSRF_FIELD, "")
        key = _csrf_key(request)
        if not web_login.csrf_ok(key=key, secret=current().settings.jwt_secret, token=sent):
            exc = DomainError(
                "csrf_failed", "页面已过期或请求来源不明，请刷新页面后重试", status=403
            )
            return error_page(request, exc)
    return None


def set_cookie(
    request: Request, response: HTTPResponse, name: str, value: str, *, max_age: int
) -> None:
    """An HttpOnly, SameSite=Strict cookie for the console's paths (Secure behind https)."""
    base = current().settings.public_base_url
    response.add_cookie(
        name,
        value,
        path=PREFIX,
        max_age=max_age,
        httponly=True,
        samesite="Strict",
        # nginx terminates TLS: the public address says whether browsers use https.
        secure=base.startswith("https://"),
    )


async def _finish(request: Request, response: HTTPResponse) -> None:
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    if response.content_type and response.content_type.startswith("text/html"):
        response.headers.setdefault("Cache-Control", "no-store")
    new_browser = getattr(request.ctx, "new_browser", None)
    if new_browser:
        set_cookie(request, response, BROWSER_COOKIE, new_browser, max_age=web_login.SESSION_TTL)


async def console_headers(request: Request, response: HTTPResponse) -> None:
    """The security headers on every /console answer, also those no console route made.

    The blueprints' own middleware covers their routes; this app-wide one covers a 404
    or 405 under /console, which no blueprint sees.
    """
    if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)


def build_console(area_blueprints: Iterable[Blueprint]) -> list[Blueprint]:
    """The console's blueprints, each with the session, CSRF and header middleware."""
    out = [_static_blueprint()]
    for bp in area_blueprints:
        # Blueprints are module-level and create_app may run more than once (tests).
        if not getattr(bp.ctx, "console_ready", False):
            bp.url_prefix = PREFIX + (bp.url_prefix or "")
            bp.middleware("request")(_read_session)
            bp.middleware("response")(_finish)
            bp.ctx.console_ready = True
        out.append(bp)
    return out


@functools.cache
def _static_blueprint() -> Blueprint:
    static = Blueprint("console_static", url_prefix=PREFIX)
    static.static("/static", WEB / "static", name="files")
    static.middleware("response")(_finish)
    return static
