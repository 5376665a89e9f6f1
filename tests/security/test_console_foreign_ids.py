"""The console's forms: another region's or another family's id in a form's path or fields is
answered exactly like an id that does not exist, and changes nothing about the foreign object."""

from __future__ import annotations

import re
import time

import httpx

from server.accounts.models import Account
from server.accounts.web_login import set_password
from tests.security.console_forms import (
    CONSOLE_HINTS,
    ConsoleForm,
    console_forms,
    field_kind,
)
from tests.security.matrix import normalised
from tests.security.world import FOREIGN_MARK, UNKNOWN_ID, World, build_world, watched_rows
from tests.support.factories import unique
from tests.support.http import http_client
from tests.web.console import PASSWORD, page_csrf, password_login

#: Console roles (teachers and parents have no console).
CONSOLE_ROLES = ("organizer", "director", "leader")


async def test_every_console_form_field_is_classified(api):
    unknown = set()
    for form in console_forms(api.app):
        for name in form.fields:
            try:
                field_kind(name)
            except KeyError:
                unknown.add(f"{form.route}: {name}")
        unknown |= {f"{form.route}: <{w}>" for w, values in form.words.items() if not values}
        unknown |= {f"{form.route}: <{p}>" for p in form.path_ids() if not _path_kind(p)}
    assert not unknown, (
        "console form fields the foreign-id matrix does not know (classify them in "
        f"tests/security/console_forms.py): {sorted(unknown)}"
    )


def _path_kind(name: str) -> str | None:
    try:
        return field_kind(name)
    except KeyError:
        return None


def _unknown(kind: str):
    return f"pairing:{UNKNOWN_ID}" if kind == "recap_subject" else UNKNOWN_ID


def _slots(form: ConsoleForm):
    """(where, name, kind) of every id the form takes."""
    for name in form.path_ids():
        yield "path", name, field_kind(name)
    for name in sorted(form.fields):
        kind = field_kind(name)
        if kind:
            yield "form", name, kind


def _request(form: ConsoleForm, words: dict, ids: dict, slot, value, token: str):
    where, name, kind = slot
    url = form.route
    for word, chosen in words.items():
        url = re.sub(rf"<{word}(:[^>]+)?>", chosen, url)
    for path_name in form.path_ids():
        raw = value if (where == "path" and path_name == name) else ids[field_kind(path_name)]
        url = re.sub(rf"<{path_name}(:[^>]+)?>", str(raw), url)
    data = {"csrf_token": token}
    data.update({k: v for k, v in CONSOLE_HINTS.items() if k in form.fields})
    # Every id field the form reads carries the caller's own object, so that the one under
    # test is what the handler refuses (not a form left half empty).
    for other in form.fields:
        kind = field_kind(other)
        if kind and other != "id":
            data[other.replace("{i}", "1")] = str(ids[kind])
    if where == "form":
        data[name.replace("{i}", "1")] = str(value)
    return url, data


#: Parts of a page that change from one request to the next (tokens, nonces, clocks).
_VOLATILE = re.compile(
    r'(content|nonce|value)="[A-Za-z0-9_\-+/=.]{16,}"|\d{1,2}:\d{2}(:\d{2})?|csrf[^"]*"[^"]*"'
)


def _page(resp: httpx.Response) -> tuple:
    text = _VOLATILE.sub("", resp.text)
    return resp.status_code, resp.url.path, text


async def _console_login(client, world: World, role: str) -> httpx.AsyncClient:
    person_id = world.callers[role].person.id
    account = await Account.filter(person_id=person_id).first()
    login = unique(f"matrix-web-{role}-")
    await set_password(account_id=account.id, login=login, password=PASSWORD)
    browser = http_client(base_url=str(client.base_url), timeout=30, follow_redirects=True)
    resp = await password_login(browser, login)
    assert resp.status_code in (200, 303), resp.text
    return browser


async def _walk_role(client, world: World, role: str, forms) -> tuple[list[str], int]:
    """Every id of every form, unknown then foreign, for one console user; the failures."""
    browser = await _console_login(client, world, role)
    failures, calls = [], 0
    try:
        token = await page_csrf(browser, "/console/")
        for form in forms:
            for words in _word_choices(form):
                for slot in _slots(form):
                    kind = slot[2]
                    values = (world.foreign.ids[kind], _unknown(kind))
                    answers = []
                    for value in reversed(values):
                        url, data = _request(form, words, world.own.ids, slot, value, token)
                        answers.append(await browser.post(url, data=data))
                    unknown, foreign = (_page(a) for a in answers)
                    calls += 2
                    where = f"POST {form.route} {words or ''} {slot[0]} {slot[1]} as {role}"
                    if FOREIGN_MARK in answers[1].text:
                        failures.append(f"{where}: the page shows {FOREIGN_MARK}")
                    if normalised(repr(foreign), values) != normalised(repr(unknown), values):
                        failures.append(
                            f"{where}: foreign {foreign[0]} {foreign[1]} ≠ unknown "
                            f"{unknown[0]} {unknown[1]}: {_message(foreign[2])} / "
                            f"{_message(unknown[2])}"
                        )
    finally:
        await browser.aclose()
    return failures, calls


async def test_console_forms_answer_foreign_ids_like_unknown_ones_and_change_nothing(api, client):
    started = time.monotonic()
    world = await build_world(client)
    forms = [f for f in console_forms(api.app) if not f.route.startswith("/console/log")]
    failures, calls = [], 0
    for role in CONSOLE_ROLES:
        found, made = await _walk_role(client, world, role, forms)
        failures += found
        calls += made
    changed = await watched_rows(world) != world.watched
    print(f"console foreign-id matrix: {calls} calls, {time.monotonic() - started:.1f} s")
    assert not failures and not changed, "\n".join(
        [f"{len(failures)} console answers differ from an unknown id's:", *failures]
        + ["rows about foreign objects changed"] * changed
    )


def _word_choices(form: ConsoleForm) -> list[dict]:
    choices = [{}]
    for word, values in form.words.items():
        choices = [{**c, word: v} for c in choices for v in values]
    return choices


def _message(page: str) -> str:
    found = re.search(r'class="(?:flash|error|alert)[^"]*"[^>]*>([^<]{1,120})', page)
    return found.group(1).strip() if found else page[:0]
