"""Apply aerich migrations (the same files on SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from aerich import Command
from tortoise import Tortoise

from server.db import tortoise_config
from server.settings import Settings

LOCATION = Path(__file__).resolve().parent / "migrations"


async def apply_migrations(settings: Settings) -> list[str]:
    """Bring the database schema up to date; returns the versions applied."""
    command = Command(
        tortoise_config=tortoise_config(settings), app="models", location=str(LOCATION)
    )
    try:
        await command.init()
        return await command.upgrade(run_in_transaction=True)
    finally:
        await Tortoise.close_connections()
