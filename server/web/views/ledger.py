"""Console pages: 捐赠与经费 – a pairing's or alliance's books (record a donation or a fund
line), a line's page (items, photos or receipts, confirm item by item, reopen, void), and the
公示 (page, PDF, and drafting it as a 公众号 post).

Scope and every rule are the ledger's services', with the caller from the session cookie.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from pydantic import BeforeValidator, create_model
from sanic import Blueprint, Request, raw
from sanic.response import file_stream
from sanic_ext import openapi

from server.common.errors import DomainError
from server.common.params import Missing, Params, Text, Typed
from server.common.runtime import configured_calendar, current
from server.common.semester import semester_of
from server.common.time import now
from server.common.uploads import read_multipart
from server.ledger import book, disclosure, donations, funds
from server.ledger import service as ledger
from server.ledger.money import grouped
from server.ledger.service import FundCategory, ItemCategory
from server.publicity import disclosure as disclosure_posts
from server.web.console import NavItem, add_nav, back, console_page, render
from server.web.forms import form, query

bp = Blueprint("console_ledger")
READERS = ("organizer", "director", "leader")
KEEPERS = ("organizer", "director")
DIRECTORS = ("director",)
add_nav(NavItem("捐赠与经费", "/console/ledger", READERS, order=35))
BASE = "/console/ledger"
UNIT_KINDS = ("pairing", "alliance")
#: Empty item rows offered by the donation form.
ITEM_ROWS = 5
MB = 1024 * 1024


class PeriodQuery(Params):
    """?semester=2026秋 or ?year=2026 (the year wins)."""

    semester: Text | None = None
    year: Text | None = None

    def period(self) -> dict:
        """semester and year as the ledger's services read them."""
        year = self.year or None
        return {"semester": None if year else (self.semester or None), "year": year}


def _choices() -> dict:
    current = semester_of(now(), configured_calendar())
    year = int(current[:4])
    semesters = [f"{y}{s}" for y in range(year, year - 3, -1) for s in ("秋", "春")]
    if current.endswith("春"):
        semesters.remove(f"{year}秋")
    return {"semesters": semesters, "years": [str(y) for y in range(year, year - 3, -1)]}


def _chosen(what: str):
    def parse(value: object) -> int | None:
        text = str(value or "").strip()
        if not text:
            return None
        if not text.isdigit():
            raise DomainError("invalid_input", f"{what}选择有误，请刷新页面后重试")
        return int(text)

    return parse


def Chosen(what: str) -> Any:  # noqa: N802 - a type
    """An id chosen in a list (blank: none); anything but digits is a stale page."""
    return Annotated[int | None, BeforeValidator(_chosen(what))]


def _day(what: str):
    def parse(value: object) -> date:
        try:
            return date.fromisoformat(str(value or "").strip())
        except ValueError as exc:
            raise DomainError("invalid_date", f"请填写{what}（年-月-日）") from exc

    return parse


def Day(what: str) -> Any:  # noqa: N802 - a type
    """A date (年-月-日) that must be filled in."""
    message = f"请填写{what}（年-月-日）"
    return Annotated[date, BeforeValidator(_day(what)), Missing(message, "invalid_date")]


#: item_1_name … item_5_value: the donation form's item rows, as typed.
ItemRows = create_model(
    "ItemRows",
    __base__=Params,
    **{
        f"item_{i}_{key}": (Typed, None)
        for i in range(1, ITEM_ROWS + 1)
        for key in ("category", "name", "quantity", "unit", "value")
    },
)
ItemRows.repeated = {
    f"item_{i}_{key}": f"item_{{i}}_{key}"
    for i in range(1, ITEM_ROWS + 1)
    for key in ("category", "name", "quantity", "unit", "value")
}


