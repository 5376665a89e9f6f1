"""Console pages: organisations – alliances, kindergartens, pairings and their targets,
teachers (phones masked as the API masks them), invitation codes and the roster import
(dry-run preview of bad rows, then the import job)."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import quote

from sanic import Blueprint, Request, raw

from server.accounts import invitations
from server.common.errors import DomainError
from server.common.time import china
from server.common.uploads import read_multipart
from server.jobs import service as jobs
from server.orgs import alliances, kindergartens, pairings, people, regions, roster
from server.reports import service as reports
from server.web.console import NavItem, add_nav, back, page, render

bp = Blueprint("console_orgs")
VIEWERS = ("organizer", "director", "leader")
LEADERS = ("leader",)  # admins always pass
DIRECTORS = ("director", "leader")
ROSTER = ("director",)
add_nav(NavItem("组织机构", "/console/orgs", ("director", "leader"), order=40))
BASE = "/console/orgs"
MB = 1024 * 1024
MANY = {"limit": 500, "offset": 0}
ROLE_LABELS = {"teacher": "教师", "organizer": "组织者", "director": "园长", "parent": "家长"}
JOB_LABELS = {"queued": "排队中", "running": "导入中", "done": "已完成", "failed": "失败"}


def _int(value: str | None, label: str, *, required: bool = True) -> int | None:
    if value in (None, ""):
        if required:
            raise DomainError("invalid_input", f"请选择{label}")
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise DomainError("invalid_input", f"{label}须为数字") from exc


def _date(value: str | None, label: str, *, required: bool = True) -> date | None:
    if not value:
        if required:
            raise DomainError("invalid_input", f"请填写{label}")
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise DomainError("invalid_input", f"{label}格式不正确，如 2026-09-01") from exc


def _shown(iso: str | None) -> str:
    return china(datetime.fromisoformat(iso)).strftime("%Y-%m-%d %H:%M") if iso else ""


# ---- target fields of the pairing form --------------------------------------------------------


def _target_fields(values: dict) -> list[dict]:
    """The pairing targets as form fields: a checkbox, a count or a rate in per cent."""
    out = []
    for key, label in pairings.TARGET_NAMES.items():
        default = pairings.DEFAULT_PAIRING_TARGETS[key]
        value = values.get(key, default)
        if isinstance(default, bool):
            kind = "bool"
        elif isinstance(default, int):
            kind = "count"
        else:
            kind = "rate"
            value = round(float(value) * 100, 2) if value not in (None, "") else ""
        out.append({"key": key, "label": label, "kind": kind, "value": value})
    return out


def _targets_of(form) -> dict:
    targets: dict = {}
    for key, label in pairings.TARGET_NAMES.items():
        default = pairings.DEFAULT_PAIRING_TARGETS[key]
        raw_value = (form.get(f"t_{key}") or "").strip()
        if isinstance(default, bool):
            targets[key] = raw_value == "1"
            continue
        if raw_value == "":
            continue
        try:
            if isinstance(default, int):
                targets[key] = int(raw_value)
            else:
                targets[key] = round(float(raw_value) / 100, 4)
        except ValueError as exc:
            raise DomainError("invalid_target", f"{label}须为数字") from exc
    return targets


# ---- choices ----------------------------------------------------------------------------------


async def _regions(request: Request) -> list[dict]:
    data = await regions.list_regions(principal=request.ctx.principal, **MANY)
    return [{"id": r["id"], "name": r["name"]} for r in data["items"]]


async def _kindergartens(request: Request) -> list[dict]:
    data = await kindergartens.list_kindergartens(principal=request.ctx.principal, **MANY)
    return data["items"]


async def _alliances(request: Request) -> list[dict]:
    data = await alliances.list_alliances(principal=request.ctx.principal, **MANY)
    return data["items"]


# ---- overview ---------------------------------------------------------------------------------


@bp.get("/orgs")
@page(*VIEWERS)
async def overview(request: Request):
    """Alliances, kindergartens and pairings within the caller's sight."""
    principal = request.ctx.principal
    leads = principal.has(*LEADERS)
    return render(
        request,
        "web/orgs/index.html",
        alliances=await _alliances(request),
        kindergartens=await _kindergartens(request),
        pairings=(await pairings.list_pairings(principal=principal, **MANY))["items"],
        regions=await _regions(request) if leads else [],
        levels=kindergartens.LEVELS,
        may_lead=leads,
    )


# ---- alliances --------------------------------------------------------------------------------


