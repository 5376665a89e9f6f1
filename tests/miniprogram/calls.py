"""The mini-program's API calls (its CALLS table, read with node) checked against OpenAPI."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MINIPROGRAM = ROOT / "miniprogram"


def node() -> str:
    """The node binary; scripts/setup.sh installs it where missing."""
    found = shutil.which("node")
    assert found, "node is missing: run scripts/setup.sh (it installs nodejs)"
    return found


def miniprogram_calls() -> dict[str, dict]:
    """Every server call of the mini-program, by name, as utils/endpoints.js declares it."""
    out = subprocess.run(
        [node(), str(MINIPROGRAM / "scripts" / "list-calls.js")],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return json.loads(out.stdout)


def _resolve(spec: dict, schema: dict | None) -> dict:
    while schema and "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        schema = spec.get("components", {}).get("schemas", {}).get(name, {})
    return schema or {}


def _body_properties(spec: dict, op: dict) -> set[str] | None:
    content = op.get("requestBody", {}).get("content", {})
    for media in content.values():
        schema = _resolve(spec, media.get("schema"))
        if "properties" in schema:
            return set(schema["properties"])
    return None


def _response_properties(spec: dict, op: dict) -> set[str] | None:
    """Top-level fields of the JSON success answer, when the server declares them."""
    for status in ("200", "201", "202", "default"):
        content = op.get("responses", {}).get(status, {}).get("content", {})
        schema = _resolve(spec, content.get("application/json", {}).get("schema"))
        if schema.get("type") == "array":
            schema = _resolve(spec, schema.get("items"))
        if "properties" in schema:
            return set(schema["properties"])
    return None


def contract_problems(spec: dict, calls: dict[str, dict]) -> list[str]:
    """What in the mini-program's calls the OpenAPI document does not have; empty when all agree."""
    problems = []
    for name, call in sorted(calls.items()):
        ops = spec["paths"].get(call["path"])
        op = (ops or {}).get(call["method"].lower())
        if op is None:
            problems.append(f"{name}: {call['method']} {call['path']} is not in the API")
            continue
        declared = {p["name"] for p in op.get("parameters", []) if p.get("in") == "query"}
        for key in call.get("query", []):
            if key not in declared:
                problems.append(f"{name}: query parameter {key!r} is not declared")
        sends = call.get("sends", [])
        body = _body_properties(spec, op)
        if sends and body is None:
            problems.append(f"{name}: sends {sends} but the API declares no JSON body")
        for field in sends if body is not None else []:
            if field not in body:
                problems.append(f"{name}: body field {field!r} is not in the request schema")
        answer = _response_properties(spec, op)
        for field in call.get("reads", []) if answer is not None else []:
            if field not in answer:
                problems.append(f"{name}: reads {field!r}, not in the response schema")
    return problems
