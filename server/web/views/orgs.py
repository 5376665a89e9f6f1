"""Console pages: organisations – the overview, alliances, kindergartens (teachers with their
phones masked as the API masks them) and invitation codes. Pairings and their targets are in
org_pairings, the roster import in org_roster."""

from __future__ import annotations

from sanic import Blueprint, Request

from server.accounts import invitations
from server.common.errors import DomainError
from server.common.params import FormInt, Params, Text
from server.orgs import alliances, kindergartens, pairings, people
from server.web.console import NavItem, add_nav, back, console_page, render
from server.web.forms import form, shown
from server.web.views.org_choices import (
    BASE,
    DIRECTORS,
    LEADERS,
    MANY,
    ROSTER,
    VIEWERS,
    alliance_choices,
    kindergarten_choices,
    region_choices,
)

bp = Blueprint("console_orgs")
add_nav(NavItem("组织机构", BASE, ("director", "leader"), order=40))
ROLE_LABELS = {"teacher": "教师", "organizer": "组织者", "director": "园长", "parent": "家长"}


class AllianceForm(Params):
    """A new alliance: its name and region."""

    name: Text = ""
    region_id: FormInt("教育局")


class AllianceEdit(Params):
    """An alliance's name and, when chosen, its lead."""

    name: Text = ""
    lead_id: FormInt("牵头园") | None = None

    def changes(self) -> dict:
        """The name always; the lead only when one is chosen."""
        return self.model_dump(exclude_none=True)


class KindergartenForm(Params):
    """A kindergarten's details (its director may change the address only)."""

    name: Text = ""
    level: str = ""
    alliance_id: FormInt("联盟") | None = None
    address: Text = ""

    def changes(self, *, leads: bool) -> dict:
        """What the caller may change: a leader all (an unchosen alliance stays)."""
        if not leads:
            return {"address": self.address}
        return self.model_dump(exclude_none=True)


class NewKindergartenForm(KindergartenForm):
    """A new kindergarten: its details and region."""

    region_id: FormInt("教育局")


class InvitationForm(Params):
    """A teacher invitation code: role, days valid, how many may use it."""

    role: str = "teacher"
    expires_in_days: FormInt("有效天数") = 7
    max_uses: FormInt("可使用次数") = 1


# ---- overview ---------------------------------------------------------------------------------


@bp.get("/orgs")
@console_page(*VIEWERS)
async def overview(request: Request):
    """Alliances, kindergartens and pairings within the caller's sight."""
    principal = request.ctx.principal
    leads = principal.has(*LEADERS)
    return render(
        request,
        "web/orgs/index.html",
        alliances=await alliance_choices(request),
        kindergartens=await kindergarten_choices(request),
        pairings=(await pairings.list_pairings(principal=principal, **MANY))["items"],
        regions=await region_choices(request) if leads else [],
        levels=kindergartens.LEVELS,
        may_lead=leads,
    )


# ---- alliances --------------------------------------------------------------------------------


@bp.post("/orgs/alliances/new")
@console_page(*LEADERS)
@form(AllianceForm)
async def create_alliance(request: Request, body: AllianceForm):
    """Found an alliance in a region the caller leads."""
    created = await alliances.create_alliance(
        principal=request.ctx.principal, name=body.name, region_id=body.region_id
    )
    return back(f"{BASE}/alliances/{created['id']}", "联盟已创建")


@bp.get("/orgs/alliances/<alliance_id:int>")
@console_page(*VIEWERS)
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
@console_page(*LEADERS)
@form(AllianceEdit)
async def save_alliance(request: Request, alliance_id: int, body: AllianceEdit):
    """Rename an alliance or choose its lead."""
    await alliances.update_alliance(
        principal=request.ctx.principal, alliance_id=alliance_id, changes=body.changes()
    )
    return back(f"{BASE}/alliances/{alliance_id}", "已保存")


# ---- kindergartens ----------------------------------------------------------------------------


