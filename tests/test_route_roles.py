"""Walk every route of the OpenAPI document with every role: no unintended allow."""

from __future__ import annotations

import re

import pytest

from tests.support.factories import login, login_as, make_child, make_class, make_kindergarten

P, ANY = "public", "any_account"
STAFF = {"teacher", "organizer", "director"}
MANAGERS = {"director", "leader"}

#: Who may call each route (admin may call every non-public route). A new route must be
#: added here, deliberately: the walk fails on any route it does not know.
ROUTE_ROLES: dict[tuple[str, str], set[str] | str] = {
    ("GET", "/healthz"): P,
    ("POST", "/api/v1/auth/login"): P,
    ("POST", "/api/v1/auth/refresh"): P,
    ("POST", "/api/v1/auth/logout"): ANY,
    ("GET", "/api/v1/me"): ANY,
    ("GET", "/api/v1/jobs/{job_id}"): ANY,
    ("POST", "/api/v1/invitations"): MANAGERS,
    ("GET", "/api/v1/invitations"): MANAGERS,
    ("DELETE", "/api/v1/invitations/{invitation_id}"): MANAGERS,
    ("POST", "/api/v1/invitations/redeem"): ANY,
    ("GET", "/api/v1/role-grants"): MANAGERS,
    ("POST", "/api/v1/role-grants"): MANAGERS,
    ("DELETE", "/api/v1/role-grants/{grant_id}"): MANAGERS,
}
ROLES = ["anonymous", "unbound", "teacher", "organizer", "director", "leader", "parent", "admin"]


async def _routes(client) -> list[tuple[str, str]]:
    spec = (await client.get("/docs/openapi.json")).json()
    routes = [
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method in ops
        if method in ("get", "post", "put", "patch", "delete")
    ]
    # Logging out ends the walker's session, so it goes last.
    return sorted(routes, key=lambda r: (r == ("POST", "/api/v1/auth/logout"), r))


async def test_every_route_is_declared_in_the_walk_table(client):
    routes = set(await _routes(client))
    unknown = routes - set(ROUTE_ROLES)
    assert not unknown, f"routes missing from ROUTE_ROLES: {sorted(unknown)}"
    gone = set(ROUTE_ROLES) - routes
    assert not gone, f"ROUTE_ROLES names routes that no longer exist: {sorted(gone)}"


async def _headers_for(client, role: str) -> dict:
    if role == "anonymous":
        return {}
    if role == "unbound":
        return (await login(client, "walker-unbound")).headers
    kg = await make_kindergarten()
    if role == "leader":
        who = await login_as(client, "leader", scope_kind="region", scope_id=kg.region_id)
    elif role == "parent":
        child = await make_child(await make_class(kg))
        who = await login_as(client, "parent", scope_kind="child", scope_id=child.id)
    else:
        who = await login_as(client, role, scope_id=kg.id)
    return who.headers


@pytest.mark.parametrize("role", ROLES)
async def test_role_is_refused_on_every_route_not_meant_for_it(client, role):
    headers = await _headers_for(client, role)
    wrongly_allowed = []
    for method, path in await _routes(client):
        allowed = ROUTE_ROLES[(method, path)]
        url = re.sub(r"\{[^}]+\}", "1", path)
        body = None if method in ("GET", "DELETE") else {}
        resp = await client.request(method, url, headers=headers, json=body)
        assert resp.status_code < 500, f"{method} {path} as {role}: {resp.status_code}"
        if allowed == P:
            continue
        if role == "anonymous":
            if resp.status_code != 401:
                wrongly_allowed.append((method, path, resp.status_code))
            continue
        if allowed == ANY or role == "admin":
            assert resp.status_code != 401, f"{method} {path} refused a logged-in {role}"
            continue
        if role not in allowed and resp.status_code != 403:
            wrongly_allowed.append((method, path, resp.status_code))
    assert not wrongly_allowed, f"{role} reached routes not meant for it: {wrongly_allowed}"
