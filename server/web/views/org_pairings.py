"""Console pages: a pairing (结对) – its cycle, alliance, note and targets, with its progress
against them this semester; leaders and admins create and edit pairings here."""

from __future__ import annotations

from pydantic import create_model
from sanic import Blueprint, Request

from server.common.errors import DomainError
from server.common.params import FormDate, FormInt, Params, Text
from server.common.runtime import current
from server.orgs import pairings
from server.reports import service as reports
from server.web.console import back, console_page, render
from server.web.forms import echo, form
from server.web.views.org_choices import (
    BASE,
    LEADERS,
    VIEWERS,
    alliance_choices,
    kindergarten_choices,
)

bp = Blueprint("console_org_pairings")


# ---- the targets: a checkbox, a count or a rate in per cent -----------------------------------


def _kind(key: str) -> str:
    default = pairings.DEFAULT_PAIRING_TARGETS[key]
    if isinstance(default, bool):
        return "bool"
    return "count" if isinstance(default, int) else "rate"


def _target_fields(values: dict) -> list[dict]:
    """The pairing targets as form fields, filled with `values` or the defaults."""
    out = []
    for key, label in pairings.TARGET_NAMES.items():
        value, kind = values.get(key, pairings.DEFAULT_PAIRING_TARGETS[key]), _kind(key)
        if kind == "rate":
            value = round(float(value) * 100, 2) if value not in (None, "") else ""
        out.append({"key": key, "label": label, "kind": kind, "value": value})
    return out


def _target(key: str, label: str, raw: str):
    """One target from its field: ticked, a count, or per cent as a fraction."""
    if _kind(key) == "bool":
        return raw == "1"
    try:
        return int(raw) if _kind(key) == "count" else round(float(raw) / 100, 4)
    except ValueError as exc:
        raise DomainError("invalid_target", f"{label}须为数字") from exc


#: t_<target> for every target of a pairing, as typed.
TargetFields = create_model(
    "TargetFields",
    __base__=Params,
    **{f"t_{key}": (Text, "") for key in pairings.TARGET_NAMES},
)

TargetFields.repeated = {f"t_{key}": "t_{i}" for key in pairings.TARGET_NAMES}


class PairingForm(TargetFields):
    """A pairing's cycle, alliance, agreement date, note and targets."""

    alliance_id: FormInt("联盟") | None = None
    cycle_start: FormDate("帮扶周期开始日期")
    cycle_end: FormDate("帮扶周期结束日期")
    agreement_date: FormDate("协议签订日期") | None = None
    note: Text = ""

    def targets(self) -> dict:
        """The targets typed in; a blank count or rate is left out (its default holds)."""
        out = {}
        for key, label in pairings.TARGET_NAMES.items():
            raw = getattr(self, f"t_{key}")
            if raw or _kind(key) == "bool":
                out[key] = _target(key, label, raw)
        return out

    def fields(self) -> dict:
        """The pairing's fields as the pairings service reads them."""
        names = {"alliance_id", "cycle_start", "cycle_end", "agreement_date", "note"}
        return {**self.model_dump(include=names), "targets": self.targets()}

    def changes(self) -> dict:
        """The fields of an edit: an unchosen alliance stays as it is."""
        data = self.fields()
        if data["alliance_id"] is None:
            data.pop("alliance_id")
        return data


class NewPairingForm(PairingForm):
    """A new pairing: the supporting and the supported kindergarten, and its fields."""

    supporting_id: FormInt("帮扶园")
    supported_id: FormInt("被帮扶园")


class SemesterQuery(Params):
    """?semester=2026秋: the semester the progress is shown for (this one when absent)."""

    semester: Text | None = None


# ---- showing the form --------------------------------------------------------------------------


