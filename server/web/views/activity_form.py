"""The activity form of the console: its fields as a model, its choices, and how it is shown.

Used by the activity pages (server/web/views/activities.py) to create and edit an activity:
where the caller may host, which pairing, who presents (three rows), whom to invite.
"""

from __future__ import annotations

from typing import Any

from pydantic import create_model, model_validator
from sanic import Request

from server.activities.service import AUDIENCE_LABELS, ActivityKind, AudienceMode
from server.common.errors import DomainError
from server.common.params import FormIds, FormInt, FormNumber, FormWhen, Params, Text
from server.common.time import china, now
from server.orgs import service as orgs
from server.web.console import render
from server.web.forms import echo, shown

RUNNERS = ("organizer", "director")
BASE = "/console/activities"
#: Presenter rows in the activity form; 送教课时 are the presenters' hours.
PRESENTER_ROWS = 3
PRESENTER_KEYS = ("hours", "topic", "class_name", "subject_area")


def local(iso: str | None) -> str:
    """An ISO time as <input type=datetime-local> shows it, in China time."""
    return shown(iso, "%Y-%m-%dT%H:%M")


# ---- the form's fields ------------------------------------------------------------------------

#: presenter_1 … presenter_3 with their _hours, _topic, _class_name and _subject_area.
PresenterRows = create_model(
    "PresenterRows",
    __base__=Params,
    **{
        name: field
        for i in range(1, PRESENTER_ROWS + 1)
        for name, field in (
            (f"presenter_{i}", (FormInt("主讲人", bad="请选择主讲人") | None, None)),
            (f"presenter_{i}_hours", (FormNumber("主讲课时"), 1)),
            (f"presenter_{i}_topic", (Text, "")),
            (f"presenter_{i}_class_name", (Text, "")),
            (f"presenter_{i}_subject_area", (str, "")),
        )
    },
)

PresenterRows.repeated = {
    f"presenter_{i}{suffix}": f"presenter_{{i}}{suffix}"
    for i in range(1, PRESENTER_ROWS + 1)
    for suffix in ("", *(f"_{key}" for key in PRESENTER_KEYS))
}


class ActivityForm(PresenterRows):
    """An activity's details as the form sends them (blank numbers take their defaults)."""

    lat: FormNumber("纬度") | None = None
    lng: FormNumber("经度") | None = None
    radius_m: FormNumber("签到范围") = 500
    pairing_id: FormInt("结对", bad="请选择结对") | None = None
    title: Text = ""
    kind: str = ""
    starts_at: FormWhen("开始时间")
    ends_at: FormWhen("结束时间")
    address: Text = ""
    audience_mode: str | None = None
    attendee_hours: FormNumber("课时") = 0
    plan: Text = ""

    def presenters(self) -> list[dict]:
        """The rows with a presenter chosen."""
        rows = []
        for i in range(1, PRESENTER_ROWS + 1):
            person = getattr(self, f"presenter_{i}")
            if person:
                row = {k: getattr(self, f"presenter_{i}_{k}") for k in PRESENTER_KEYS}
                rows.append({"person_id": person, **row})
        return rows

    def fields(self) -> dict:
        """The activity's fields as the activities service reads them."""
        names = set(ActivityForm.model_fields) - set(PresenterRows.model_fields)
        data = self.model_dump(include=names)
        return {**data, "radius_m": int(self.radius_m), "presenters": self.presenters()}

    def changes(self) -> dict:
        """The fields of an edit: an unchosen audience mode stays as it is."""
        data = self.fields()
        if not data["audience_mode"]:
            data.pop("audience_mode")
        return data


class NewActivityForm(ActivityForm):
    """A new activity: its host and, 按名单邀请, whom to invite."""

    host_id: FormInt("主办幼儿园", bad="请选择主办幼儿园") = 0
    invitee_ids: FormIds("邀请名单有误，请刷新页面后重试") = []

    @model_validator(mode="after")
    def _someone_invited(self) -> NewActivityForm:
        if self.audience_mode == AudienceMode.INVITED.value and not self.invitee_ids:
            # Nobody could check in: the console has no later step to add them.
            raise DomainError("no_invitees", "按名单邀请时，请在邀请名单中至少勾选一人")
        return self


# ---- the form's choices -----------------------------------------------------------------------


def _place_of(kindergarten: dict) -> dict:
    return {
        "id": kindergarten["id"],
        "name": kindergarten["name"],
        "address": kindergarten.get("address") or "",
        "lat": kindergarten.get("lat"),
        "lng": kindergarten.get("lng"),
    }


