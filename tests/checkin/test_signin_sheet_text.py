"""The sign-in sheet keeps names and titles as text: nothing a user typed runs as a formula."""

from __future__ import annotations

from server.activities.codes import static_scene
from server.activities.models import Activity
from server.orgs.models import Person
from tests.checkin.conftest import scan, teacher_of
from tests.support.factories import login_as, make_person
from tests.support.sheets import HOSTILE, assert_text_cells


async def test_names_and_title_that_look_like_formulas_stay_text(client, scene):
    await Activity.filter(id=scene.activity.id).update(title=HOSTILE[0])
    organizer = await login_as(client, "organizer", scope_id=scene.kg.id, teacher_of=scene.kg)
    came = await teacher_of(client, scene.kg)
    await Person.filter(id=came.person.id).update(name=HOSTILE[1])
    await scan(client, came, static_scene(scene.activity.code))
    for name in HOSTILE[2:]:
        await make_person(name, teacher_of=scene.kg)  # absent: listed under 未签到

    resp = await client.get(
        f"/api/v1/activities/{scene.activity.id}/signin-sheet.xlsx", headers=organizer.headers
    )
    assert resp.status_code == 200
    assert_text_cells(resp.content, [f"{HOSTILE[0]} 签到表", *HOSTILE[1:]])
