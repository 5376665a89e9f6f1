"""The targets table keeps kindergarten, alliance and region names as text, never formulas."""

from __future__ import annotations

from server.orgs.models import Alliance, Kindergarten, Region
from tests.reports.helpers import REPORTS, SPRING, cn, held
from tests.support.factories import login_as
from tests.support.sheets import HOSTILE, assert_text_cells
from tests.support.world import make_world


async def test_names_that_look_like_formulas_stay_text(client):
    world = await make_world(None, REPORTS)
    await held(world.supported, cn(2026, 3, 3), pairing=world.pairing)
    await Kindergarten.filter(id=world.supporting.id).update(name=HOSTILE[0])
    await Kindergarten.filter(id=world.supported.id).update(name=HOSTILE[1])
    await Alliance.filter(id=world.alliance.id).update(name=HOSTILE[2])
    await Region.filter(id=world.region.id).update(name=HOSTILE[3])
    admin = await login_as(client, "admin")
    resp = await client.get(f"/api/v1/reports/export.xlsx?semester={SPRING}", headers=admin.headers)
    assert resp.status_code == 200, resp.text
    assert_text_cells(resp.content, HOSTILE)
