"""What the organisation pages share: who may do what, and the lists their forms choose from."""

from __future__ import annotations

from sanic import Request

from server.orgs import alliances, kindergartens, regions

BASE = "/console/orgs"
VIEWERS = ("organizer", "director", "leader")
LEADERS = ("leader",)  # admins always pass
DIRECTORS = ("director", "leader")
ROSTER = ("director",)
#: Enough for every choice list of one region or alliance.
MANY = {"limit": 500, "offset": 0}


async def region_choices(request: Request) -> list[dict]:
    """The regions the caller may found alliances and kindergartens in (id and name)."""
    data = await regions.list_regions(principal=request.ctx.principal, **MANY)
    return [{"id": r["id"], "name": r["name"]} for r in data["items"]]


async def kindergarten_choices(request: Request) -> list[dict]:
    """The kindergartens within the caller's sight."""
    data = await kindergartens.list_kindergartens(principal=request.ctx.principal, **MANY)
    return data["items"]


async def alliance_choices(request: Request) -> list[dict]:
    """The alliances within the caller's sight."""
    data = await alliances.list_alliances(principal=request.ctx.principal, **MANY)
    return data["items"]
