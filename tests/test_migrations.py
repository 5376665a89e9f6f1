"""The aerich migrations build the schema the models describe, on both backends."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

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
    expected = _model_columns()
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
        actual = {}
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'"):
            actual[table] = {r[1] for r in db.execute(f'PRAGMA table_info("{table}")')}
        db.close()
        again = _migrate(env)
    for table, columns in expected.items():
        assert table in actual, f"no migration creates table {table}"
        missing = columns - actual[table]
        assert not missing, f"migrations lack columns {missing} of {table}"
    assert "已是最新" in again.stdout
