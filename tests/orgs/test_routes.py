"""Every orgs route declares its roles and is documented."""

from __future__ import annotations


async def test_every_orgs_route_declares_roles(api):
    # Imported here, not at collection: views must come after the app's OpenAPI components.
    from server.orgs.views import blueprints

    names = {bp.name for bp in blueprints}
    routes = [
        r
        for r in api.app.router.routes
        if r.name.split(".")[1] in names and not hasattr(r.handler, "__auto_handler__")
    ]
    assert len(routes) > 40
    undeclared = [r.path for r in routes if not getattr(r.handler, "__roles__", None)]
    assert undeclared == []


async def test_orgs_routes_appear_in_openapi(client):
    spec = (await client.get("/docs/openapi.json")).json()
    for path in (
        "/api/v1/kindergartens",
        "/api/v1/pairings/{pairing_id}",
        "/api/v1/classes/{class_id}/children",
        "/api/v1/teachers/{teacher_id}",
    ):
        assert path in spec["paths"], path
    assert spec["paths"]["/api/v1/kindergartens"]["post"]["summary"] == "新增幼儿园"
