"""Role × operation × foreign id: another region's or another family's id, in the path, the
query or any id-valued body field, is answered exactly like an id that does not exist, and
changes nothing about the foreign object."""

from __future__ import annotations

import asyncio
import json
import re
import time

import httpx

from tests.security.matrix import (
    COMPANIONS,
    FAMILY_KINDS,
    OWN_OVERRIDES,
    Operation,
    Slot,
    Spec,
    normalised,
    put,
)
from tests.security.world import (
    FOREIGN_MARK,
    OTHER_FAMILY_MARK,
    ROLES,
    UNKNOWN_ID,
    UNKNOWN_JOB,
    World,
    build_world,
    watched_rows,
)

#: Streams until the client leaves (SSE) when the id is one's own: given a short read timeout.
STREAMS = {("GET", "/api/v1/activities/{activity_id}/live")}
#: A tiny JPEG-looking payload for multipart operations (scope is checked before the file).
UPLOAD = {"file": ("matrix.jpg", b"\xff\xd8\xff\xe0matrix", "image/jpeg")}


async def _spec(client) -> Spec:
    return Spec((await client.get("/docs/openapi.json")).json())


async def test_every_id_field_names_a_known_kind(client):
    """A new id field must be classified in FIELD_KINDS before the matrix can try it."""
    spec = await _spec(client)
    unknown = sorted(
        {f"{op} {slot.label()}" for op in spec.operations() for slot in op.slots if not slot.kind}
    )
    assert not unknown, (
        "id fields the foreign-id matrix does not know (add them to FIELD_KINDS in "
        f"tests/security/matrix.py): {unknown}"
    )


def _unknown(slot: Slot):
    """The value standing for an object that does not exist."""
    if slot.kind == "job":
        return UNKNOWN_JOB
    if slot.kind == "summary_scope":
        return f"region:{UNKNOWN_ID}"
    return UNKNOWN_ID


def _own_ids(world: World, op: Operation) -> dict:
    ids = dict(world.own.ids)
    for kind, replacement in OWN_OVERRIDES.get((op.method, op.path), {}).items():
        ids[kind] = world.own.ids[replacement]
    return ids


def _request(spec: Spec, op: Operation, ids: dict, slot: Slot | None, value) -> dict:
    """The request of `op` with the caller's own ids, and `value` in `slot` (if any)."""
    path_values = {}
    for name in re.findall(r"\{([^}]+)\}", op.path):
        kind = Slot("path", (name,), False).kind
        path_values[name] = ids[kind] if kind else "1"
    query = {}
    body = spec.example(op.body_schema, ids) if op.body_schema else None
    if slot is not None:
        if slot.where == "path":
            path_values[slot.path[0]] = value
        elif slot.where == "query":
            query[slot.path[0]] = value
        elif op.body_schema is not None:
            body.update(COMPANIONS.get((op.body_schema.get("title"), slot.name), {}))
            body = put(body, slot.path, [value] if slot.many else value, spec, op.body_schema, ids)
    url = op.path
    for name, val in path_values.items():
        url = url.replace("{" + name + "}", str(val))
    request = {"method": op.method, "url": url, "params": query}
    if op.multipart:
        data = {"kind": "photo"}
        if slot is not None and slot.where == "body":
            data[slot.path[-1]] = str(value)
        request.update(files=UPLOAD, data=data)
    elif body is not None:
        request["json"] = body
    return request


async def _send(client: httpx.AsyncClient, op: Operation, request: dict, headers: dict):
    """(status, content type, text) of one call; a stream that does not end is 'timeout'."""
    timeout = 3 if (op.method, op.path) in STREAMS else 30
    try:
        resp = await client.request(**request, headers=headers, timeout=timeout)
    except httpx.ReadTimeout:
        return "timeout", "", ""
    kind = resp.headers.get("content-type", "").split(";")[0]
    text = resp.text if kind.startswith(("application/json", "text/")) else f"<{kind}>"
    return resp.status_code, kind, text


