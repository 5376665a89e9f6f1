"""Organisation endpoints: regions, alliances, kindergartens, pairings, leading groups."""

from __future__ import annotations

from sanic import Blueprint, Request, json
from sanic_ext import openapi, validate

from server.common.auth import requires
from server.common.params import DateArg, IntArg, Page
from server.orgs import alliances, kindergartens, pairings
from server.orgs import leading_groups as groups
from server.orgs import regions as regions_service
from server.orgs.people_views import bp as people_bp
from server.orgs.schemas import (
    AllianceBody,
    AlliancePatch,
    GroupMemberBody,
    GroupMemberPatch,
    KindergartenBody,
    KindergartenPatch,
    LeadingGroupBody,
    PairingBody,
    PairingPatch,
    RegionBody,
    RegionPatch,
)

TAG = "组织"
STAFF = ("teacher", "organizer", "director")
EVERYONE = (*STAFF, "leader", "parent", "admin")
OK = {"ok": True}


class AllianceQuery(Page):
    """?region_id= and the page."""

    region_id: IntArg() | None = None


class KindergartenQuery(AllianceQuery):
    """?region_id=&alliance_id=&level=&q= and the page."""

    alliance_id: IntArg() | None = None
    level: str | None = None
    q: str | None = None


class PairingQuery(Page):
    """?kindergarten_id=&alliance_id=&active_on= and the page."""

    kindergarten_id: IntArg() | None = None
    alliance_id: IntArg() | None = None
    active_on: DateArg | None = None


class GroupQuery(Page):
    """?pairing_id=&alliance_id= and the page."""

    pairing_id: IntArg() | None = None
    alliance_id: IntArg() | None = None


structure = Blueprint("orgs_structure", url_prefix="/api/v1")
#: Registered by create_app; the roster blueprint lives in roster_views.
blueprints: list[Blueprint] = [structure, people_bp]


# ---- regions (教育局) ---------------------------------------------------------------


@structure.get("/regions")
@openapi.definition(summary="教育局列表", tag=TAG, secured="token")
@requires("leader", "admin")
@validate(query=Page)
async def list_regions(request: Request, query: Page):
    """Regions: all for admins, his own for a leader."""
    return json(await regions_service.list_regions(principal=request.ctx.principal, **query.page()))


@structure.get("/regions/<region_id:int>")
@openapi.definition(summary="教育局详情", tag=TAG, secured="token")
@requires("leader", "admin")
async def get_region(request: Request, region_id: int):
    """One region."""
    return json(
        await regions_service.get_region(principal=request.ctx.principal, region_id=region_id)
    )


@structure.post("/regions")
@openapi.definition(body=RegionBody, summary="新增教育局", tag=TAG, secured="token")
@requires("admin")
@validate(json=RegionBody)
async def create_region(request: Request, body: RegionBody):
    """Add a region."""
    data = await regions_service.create_region(principal=request.ctx.principal, **body.model_dump())
    return json(data, status=201)


@structure.patch("/regions/<region_id:int>")
@openapi.definition(body=RegionPatch, summary="修改教育局", tag=TAG, secured="token")
@requires("admin")
@validate(json=RegionPatch)
async def update_region(request: Request, region_id: int, body: RegionPatch):
    """Rename a region."""
    return json(
        await regions_service.update_region(
            principal=request.ctx.principal,
            region_id=region_id,
            changes=body.model_dump(exclude_unset=True),
        )
    )


# ---- alliances (联盟) ---------------------------------------------------------------


@structure.get("/alliances")
@openapi.definition(summary="联盟列表", tag=TAG, secured="token")
@openapi.parameter("region_id", int, "query")
@requires(*STAFF, "leader", "admin")
@validate(query=AllianceQuery)
async def list_alliances(request: Request, query: AllianceQuery):
    """Alliances within sight."""
    return json(
        await alliances.list_alliances(principal=request.ctx.principal, **query.model_dump())
    )


@structure.get("/alliances/<alliance_id:int>")
@openapi.definition(summary="联盟详情（牵头园与成员园）", tag=TAG, secured="token")
@requires(*STAFF, "leader", "admin")
async def get_alliance(request: Request, alliance_id: int):
    """An alliance with its lead and members."""
    return json(
        await alliances.get_alliance(principal=request.ctx.principal, alliance_id=alliance_id)
    )


@structure.post("/alliances")
@openapi.definition(body=AllianceBody, summary="新建联盟", tag=TAG, secured="token")
@requires("leader", "admin")
@validate(json=AllianceBody)
async def create_alliance(request: Request, body: AllianceBody):
    """Found an alliance."""
    data = await alliances.create_alliance(principal=request.ctx.principal, **body.model_dump())
    return json(data, status=201)


