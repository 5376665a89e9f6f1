"""The projector: a signed link, its page, and the rotating code it polls."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import jwt
import zxingcpp
from PIL import Image

from server.activities.codes import parse_scene, signature_valid, time_step
from server.activities.models import Activity
from server.activities.projector import rotating_code
from tests.activities.helpers import ACTIVITIES, create, publish, refused
from tests.conftest import JWT_SECRET
from tests.support.factories import login_as
from tests.support.sandbox import read_outbox
from tests.support.world import make_world


async def _link(client, world, activity_id: int) -> dict:
    resp = await client.post(
        f"/api/v1/activities/{activity_id}/projector-link", headers=world.organizer.headers
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


def _token(link: dict) -> str:
    return link["url"].split("?t=", 1)[1]


async def test_projector_link_is_a_signed_token_until_an_hour_after_closing(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    link = await _link(client, world, made["id"])
    assert link["url"].startswith(f"/activities/{made['id']}/projector?t=")
    claims = jwt.decode(_token(link), JWT_SECRET, algorithms=["HS256"])
    assert claims["typ"] == "projector" and claims["aid"] == made["id"]
    closes = datetime.fromisoformat(made["checkin_closes_at"])
    assert datetime.fromtimestamp(claims["exp"], UTC) == closes + timedelta(hours=1)


async def test_projector_page_shows_title_and_the_refreshing_script(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world, title="送教下乡<script>alert(1)</script>")
    await publish(client, world, made["id"])
    link = await _link(client, world, made["id"])
    resp = await client.get(link["url"])
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    page = resp.text
    assert "送教下乡&lt;script&gt;alert(1)&lt;/script&gt;" in page  # escaped, not run
    assert "请使用微信扫一扫签到" in page
    assert '<script src="/console/static/projector.js" defer></script>' in page
    script = (await client.get("/console/static/projector.js")).text
    assert "/rotating-code?" in script and "EventSource" in script and "/live?" in script
    assert resp.headers["referrer-policy"] == "no-referrer"


async def test_projector_page_with_a_bad_token_says_so_in_chinese(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    resp = await client.get(f"/activities/{made['id']}/projector?t=not-a-token")
    assert resp.status_code == 401 and "放映链接无效" in resp.text
    resp = await client.get(f"/activities/{made['id']}/projector")
    assert resp.status_code == 401


async def test_rotating_code_verifies_with_the_activity_secret(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    token = _token(await _link(client, world, made["id"]))
    resp = await client.get(f"/api/v1/activities/{made['id']}/rotating-code", params={"t": token})
    assert resp.status_code == 200, resp.text
    data = resp.json()
    activity = await Activity.get(id=made["id"])
    scene = parse_scene(data["scene"])
    assert scene.dynamic and scene.code == activity.code and scene.step == data["step"]
    assert signature_valid(scene, secret=activity.secret)
    assert len(data["scene"]) <= 32
    now_step = time_step(datetime.now(UTC), activity.rotate_seconds)
    assert data["step"] in (now_step - 1, now_step)
    assert 0 < data["expires_in"] <= activity.rotate_seconds

    image = await client.get(data["image_url"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(image.content)))]
    assert decoded == [data["scene"]]


async def test_rotating_code_changes_with_the_step(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    activity = await Activity.get(id=made["id"])
    moment = datetime(2030, 1, 1, 8, 0, 0, tzinfo=UTC)
    first = rotating_code(activity=activity, token=None, at=moment)
    same = rotating_code(activity=activity, token=None, at=moment + timedelta(seconds=5))
    later = rotating_code(activity=activity, token=None, at=moment + timedelta(seconds=15))
    assert first["scene"] == same["scene"] and first["expires_in"] == 15
    assert later["step"] == first["step"] + 1 and later["scene"] != first["scene"]
    assert signature_valid(parse_scene(later["scene"]), secret=activity.secret)


async def test_rotating_code_image_is_cached_per_step(client, sandbox_client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    token = _token(await _link(client, world, made["id"]))
    data = (
        await client.get(f"/api/v1/activities/{made['id']}/rotating-code", params={"t": token})
    ).json()
    for _ in range(3):
        resp = await client.get(data["image_url"])
        assert resp.status_code == 200
    assert len(await read_outbox(sandbox_client, kind="wxacode")) == 1


async def test_rotating_code_image_refuses_far_steps(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    token = _token(await _link(client, world, made["id"]))
    resp = await client.get(
        f"/api/v1/activities/{made['id']}/rotating-code.png", params={"t": token, "step": 5}
    )
    refused(resp, 400, "step_out_of_range")


async def test_managers_bearer_token_also_shows_the_code(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    resp = await client.get(
        f"/api/v1/activities/{made['id']}/rotating-code", headers=world.partner.headers
    )
    assert resp.status_code == 200 and "t=" not in resp.json()["image_url"]
    teacher = await login_as(client, "teacher", scope_id=world.supported.id)
    resp = await client.get(
        f"/api/v1/activities/{made['id']}/rotating-code", headers=teacher.headers
    )
    refused(resp, 403, "forbidden")


async def test_bad_or_expired_token_is_401_and_other_activitys_token_403(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    other = await create(client, world, title="另一场活动")
    url = f"/api/v1/activities/{made['id']}/rotating-code"
    refused(await client.get(url), 401, "unauthenticated")
    refused(await client.get(url, params={"t": "garbage"}), 401, "token_invalid")
    forged = jwt.encode(
        {"typ": "projector", "aid": made["id"], "exp": datetime.now(UTC) + timedelta(hours=1)},
        "another-secret-that-is-long-enough-0123456789",
        algorithm="HS256",
    )
    refused(await client.get(url, params={"t": forged}), 401, "token_invalid")
    expired = jwt.encode(
        {"typ": "projector", "aid": made["id"], "exp": datetime.now(UTC) - timedelta(minutes=1)},
        JWT_SECRET,
        algorithm="HS256",
    )
    refused(await client.get(url, params={"t": expired}), 401, "token_expired")
    # An access token is not a projector token.
    access = world.organizer.tokens["access_token"]
    refused(await client.get(url, params={"t": access}), 401, "token_invalid")
    others = _token(await _link(client, world, other["id"]))
    refused(await client.get(url, params={"t": others}), 403, "forbidden")
    refused(await client.get(f"{url}.png", params={"t": others}), 403, "forbidden")
    page = await client.get(f"/activities/{made['id']}/projector", params={"t": others})
    assert page.status_code == 403 and "其他活动" in page.text


async def test_cancelled_activity_shows_no_code(client):
    world = await make_world(client, ACTIVITIES)
    made = await create(client, world)
    token = _token(await _link(client, world, made["id"]))
    await client.post(
        f"/api/v1/activities/{made['id']}/cancel",
        json={"reason": "改期"},
        headers=world.organizer.headers,
    )
    resp = await client.get(f"/api/v1/activities/{made['id']}/rotating-code", params={"t": token})
    refused(resp, 409, "activity_cancelled")
    resp = await client.post(
        f"/api/v1/activities/{made['id']}/projector-link", headers=world.organizer.headers
    )
    refused(resp, 409, "activity_cancelled")
