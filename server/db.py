"""Tortoise ORM configuration: every domain's models plus aerich's."""

from __future__ import annotations

from tortoise.backends.base.config_generator import expand_db_url

from server.settings import Settings

#: Every connection of the pool, on PostgreSQL. No JIT: it spends 40–150 ms compiling the
#: reports' short aggregates over check-ins, longer than they run, and nothing else here is
#: costly enough to gain from it. No parallel workers: a report already runs its statements
#: side by side, and the api's requests run beside them; extra workers only fight them for
#: the same cores. Set once per connection, a report's statement needs no transaction of
#: its own to SET LOCAL them (4 round trips instead of 1, issue 18).
POSTGRES_SESSION_SETTINGS = {"jit": "off", "max_parallel_workers_per_gather": "0"}

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


async def keep_session(connection) -> None:
    """What the pool does to a connection given back, beyond asyncpg's own rollback.

    asyncpg's default sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL` on every release, one more round trip for each statement outside a
    transaction (6 % of a fan-out worker's CPU, issue 18). Nothing here leaves session
    state behind: no advisory locks, cursors, LISTEN or SET (the session's settings are
    the connection's own, above); an open transaction is still rolled back by asyncpg
    before this is called.
    """
    return None


def tortoise_config(settings: Settings, *, with_aerich: bool = True) -> dict:
    """The dict tortoise and aerich both read."""
    if settings.embedded_database:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    models = list(MODEL_MODULES) + (["aerich.models"] if with_aerich else [])
    connection: str | dict = settings.db_url
    if settings.db_url.startswith("postgres"):
        connection = expand_db_url(settings.db_url)
        connection["credentials"].update(
            minsize=1,
            maxsize=10,
            server_settings=dict(POSTGRES_SESSION_SETTINGS),
            reset=keep_session,
        )
    return {
        "connections": {"default": connection},
        "apps": {"models": {"models": models, "default_connection": "default"}},
        "use_tz": True,
        "timezone": "Asia/Shanghai",
    }
