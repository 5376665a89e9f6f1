"""Every call the mini-program makes exists in the server's OpenAPI document, with its fields;
every answer it reads is declared, and every field each page reads is in that declaration."""

from __future__ import annotations

import json

from tests.miniprogram.calls import (
    MINIPROGRAM,
    contract_problems,
    miniprogram_calls,
    page_read_problems,
    undeclared_responses,
)
from tests.miniprogram.page_reads import PAGE_READS


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


async def test_every_answer_the_miniprogram_reads_is_declared(client):
    spec = (await client.get("/docs/openapi.json")).json()
    assert undeclared_responses(spec, miniprogram_calls()) == []


async def test_every_field_each_page_reads_is_in_the_declared_answer(client):
    spec = (await client.get("/docs/openapi.json")).json()
    assert page_read_problems(spec, miniprogram_calls(), PAGE_READS) == []


async def test_the_page_check_catches_a_field_the_answer_does_not_declare(client):
    spec = (await client.get("/docs/openapi.json")).json()
    calls = miniprogram_calls()
    wrong = {
        "pages/made-up/index": {
            "notice": ("me.rsvp.adults", "me.rsvp.grandparents"),
            "activities": ("items[].title", "items[].secret"),
            "myCheckins": ("[].scanned_at", "[].nonce"),
            "pairingReport": ("targets{}.label", "targets{}.owner"),
            "summaryChart": ("width",),
            "noSuchCall": (),
        }
    }
    assert page_read_problems(spec, calls, wrong) == [
        "pages/made-up/index: activities → items[].secret is not in the declared answer",
        "pages/made-up/index: myCheckins → [].nonce is not in the declared answer",
        "pages/made-up/index: noSuchCall is not a call of utils/endpoints.js",
        "pages/made-up/index: notice → me.rsvp.grandparents is not in the declared answer",
        "pages/made-up/index: pairingReport → targets{}.owner is not in the declared answer",
        "pages/made-up/index: summaryChart is a download, it has no fields",
    ]
    # An answer with no declared schema cannot be read from.
    undeclared = {"x": {"method": "POST", "path": "/api/v1/auth/logout", "reads": ["ok"]}}
    assert undeclared_responses(spec, undeclared) == [
        "x: POST /api/v1/auth/logout declares no JSON answer"
    ]
    assert page_read_problems(spec, undeclared, {"p": {"x": ("ok",)}}) == [
        "p: x declares no JSON answer, reads ['ok']"
    ]


def test_the_table_has_every_page_and_only_fields_its_code_names():
    pages = json.loads((MINIPROGRAM / "app.json").read_text())["pages"]
    assert set(pages) <= set(PAGE_READS), set(pages) - set(PAGE_READS)
    shared = "".join(
        f.read_text()
        for folder in ("utils", "components")
        for f in sorted((MINIPROGRAM / folder).rglob("*"))
        if f.suffix in (".js", ".wxml")
    )
    unnamed = []
    for page, by_call in PAGE_READS.items():
        own = "".join(
            (MINIPROGRAM / f"{page}{ext}").read_text()
            for ext in (".js", ".wxml")
            if (MINIPROGRAM / f"{page}{ext}").exists()
        )
        for call, paths in by_call.items():
            for path in paths:
                leaf = path.replace("[]", "").replace("{}", "").split(".")[-1]
                if leaf and leaf not in own + shared:
                    unnamed.append(f"{page}: {call} → {path}")
    assert unnamed == []
