"""Parameterised SQL that runs on both PostgreSQL and SQLite.

Values always travel as parameters. The one dialect difference that matters here is
time: PostgreSQL compares timestamptz natively, while tortoise stores SQLite datetimes
as text with the offset they were given (``2026-01-31 23:30:00+08:00``), so SQLite
columns are normalised to UTC text with strftime before comparing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime

from tortoise import connections


class Sql:
    """Collects parameters while a query is written: `$n` for asyncpg, `?n` for SQLite.

    Placeholders are numbered on both, so a fragment may appear twice in one query.
    """

    def __init__(self, dialect: str):
        self.postgres = dialect == "postgres"
        self.values: list = []

    def p(self, value: object) -> str:
        """A placeholder for `value` (each use is a new parameter)."""
        if isinstance(value, datetime) and not self.postgres:
            value = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:23]
        self.values.append(value)
        return f"${len(self.values)}" if self.postgres else f"?{len(self.values)}"

    def ts(self, column: str) -> str:
        """A datetime column, comparable with `p(datetime)` values."""
        if self.postgres:
            return column
        return f"strftime('%Y-%m-%d %H:%M:%f', {column})"

    def in_(self, column: str, values: Iterable[object]) -> str:
        """`column IN (…)`; an empty list matches nothing."""
        items = list(values)
        if not items:
            return "1 = 0"
        return f"{column} IN ({', '.join(self.p(v) for v in items)})"

    def between(self, column: str, since: datetime, until: datetime) -> str:
        """since <= column < until."""
        col = self.ts(column)
        return f"{col} >= {self.p(since)} AND {col} < {self.p(until)}"


def dialect() -> str:
    """'postgres' or 'sqlite', the default connection's dialect."""
    return connections.get("default").capabilities.dialect


def new_sql() -> Sql:
    """A builder for the default connection."""
    return Sql(dialect())


async def fetch(sql: Sql, text: str) -> list[dict]:
    """Run a query written with `sql` and return its rows as dicts.

    On PostgreSQL the pool's connections run without JIT and parallel workers
    (server/db.py, POSTGRES_SESSION_SETTINGS), which the statements over check-ins need.
    Each statement is planned for its own values: it goes as the unnamed statement, not
    through asyncpg's cache of named ones. A cached statement run a sixth time on one
    connection may be given PostgreSQL's generic plan, which does not know the window or
    the ids (issue 18: 集中培训 for one county, 24 ms planned for its values, 110 ms
    generic; the county report went from about 55 to 165 ms whenever that happened).
    """
    client = connections.get("default")
    if not sql.postgres:
        return await client.execute_query_dict(text, sql.values)
    async with client.acquire_connection() as connection:
        client.log.debug("%s: %s", text, sql.values)  # as tortoise logs its own statements
        statement = await connection.prepare(text, name="")
        return [dict(row) for row in await statement.fetch(*sql.values)]


async def added_up(
    parts: int, read: Callable[[int], Awaitable[list[dict]]], fields: tuple[str, ...]
) -> dict:
    """Runs read(0) … read(parts - 1) side by side (each on a connection of its own) and adds
    up `fields` per row `id`. The parts must share the rows out so that no count is in two
    (attendance_counts._reached by person, target_counts.trainings_attended by time)."""
    out: dict = {}
    for rows in await asyncio.gather(*(read(part) for part in range(parts))):
        for r in rows:
            sums = out.setdefault(r["id"], dict.fromkeys(fields, 0))
            for field in fields:
                sums[field] += int(r[field])
    return out