@bp.post("/orgs/kindergartens/new")
@console_page(*LEADERS)
@form(NewKindergartenForm)
async def create_kindergarten(request: Request, body: NewKindergartenForm):
    """Add a kindergarten to a region the caller leads."""
    fields = body.model_dump(exclude={"region_id"})
    created = await kindergartens.create_kindergarten(
        principal=request.ctx.principal, region_id=body.region_id, **fields
    )
    return back(f"{BASE}/kindergartens/{created['id']}", "幼儿园已添加")


async def _optional(call):
    """A section the caller may not be allowed to see: None instead of a refusal."""
    try:
        return await call
    except DomainError:
        return None


async def _staff_and_codes(request: Request, kindergarten_id: int) -> dict:
    """The kindergarten's staff and invitation codes, each None when the caller may not see it."""
    principal = request.ctx.principal
    staff = await _optional(
        people.list_teachers(principal=principal, kindergarten_id=kindergarten_id, **MANY)
    )
    codes = await _optional(
        invitations.list_invitations(principal=principal, kindergarten_id=kindergarten_id)
    )
    for code in codes or []:
        code["expires"] = shown(code["expires_at"])
        code["role_label"] = ROLE_LABELS.get(code["role"], code["role"])
    return {"staff": staff["items"] if staff else None, "codes": codes}


def _may(principal, kindergarten_id: int) -> dict:
    """What the caller may do on a kindergarten's page."""
    return {
        "may_edit": principal.has(*LEADERS),
        "may_import": principal.is_admin
        or kindergarten_id in principal.scope_ids("kindergarten", ROSTER),
        "may_invite_directors": principal.is_admin,
    }


@bp.get("/orgs/kindergartens/<kindergarten_id:int>")
@console_page(*VIEWERS)
async def kindergarten_page(request: Request, kindergarten_id: int):
    """A kindergarten: details, pairings, staff, invitation codes and the roster link."""
    principal = request.ctx.principal
    kg = await kindergartens.get_kindergarten(principal=principal, kindergarten_id=kindergarten_id)
    paired = await pairings.list_pairings(
        principal=principal, kindergarten_id=kindergarten_id, **MANY
    )
    return render(
        request,
        "web/orgs/kindergarten.html",
        kg=kg,
        pairings=paired["items"],
        levels=kindergartens.LEVELS,
        alliances=await alliance_choices(request) if principal.has(*LEADERS) else [],
        **await _staff_and_codes(request, kindergarten_id),
        **_may(principal, kindergarten_id),
    )


@bp.post("/orgs/kindergartens/<kindergarten_id:int>")
@console_page(*DIRECTORS)
@form(KindergartenForm)
async def save_kindergarten(request: Request, kindergarten_id: int, body: KindergartenForm):
    """Edit a kindergarten (its director: the address only)."""
    principal = request.ctx.principal
    changes = body.changes(leads=principal.has(*LEADERS))
    await kindergartens.update_kindergarten(
        principal=principal, kindergarten_id=kindergarten_id, changes=changes
    )
    return back(f"{BASE}/kindergartens/{kindergarten_id}", "已保存")


# ---- invitation codes -------------------------------------------------------------------------


@bp.post("/orgs/kindergartens/<kindergarten_id:int>/invitations")
@console_page(*DIRECTORS)
@form(InvitationForm)
async def create_invitation(request: Request, kindergarten_id: int, body: InvitationForm):
    """A teacher invitation code for this kindergarten."""
    created = await invitations.create_invitation(
        principal=request.ctx.principal,
        kind="teacher",
        kindergarten_id=kindergarten_id,
        **body.model_dump(),
    )
    return back(f"{BASE}/kindergartens/{kindergarten_id}", f"邀请码 {created['code']} 已生成")


@bp.post("/orgs/invitations/<invitation_id:int>/revoke")
@console_page(*DIRECTORS)
async def revoke_invitation(request: Request, invitation_id: int):
    """Stop an invitation code from being used again."""
    done = await invitations.revoke_invitation(
        principal=request.ctx.principal, invitation_id=invitation_id
    )
    return back(f"{BASE}/kindergartens/{done['kindergarten_id']}", f"邀请码 {done['code']} 已撤销")
