"""The one list of console page areas: add a module here to add its pages.

Each area is a module of server/web/views/ with a Blueprint `bp` (its url_prefix is
relative to /console) whose handlers use `console.console_page(*roles)`, and optionally calls
`console.add_nav(NavItem(...))` to appear in the navigation.
"""

from __future__ import annotations

import importlib

from sanic import Blueprint

from server.settings import Settings
from server.web.console import build_console

AREAS = (
    "auth",
    "dashboard",
    "activities",
    "activity_live",
    "activity_checkins",
    "activity_archive",
    "notices",
    "orgs",
    "org_pairings",
    "org_roster",
    "reports",
    "posts",
    "ledger",
    "delivery",
    "follow",
    "certificates",
)
#: Areas that exist only on a sandbox setup (Settings.uses_sandbox): never in production.
SANDBOX_AREAS = ("sandbox_inbox",)


def console_blueprints(settings: Settings) -> list[Blueprint]:
    """Every console blueprint for these settings, ready for app.blueprint()."""
    names = AREAS + (SANDBOX_AREAS if settings.uses_sandbox else ())
    modules = [importlib.import_module(f"server.web.views.{name}") for name in names]
    return build_console(m.bp for m in modules)