class DonationForm(ItemRows):
    """A donation: its date, items, recipient, activity and note."""

    donated_on: Day("捐赠日期")
    recipient_id: Chosen("接收园") = None
    activity_id: Chosen("活动") = None
    note: Typed = None

    def _row(self, i: int) -> dict | None:
        name = (getattr(self, f"item_{i}_name") or "").strip()
        if not name:
            return None
        quantity = (getattr(self, f"item_{i}_quantity") or "").strip()
        if not quantity.isdigit():
            raise DomainError("invalid_quantity", f"第 {i} 行物品的数量须为整数")
        return {
            "category": getattr(self, f"item_{i}_category"),
            "name": name,
            "quantity": int(quantity),
            "unit": getattr(self, f"item_{i}_unit"),
            "value": (getattr(self, f"item_{i}_value") or "").strip() or "0",
        }

    def donation(self) -> dict:
        """Keyword arguments of donations.create_donation: the rows with a name are items."""
        rows = [self._row(i) for i in range(1, ITEM_ROWS + 1)]
        names = {"donated_on", "recipient_id", "activity_id", "note"}
        return {**self.model_dump(include=names), "items": [r for r in rows if r]}


class FundForm(Params):
    """Money allocated or spent: direction, date, amount, category, purpose, who confirms."""

    direction: str = ""
    occurred_on: Day("日期")
    amount: Text = ""
    category: str = ""
    purpose: str = ""
    counterpart_id: Chosen("确认方") = None


class DisclosureForm(Params):
    """The period of a 公示 post: a semester (2026秋) or a year (2026年)."""

    period: Text = ""

    def period_args(self) -> dict:
        """semester or year, as the disclosure post reads them."""
        year = self.period.endswith("年")
        return {
            "semester": None if year else self.period or None,
            "year": self.period if year else None,
        }


class ReasonForm(Params):
    """Why a record is reopened or voided."""

    reason: Typed = None


class ConfirmForm(Params):
    """The hash of what the director saw, so a record changed since is not confirmed."""

    content_hash: str | None = None


def _outcomes(request: Request, items: list[dict]) -> list[dict]:
    """Each item's outcome as the confirming director ticked it (its fields carry its id)."""
    form, outcomes = request.form or {}, []
    for item in items:
        key = item["id"]
        received = (form.get(f"received_{key}") or "").strip()
        outcomes.append(
            {
                "item_id": key,
                "outcome": form.get(f"outcome_{key}") or "",
                "received_quantity": int(received) if received.isdigit() else None,
                "note": form.get(f"note_{key}") or "",
            }
        )
    return outcomes


def _uploaded(request: Request, missing: str):
    """The uploaded `file`, refused with `missing` when there is none."""
    read_multipart(request)
    upload = (request.files or {}).get("file")
    if upload is None or not upload.body:
        raise DomainError("invalid_input", missing)
    return upload


def _stored(request: Request, upload) -> dict:
    """Where an uploaded file goes, and how large it may be."""
    settings = current().settings
    return {
        "data": upload.body,
        "filename": upload.name,
        "data_dir": settings.data_dir,
        "max_bytes": settings.max_upload_mb * MB,
    }


def unit_route(method: str, suffix: str = "") -> Callable:
    """Register a page of a unit at /ledger/pairing/<pairing_id> and /ledger/alliance/<alliance_id>.

    The handler takes (request, kind, unit_id); each route keeps it as `__wrapped__`, so its
    form fields stay visible to whoever reads the handler (the foreign-id matrix does).
    """

    def decorate(handler: Callable) -> Callable:
        for kind in UNIT_KINDS:
            param = f"{kind}_id"

            @functools.wraps(handler)
            async def route(request: Request, _kind: str = kind, _param: str = param, **ids):
                return await handler(request, _kind, ids[_param])

            bp.add_route(
                openapi.exclude()(route),  # a console page, as page() marks its handlers
                f"/ledger/{kind}/<{param}:int>{suffix}",
                methods=[method],
                name=f"{handler.__name__}_{kind}",
            )
        return handler

    return decorate


def _writes_disclosure(principal, data: dict) -> bool:
    """The 公示 post is written by the side that keeps the books (帮扶园 or 牵头园)."""
    giver = next((p["id"] for p in data["parties"] if p["role"] in ("帮扶园", "牵头园")), None)
    return principal.is_admin or giver in principal.scope_ids("kindergarten", KEEPERS)


@bp.get("/ledger")
@console_page(*READERS)
async def ledger_index(request: Request):
    """The pairings and alliances whose books the caller may see."""
    return render(
        request,
        "web/ledger/index.html",
        units=await ledger.units_in_sight(principal=request.ctx.principal),
    )


#: The totals a unit's page shows, grouped by thousands.
TOTALS = (
    "value",
    "confirmed_value",
    "allocated",
    "allocated_confirmed",
    "spent",
    "spent_confirmed",
    "balance",
)


