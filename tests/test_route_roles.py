"""Walk every route of the OpenAPI document with every role: no unintended allow."""

from __future__ import annotations

import re

import pytest

from tests.support.factories import login, login_as, make_child, make_class, make_kindergarten

P, ANY = "public", "any_account"
STAFF = {"teacher", "organizer", "director"}
MANAGERS = {"director", "leader"}
LEADERS = {"leader"}
ADMIN_ONLY: set[str] = set()
DIRECTORS = {"director"}
STAFF_AND_LEADERS = STAFF | LEADERS
RUNNERS = {"organizer", "director"}
EVERY_ROLE = STAFF | LEADERS | {"parent"}

#: Who may call each route (admin may call every non-public route). A new route must be
#: added here, deliberately: the walk fails on any route it does not know.
ROUTE_ROLES: dict[tuple[str, str], set[str] | str] = {
    ("GET", "/healthz"): P,
    ("GET", "/metrics"): P,  # its own bearer token (SONGJIAO_METRICS_TOKEN) or loopback
    ("POST", "/api/v1/auth/login"): P,
    ("POST", "/api/v1/auth/refresh"): P,
    ("POST", "/api/v1/auth/logout"): ANY,
    ("GET", "/api/v1/me"): ANY,
    # Refused in the service to accounts without a console role.
    ("POST", "/api/v1/web-login/{token}/confirm"): ANY,
    ("GET", "/api/v1/jobs/{job_id}"): ANY,
    ("GET", "/api/v1/failed-jobs"): ADMIN_ONLY,
    ("POST", "/api/v1/invitations"): MANAGERS,
    ("GET", "/api/v1/invitations"): MANAGERS,
    ("DELETE", "/api/v1/invitations/{invitation_id}"): MANAGERS,
    ("POST", "/api/v1/invitations/redeem"): ANY,
    ("GET", "/api/v1/role-grants"): MANAGERS,
    ("POST", "/api/v1/role-grants"): MANAGERS,
    ("DELETE", "/api/v1/role-grants/{grant_id}"): MANAGERS,
    # organisations
    ("GET", "/api/v1/regions"): LEADERS,
    ("GET", "/api/v1/regions/{region_id}"): LEADERS,
    ("POST", "/api/v1/regions"): ADMIN_ONLY,
    ("PATCH", "/api/v1/regions/{region_id}"): ADMIN_ONLY,
    ("GET", "/api/v1/alliances"): STAFF_AND_LEADERS,
    ("GET", "/api/v1/alliances/{alliance_id}"): STAFF_AND_LEADERS,
    ("POST", "/api/v1/alliances"): LEADERS,
    ("PATCH", "/api/v1/alliances/{alliance_id}"): LEADERS,
    ("DELETE", "/api/v1/alliances/{alliance_id}"): ADMIN_ONLY,
    ("GET", "/api/v1/kindergartens"): EVERY_ROLE,
    ("GET", "/api/v1/kindergartens/{kindergarten_id}"): EVERY_ROLE,
    ("POST", "/api/v1/kindergartens"): LEADERS,
    ("PATCH", "/api/v1/kindergartens/{kindergarten_id}"): MANAGERS,
    ("DELETE", "/api/v1/kindergartens/{kindergarten_id}"): ADMIN_ONLY,
    ("GET", "/api/v1/pairings"): STAFF_AND_LEADERS,
    ("GET", "/api/v1/pairings/{pairing_id}"): STAFF_AND_LEADERS,
    ("POST", "/api/v1/pairings"): LEADERS,
    ("PATCH", "/api/v1/pairings/{pairing_id}"): LEADERS,
    ("DELETE", "/api/v1/pairings/{pairing_id}"): LEADERS,
    ("GET", "/api/v1/leading-groups"): STAFF_AND_LEADERS,
    ("GET", "/api/v1/leading-groups/{group_id}"): STAFF_AND_LEADERS,
    ("POST", "/api/v1/leading-groups"): MANAGERS,
    ("DELETE", "/api/v1/leading-groups/{group_id}"): MANAGERS,
    ("POST", "/api/v1/leading-groups/{group_id}/members"): MANAGERS,
    ("PATCH", "/api/v1/leading-groups/{group_id}/members/{member_id}"): MANAGERS,
    ("DELETE", "/api/v1/leading-groups/{group_id}/members/{member_id}"): MANAGERS,
    ("GET", "/api/v1/kindergartens/{kindergarten_id}/classes"): STAFF_AND_LEADERS,
    ("POST", "/api/v1/kindergartens/{kindergarten_id}/classes"): DIRECTORS,
    ("GET", "/api/v1/classes/{class_id}"): STAFF_AND_LEADERS,
    ("PATCH", "/api/v1/classes/{class_id}"): DIRECTORS,
    ("DELETE", "/api/v1/classes/{class_id}"): DIRECTORS,
    ("GET", "/api/v1/classes/{class_id}/children"): STAFF,
    ("POST", "/api/v1/classes/{class_id}/children"): DIRECTORS,
    ("GET", "/api/v1/children/{child_id}"): STAFF | {"parent"},
    ("PATCH", "/api/v1/children/{child_id}"): DIRECTORS,
    ("DELETE", "/api/v1/children/{child_id}"): DIRECTORS,
    ("GET", "/api/v1/children/{child_id}/guardians"): STAFF | {"parent"},
    ("POST", "/api/v1/children/{child_id}/guardians"): DIRECTORS,
    ("DELETE", "/api/v1/children/{child_id}/guardians/{guardian_id}"): DIRECTORS,
    ("GET", "/api/v1/kindergartens/{kindergarten_id}/teachers"): STAFF_AND_LEADERS,
    ("POST", "/api/v1/kindergartens/{kindergarten_id}/teachers"): DIRECTORS,
    ("GET", "/api/v1/teachers/{teacher_id}"): STAFF_AND_LEADERS,
    ("PATCH", "/api/v1/teachers/{teacher_id}"): DIRECTORS,
    ("DELETE", "/api/v1/teachers/{teacher_id}"): DIRECTORS,
    ("GET", "/api/v1/kindergartens/{kindergarten_id}/roster/template.xlsx"): DIRECTORS,
    ("POST", "/api/v1/kindergartens/{kindergarten_id}/roster/check"): DIRECTORS,
    ("POST", "/api/v1/kindergartens/{kindergarten_id}/roster/import"): DIRECTORS,
    # check-in
    ("POST", "/api/v1/checkins"): ANY,
    ("POST", "/api/v1/checkins/{checkin_id}/checkout"): ANY,
    ("POST", "/api/v1/checkins/{checkin_id}/annul"): RUNNERS,
    ("GET", "/api/v1/activities/{activity_id}/attendance"): RUNNERS,
    # Declared public: a projector token in ?t= or a manager's login opens it.
    ("GET", "/api/v1/activities/{activity_id}/live"): RUNNERS,
    ("POST", "/api/v1/activities/{activity_id}/checkins"): RUNNERS,
    ("GET", "/api/v1/activities/{activity_id}/signin-sheet.xlsx"): RUNNERS,
    ("GET", "/api/v1/activities/{activity_id}/audit"): RUNNERS,
    ("GET", "/api/v1/me/checkins"): ANY,
    ("GET", "/api/v1/me/hours"): ANY,
    ("GET", "/api/v1/me/overview"): ANY,
    # Refused in the view to an account not bound to a person.
    ("GET", "/api/v1/me/follow-qrcode"): ANY,
    ("GET", "/api/v1/me/follow-qrcode.png"): ANY,
    # activities
    ("POST", "/api/v1/activities"): RUNNERS,
    ("GET", "/api/v1/activities"): EVERY_ROLE,
    ("GET", "/api/v1/activities/{activity_id}"): EVERY_ROLE,
    ("PATCH", "/api/v1/activities/{activity_id}"): RUNNERS,
    ("POST", "/api/v1/activities/{activity_id}/publish"): RUNNERS,
    ("POST", "/api/v1/activities/{activity_id}/cancel"): RUNNERS,
    ("POST", "/api/v1/activities/{activity_id}/finish"): RUNNERS,
    ("GET", "/api/v1/activities/{activity_id}/code"): RUNNERS,
    ("GET", "/api/v1/activities/{activity_id}/poster.png"): RUNNERS,
    ("POST", "/api/v1/activities/{activity_id}/projector-link"): RUNNERS,
    # Declared public: a projector token in ?t= or a manager's login opens them.
    ("GET", "/api/v1/activities/{activity_id}/rotating-code"): RUNNERS,
    ("GET", "/api/v1/activities/{activity_id}/rotating-code.png"): RUNNERS,
    # notices
    ("POST", "/api/v1/notices"): RUNNERS,
    ("GET", "/api/v1/notices"): RUNNERS | LEADERS,
    ("GET", "/api/v1/notices/{notice_id}"): EVERY_ROLE,
    ("PATCH", "/api/v1/notices/{notice_id}"): RUNNERS,
    ("POST", "/api/v1/notices/{notice_id}/publish"): RUNNERS,
    ("POST", "/api/v1/notices/{notice_id}/cancel"): RUNNERS,
    ("POST", "/api/v1/notices/{notice_id}/remind"): RUNNERS,
    ("POST", "/api/v1/notices/{notice_id}/announce"): RUNNERS,
    ("GET", "/api/v1/notices/{notice_id}/receipts"): RUNNERS | LEADERS,
    ("GET", "/api/v1/me/notices"): ANY,
    ("POST", "/api/v1/notices/{notice_id}/read"): EVERY_ROLE,
    ("POST", "/api/v1/notices/{notice_id}/confirm"): EVERY_ROLE,
    ("POST", "/api/v1/notices/{notice_id}/rsvp"): EVERY_ROLE,
    ("DELETE", "/api/v1/notices/{notice_id}/rsvp"): EVERY_ROLE,
    ("POST", "/api/v1/notices/{notice_id}/feedback"): EVERY_ROLE,
    ("GET", "/api/v1/notices/{notice_id}/feedback"): EVERY_ROLE,
    # delivery
    ("GET", "/api/v1/inbox"): ANY,
    ("POST", "/api/v1/inbox/{delivery_id}/read"): ANY,
    ("GET", "/api/v1/subscriptions"): ANY,
    ("POST", "/api/v1/subscriptions"): ANY,
    ("GET", "/api/v1/delivery/dead-letters"): ADMIN_ONLY,
    ("POST", "/api/v1/delivery/dead-letters/{delivery_id}/retry"): ADMIN_ONLY,
    ("POST", "/api/v1/delivery/group-dead-letters/{message_id}/retry"): ADMIN_ONLY,
    ("GET", "/api/v1/delivery/outbox"): ADMIN_ONLY,
    # reports
    ("GET", "/api/v1/reports/pairings"): MANAGERS,
    ("GET", "/api/v1/reports/pairings/{pairing_id}"): MANAGERS,
    ("GET", "/api/v1/reports/kindergartens"): MANAGERS,
    ("GET", "/api/v1/reports/alerts"): MANAGERS,
    ("GET", "/api/v1/reports/alliances"): LEADERS,
    ("GET", "/api/v1/reports/regions"): LEADERS,
    ("GET", "/api/v1/reports/rankings"): LEADERS,
    ("GET", "/api/v1/reports/export.xlsx"): LEADERS,
    ("GET", "/api/v1/reports/summaries"): LEADERS,
    ("GET", "/api/v1/reports/summaries/latest"): LEADERS,
    ("GET", "/api/v1/reports/summaries/{summary_id}"): LEADERS,
    ("GET", "/api/v1/reports/summaries/{summary_id}/chart.png"): LEADERS,
    # the activity archive
    ("POST", "/api/v1/activities/{activity_id}/files"): RUNNERS,
    ("GET", "/api/v1/activities/{activity_id}/files"): EVERY_ROLE,
    ("GET", "/api/v1/files/{file_id}/content"): EVERY_ROLE,
    ("PATCH", "/api/v1/files/{file_id}"): RUNNERS,
    ("DELETE", "/api/v1/files/{file_id}"): RUNNERS,
    # Whoever sees a photo may withdraw its consent (teacher, parent, staff, leader).
    ("POST", "/api/v1/files/{file_id}/withdraw-consent"): EVERY_ROLE,
    ("PUT", "/api/v1/activities/{activity_id}/record"): RUNNERS,
    ("GET", "/api/v1/activities/{activity_id}/record-card"): EVERY_ROLE,
    ("POST", "/api/v1/activities/{activity_id}/record-card/confirm"): RUNNERS,
    ("POST", "/api/v1/activities/{activity_id}/record-card/reopen"): DIRECTORS,
    ("GET", "/api/v1/pairings/{pairing_id}/archive.zip"): RUNNERS | LEADERS,
    # publicity (三审: organizer writes, director reviews, leader signs)
    ("POST", "/api/v1/activities/{activity_id}/post"): RUNNERS,
    # 捐赠与经费: organizers and directors keep their side's books, directors confirm, leaders read.
    ("GET", "/api/v1/pairings/{pairing_id}/ledger"): RUNNERS | LEADERS,
    ("GET", "/api/v1/alliances/{alliance_id}/ledger"): RUNNERS | LEADERS,
    ("POST", "/api/v1/pairings/{pairing_id}/donations"): RUNNERS,
    ("POST", "/api/v1/alliances/{alliance_id}/donations"): RUNNERS,
    ("POST", "/api/v1/pairings/{pairing_id}/funds"): RUNNERS,
    ("POST", "/api/v1/alliances/{alliance_id}/funds"): RUNNERS,
    ("GET", "/api/v1/pairings/{pairing_id}/disclosure"): RUNNERS | LEADERS,
    ("GET", "/api/v1/alliances/{alliance_id}/disclosure"): RUNNERS | LEADERS,
    ("GET", "/api/v1/pairings/{pairing_id}/disclosure.pdf"): RUNNERS | LEADERS,
    ("GET", "/api/v1/alliances/{alliance_id}/disclosure.pdf"): RUNNERS | LEADERS,
    ("GET", "/api/v1/donations/{donation_id}"): RUNNERS | LEADERS,
    ("PATCH", "/api/v1/donations/{donation_id}"): RUNNERS,
    ("POST", "/api/v1/donations/{donation_id}/confirm"): DIRECTORS,
    ("POST", "/api/v1/donations/{donation_id}/reopen"): DIRECTORS,
    ("POST", "/api/v1/donations/{donation_id}/void"): RUNNERS,
    ("POST", "/api/v1/donations/{donation_id}/photos"): RUNNERS,
    ("GET", "/api/v1/funds/{fund_id}"): RUNNERS | LEADERS,
    ("PATCH", "/api/v1/funds/{fund_id}"): RUNNERS,
    ("POST", "/api/v1/funds/{fund_id}/confirm"): DIRECTORS,
    ("POST", "/api/v1/funds/{fund_id}/reopen"): DIRECTORS,
    ("POST", "/api/v1/funds/{fund_id}/void"): RUNNERS,
    ("POST", "/api/v1/funds/{fund_id}/receipts"): RUNNERS,
    ("GET", "/api/v1/ledger-files/{ledger_file_id}/content"): RUNNERS | LEADERS,
    ("POST", "/api/v1/pairings/{pairing_id}/disclosure-post"): RUNNERS,
    ("POST", "/api/v1/alliances/{alliance_id}/disclosure-post"): RUNNERS,
    ("GET", "/api/v1/posts"): RUNNERS | LEADERS,
    ("GET", "/api/v1/posts/{post_id}"): RUNNERS | LEADERS,
    ("PATCH", "/api/v1/posts/{post_id}"): RUNNERS,
    ("GET", "/api/v1/posts/{post_id}/preview"): RUNNERS | LEADERS,
    ("GET", "/api/v1/posts/{post_id}/brief.pdf"): RUNNERS | LEADERS,
    ("GET", "/api/v1/pairings/{pairing_id}/brief.pdf"): RUNNERS | LEADERS,
    ("GET", "/api/v1/pairings/{pairing_id}/posts"): STAFF_AND_LEADERS,
    ("POST", "/api/v1/posts/{post_id}/mass-send"): LEADERS,
    ("POST", "/api/v1/pairings/{pairing_id}/recap-post"): RUNNERS,
    ("POST", "/api/v1/alliances/{alliance_id}/recap-post"): RUNNERS,
    ("POST", "/api/v1/posts/{post_id}/submit"): RUNNERS,
    ("POST", "/api/v1/posts/{post_id}/approve"): DIRECTORS,
    ("POST", "/api/v1/posts/{post_id}/sign"): LEADERS,
    ("POST", "/api/v1/posts/{post_id}/send-back"): MANAGERS,
    # 学时证明: staff get their own (the service refuses one who is not staff anywhere);
    # directors their staff's and the batch; anyone may verify a code.
    ("POST", "/api/v1/me/certificates"): STAFF,
    ("GET", "/api/v1/me/certificates"): STAFF,
    ("GET", "/api/v1/certificates/{certificate_id}"): STAFF,
    ("GET", "/api/v1/certificates/{certificate_id}/certificate.pdf"): STAFF,
    ("GET", "/api/v1/kindergartens/{kindergarten_id}/certificates"): DIRECTORS,
    ("POST", "/api/v1/kindergartens/{kindergarten_id}/certificates/batch"): DIRECTORS,
    ("GET", "/api/v1/certificate-batches/{job_id}/certificates.pdf"): DIRECTORS,
    ("GET", "/api/v1/certificates/verify/{code}"): P,
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
        allowed = ROUTE_ROLES.get((method, path))
        if allowed is None:
            continue  # reported by test_every_route_is_declared_in_the_walk_table
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