@structure.patch("/alliances/<alliance_id:int>")
@openapi.definition(body=AlliancePatch, summary="修改联盟名称或牵头园", tag=TAG, secured="token")
@requires("leader", "admin")
@validate(json=AlliancePatch)
async def update_alliance(request: Request, alliance_id: int, body: AlliancePatch):
    """Rename an alliance or choose its lead."""
    return json(
        await alliances.update_alliance(
            principal=request.ctx.principal,
            alliance_id=alliance_id,
            changes=body.model_dump(exclude_unset=True),
        )
    )


@structure.delete("/alliances/<alliance_id:int>")
@openapi.definition(summary="删除联盟", tag=TAG, secured="token")
@requires("admin")
async def delete_alliance(request: Request, alliance_id: int):
    """Dissolve an empty alliance."""
    await alliances.delete_alliance(principal=request.ctx.principal, alliance_id=alliance_id)
    return json(OK)


# ---- kindergartens (幼儿园) -----------------------------------------------------------


@structure.get("/kindergartens")
@openapi.definition(summary="幼儿园列表", tag=TAG, secured="token")
@openapi.parameter("region_id", int, "query")
@openapi.parameter("alliance_id", int, "query")
@openapi.parameter("level", str, "query")
@openapi.parameter("q", str, "query")
@requires(*EVERYONE)
@validate(query=KindergartenQuery)
async def list_kindergartens(request: Request, query: KindergartenQuery):
    """Kindergartens within sight, filtered."""
    return json(
        await kindergartens.list_kindergartens(
            principal=request.ctx.principal, **query.model_dump()
        )
    )


@structure.get("/kindergartens/<kindergarten_id:int>")
@openapi.definition(summary="幼儿园详情", tag=TAG, secured="token")
@requires(*EVERYONE)
async def get_kindergarten(request: Request, kindergarten_id: int):
    """One kindergarten."""
    return json(
        await kindergartens.get_kindergarten(
            principal=request.ctx.principal, kindergarten_id=kindergarten_id
        )
    )


@structure.post("/kindergartens")
@openapi.definition(body=KindergartenBody, summary="新增幼儿园", tag=TAG, secured="token")
@requires("leader", "admin")
@validate(json=KindergartenBody)
async def create_kindergarten(request: Request, body: KindergartenBody):
    """Add a kindergarten."""
    data = await kindergartens.create_kindergarten(
        principal=request.ctx.principal, **body.model_dump()
    )
    return json(data, status=201)


@structure.patch("/kindergartens/<kindergarten_id:int>")
@openapi.definition(body=KindergartenPatch, summary="修改幼儿园", tag=TAG, secured="token")
@requires("director", "leader", "admin")
@validate(json=KindergartenPatch)
async def update_kindergarten(request: Request, kindergarten_id: int, body: KindergartenPatch):
    """Edit a kindergarten."""
    return json(
        await kindergartens.update_kindergarten(
            principal=request.ctx.principal,
            kindergarten_id=kindergarten_id,
            changes=body.model_dump(exclude_unset=True),
        )
    )


@structure.delete("/kindergartens/<kindergarten_id:int>")
@openapi.definition(summary="删除幼儿园", tag=TAG, secured="token")
@requires("admin")
async def delete_kindergarten(request: Request, kindergarten_id: int):
    """Remove an empty kindergarten."""
    await kindergartens.delete_kindergarten(
        principal=request.ctx.principal, kindergarten_id=kindergarten_id
    )
    return json(OK)


# ---- pairings (结对) -----------------------------------------------------------------


@structure.get("/pairings")
@openapi.definition(summary="结对列表", tag=TAG, secured="token")
@openapi.parameter("kindergarten_id", int, "query")
@openapi.parameter("alliance_id", int, "query")
@openapi.parameter("active_on", str, "query", description="日期，如 2024-03-01")
@requires(*STAFF, "leader", "admin")
@validate(query=PairingQuery)
async def list_pairings(request: Request, query: PairingQuery):
    """Pairings within sight."""
    return json(await pairings.list_pairings(principal=request.ctx.principal, **query.model_dump()))


@structure.get("/pairings/<pairing_id:int>")
@openapi.definition(summary="结对详情", tag=TAG, secured="token")
@requires(*STAFF, "leader", "admin")
async def get_pairing(request: Request, pairing_id: int):
    """One pairing."""
    return json(await pairings.get_pairing(principal=request.ctx.principal, pairing_id=pairing_id))