def _totals_shown(totals: dict) -> dict:
    """The donations' and funds' totals as the page shows them (12,345.00)."""
    both = {**totals["donations"], **totals["funds"]}
    return {key: grouped(Decimal(both[key])) for key in TOTALS}


@unit_route("GET")
@console_page(*READERS)
@query(PeriodQuery)
async def unit_page(request: Request, kind: str, unit_id: int, query: PeriodQuery):
    """A unit's donations and fund lines for a semester or year, with the forms to record."""
    data = await book.unit_ledger(
        principal=request.ctx.principal, kind=kind, unit_id=unit_id, **query.period()
    )
    return render(
        request,
        "web/ledger/unit.html",
        data=data,
        shown=_totals_shown(data["totals"]),
        choices=_choices(),
        item_rows=range(1, ITEM_ROWS + 1),
        item_categories=[c.value for c in ItemCategory],
        fund_categories=[c.value for c in FundCategory],
        today=now().date().isoformat(),
        query=request.query_string,
    )


@unit_route("POST", "/donations")
@console_page(*KEEPERS)
@form(DonationForm)
async def record_donation(request: Request, kind: str, unit_id: int, body: DonationForm):
    """Record a donation of the giving side."""
    created = await donations.create_donation(
        principal=request.ctx.principal, kind=kind, unit_id=unit_id, **body.donation()
    )
    return back(f"{BASE}/donations/{created['id']}", "已登记捐赠，等待接收园园长确认")


@unit_route("POST", "/funds")
@console_page(*KEEPERS)
@form(FundForm)
async def record_fund(request: Request, kind: str, unit_id: int, body: FundForm):
    """Record money allocated or spent for the caller's side."""
    created = await funds.create_fund(
        principal=request.ctx.principal, kind=kind, unit_id=unit_id, **body.model_dump()
    )
    return back(f"{BASE}/funds/{created['id']}", "已登记经费，请上传票据并等待对方园长确认")


@unit_route("GET", "/disclosure")
@console_page(*READERS)
@query(PeriodQuery)
async def disclosure_page(request: Request, kind: str, unit_id: int, query: PeriodQuery):
    """The 公示 of the period, as it will be printed and published."""
    data = await disclosure.unit_disclosure(
        principal=request.ctx.principal, kind=kind, unit_id=unit_id, **query.period()
    )
    return render(
        request,
        "web/ledger/disclosure.html",
        data=data,
        choices=_choices(),
        query=request.query_string,
        may_draft=_writes_disclosure(request.ctx.principal, data),
    )


@unit_route("GET", "/disclosure.pdf")
@console_page(*READERS)
@query(PeriodQuery)
async def disclosure_pdf(request: Request, kind: str, unit_id: int, query: PeriodQuery):
    """The 公示 as a PDF download."""
    content, filename = await ledger.disclosure_pdf(
        principal=request.ctx.principal, kind=kind, unit_id=unit_id, **query.period()
    )
    disposition = (
        f'attachment; filename="disclosure-{kind}-{unit_id}.pdf"; '
        f"filename*=UTF-8''{quote(filename)}"
    )
    return raw(
        content, content_type="application/pdf", headers={"Content-Disposition": disposition}
    )


@unit_route("POST", "/disclosure-post")
@console_page(*KEEPERS)
@form(DisclosureForm)
async def draft_disclosure_post(request: Request, kind: str, unit_id: int, body: DisclosureForm):
    """Draft (or draft again) the 公示 as a 公众号 post, then on to its review."""
    post, created = await disclosure_posts.create_disclosure(
        principal=request.ctx.principal, kind=kind, unit_id=unit_id, **body.period_args()
    )
    return back(f"/console/posts/{post['id']}", "已生成公示推文草稿" if created else "已按台账更新")


# ---- a donation -------------------------------------------------------------------------


@bp.get("/ledger/donations/<donation_id:int>")
@console_page(*READERS)
async def donation_page(request: Request, donation_id: int):
    """A donation: items, photos, confirmation, and the caller's actions."""
    data = await donations.get_donation(principal=request.ctx.principal, donation_id=donation_id)
    return render(request, "web/ledger/donation.html", d=data)