@bp.post("/orgs/alliances/new")
@page(*LEADERS)
async def create_alliance(request: Request):
    """Found an alliance in a region the caller leads."""
    form = request.form
    created = await alliances.create_alliance(
        principal=request.ctx.principal,
        name=(form.get("name") or "").strip(),
        region_id=_int(form.get("region_id"), "教育局"),
    )
    return back(f"{BASE}/alliances/{created['id']}", "联盟已创建")


@bp.get("/orgs/alliances/<alliance_id:int>")
@page(*VIEWERS)
async def alliance_page(request: Request, alliance_id: int):
    """An alliance: its lead, members and pairings."""
    principal = request.ctx.principal
    data = await alliances.get_alliance(principal=principal, alliance_id=alliance_id)
    paired = await pairings.list_pairings(principal=principal, alliance_id=alliance_id, **MANY)
    return render(
        request,
        "web/orgs/alliance.html",
        alliance=data,
        pairings=paired["items"],
        may_edit=principal.has(*LEADERS),
    )


@bp.post("/orgs/alliances/<alliance_id:int>")
@page(*LEADERS)
async def save_alliance(request: Request, alliance_id: int):
    """Rename an alliance or choose its lead."""
    form = request.form
    changes: dict = {"name": (form.get("name") or "").strip()}
    if form.get("lead_id"):
        changes["lead_id"] = _int(form.get("lead_id"), "牵头园")
    await alliances.update_alliance(
        principal=request.ctx.principal, alliance_id=alliance_id, changes=changes
    )
    return back(f"{BASE}/alliances/{alliance_id}", "已保存")


# ---- kindergartens ----------------------------------------------------------------------------


def _kindergarten_fields(form) -> dict:
    return {
        "name": (form.get("name") or "").strip(),
        "level": form.get("level") or "",
        "alliance_id": _int(form.get("alliance_id"), "联盟", required=False),
        "address": (form.get("address") or "").strip(),
    }


@bp.post("/orgs/kindergartens/new")
@page(*LEADERS)
async def create_kindergarten(request: Request):
    """Add a kindergarten to a region the caller leads."""
    created = await kindergartens.create_kindergarten(
        principal=request.ctx.principal,
        region_id=_int(request.form.get("region_id"), "教育局"),
        **_kindergarten_fields(request.form),
    )
    return back(f"{BASE}/kindergartens/{created['id']}", "幼儿园已添加")


async def _optional(call):
    """A section the caller may not be allowed to see: None instead of a refusal."""
    try:
        return await call
    except DomainError:
        return None


@bp.get("/orgs/kindergartens/<kindergarten_id:int>")
@page(*VIEWERS)
async def kindergarten_page(request: Request, kindergarten_id: int):
    """A kindergarten: details, pairings, staff, invitation codes and the roster link."""
    principal = request.ctx.principal
    kg = await kindergartens.get_kindergarten(principal=principal, kindergarten_id=kindergarten_id)
    paired = await pairings.list_pairings(
        principal=principal, kindergarten_id=kindergarten_id, **MANY
    )
    staff = await _optional(
        people.list_teachers(principal=principal, kindergarten_id=kindergarten_id, **MANY)
    )
    codes = await _optional(
        invitations.list_invitations(principal=principal, kindergarten_id=kindergarten_id)
    )
    for code in codes or []:
        code["expires"] = _shown(code["expires_at"])
        code["role_label"] = ROLE_LABELS.get(code["role"], code["role"])
    leads = principal.has(*LEADERS)
    return render(
        request,
        "web/orgs/kindergarten.html",
        kg=kg,
        pairings=paired["items"],
        staff=staff["items"] if staff else None,
        codes=codes,
        levels=kindergartens.LEVELS,
        alliances=await _alliances(request) if leads else [],
        may_edit=leads,
        may_import=principal.is_admin
        or kindergarten_id in principal.scope_ids("kindergarten", ROSTER),
        may_invite_directors=principal.is_admin,
    )


@bp.post("/orgs/kindergartens/<kindergarten_id:int>")
@page(*DIRECTORS)
async def save_kindergarten(request: Request, kindergarten_id: int):
    """Edit a kindergarten (its director: the address only)."""
    principal = request.ctx.principal
    fields = _kindergarten_fields(request.form)
    if not principal.has(*LEADERS):
        fields = {"address": fields["address"]}
    elif fields["alliance_id"] is None:
        fields.pop("alliance_id")
    await kindergartens.update_kindergarten(
        principal=principal, kindergarten_id=kindergarten_id, changes=fields
    )
    return back(f"{BASE}/kindergartens/{kindergarten_id}", "已保存")


