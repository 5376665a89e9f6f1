"""The foreign-id matrix: every id an operation takes, found from /docs/openapi.json.

An id is any path, query or body field named `id`, `*_id` or `*_ids` (nested objects and
arrays of objects included), plus the few strings listed in STRING_ID_FIELDS. Each id field's
name says what kind of object it names (FIELD_KINDS); a new id field whose name is not there
fails test_every_id_field_names_a_known_kind, so someone decides what it names.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import timedelta

from server.common.time import now

#: What each id field names. A kind is a key of world.Side.ids.
FIELD_KINDS = {
    "region_id": "region",
    "alliance_id": "alliance",
    "kindergarten_id": "kindergarten",
    "host_id": "kindergarten",
    "supporting_id": "kindergarten",
    "supported_id": "partner_kindergarten",
    "lead_id": "kindergarten",
    "audience_kindergarten_ids": "partner_kindergarten",
    # A grant's scope_id is a kindergarten's id: the matrix's grants use scope_kind kindergarten.
    "scope_id": "kindergarten",
    "pairing_id": "pairing",
    "group_id": "group",
    "member_id": "member",
    "class_id": "class",
    "class_ids": "class",
    "child_id": "child",
    "guardian_id": "guardian",
    "person_id": "person",
    "invitee_ids": "person",
    "teacher_ids": "person",
    "parent_ids": "parent_person",
    "teacher_id": "teacher",
    "activity_id": "activity",
    "notice_id": "notice",
    "post_id": "post",
    "file_id": "file",
    "cover_file_id": "file",
    "photo_ids": "file",
    "donation_id": "donation",
    "item_id": "donation_item",
    "fund_id": "fund",
    "ledger_file_id": "ledger_file",
    "recipient_id": "partner_kindergarten",
    "counterpart_id": "partner_kindergarten",
    "checkin_id": "checkin",
    "invitation_id": "invitation",
    "grant_id": "grant",
    "summary_id": "summary",
    "delivery_id": "delivery",
    "message_id": "group_message",
    "job_id": "job",
    "certificate_id": "certificate",
}
#: Strings that carry an id inside them (?scope=region:3).
STRING_ID_FIELDS = {"scope": "summary_scope"}
#: Kinds that name a family: a parent caller also tries the second family's.
FAMILY_KINDS = {"child", "guardian", "person", "parent_person"}

#: Plausible values for required fields that are not ids, by field name.
HINTS = {
    "title": "矩阵测试",
    "name": "矩阵测试",
    "kind": "送教下乡",
    "level": "村级园",
    "grade": "小班",
    "reason": "矩阵测试",
    "answer": "yes",
    "stars": 5,
    "comment": "矩阵测试",
    "audience": {"kindergarten": True},
    "scope_kind": "kindergarten",
    "cycle_start": "2026-09-01",
    "cycle_end": "2027-07-01",
}
#: Other fields a body needs when it carries a given id field (a parent's code names a child).
COMPANIONS = {("InvitationBody", "child_id"): {"kind": "parent"}}
#: Optional id fields a body always carries (a grant's scope is named by scope_kind + scope_id).
ALWAYS = {"GrantBody": ("scope_id",)}
#: Operations whose own object must be in a particular state for the body to be acted on.
OWN_OVERRIDES = {
    ("PATCH", "/api/v1/notices/{notice_id}"): {"notice": "draft_notice"},
    ("POST", "/api/v1/activities/{activity_id}/post"): {"activity": "finished_activity"},
}


def is_id_name(name: str) -> bool:
    """Whether a field's name says it carries ids."""
    return name == "id" or name.endswith("_id") or name.endswith("_ids")


@dataclass(frozen=True)
class Slot:
    """One place an id goes in a request: a path or query parameter, or a body field."""

    where: str  #: "path", "query" or "body"
    path: tuple  #: the parameter's name, or the body field's path (keys and list indexes)
    many: bool  #: an array of ids

    @property
    def name(self) -> str:
        """The field's own name (the last key)."""
        return next(p for p in reversed(self.path) if isinstance(p, str))

    @property
    def kind(self) -> str | None:
        """What it names, or None when its name is unknown."""
        return FIELD_KINDS.get(self.name) or STRING_ID_FIELDS.get(self.name)

    def label(self) -> str:
        """`body presenters[0].person_id`, `query region_id` …"""
        text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.path)
        return f"{self.where} {text.lstrip('.')}"


@dataclass
class Operation:
    """One operation of the OpenAPI document and the id slots it has."""

    method: str
    path: str
    body_schema: dict | None
    multipart: dict | None
    slots: list[Slot] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