@bp.post("/ledger/donations/<donation_id:int>/confirm")
@console_page(*DIRECTORS)
@form(ConfirmForm)
async def confirm_donation(request: Request, donation_id: int, body: ConfirmForm):
    """The receiving director confirms each item: received, short (how many) or damaged."""
    principal = request.ctx.principal
    current = await donations.get_donation(principal=principal, donation_id=donation_id)
    await donations.confirm_donation(
        principal=principal,
        donation_id=donation_id,
        outcomes=_outcomes(request, current["items"]),
        content_hash=body.content_hash,
    )
    return back(f"{BASE}/donations/{donation_id}", "已确认接收，记录已锁定")


@bp.post("/ledger/donations/<donation_id:int>/<action:reopen|void>")
@console_page(*KEEPERS)
@form(ReasonForm)
async def donation_reason_step(request: Request, donation_id: int, action: str, body: ReasonForm):
    """Withdraw the confirmation (directors) or void the donation, with a reason."""
    step = donations.reopen_donation if action == "reopen" else donations.void_donation
    await step(principal=request.ctx.principal, donation_id=donation_id, reason=body.reason)
    message = "已撤销确认，记录可以修改" if action == "reopen" else "已作废"
    return back(f"{BASE}/donations/{donation_id}", message)


@bp.post("/ledger/donations/<donation_id:int>/photos")
@console_page(*KEEPERS)
async def donation_photo(request: Request, donation_id: int):
    """Add a photo of the donation."""
    upload = _uploaded(request, "请选择要上传的照片")
    await donations.add_photo(
        principal=request.ctx.principal, donation_id=donation_id, **_stored(request, upload)
    )
    return back(f"{BASE}/donations/{donation_id}", "照片已上传")


# ---- a fund line ------------------------------------------------------------------------


@bp.get("/ledger/funds/<fund_id:int>")
@console_page(*READERS)
async def fund_page(request: Request, fund_id: int):
    """A fund line: amount, purpose, receipts, confirmation, and the caller's actions."""
    data = await funds.get_fund(principal=request.ctx.principal, fund_id=fund_id)
    return render(request, "web/ledger/fund.html", f=data)


@bp.post("/ledger/funds/<fund_id:int>/confirm")
@console_page(*DIRECTORS)
@form(ConfirmForm)
async def confirm_fund(request: Request, fund_id: int, body: ConfirmForm):
    """The other side's director confirms the line."""
    await funds.confirm_fund(
        principal=request.ctx.principal, fund_id=fund_id, content_hash=body.content_hash
    )
    return back(f"{BASE}/funds/{fund_id}", "已确认，记录已锁定")


@bp.post("/ledger/funds/<fund_id:int>/<action:reopen|void>")
@console_page(*KEEPERS)
@form(ReasonForm)
async def fund_reason_step(request: Request, fund_id: int, action: str, body: ReasonForm):
    """Withdraw the confirmation (directors) or void the line, with a reason."""
    step = funds.reopen_fund if action == "reopen" else funds.void_fund
    await step(principal=request.ctx.principal, fund_id=fund_id, reason=body.reason)
    message = "已撤销确认，记录可以修改" if action == "reopen" else "已作废"
    return back(f"{BASE}/funds/{fund_id}", message)


@bp.post("/ledger/funds/<fund_id:int>/receipts")
@console_page(*KEEPERS)
async def fund_receipt(request: Request, fund_id: int):
    """Attach a receipt (photo or PDF)."""
    upload = _uploaded(request, "请选择要上传的票据")
    await funds.add_receipt(
        principal=request.ctx.principal, fund_id=fund_id, **_stored(request, upload)
    )
    return back(f"{BASE}/funds/{fund_id}", "票据已上传")


@bp.get("/ledger/files/<ledger_file_id:int>")
@console_page(*READERS)
async def ledger_file(request: Request, ledger_file_id: int):
    """A donation photo or fund receipt the caller may see."""
    path, _, content_type = await ledger.file_for_download(
        principal=request.ctx.principal,
        file_id=ledger_file_id,
        data_dir=current().settings.data_dir,
    )
    disposition = "inline" if content_type.startswith("image/") else "attachment"
    return await file_stream(
        path, mime_type=content_type, headers={"Content-Disposition": disposition}
    )
