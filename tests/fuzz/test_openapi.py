"""schemathesis against /docs/openapi.json, logged in as each role: no 5xx, answers as declared."""

from __future__ import annotations

import asyncio
import re

import pytest

from tests.support.factories import (
    login_as,
    make_activity,
    make_alliance,
    make_child,
    make_class,
    make_kindergarten,
    make_region,
)

#: Examples per operation and role: enough to reach every validator, small enough for CI.
EXAMPLES = 5
#: Streams until the client leaves (SSE), or ends the session the other operations use.
SKIPPED = {("GET", "/api/v1/activities/{activity_id}/live"), ("POST", "/api/v1/auth/logout")}

pytestmark = pytest.mark.embedded


async def _role_headers(client) -> dict[str, dict]:
    """One person per role, scoped to a small county whose ids start at 1."""
    region = await make_region()
    alliance = await make_alliance(region)
    kg = await make_kindergarten(region, alliance=alliance)
    await make_kindergarten(region, alliance=alliance)
    school_class = await make_class(kg)
    child = await make_child(school_class)
    await make_activity(kg)
    who = {
        "teacher": await login_as(client, "teacher", scope_id=kg.id, teacher_of=kg),
        "organizer": await login_as(client, "organizer", scope_id=kg.id, teacher_of=kg),
        "director": await login_as(client, "director", scope_id=kg.id, teacher_of=kg),
        "leader": await login_as(client, "leader", scope_kind="region", scope_id=region.id),
        "parent": await login_as(client, "parent", scope_kind="child", scope_id=child.id),
        "admin": await login_as(client, "admin"),
    }
    return {role: logged.headers for role, logged in who.items()}


def _fuzz(document: dict, base_url: str, headers_by_role: dict[str, dict]) -> list[str]:
    """Run every operation for every role; the failures, one line each."""
    import schemathesis
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    schema = schemathesis.openapi.from_dict(document)
    schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        strategy = operation.as_strategy()
        for role, headers in headers_by_role.items():
            run = _runner(strategy, base_url=base_url, headers=headers, checks=checks)
            try:
                run()
            except (Exception, BaseExceptionGroup) as exc:  # keep going, report all at the end
                first = re.sub(r"\s+", " ", str(exc))[:600]
                failures.append(f"{operation.method.upper()} {operation.path} as {role}: {first}")
    return failures


def _runner(strategy, *, base_url: str, headers: dict, checks: list):
    """A hypothesis test sending `EXAMPLES` cases of one operation, the same ones every run."""
    from hypothesis import HealthCheck, Phase, given, settings

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        case.call_and_validate(base_url=base_url, headers=headers, checks=checks, timeout=30)

    return run


async def test_no_operation_answers_a_server_error_or_off_schema_for_any_role(api, client):
    headers_by_role = await _role_headers(client)
    document = (await client.get("/docs/openapi.json")).json()
    failures = await asyncio.to_thread(_fuzz, document, api.url, headers_by_role)
    assert failures == [], "\n".join(failures)
