"""Settings: defaults, environment overrides, and refusing default secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.settings import InsecureSettings, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_no_database_url_means_embedded_sqlite_under_data_dir(tmp_path):
    settings = load_settings(data_dir=tmp_path, database_url="", redis_url="")
    assert settings.embedded_database and settings.embedded_redis
    assert settings.db_url == f"sqlite://{tmp_path / 'songjiao.sqlite3'}"
    assert settings.wechat_base == "http://127.0.0.1:8000/_sandbox"


def test_environment_overrides_the_config_file(monkeypatch):
    monkeypatch.setenv("SONGJIAO_PORT", "9100")
    monkeypatch.setenv("SONGJIAO_DATABASE_URL", "postgresql://u@db:5432/sj")
    settings = load_settings()
    assert settings.port == 9100
    assert settings.db_url == "postgres://u@db:5432/sj"


def test_development_accepts_default_secrets():
    load_settings(env="development").check_secrets()


@pytest.mark.parametrize("env", ["production", "test"])
def test_default_secret_is_refused_outside_development(env):
    with pytest.raises(InsecureSettings) as err:
        load_settings(env=env).check_secrets()
    assert "拒绝启动" in str(err.value) and "Refusing to start" in str(err.value)
    assert "SONGJIAO_JWT_SECRET" in str(err.value)


def test_strong_secrets_are_accepted_in_production():
    load_settings(
        env="production",
        jwt_secret="x" * 40,
        wechat_secret="real-secret",
        wechat_token="real-token",
    ).check_secrets()


def test_server_refuses_to_start_with_default_secret_and_says_why(tmp_path):
    env = {**os.environ, "SONGJIAO_ENV": "production", "SONGJIAO_DATA_DIR": str(tmp_path)}
    env.pop("SONGJIAO_JWT_SECRET", None)
    proc = subprocess.run(
        [sys.executable, "-m", "server.cli", "serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 3
    assert "拒绝启动" in proc.stderr and "Refusing to start" in proc.stderr
