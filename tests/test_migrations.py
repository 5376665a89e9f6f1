"""The aerich migrations build the schema the models describe (columns and indexes), on both
backends."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from tortoise import Tortoise

from tests.support import backends

ROOT = Path(__file__).resolve().parent.parent


def _model_columns() -> dict[str, set[str]]:
    """Table -> columns, from the models loaded by the running test app."""
    tables: dict[str, set[str]] = {}
    for app in Tortoise.apps.values():
        for model in app.values():
            meta = model._meta
            if meta.db_table == "aerich":
                continue
            tables[meta.db_table] = set(meta.fields_db_projection.values()) - {
                name
                for name, field in meta.fields_map.items()
                if field.__class__.__name__ in ("BackwardFKRelation", "ManyToManyFieldInstance")
            }
    return tables


def _model_indexes() -> set[tuple[str, str]]:
    """(table, column) of every field its model indexes (`db_index=True`), keys aside."""
    wanted = set()
    for app in Tortoise.apps.values():
        for model in app.values():
            meta = model._meta
            for name, column in meta.fields_db_projection.items():
                field = meta.fields_map[name]
                if field.index and not field.pk and meta.db_table != "aerich":
                    wanted.add((meta.db_table, column))
    return wanted


#: (table, leading column) of every index in the public schema.
_PG_INDEXES = (
    "SELECT t.relname AS table_name, a.attname AS column_name FROM pg_index i "
    "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
    "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = i.indkey[0] "
    "WHERE n.nspname = 'public'"
)


def _sqlite_indexes(db: sqlite3.Connection, table: str) -> set[tuple[str, str]]:
    """(table, leading column) of every index SQLite keeps on `table`."""
    found = set()
    for _, index, *_ in db.execute(f'PRAGMA index_list("{table}")'):
        leading = [r[2] for r in db.execute(f'PRAGMA index_info("{index}")') if r[0] == 0]
        found.update((table, column) for column in leading)
    return found


def _migrate(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "migrate"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_migrations_create_every_model_column(api, tmp_path):
    expected, indexed = _model_columns(), _model_indexes()
    if backends.backend() == "services":
        import asyncpg

        dsn = backends.ADMIN_DSN.replace("postgres://", "postgresql://")
        admin = await asyncpg.connect(dsn)
        await admin.execute("DROP DATABASE IF EXISTS songjiao_migrations")
        await admin.execute("CREATE DATABASE songjiao_migrations")
        await admin.close()
        url = dsn.rsplit("/", 1)[0] + "/songjiao_migrations"
        first = _migrate({"SONGJIAO_DATABASE_URL": url})
        assert first.returncode == 0, first.stderr
        conn = await asyncpg.connect(url)
        rows = await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public'"
        )
        indexes = {(r["table_name"], r["column_name"]) for r in await conn.fetch(_PG_INDEXES)}
        await conn.close()
        actual: dict[str, set[str]] = {}
        for row in rows:
            actual.setdefault(row["table_name"], set()).add(row["column_name"])
        again = _migrate({"SONGJIAO_DATABASE_URL": url})
    else:
        env = {"SONGJIAO_DATA_DIR": str(tmp_path), "SONGJIAO_DATABASE_URL": ""}
        first = _migrate(env)
        assert first.returncode == 0, first.stderr
        db = sqlite3.connect(tmp_path / "songjiao.sqlite3")
        actual, indexes = {}, set()
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'"):
            actual[table] = {r[1] for r in db.execute(f'PRAGMA table_info("{table}")')}
            indexes |= _sqlite_indexes(db, table)
        db.close()
        again = _migrate(env)
    for table, columns in expected.items():
        assert table in actual, f"no migration creates table {table}"
        missing = columns - actual[table]
        assert not missing, f"migrations lack columns {missing} of {table}"
    assert ("account", "person_id") in indexed  # the fan-out's openid lookup (issue 18)
    unindexed = indexed - indexes
    assert not unindexed, f"migrations lack the indexes the models declare: {sorted(unindexed)}"
    assert "已是最新" in again.stdout


def _fill(db: sqlite3.Connection, table: str, **given) -> None:
    """Insert one row, giving every NOT NULL column a placeholder unless given."""
    values = {}
    for _, name, kind, notnull, _default, pk in db.execute(f'PRAGMA table_info("{table}")'):
        if name in given:
            values[name] = given[name]
        elif notnull and not pk:
            numeric = any(t in kind for t in ("INT", "REAL", "BOOL"))
            timely = "TIME" in kind or "DATE" in kind
            values[name] = (
                1 if numeric else "2026-01-01" if timely else "{}" if kind == "JSON" else "x"
            )
    marks = ",".join("?" * len(values))
    db.execute(
        f'INSERT INTO "{table}" ({",".join(values)}) VALUES ({marks})', list(values.values())
    )


@pytest.mark.embedded  # the PostgreSQL migration alters in place; nothing is rebuilt there
def test_sqlite_post_rebuild_keeps_posts_and_their_steps(tmp_path):
    """Migration 6 rebuilds publicity_post on SQLite; existing posts and steps survive it."""
    before = tmp_path / "migrations" / "models"
    before.mkdir(parents=True)
    for path in (ROOT / "server" / "migrations" / "models").glob("[0-5]_*.py"):
        (before / path.name).write_text(path.read_text())
    env = {"SONGJIAO_DATA_DIR": str(tmp_path), "SONGJIAO_DATABASE_URL": ""}
    old = subprocess.run(
        [sys.executable, "-c", _MIGRATE_FROM.format(location=str(before.parent))],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert old.returncode == 0, old.stderr
    db = sqlite3.connect(tmp_path / "songjiao.sqlite3")
    db.execute("PRAGMA foreign_keys=ON")
    _fill(db, "region", id=1, parent_id=None)
    _fill(db, "kindergarten", id=1, region_id=1)
    _fill(db, "activity", id=3, host_id=1, created_by_id=None, pairing_id=None, alliance_id=None)
    _fill(db, "publicity_post", id=7, kindergarten_id=1, activity_id=3, title="旧推文")
    _fill(db, "publicity_post_step", post_id=7, actor_id=None, step="drafted")
    db.commit()
    db.close()
    assert _migrate(env).returncode == 0
    db = sqlite3.connect(tmp_path / "songjiao.sqlite3")
    assert db.execute("SELECT id, kind, title, activity_id FROM publicity_post").fetchall() == [
        (7, "activity", "旧推文", 3)
    ]
    assert db.execute("SELECT post_id, step FROM publicity_post_step").fetchall() == [
        (7, "drafted")
    ]
    # A recap has no activity: the column now takes NULL.
    _fill(db, "publicity_post", id=8, kindergarten_id=1, activity_id=None, kind="recap")
    db.close()


#: Apply the migrations of another folder (the schema as it was before migration 6).
_MIGRATE_FROM = """
import asyncio
from aerich import Command
from server.db import tortoise_config
from server.settings import load_settings
from tortoise import Tortoise

async def main():
    config = tortoise_config(load_settings())
    cmd = Command(tortoise_config=config, app="models", location={location!r})
    await cmd.init()
    await cmd.upgrade(run_in_transaction=True)
    await Tortoise.close_connections()

asyncio.run(main())
"""
