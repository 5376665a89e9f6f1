"""Every call the mini-program makes exists in the server's OpenAPI document, with its fields."""

from __future__ import annotations

from tests.miniprogram.calls import contract_problems, miniprogram_calls


async def test_every_miniprogram_call_is_in_the_openapi_document(client):
    spec = (await client.get("/docs/openapi.json")).json()
    calls = miniprogram_calls()
    assert {"login", "checkIn", "notice", "reportSubscriptions"} <= set(calls)
    assert contract_problems(spec, calls) == []


async def test_the_contract_check_catches_a_path_or_field_the_server_lacks(client):
    spec = (await client.get("/docs/openapi.json")).json()
    wrong = {
        "gone": {"method": "GET", "path": "/api/v1/no-such-thing"},
        "wrong_method": {"method": "DELETE", "path": "/api/v1/checkins"},
        "typo": {"method": "POST", "path": "/api/v1/checkins", "sends": ["scene", "nonse"]},
        "query": {"method": "GET", "path": "/api/v1/me/hours", "query": ["term"]},
        "reads": {
            "method": "POST",
            "path": "/api/v1/kindergartens/{kindergarten_id}/roster/import",
            "reads": ["job_id", "progress"],
        },
    }
    problems = contract_problems(spec, wrong)
    assert len(problems) == 5, problems
    assert any("nonse" in p for p in problems) and any("progress" in p for p in problems)
