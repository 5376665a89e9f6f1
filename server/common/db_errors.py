"""Recognise a database that is down, or a value it cannot take, whatever the driver says."""

from __future__ import annotations

import sqlite3

from tortoise.exceptions import DBConnectionError

try:  # asyncpg is present in production installs; SQLite-only setups may lack it.
    import asyncpg

    _PG_DOWN: tuple[type[BaseException], ...] = (
        asyncpg.exceptions.CannotConnectNowError,
        asyncpg.exceptions.ConnectionDoesNotExistError,
        asyncpg.exceptions.InterfaceError,
    )
    #: A value PostgreSQL refuses (SQLSTATE class 22: out of range, NUL in text …), and
    #: asyncpg's own refusal of an argument (an InterfaceError, but the database is fine).
    _PG_BAD_VALUE: tuple[type[BaseException], ...] = (
        asyncpg.exceptions.DataError,
        asyncpg.exceptions._base.DataError,
    )
except ImportError:  # pragma: no cover
    _PG_DOWN = ()
    _PG_BAD_VALUE = ()


def is_bad_value(exc: BaseException) -> bool:
    """True when `exc` (or its cause) is the database refusing a value the client sent."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, (OverflowError, *_PG_BAD_VALUE)):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def is_database_down(exc: BaseException) -> bool:
    """True when `exc` (or its cause) means the database cannot be reached."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, (DBConnectionError, ConnectionError, OSError, *_PG_DOWN)):
            return True
        if isinstance(exc, sqlite3.OperationalError) and "unable to open" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False
