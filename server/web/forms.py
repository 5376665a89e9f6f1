"""The console's forms and queries: sanic-ext's validation, and a form shown again on refusal.

A console handler declares what it reads as a `server.common.params.Params` model:
`@form(Model)` hands it the parsed form as `body`, `@query(Model)` the query string as
`query`. A refusal (Chinese, naming the field) becomes the console's 400 page through
`console.page`; with `again=` it shows the form once more, with the message and what was
typed, as the long forms (activity, pairing, notice) do.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import datetime

from sanic import Request
from sanic.response import HTTPResponse
from sanic_ext import validate

from server.common.errors import DomainError
from server.common.params import Params
from server.common.time import china

#: How a refused form is shown again: (request, refusal, the handler's path arguments).
Again = Callable[..., Awaitable[HTTPResponse]]


def form(model: type[Params], *, again: Again | None = None) -> Callable:
    """Validate the form into `body`; with `again`, a refusal shows the form once more."""

    def decorate(handler: Callable) -> Callable:
        # What the form holds, for whoever reads the handler (tests/security/console_forms.py).
        handler.__form_fields__ = model.field_names()
        validated = validate(form=model)(handler)
        if again is None:
            return validated

        @functools.wraps(handler)
        async def shown_again(request: Request, *args, **kwargs):
            try:
                return await validated(request, *args, **kwargs)
            except DomainError as exc:
                return await again(request, exc, *args, **kwargs)

        return shown_again

    return decorate


def query(model: type[Params]) -> Callable:
    """Validate the query string into `query`."""
    return validate(query=model)


def echo(request: Request) -> dict:
    """The submitted form, one value per field, to show it again with an error."""
    data = request.form or {}
    return {key: data.get(key) for key in data}


def shown(iso: str | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """An ISO time as the console shows it, in China time; blank when there is none."""
    return china(datetime.fromisoformat(iso)).strftime(pattern) if iso else ""
