"""The console's POST forms and the id fields they read, found from the route handlers' source.

A form field is what a handler's form model holds (`server.web.forms.form(Model)`, a
repeated field as `name_{i}`), or what the handler (or a helper of its module that it calls)
reads with `.get("name")`, `.getlist("name")` or `.get(f"name_{i}")`. Every field read
anywhere in a console view must be classified here: an id field (by FIELD_KINDS, or
CONSOLE_ID_FIELDS for names that do not say `_id`) or a plain one (CONSOLE_PLAIN_FIELDS).
A new field fails test_every_console_form_field_is_classified until someone says which it is.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field

from tests.security.matrix import FIELD_KINDS, is_id_name

#: Console form fields that carry ids without saying `_id`; `{i}` is a row number.
CONSOLE_ID_FIELDS = {
    "presenter_{i}": "person",  # the activity form's presenter rows: a person id each
    "subject": "recap_subject",  # "pairing:3" or "alliance:5"
    "id": "delivery",  # the dead letters ticked for a retry
}
#: Console form and query fields that carry no id.
CONSOLE_PLAIN_FIELDS = {
    "amount", "category", "content_hash", "direction", "donated_on", "item_{i}_category",
    "item_{i}_name", "item_{i}_quantity", "item_{i}_unit", "item_{i}_value", "note_{i}",
    "occurred_on", "outcome_{i}", "purpose", "received_{i}",
    "ack_mode", "address", "agreement_date", "attendee_hours", "audience_mode", "body", "by",
    "capacity", "caption", "channel", "checkins", "comment", "consent", "cycle_end",
    "cycle_start", "deadline", "digest", "ends_at", "expires_in_days", "file", "grades", "html",
    "issues", "kind", "late", "level", "login", "max_uses", "name", "next", "note", "only",
    "page", "password", "person", "plan", "presenter_{i}_class_name", "presenter_{i}_hours",
    "presenter_{i}_subject_area", "presenter_{i}_topic", "publish_at", "published_at", "rate",
    "reason", "role", "scanned_at", "semester", "send", "sent_at", "side", "starts_at",
    "status", "targets", "title", "total", "updated_at", "wechat_sandbox", "whole", "year",
    "key", "csrf_token", "measures", "summary", "reflection", "q", "mode", "step", "t",
    "t_{i}",
    "lat", "lng", "radius_m", "period", "issuer",
}  # fmt: skip
#: Values of path words that are not ids, per route and word (all of them are tried).
CONSOLE_PATH_WORDS = {("/console/posts/<post_id:int>/<action:str>", "action"): "STEPS"}
#: Plausible values for plain fields, so a form is acted on and not refused for its shape.
CONSOLE_HINTS = {
    "title": "矩阵测试",
    "name": "矩阵测试",
    "kind": "送教下乡",
    "level": "村级园",
    "reason": "矩阵测试",
    "comment": "矩阵测试",
    "starts_at": "2027-03-10T09:00",
    "ends_at": "2027-03-10T11:00",
    "cycle_start": "2026-09-01",
    "cycle_end": "2027-07-01",
    "whole": "1",
    "role": "teacher",
    "expires_in_days": "7",
    "max_uses": "1",
}

_READ = re.compile(r"""\.get(?:list)?\(\s*(f?)["']([A-Za-z_{}]+)["']""")
_CALL = re.compile(r"\b(_?[a-z]\w*)\(")


@dataclass
class ConsoleForm:
    """One console POST route, its path words and the form fields its handler reads."""

    route: str  #: /console/activities/<activity_id:int>/edit
    fields: set[str] = field(default_factory=set)
    words: dict[str, list[str]] = field(default_factory=dict)  #: non-id path words' values

    def path_ids(self) -> list[str]:
        """The route's id parameters."""
        return [name for name, _ in _params(self.route) if name not in self.words]


def _params(route: str) -> list[tuple[str, str]]:
    return re.findall(r"<(\w+)(?::([^>]+))?>", route)


def fields_read(function, module, seen: set | None = None) -> set[str]:
    """Form fields a function reads, and those read by the module's functions it calls."""
    seen = seen if seen is not None else set()
    if function in seen:
        return set()
    seen.add(function)
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return set()
    names = {
        re.sub(r"\{\w+\}", "{i}", name) if is_f else name for is_f, name in _READ.findall(source)
    }
    names |= getattr(function, "__form_fields__", set())
    for called in set(_CALL.findall(source)):
        helper = getattr(module, called, None)
        if inspect.isfunction(helper) and helper.__module__ == module.__name__:
            names |= fields_read(helper, module, seen)
    return names


def console_forms(app) -> list[ConsoleForm]:
    """Every POST route under /console with the fields its handler reads."""
    forms = []
    for route in app.router.routes:
        path = "/" + route.path.lstrip("/")
        if not path.startswith("/console/") or "POST" not in route.methods:
            continue
        handler = inspect.unwrap(route.handler)
        module = inspect.getmodule(handler)
        form = ConsoleForm(path, fields_read(handler, module))
        for name, pattern in _params(path):
            if pattern in ("int", ""):
                continue
            if (path, name) in CONSOLE_PATH_WORDS:
                form.words[name] = list(getattr(module, CONSOLE_PATH_WORDS[(path, name)]))
            elif "|" in pattern:
                form.words[name] = pattern.split("|")
            else:
                form.words[name] = []  # unknown: reported by the classification test
        forms.append(form)
    return sorted(forms, key=lambda f: f.route)


def field_kind(name: str) -> str | None:
    """What a console field names, None for a plain field; KeyError when unclassified."""
    if name in CONSOLE_ID_FIELDS:
        return CONSOLE_ID_FIELDS[name]
    if name in CONSOLE_PLAIN_FIELDS:
        return None
    if is_id_name(name) and name in FIELD_KINDS:
        return FIELD_KINDS[name]
    raise KeyError(name)
