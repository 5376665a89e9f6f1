"""Console login (password, or scanning a one-time code with the mini-program) and logout."""

from __future__ import annotations

import base64
import io

import qrcode
from sanic import Blueprint, Request, json, redirect

from server.accounts import web_login
from server.common.errors import DomainError
from server.common.params import Params, Text
from server.common.rate_limit import client_address
from server.common.runtime import current
from server.web import console
from server.web.console import PREFIX, console_page, render
from server.web.forms import form

bp = Blueprint("console_auth")
SCAN_PATH = "/m/login"


def _next(request: Request) -> str:
    target = request.args.get("next") or (request.form.get("next") if request.form else "") or ""
    # Only our own pages: no other host, no scheme-relative //evil.example.
    if not target.startswith(PREFIX + "/") or target.startswith("//") or "\\" in target:
        return f"{PREFIX}/dashboard"
    return target


def _logged_in(request: Request, response_to: str, cookie: str):
    response = redirect(response_to, status=303)
    console.set_cookie(
        request, response, console.SESSION_COOKIE, cookie, max_age=web_login.SESSION_TTL
    )
    return response


def _qr_data_uri(text: str) -> str:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, box_size=8)
    code.add_data(text)
    buf = io.BytesIO()
    code.make_image().save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


@bp.get("/")
@console_page(login=False)
async def home(request: Request):
    """The console's address: the dashboard, or the login page."""
    target = "/dashboard" if request.ctx.principal else "/login"
    return redirect(PREFIX + target, status=303)


@bp.get("/login")
@console_page(login=False)
async def login_page(request: Request):
    """The login page: password form and the scan-login panel."""
    if request.ctx.principal is not None:
        return redirect(_next(request), status=303)
    return render(request, "web/auth/login.html", next=_next(request), error="", login_name="")


class LoginForm(Params):
    """A login name and password (and ?next=, read by _next)."""

    login: Text = ""
    password: str = ""


async def _login_again(request: Request, exc: DomainError):
    """The login page with the refusal, the login name kept (never the password)."""
    login_name = ((request.form or {}).get("login") or "").strip()
    response = render(
        request,
        "web/auth/login.html",
        status=exc.status,
        next=_next(request),
        error=exc.message,
        login_name=login_name,
    )
    response.headers.update(exc.headers)
    return response


@bp.post("/login")
@console_page(login=False)
@form(LoginForm, again=_login_again)
async def password_login(request: Request, body: LoginForm):
    """Log in with a login name and password."""
    cookie = await web_login.password_login(
        login=body.login,
        password=body.password,
        settings=current().settings,
        limiter=current().limiter,
        address=client_address(request),
    )
    return _logged_in(request, _next(request), cookie)


@bp.post("/login/scan")
@console_page(login=False)
async def start_scan(request: Request):
    """A new one-time code for this browser, as a QR image the mini-program scans."""
    browser = request.cookies.get(console.BROWSER_COOKIE, "")
    if not browser:
        raise DomainError("csrf_failed", "请刷新页面后重试", status=403)
    data = await web_login.start_scan_login(browser=browser)
    settings = current().settings
    base = (settings.public_base_url or f"{request.scheme}://{request.host}").rstrip("/")
    text = f"{base}{PREFIX}{SCAN_PATH}?t={data['token']}"
    return json({**data, "qr": _qr_data_uri(text), "text": text})


@bp.get("/login/scan/<token:str>")
@console_page(login=False)
async def poll_scan(request: Request, token: str):
    """Has the code been confirmed on a phone? Logs this browser in once it has."""
    data = await web_login.poll_scan_login(
        token=token,
        browser=request.cookies.get(console.BROWSER_COOKIE, ""),
        settings=current().settings,
    )
    cookie = data.pop("cookie", None)
    response = json({**data, "next": _next(request) if cookie else None})
    if cookie:
        console.set_cookie(
            request, response, console.SESSION_COOKIE, cookie, max_age=web_login.SESSION_TTL
        )
    return response


@bp.get(SCAN_PATH)
@console_page(login=False)
async def scanned_elsewhere(request: Request):
    """Where the code leads when scanned with something other than the mini-program."""
    return render(request, "web/auth/scan_hint.html")


@bp.post("/logout")
@console_page()
async def logout(request: Request):
    """End the console session."""
    await web_login.end_session(principal=request.ctx.principal)
    response = redirect(f"{PREFIX}/login", status=303)
    response.delete_cookie(console.SESSION_COOKIE, path=PREFIX)
    return response
