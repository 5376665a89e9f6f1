"""Logging setup that keeps personal data out of the logs."""

from __future__ import annotations

import logging

#: These libraries print SQL parameters or URLs (names, phones, tokens) at DEBUG.
QUIET_LOGGERS = ("tortoise", "tortoise.db_client", "aiosqlite", "asyncpg", "httpcore")


def configure_logging(*, debug: bool = False) -> None:
    """Our loggers at INFO (DEBUG if asked); chatty libraries never below WARNING."""
    logging.getLogger("songjiao").setLevel(logging.DEBUG if debug else logging.INFO)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