async def _progress(request: Request, pairing_id: int | None) -> dict | None:
    """The pairing's progress against every target this semester (or ?semester=); None
    when that semester is outside its cycle."""
    if not pairing_id:
        return None
    try:
        return await reports.pairing(
            principal=request.ctx.principal,
            pairing_id=pairing_id,
            semester=SemesterQuery.model_validate(request.args).semester or None,
            calendar=current().settings.semester_calendar,
        )
    except DomainError:
        return None  # outside the pairing's cycle, or a malformed ?semester=


async def _pairing_form(request: Request, *, pairing: dict, error: str = "", status: int = 200):
    return render(
        request,
        "web/orgs/pairing_form.html",
        status=status,
        pairing=pairing,
        progress=await _progress(request, pairing.get("id")),
        targets=_target_fields(pairing.get("targets") or {}),
        kindergartens=await kindergarten_choices(request) if not pairing.get("id") else [],
        alliances=await alliance_choices(request),
        error=error,
    )


def _echo_targets(data) -> dict:
    targets = {}
    for key in pairings.TARGET_NAMES:
        value = data.get(f"t_{key}")
        if _kind(key) == "bool":
            targets[key] = value == "1"
        elif value not in (None, ""):
            try:
                targets[key] = float(value) / 100 if key.endswith("_rate") else value
            except ValueError:
                targets[key] = ""
    return targets


def _echo(request: Request) -> dict:
    """The submitted pairing form, to show it again with an error."""
    values = echo(request)
    for key in ("supporting_id", "supported_id", "alliance_id"):
        try:
            values[key] = int(values[key]) if values.get(key) else None
        except ValueError:
            values[key] = None
    return {**values, "targets": _echo_targets(request.form or {})}


async def _new_again(request: Request, exc: DomainError):
    return await _pairing_form(
        request, pairing=_echo(request), error=exc.message, status=exc.status
    )


async def _edit_again(request: Request, exc: DomainError, pairing_id: int):
    if exc.status == 404:
        raise exc
    current = await pairings.get_pairing(principal=request.ctx.principal, pairing_id=pairing_id)
    shown = {**current, **_echo(request), "id": pairing_id}
    return await _pairing_form(request, pairing=shown, error=exc.message, status=exc.status)


# ---- pages --------------------------------------------------------------------------------------


@bp.get("/orgs/pairings/new")
@console_page(*LEADERS)
async def new_pairing(request: Request):
    """The form for a new pairing, its targets filled with the defaults."""
    return await _pairing_form(request, pairing={})


@bp.post("/orgs/pairings/new")
@console_page(*LEADERS)
@form(NewPairingForm, again=_new_again)
async def create_pairing(request: Request, body: NewPairingForm):
    """Pair two kindergartens for a cycle, with their targets."""
    created = await pairings.create_pairing(
        principal=request.ctx.principal,
        supporting_id=body.supporting_id,
        supported_id=body.supported_id,
        **body.fields(),
    )
    return back(f"{BASE}/pairings/{created['id']}", "结对已创建")


@bp.get("/orgs/pairings/<pairing_id:int>")
@console_page(*VIEWERS)
async def pairing_page(request: Request, pairing_id: int):
    """A pairing with its targets; leaders and admins edit it here."""
    principal = request.ctx.principal
    data = await pairings.get_pairing(principal=principal, pairing_id=pairing_id)
    if principal.has(*LEADERS):
        return await _pairing_form(request, pairing=data)
    return render(
        request,
        "web/orgs/pairing.html",
        pairing=data,
        targets=_target_fields(data["targets"]),
        progress=await _progress(request, pairing_id),
    )


@bp.post("/orgs/pairings/<pairing_id:int>")
@console_page(*LEADERS)
@form(PairingForm, again=_edit_again)
async def save_pairing(request: Request, pairing_id: int, body: PairingForm):
    """Save a pairing's cycle, alliance, note and targets."""
    await pairings.update_pairing(
        principal=request.ctx.principal, pairing_id=pairing_id, changes=body.changes()
    )
    return back(f"{BASE}/pairings/{pairing_id}", "已保存")