class Spec:
    """The OpenAPI document, with $ref and anyOf resolved on the way down."""

    def __init__(self, document: dict):
        self.document = document

    def resolve(self, schema: dict | None) -> dict:
        """The schema a $ref or a nullable anyOf points to."""
        schema = schema or {}
        while True:
            if "$ref" in schema:
                name = schema["$ref"].rsplit("/", 1)[-1]
                schema = self.document["components"]["schemas"][name]
            elif "anyOf" in schema or "oneOf" in schema:
                options = [
                    o for o in schema.get("anyOf") or schema["oneOf"] if o.get("type") != "null"
                ]
                schema = options[0]
            else:
                return schema

    def operations(self) -> list[Operation]:
        """Every operation with its id slots."""
        found = []
        for path, ops in self.document["paths"].items():
            for method, op in ops.items():
                if method not in ("get", "post", "put", "patch", "delete"):
                    continue
                content = op.get("requestBody", {}).get("content", {})
                body = content.get("application/json", {}).get("schema")
                multipart = content.get("multipart/form-data", {}).get("schema")
                operation = Operation(
                    method.upper(), path, self.resolve(body) if body else None, multipart
                )
                for param in op.get("parameters", []):
                    name = param["name"]
                    if is_id_name(name) or name in STRING_ID_FIELDS:
                        operation.slots.append(Slot(param["in"], (name,), False))
                if operation.body_schema:
                    operation.slots += list(self._body_slots(operation.body_schema, ()))
                if multipart:
                    operation.slots += list(self._body_slots(self.resolve(multipart), ()))
                found.append(operation)
        return found

    def _body_slots(self, schema: dict, prefix: tuple):
        """Id fields of a body schema, nested objects and arrays of objects included."""
        for name, prop in (schema.get("properties") or {}).items():
            prop = self.resolve(prop)
            here = (*prefix, name)
            if prop.get("type") == "array":
                item = self.resolve(prop.get("items"))
                if item.get("type") == "object" or "properties" in item:
                    yield from self._body_slots(item, (*here, 0))
                elif is_id_name(name):
                    yield Slot("body", here, True)
            elif prop.get("type") == "object" or "properties" in prop:
                yield from self._body_slots(prop, here)
            elif is_id_name(name) or name in STRING_ID_FIELDS:
                yield Slot("body", here, False)

    def example(self, schema: dict, ids: dict, name: str = "") -> object:
        """A plausible value of a schema: required fields only, ids from `ids`."""
        schema = self.resolve(schema)
        if is_id_name(name) and name in FIELD_KINDS:
            value = ids[FIELD_KINDS[name]]
            return [value] if schema.get("type") == "array" else value
        if name in HINTS and HINTS[name] in schema.get("enum", [HINTS[name]]):
            return HINTS[name]
        if "enum" in schema:
            return schema["enum"][0]
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            keys = [*schema.get("required", []), *ALWAYS.get(schema.get("title"), ())]
            return {key: self.example(schema["properties"][key], ids, key) for key in keys}
        if kind == "array":
            return []
        if kind == "boolean":
            return False
        if kind in ("integer", "number"):
            return max(1, schema.get("minimum", 1))
        fmt = schema.get("format")
        if fmt == "date-time":
            hours = 3 if name.startswith("end") else 1
            return (now() + timedelta(days=1, hours=hours)).isoformat()
        if fmt == "date":
            return "2026-09-01"
        return "矩阵测试"


def put(body: dict, path: tuple, value, spec: Spec, schema: dict, ids: dict) -> dict:
    """A copy of `body` with `value` at `path`, making the objects and list items on the way."""
    body = json.loads(json.dumps(body))
    node, node_schema = body, spec.resolve(schema)
    for step, next_step in zip(path, path[1:], strict=False):
        if isinstance(step, int):
            item_schema = spec.resolve(node_schema.get("items"))
            while len(node) <= step:
                node.append(spec.example(item_schema, ids))
            node, node_schema = node[step], item_schema
            continue
        prop = spec.resolve(node_schema["properties"][step])
        if step not in node or node[step] is None:
            node[step] = [] if isinstance(next_step, int) else spec.example(prop, ids)
        node, node_schema = node[step], prop
    node[path[-1]] = value
    return body


def normalised(text: str, values: tuple) -> str:
    """An answer's text with the ids under test replaced, so two answers compare as equal."""
    for value in values:
        text = re.sub(rf"(?<![\w-]){re.escape(str(value))}(?![\w-])", "<ID>", text)
    return text