async def host_choices(request: Request) -> list[dict]:
    """Where the caller may host: her kindergartens, then the 被帮扶园 of her active pairings.

    Each with its stored address and coordinates, to prefill the venue.
    """
    principal = request.ctx.principal
    if principal.is_admin:
        data = await orgs.list_kindergartens(principal=principal, limit=500, offset=0)
        return [_place_of(k) for k in data["items"]]
    mine = principal.scope_ids("kindergarten", RUNNERS)
    pairings = await orgs.list_pairings(
        principal=principal, active_on=china(now()).date(), limit=500, offset=0
    )
    partners = [p["supported_id"] for p in pairings["items"] if p["supporting_id"] in mine]
    out = []
    for kid in [*sorted(mine), *dict.fromkeys(k for k in partners if k not in mine)]:
        kg = await orgs.get_kindergarten(principal=principal, kindergarten_id=kid)
        place = _place_of(kg)
        if kid not in mine:
            place["name"] = f"{kg['name']}（被帮扶园）"
        out.append(place)
    return out


async def _pairing_choices(request: Request) -> list[dict]:
    """Pairings the caller's kindergartens take part in (admins: all)."""
    principal = request.ctx.principal
    data = await orgs.list_pairings(principal=principal, limit=500, offset=0)
    mine = principal.scope_ids("kindergarten", RUNNERS)
    return [
        {"id": p["id"], "name": f"{p['supporting_name']} → {p['supported_name']}"}
        for p in data["items"]
        if principal.is_admin or {p["supporting_id"], p["supported_id"]} & mine
    ]


async def _presenter_choices(request: Request, hosts: list[dict]) -> list[dict]:
    """Staff of the kindergartens the caller runs activities for, to pick presenters from."""
    out = []
    for kg in hosts:
        staff = await orgs.list_teachers(
            principal=request.ctx.principal,
            kindergarten_id=kg["id"],
            active=True,
            limit=200,
            offset=0,
        )
        out += [
            {"id": t["person_id"], "name": f"{t['name']}（{kg['name']}）"} for t in staff["items"]
        ]
    return out


# ---- showing the form -------------------------------------------------------------------------


def presenter_rows(presenters: list[dict]) -> list[dict]:
    """Exactly PRESENTER_ROWS rows for the form, the given presenters first."""
    rows = [dict(p) for p in presenters[:PRESENTER_ROWS]]
    return rows + [{} for _ in range(PRESENTER_ROWS - len(rows))]


def _echo_presenters(request: Request) -> list[dict]:
    data = request.form or {}
    return [
        {
            "person_id": data.get(f"presenter_{i}"),
            **{k: data.get(f"presenter_{i}_{k}") for k in PRESENTER_KEYS},
        }
        for i in range(1, PRESENTER_ROWS + 1)
        if data.get(f"presenter_{i}")
    ]


async def show_form(
    request: Request,
    *,
    activity: dict,
    presenters: list[dict],
    action: str,
    hosts: list[dict] | None = None,
    status: int = 200,
    **extra: Any,
):
    """The activity form; `hosts` only for a new one (an activity keeps its host)."""
    choices = hosts if hosts is not None else await host_choices(request)
    return render(
        request,
        "web/activities/form.html",
        status=status,
        kinds=[k.value for k in ActivityKind],
        modes=[(m.value, AUDIENCE_LABELS[m]) for m in AudienceMode],
        hosts=choices if hosts is not None else [],
        pairings=await _pairing_choices(request),
        people=await _presenter_choices(request, choices),
        activity=activity,
        presenters=presenter_rows(presenters),
        action=action,
        **{"invited": [], "error": "", **extra},
    )


async def new_form_again(request: Request, exc: DomainError):
    """A refused new activity, shown again as it was typed (always 400)."""
    return await show_form(
        request,
        activity=echo(request),
        presenters=_echo_presenters(request),
        action=f"{BASE}/new",
        hosts=await host_choices(request),
        status=400,
        invited=(request.form.getlist("invitee_ids") if request.form else None) or [],
        error=exc.message,
    )


async def edit_form_again(request: Request, exc: DomainError, activity_id: int):
    """A refused edit, shown again as it was typed."""
    return await show_form(
        request,
        activity={"id": activity_id, **echo(request)},
        presenters=_echo_presenters(request),
        action=f"{BASE}/{activity_id}/edit",
        status=exc.status,
        error=exc.message,
    )