# ---- invitation codes -------------------------------------------------------------------------


@bp.post("/orgs/kindergartens/<kindergarten_id:int>/invitations")
@page(*DIRECTORS)
async def create_invitation(request: Request, kindergarten_id: int):
    """A teacher invitation code for this kindergarten."""
    form = request.form
    created = await invitations.create_invitation(
        principal=request.ctx.principal,
        kind="teacher",
        kindergarten_id=kindergarten_id,
        role=form.get("role") or "teacher",
        expires_in_days=_int(form.get("expires_in_days") or "7", "有效天数"),
        max_uses=_int(form.get("max_uses") or "1", "可使用次数"),
    )
    return back(f"{BASE}/kindergartens/{kindergarten_id}", f"邀请码 {created['code']} 已生成")


@bp.post("/orgs/invitations/<invitation_id:int>/revoke")
@page(*DIRECTORS)
async def revoke_invitation(request: Request, invitation_id: int):
    """Stop an invitation code from being used again."""
    done = await invitations.revoke_invitation(
        principal=request.ctx.principal, invitation_id=invitation_id
    )
    return back(f"{BASE}/kindergartens/{done['kindergarten_id']}", f"邀请码 {done['code']} 已撤销")


# ---- pairings ---------------------------------------------------------------------------------


def _pairing_fields(form) -> dict:
    return {
        "alliance_id": _int(form.get("alliance_id"), "联盟", required=False),
        "cycle_start": _date(form.get("cycle_start"), "帮扶周期开始日期"),
        "cycle_end": _date(form.get("cycle_end"), "帮扶周期结束日期"),
        "agreement_date": _date(form.get("agreement_date"), "协议签订日期", required=False),
        "targets": _targets_of(form),
        "note": (form.get("note") or "").strip(),
    }


async def _progress(request: Request, pairing_id: int | None) -> dict | None:
    """The pairing's progress against every target this semester (or ?semester=); None
    when that semester is outside its cycle."""
    if not pairing_id:
        return None
    try:
        return await reports.pairing(
            principal=request.ctx.principal,
            pairing_id=pairing_id,
            semester=(request.args.get("semester") or "").strip() or None,
            calendar=request.app.ctx.settings.semester_calendar,
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
        kindergartens=await _kindergartens(request) if not pairing.get("id") else [],
        alliances=await _alliances(request),
        error=error,
    )


def _echo(form) -> dict:
    values = {key: form.get(key) for key in form}
    for key in ("supporting_id", "supported_id", "alliance_id"):
        try:
            values[key] = int(values[key]) if values.get(key) else None
        except ValueError:
            values[key] = None
    targets = {}
    for key in pairings.TARGET_NAMES:
        if isinstance(pairings.DEFAULT_PAIRING_TARGETS[key], bool):
            targets[key] = form.get(f"t_{key}") == "1"
        elif form.get(f"t_{key}") not in (None, ""):
            value = form.get(f"t_{key}")
            try:
                targets[key] = float(value) / 100 if key.endswith("_rate") else value
            except ValueError:
                targets[key] = ""
    values["targets"] = targets
    return values


@bp.get("/orgs/pairings/new")
@page(*LEADERS)
async def new_pairing(request: Request):
    """The form for a new pairing, its targets filled with the defaults."""
    return await _pairing_form(request, pairing={})


@bp.post("/orgs/pairings/new")
@page(*LEADERS)
async def create_pairing(request: Request):
    """Pair two kindergartens for a cycle, with their targets."""
    form = request.form
    try:
        created = await pairings.create_pairing(
            principal=request.ctx.principal,
            supporting_id=_int(form.get("supporting_id"), "帮扶园"),
            supported_id=_int(form.get("supported_id"), "被帮扶园"),
            **_pairing_fields(form),
        )
    except DomainError as exc:
        return await _pairing_form(
            request, pairing=_echo(form), error=exc.message, status=exc.status
        )
    return back(f"{BASE}/pairings/{created['id']}", "结对已创建")