@structure.post("/pairings")
@openapi.definition(body=PairingBody, summary="新建结对", tag=TAG, secured="token")
@requires("leader", "admin")
@validate(json=PairingBody)
async def create_pairing(request: Request, body: PairingBody):
    """Pair two kindergartens."""
    data = await pairings.create_pairing(principal=request.ctx.principal, **body.model_dump())
    return json(data, status=201)


@structure.patch("/pairings/<pairing_id:int>")
@openapi.definition(body=PairingPatch, summary="修改结对", tag=TAG, secured="token")
@requires("leader", "admin")
@validate(json=PairingPatch)
async def update_pairing(request: Request, pairing_id: int, body: PairingPatch):
    """Change a pairing."""
    return json(
        await pairings.update_pairing(
            principal=request.ctx.principal,
            pairing_id=pairing_id,
            changes=body.model_dump(exclude_unset=True),
        )
    )


@structure.delete("/pairings/<pairing_id:int>")
@openapi.definition(summary="删除结对", tag=TAG, secured="token")
@requires("leader", "admin")
async def delete_pairing(request: Request, pairing_id: int):
    """Remove a pairing."""
    await pairings.delete_pairing(principal=request.ctx.principal, pairing_id=pairing_id)
    return json(OK)


# ---- leading groups (领导小组) -------------------------------------------------------


@structure.get("/leading-groups")
@openapi.definition(summary="领导小组列表", tag=TAG, secured="token")
@openapi.parameter("pairing_id", int, "query")
@openapi.parameter("alliance_id", int, "query")
@requires(*STAFF, "leader", "admin")
@validate(query=GroupQuery)
async def list_groups(request: Request, query: GroupQuery):
    """Leading groups of a pairing or an alliance."""
    return json(await groups.list_groups(principal=request.ctx.principal, **query.model_dump()))


@structure.get("/leading-groups/<group_id:int>")
@openapi.definition(summary="领导小组详情", tag=TAG, secured="token")
@requires(*STAFF, "leader", "admin")
async def get_group(request: Request, group_id: int):
    """One leading group with its members."""
    return json(await groups.get_group(principal=request.ctx.principal, group_id=group_id))


@structure.post("/leading-groups")
@openapi.definition(body=LeadingGroupBody, summary="成立领导小组", tag=TAG, secured="token")
@requires("director", "leader", "admin")
@validate(json=LeadingGroupBody)
async def create_group(request: Request, body: LeadingGroupBody):
    """Set up a leading group."""
    data = await groups.create_group(principal=request.ctx.principal, **body.model_dump())
    return json(data, status=201)


@structure.delete("/leading-groups/<group_id:int>")
@openapi.definition(summary="撤销领导小组", tag=TAG, secured="token")
@requires("director", "leader", "admin")
async def delete_group(request: Request, group_id: int):
    """Dissolve a leading group."""
    await groups.delete_group(principal=request.ctx.principal, group_id=group_id)
    return json(OK)


@structure.post("/leading-groups/<group_id:int>/members")
@openapi.definition(body=GroupMemberBody, summary="添加小组成员", tag=TAG, secured="token")
@requires("director", "leader", "admin")
@validate(json=GroupMemberBody)
async def add_member(request: Request, group_id: int, body: GroupMemberBody):
    """Seat a person in a leading group."""
    data = await groups.add_member(
        principal=request.ctx.principal, group_id=group_id, **body.model_dump()
    )
    return json(data, status=201)


@structure.patch("/leading-groups/<group_id:int>/members/<member_id:int>")
@openapi.definition(body=GroupMemberPatch, summary="修改成员职务或分工", tag=TAG, secured="token")
@requires("director", "leader", "admin")
@validate(json=GroupMemberPatch)
async def update_member(request: Request, group_id: int, member_id: int, body: GroupMemberPatch):
    """Change a member's position or duty."""
    return json(
        await groups.update_member(
            principal=request.ctx.principal,
            group_id=group_id,
            member_id=member_id,
            changes=body.model_dump(exclude_unset=True),
        )
    )


@structure.delete("/leading-groups/<group_id:int>/members/<member_id:int>")
@openapi.definition(summary="移除小组成员", tag=TAG, secured="token")
@requires("director", "leader", "admin")
async def remove_member(request: Request, group_id: int, member_id: int):
    """Take a member out of a leading group."""
    await groups.remove_member(
        principal=request.ctx.principal, group_id=group_id, member_id=member_id
    )
    return json(OK)
