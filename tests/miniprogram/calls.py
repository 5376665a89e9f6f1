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


SUCCESS = ("200", "201", "202")


def _success_schemas(spec: dict, op: dict) -> list[dict]:
    """The JSON schema of every success answer the operation declares."""
    out = []
    for status in SUCCESS:
        content = op.get("responses", {}).get(status, {}).get("content", {})
        if "application/json" in content:
            out.append(_resolve(spec, content["application/json"].get("schema")))
    return out


def _steps(path: str) -> list[tuple[str, str | None]]:
    """`items[].targets{}.label`: field items, an item, field targets, a value, field label."""
    steps: list[tuple[str, str | None]] = []
    for part in path.split("."):
        name = part.rstrip("[]{}")
        if name:
            steps.append(("field", name))
        suffix = part[len(name) :]
        steps += [("item" if suffix[i] == "[" else "value", None) for i in range(0, len(suffix), 2)]
    return steps


def _branches(spec: dict, schema: dict) -> list[dict]:
    schema = _resolve(spec, schema)
    for key in ("oneOf", "anyOf", "allOf"):
        if key in schema:
            return [b for sub in schema[key] for b in _branches(spec, sub)]
    return [schema]


def _declares(spec: dict, schema: dict, steps: list[tuple[str, str | None]]) -> bool:
    """Whether the schema declares the path (through any branch of a oneOf or anyOf)."""
    if not steps:
        return True
    (kind, name), rest = steps[0], steps[1:]
    for branch in _branches(spec, schema):
        if kind == "field" and name in branch.get("properties", {}):
            found = branch["properties"][name]
        elif kind == "item" and branch.get("type") == "array" and "items" in branch:
            found = branch["items"]
        elif kind == "value" and isinstance(branch.get("additionalProperties"), dict):
            found = branch["additionalProperties"]
        else:
            continue
        if _declares(spec, found, rest):
            return True
    return False


def undeclared_responses(spec: dict, calls: dict[str, dict]) -> list[str]:
    """Calls whose fields the mini-program reads but whose success answer has no JSON schema."""
    problems = []
    for name, call in sorted(calls.items()):
        if call.get("download") or not call.get("reads"):
            continue
        op = spec["paths"].get(call["path"], {}).get(call["method"].lower(), {})
        if not _success_schemas(spec, op):
            problems.append(f"{name}: {call['method']} {call['path']} declares no JSON answer")
    return problems


def page_read_problems(
    spec: dict, calls: dict[str, dict], page_reads: dict[str, dict[str, tuple[str, ...]]]
) -> list[str]:
    """Each field a page reads that the call's declared success answers do not all have."""
    problems = []
    for page, by_call in sorted(page_reads.items()):
        for name, paths in sorted(by_call.items()):
            call = calls.get(name)
            if call is None:
                problems.append(f"{page}: {name} is not a call of utils/endpoints.js")
                continue
            if call.get("download"):
                if paths:
                    problems.append(f"{page}: {name} is a download, it has no fields")
                continue
            op = spec["paths"].get(call["path"], {}).get(call["method"].lower(), {})
            schemas = _success_schemas(spec, op)
            if paths and not schemas:
                problems.append(f"{page}: {name} declares no JSON answer, reads {list(paths)}")
                continue
            for path in paths:
                if not all(_declares(spec, s, _steps(path)) for s in schemas):
                    problems.append(f"{page}: {name} → {path} is not in the declared answer")
    return problems


def answer_problems(spec: dict, calls: dict[str, dict], answers: list[dict]) -> list[str]:
    """Real answers (call, method, path, status, body) that break the schema the OpenAPI
    document declares for them, checked by schemathesis (OpenAPI 3.0 semantics: nullable …)."""
    from datetime import timedelta

    import httpx
    import schemathesis

    schema = schemathesis.openapi.from_dict(spec)
    problems = []
    for answer in answers:
        call = calls.get(answer["call"])
        if call is None or not isinstance(answer["body"], dict | list):
            continue
        operation = schema[call["path"]][call["method"].upper()]
        url = f"http://api{answer['path']}"
        response = httpx.Response(
            answer["status"], json=answer["body"], request=httpx.Request(answer["method"], url)
        )
        response.read()
        response.elapsed = timedelta(0)
        try:
            operation.validate_response(response)
        except Exception as exc:  # schemathesis raises a group of failures; keep them all
            first = " ".join(str(exc).split())[:500]
            problems.append(f"{answer['call']} {answer['status']} {answer['path']}: {first}")
    return problems