def _differs(op, foreign, unknown, values) -> str | None:
    """Why the foreign answer is not the unknown answer, or None.

    Refusals must agree in status, error code, message and details (which once listed the
    ids that exist); a success must be the very same answer (an empty list, say).
    """
    f_status, f_kind, f_text = foreign
    u_status, u_kind, u_text = unknown
    if f_status == "timeout" or (isinstance(f_status, int) and f_status >= 500):
        return f"foreign id answered {f_status}"
    if f_status != u_status or _error(f_text) != _error(u_text):
        return f"foreign {f_status} {_error(f_text)} ≠ unknown {u_status} {_error(u_text)}"
    if 200 <= f_status < 300:
        if normalised(f_text, values) != normalised(u_text, values):
            acted = "a write with the foreign id succeeded" if op.method != "GET" else "answers"
            return f"{acted} ({f_status}): {f_text[:200]} ≠ {u_text[:200]}"
        return None
    for part in ("message", "details"):
        f_part, u_part = _part(f_text, part), _part(u_text, part)
        if normalised(f_part, values) != normalised(u_part, values):
            return f"{part} differs: {f_part[:200]} ≠ {u_part[:200]}"
    return None


def _part(text: str, key: str) -> str:
    try:
        return json.dumps(json.loads(text).get(key), ensure_ascii=False)
    except (ValueError, AttributeError):
        return ""


def _error(text: str) -> str:
    try:
        return json.loads(text).get("error", "")
    except (ValueError, AttributeError):
        return ""


async def _walk_role(client, spec, world: World, role: str, operations) -> list[str]:
    """Every slot of every operation, foreign then unknown, for one caller; the failures."""
    headers = world.callers[role].headers
    marks = [FOREIGN_MARK] + ([OTHER_FAMILY_MARK] if role == "parent" else [])
    failures = []
    for op in operations:
        ids = _own_ids(world, op)
        # Unclassified fields are left to test_every_id_field_names_a_known_kind.
        for slot in (s for s in op.slots if s.kind):
            tries = [("other region", world.foreign.ids[slot.kind])]
            if role == "parent" and slot.kind in FAMILY_KINDS:
                tries.append(("other family", world.other_family[slot.kind]))
            unknown_value = _unknown(slot)
            unknown = await _send(client, op, _request(spec, op, ids, slot, unknown_value), headers)
            for who, value in tries:
                foreign = await _send(client, op, _request(spec, op, ids, slot, value), headers)
                where = f"{op} {slot.label()} as {role} ({who} id {value})"
                why = _differs(op, foreign, unknown, (value, unknown_value))
                if why:
                    failures.append(f"{where}: {why}")
                leaked = [m for m in marks if m in foreign[2]]
                if leaked:
                    failures.append(f"{where}: the answer shows {leaked}: {foreign[2][:200]}")
    return failures


async def test_foreign_ids_are_answered_like_unknown_ones_and_change_nothing(client):
    started = time.monotonic()
    world = await build_world(client)
    spec = await _spec(client)
    operations = [op for op in spec.operations() if op.slots]
    walks = [_walk_role(client, spec, world, role, operations) for role in ROLES]
    failures = [line for found in await asyncio.gather(*walks) for line in found]
    changed = _changes(world.watched, await watched_rows(world))
    calls = sum(len(op.slots) for op in operations) * len(ROLES) * 2
    print(
        f"foreign-id matrix: {len(operations)} operations, ~{calls} calls, "
        f"{time.monotonic() - started:.1f} s"
    )
    assert not failures and not changed, "\n".join(
        [f"{len(failures)} answers differ from an unknown id's:", *failures]
        + [f"rows about foreign objects changed: {changed}"] * bool(changed)
    )


def _changes(before: dict, after: dict) -> dict:
    """The watched tables whose rows differ, with what was added and removed."""
    changed = {}
    for table, rows in before.items():
        if rows != after[table]:
            gone = [r for r in rows if r not in after[table]]
            new = [r for r in after[table] if r not in rows]
            changed[table] = {"before": gone, "after": new}
    return changed


async def test_the_matrix_bodies_pass_validation(client):
    """Each operation's body built for the caller is well-formed: a refusal in the matrix is a
    refusal of the id, not of a malformed request."""
    world = await build_world(client)
    spec = await _spec(client)
    malformed = []
    for op in spec.operations():
        if not op.body_schema or not any(s.where == "body" for s in op.slots):
            continue
        for slot in (s for s in op.slots if s.where == "body"):
            ids = _own_ids(world, op)
            request = _request(spec, op, ids, slot, ids[slot.kind])
            resp = await client.request(**request, headers=world.callers["director"].headers)
            leader = await client.request(**request, headers=world.callers["leader"].headers)
            for answer in (resp, leader):
                if answer.status_code == 400 and _error(answer.text) == "invalid_input":
                    malformed.append(f"{op} {slot.label()}: {answer.text[:300]}")
    assert not malformed, "\n".join(malformed)