@bp.get("/orgs/pairings/<pairing_id:int>")
@page(*VIEWERS)
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
@page(*LEADERS)
async def save_pairing(request: Request, pairing_id: int):
    """Save a pairing's cycle, alliance, note and targets."""
    principal = request.ctx.principal
    try:
        changes = _pairing_fields(request.form)
        if changes["alliance_id"] is None:
            changes.pop("alliance_id")
        await pairings.update_pairing(principal=principal, pairing_id=pairing_id, changes=changes)
    except DomainError as exc:
        if exc.status == 404:
            raise
        current = await pairings.get_pairing(principal=principal, pairing_id=pairing_id)
        shown = {**current, **_echo(request.form), "id": pairing_id}
        return await _pairing_form(request, pairing=shown, error=exc.message, status=exc.status)
    return back(f"{BASE}/pairings/{pairing_id}", "已保存")


# ---- roster import ----------------------------------------------------------------------------


def _upload(request: Request) -> bytes:
    read_multipart(request)
    upload = (request.files or {}).get("file")
    if upload is None or not upload.body:
        raise DomainError("missing_file", "请选择要上传的花名册文件（.xlsx）")
    roster.check_upload_size(len(upload.body), max_bytes=_max_bytes(request))
    return upload.body


def _max_bytes(request: Request) -> int:
    return request.app.ctx.settings.max_upload_mb * MB


async def _roster_page(request: Request, kindergarten_id: int, **extra):
    principal = request.ctx.principal
    await roster.ensure_may_import(principal=principal, kindergarten_id=kindergarten_id)
    kg = await kindergartens.get_kindergarten(principal=principal, kindergarten_id=kindergarten_id)
    return render(request, "web/orgs/roster.html", kg=kg, **{"check": None, **extra})


@bp.get("/orgs/kindergartens/<kindergarten_id:int>/roster")
@page(*ROSTER)
async def roster_page(request: Request, kindergarten_id: int):
    """Upload a roster: check first (nothing is written), then import."""
    return await _roster_page(request, kindergarten_id)


@bp.get("/orgs/kindergartens/<kindergarten_id:int>/roster/template.xlsx")
@page(*ROSTER)
async def roster_template(request: Request, kindergarten_id: int):
    """The .xlsx template with the 教师 and 幼儿 sheets."""
    body, filename = await roster.template_for(
        principal=request.ctx.principal, kindergarten_id=kindergarten_id
    )
    return raw(
        body,
        content_type=roster.XLSX_CONTENT_TYPE,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


@bp.post("/orgs/kindergartens/<kindergarten_id:int>/roster/check")
@page(*ROSTER)
async def roster_check(request: Request, kindergarten_id: int):
    """The dry run: each bad row with its reason, or what the import would change."""
    principal = request.ctx.principal
    await roster.ensure_may_import(principal=principal, kindergarten_id=kindergarten_id)
    result = await roster.check_roster(
        principal=principal,
        kindergarten_id=kindergarten_id,
        data=_upload(request),
        max_bytes=_max_bytes(request),
    )
    return await _roster_page(request, kindergarten_id, check=result)


@bp.post("/orgs/kindergartens/<kindergarten_id:int>/roster/import")
@page(*ROSTER)
async def roster_import(request: Request, kindergarten_id: int):
    """Queue the import of a checked file; the job page shows its progress."""
    principal = request.ctx.principal
    await roster.ensure_may_import(principal=principal, kindergarten_id=kindergarten_id)
    settings = request.app.ctx.settings
    try:
        started = await roster.start_import(
            principal=principal,
            kindergarten_id=kindergarten_id,
            data=_upload(request),
            max_bytes=_max_bytes(request),
            data_dir=settings.data_dir,
            broker=request.app.ctx.broker,
        )
    except DomainError as exc:
        if exc.code != "roster_invalid":
            raise
        check = {
            "ok": False,
            "issues": (exc.details or {}).get("issues", []),
            "summary": exc.message,
        }
        return await _roster_page(request, kindergarten_id, check=check)
    return back(
        f"{BASE}/kindergartens/{kindergarten_id}/roster/jobs/{started['job_id']}",
        "已开始导入",
    )


@bp.get("/orgs/kindergartens/<kindergarten_id:int>/roster/jobs/<job_id:str>")
@page(*ROSTER)
async def roster_job(request: Request, kindergarten_id: int, job_id: str):
    """An import job's progress and outcome (the page refreshes until it ends)."""
    principal = request.ctx.principal
    await roster.ensure_may_import(principal=principal, kindergarten_id=kindergarten_id)
    job = await jobs.get_job(principal=principal, job_id=job_id)
    job["status_label"] = JOB_LABELS.get(job["status"], job["status"])
    return render(
        request,
        "web/orgs/roster_job.html",
        job=job,
        kindergarten_id=kindergarten_id,
        running=job["status"] in ("queued", "running"),
    )
