"""Input no endpoint can keep is refused with a 4xx and a Chinese message, on both backends."""

from __future__ import annotations

from tests.support.factories import login_as, make_kindergarten


async def test_the_openapi_document_is_valid_openapi_3_0_with_required_fields(client):
    import schemathesis

    document = (await client.get("/docs/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(document)
    for result in schema.get_all_operations():
        result.ok().as_strategy()  # raises on a schema OpenAPI 3.0 forbids
    checkin = document["components"]["schemas"]["CheckinBody"]
    assert set(checkin["required"]) == {"scene", "nonce"}
    assert "model_config" not in checkin["properties"]
    body = document["paths"]["/api/v1/checkins"]["post"]["requestBody"]["content"]
    assert list(body) == ["application/json"]
    refusal = document["paths"]["/api/v1/checkins"]["post"]["responses"]["4XX"]
    assert refusal["content"]["application/json"]["schema"]["$ref"].endswith("/Error")


async def test_a_control_character_in_a_name_is_refused_and_the_exports_still_work(client):
    admin = await login_as(client, "admin")
    resp = await client.post("/api/v1/regions", headers=admin.headers, json={"name": "青山\x01县"})
    assert resp.status_code == 400
    assert resp.json() == {
        "error": "invalid_input",
        "message": "提交的文字含有不可见的控制字符，请删除后重试",
    }
    nul = await client.post("/api/v1/regions", headers=admin.headers, json={"name": "青山\x00县"})
    assert nul.status_code == 400
    assert (await client.get("/api/v1/regions", headers=admin.headers)).json()["items"] == []
    export = await client.get("/api/v1/reports/export.xlsx", headers=admin.headers)
    assert export.status_code == 200


async def test_line_breaks_and_tabs_are_still_accepted(client):
    admin = await login_as(client, "admin")
    resp = await client.post(
        "/api/v1/regions", headers=admin.headers, json={"name": "青山县", "bureau_name": "教育局\t"}
    )
    assert resp.status_code == 201, resp.text


async def test_an_id_beyond_the_database_range_is_refused_not_a_server_error(client):
    kg = await make_kindergarten()
    leader = await login_as(client, "leader", scope_kind="region", scope_id=kg.region_id)
    for supported in (2**31, 10**25):
        resp = await client.post(
            "/api/v1/pairings",
            headers=leader.headers,
            json={
                "supporting_id": kg.id,
                "supported_id": supported,
                "cycle_start": "2026-09-01",
                "cycle_end": "2027-07-01",
            },
        )
        assert 400 <= resp.status_code < 500, resp.text
        assert resp.json()["message"]
    for region_id in (2**31, 10**20):
        resp = await client.get(f"/api/v1/regions/{region_id}", headers=leader.headers)
        assert 400 <= resp.status_code < 500, resp.text


async def test_a_console_form_that_is_not_utf8_is_a_400_not_a_500(client):
    from tests.web.console import page_csrf

    token = await page_csrf(client)
    resp = await client.post(
        "/console/login",
        content=f"login=园长&password=密码&csrf_token={token}".encode("gbk"),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    # The console's CSRF check reads the form first: unreadable, it has no token (403).
    assert resp.status_code in (400, 403), resp.text
    assert "请刷新页面后重试" in resp.text or resp.json()["error"] == "form_not_utf8"


async def test_a_control_character_in_a_form_field_is_refused(client):
    from tests.web.console import page_csrf

    token = await page_csrf(client)
    resp = await client.post(
        "/console/login",
        data={"login": "园长\x07", "password": "x", "csrf_token": token},
    )
    assert resp.status_code == 400
    assert resp.json()["message"] == "提交的文字含有不可见的控制字符，请删除后重试"


async def test_a_control_character_in_an_upload_caption_is_refused(client):
    from tests.archive.helpers import ARCHIVE, jpeg_bytes, upload
    from tests.support.world import make_world

    w = await make_world(client, ARCHIVE)
    resp = await upload(client, w.organizer, w.activity.id, jpeg_bytes(), caption="公开课\x00")
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_input"
