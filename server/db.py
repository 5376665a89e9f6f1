"""Tortoise ORM configuration: every domain's models plus aerich's."""

from __future__ import annotations

from server.settings import Settings

#: Domain model modules; a new domain adds its models module here.
MODEL_MODULES = [
    "server.orgs.models",
    "server.accounts.models",
    "server.jobs.models",
    "server.activities.models",
    "server.checkin.models",
    "server.archive.models",
    "server.audit.models",
    "server.delivery.models",
    "server.notices.models",
    "server.followers.models",
    "server.reports.models",
    "server.publicity.models",
    "server.certificates.models",
    "server.ledger.models",
]


def tortoise_config(settings: Settings, *, with_aerich: bool = True) -> dict:
    """The dict tortoise and aerich both read."""
    if settings.embedded_database:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    models = list(MODEL_MODULES) + (["aerich.models"] if with_aerich else [])
    connection: str | dict = settings.db_url
    if settings.db_url.startswith("postgres"):
        connection = (
            settings.db_url + ("&" if "?" in settings.db_url else "?") + "minsize=1&maxsize=10"
        )
    return {
        "connections": {"default": connection},
        "apps": {"models": {"models": models, "default_connection": "default"}},
        "use_tz": True,
        "timezone": "Asia/Shanghai",
    }
