"""Keep the OpenAPI document at /docs valid OpenAPI 3.0 for pydantic request bodies.

sanic-ext inlines a pydantic body as an object of its annotations: it loses `required`, lists
`model_config` as a field, copies pydantic's JSON Schema 2020-12 keywords (a numeric
`exclusiveMinimum`, `anyOf` with `{"type": "null"}`) that OpenAPI 3.0 forbids, and declares the
body as `*/*`. Clients generated from the document and schemathesis reject it. So every body
model with a unique name becomes a component made from pydantic's own schema (sanic-ext refers
to registered components by class name), and the served document is translated to 3.0.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from collections import Counter
from typing import Any

from pydantic import BaseModel
from sanic import Request, Sanic
from sanic.response import HTTPResponse
from sanic_ext.extensions.openapi.builders import OperationStore, SpecificationBuilder

#: JSON Schema keywords OpenAPI 3.0's schema object does not know.
_DROPPED = ("$schema", "examples", "const", "prefixItems", "$defs")


def body_models() -> list[type[BaseModel]]:
    """Every pydantic model with fields declared in a `server.<domain>.schemas` module."""
    import server

    models = []
    for info in pkgutil.iter_modules(server.__path__):
        name = f"server.{info.name}.schemas"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        models += [
            obj
            for obj in vars(module).values()
            if inspect.isclass(obj)
            and issubclass(obj, BaseModel)
            and obj.__module__ == name
            and obj.model_fields
        ]
    return models


#: Set once the components exist; views decorated before that would inline their bodies.
_registered = False


def register_body_schemas() -> None:
    """Make each uniquely named body model a component (call before the views are imported).

    sanic-ext decides between a `$ref` and an inline copy (which loses `required`) when a
    view's decorator runs, at import. A views module imported before the first call would
    serve bodies without their required fields, depending on import order: refuse that.
    """
    global _registered
    if not _registered and any(hasattr(op, "requestBody") for op in OperationStore().values()):
        raise RuntimeError("a view with a request body was imported before the OpenAPI components")
    _registered = True
    models = body_models()
    counts = Counter(model.__name__ for model in models)
    spec = SpecificationBuilder()
    for model in models:
        if counts[model.__name__] > 1:
            # sanic-ext finds components by class name; an ambiguous one stays inline.
            continue
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            spec.add_component("schemas", name, to_openapi30(sub))
        spec.add_component("schemas", model.__name__, to_openapi30(schema))


def to_openapi30(schema: Any) -> Any:
    """A JSON Schema (pydantic's, or sanic-ext's copy of it) as an OpenAPI 3.0 schema object."""
    if isinstance(schema, list):
        return [to_openapi30(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: v for k, v in schema.items() if k not in _DROPPED}
    if "const" in schema:
        out["enum"] = [schema["const"]]
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        value = out.get(exclusive)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[bound], out[exclusive] = value, True
    if isinstance(out.get("properties"), dict):
        out["properties"] = {
            name: to_openapi30(sub)
            for name, sub in out["properties"].items()
            if name != "model_config"
        }
    for key in ("items", "additionalProperties", "not"):
        if isinstance(out.get(key), dict):
            out[key] = to_openapi30(out[key])
    for key in ("allOf", "oneOf", "anyOf"):
        if key in out:
            out[key] = [to_openapi30(sub) for sub in out[key]]
    return _without_null_branch(out)


def _without_null_branch(schema: dict) -> dict:
    """`anyOf: [X, {"type": "null"}]` becomes X with `nullable: true` (3.0 has no null type)."""
    if schema.get("type") == "null":
        return {"nullable": True, "enum": [None]}
    for key in ("anyOf", "oneOf"):
        branches = schema.get(key)
        if not isinstance(branches, list):
            continue
        rest = [b for b in branches if b != {"nullable": True, "enum": [None]}]
        if len(rest) == len(branches):
            continue
        schema = {k: v for k, v in schema.items() if k != key}
        schema["nullable"] = True
        if len(rest) == 1 and "$ref" not in rest[0]:
            # sanic-ext copies type and format beside the anyOf; the branch is the truth.
            for dropped in ("type", "format"):
                schema.pop(dropped, None)
            schema = {**rest[0], **schema}
        elif rest:
            schema[key] = rest
            schema.pop("type", None)
            schema.pop("format", None)
    return schema


#: What every refusal answers (server.common.errors): a stable code and a Chinese message.
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "details": {},
    },
}
ERROR_RESPONSE = {
    "description": "请求被拒绝：error 为错误码，message 为中文说明",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def fix_document(document: dict) -> dict:
    """The served document: inline bodies as JSON, every schema valid 3.0, errors declared."""
    document.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            operation.setdefault("responses", {}).setdefault("4XX", ERROR_RESPONSE)
            content = operation.get("requestBody", {}).get("content")
            if isinstance(content, dict) and "*/*" in content:
                content.setdefault("application/json", content.pop("*/*"))
            for media in (content or {}).values():
                if "schema" in media:
                    media["schema"] = to_openapi30(media["schema"])
            for parameter in operation.get("parameters", []):
                if "schema" in parameter:
                    parameter["schema"] = to_openapi30(parameter["schema"])
    return document


def install(app: Sanic) -> None:
    """Serve the translated document at /docs/openapi.json."""
    path = f"{app.config.OAS_URL_PREFIX.rstrip('/')}/{app.config.OAS_URI_TO_JSON.lstrip('/')}"

    @app.on_response
    async def _openapi30(request: Request, response: HTTPResponse) -> None:
        if request.path != path or response.status != 200:
            return
        document = fix_document(json.loads(response.body))
        response.body = json.dumps(document, ensure_ascii=False).encode()
        response.headers.pop("content-length", None)
