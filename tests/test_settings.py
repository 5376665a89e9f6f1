"""Settings: defaults, environment overrides, and refusing default secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from server.settings import DEV_SECRETS, InsecureSettings, load_settings

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
        certificate_secret="c" * 40,
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


# ---- two WeChat apps: the mini-program and the 公众号 ----------------------------------------


def test_official_account_defaults_to_the_mini_program_app():
    settings = load_settings(wechat_appid="wx_mini", wechat_secret="mini-secret")
    assert settings.official_account_appid == "wx_mini"
    assert settings.official_account_secret == "mini-secret"
    assert not settings.two_wechat_apps


def test_official_account_app_of_its_own():
    settings = load_settings(wechat_appid="wx_mini", oa_appid="wx_oa", oa_secret="oa-secret")
    assert (settings.official_account_appid, settings.official_account_secret) == (
        "wx_oa",
        "oa-secret",
    )
    assert settings.two_wechat_apps


@pytest.mark.parametrize(
    ("given", "missing"),
    [({"oa_appid": "wx_oa"}, "SONGJIAO_OA_SECRET"), ({"oa_secret": "s"}, "SONGJIAO_OA_APPID")],
)
def test_oa_appid_and_oa_secret_go_together(given, missing):
    with pytest.raises(ValidationError) as err:
        load_settings(**given)
    assert "须同时设置" in str(err.value) and missing in str(err.value)


def test_oa_appid_from_the_environment_needs_oa_secret(monkeypatch):
    monkeypatch.setenv("SONGJIAO_OA_APPID", "wx_oa")
    with pytest.raises(ValidationError):
        load_settings()
    monkeypatch.setenv("SONGJIAO_OA_SECRET", "oa-secret")
    assert load_settings().official_account_appid == "wx_oa"


@pytest.mark.parametrize("env", ["production", "test"])
def test_default_secret_as_oa_secret_is_refused_outside_development(env):
    settings = load_settings(
        env=env,
        jwt_secret="x" * 40,
        certificate_secret="c" * 40,
        wechat_secret="real-secret",
        wechat_token="real-token",
        oa_appid="wx_oa",
        oa_secret=DEV_SECRETS["wechat_secret"],
    )
    with pytest.raises(InsecureSettings) as err:
        settings.check_secrets()
    assert "拒绝启动" in str(err.value) and "Refusing to start" in str(err.value)
    assert "SONGJIAO_OA_SECRET" in str(err.value)
    assert "SONGJIAO_WECHAT_SECRET" not in str(err.value)


def test_strong_oa_secret_is_accepted_in_production():
    load_settings(
        env="production",
        jwt_secret="x" * 40,
        certificate_secret="c" * 40,
        wechat_secret="real-secret",
        wechat_token="real-token",
        oa_appid="wx_oa",
        oa_secret="real-oa-secret",
    ).check_secrets()


async def test_one_app_makes_one_client_two_apps_two():
    import fakeredis

    from server.lifecycle import make_wechat_clients

    redis = fakeredis.FakeAsyncRedis()
    mini, official = make_wechat_clients(load_settings(), redis=redis)
    assert official is mini
    both = load_settings(wechat_appid="wx_mini", oa_appid="wx_oa", oa_secret="oa-secret")
    mini, official = make_wechat_clients(both, redis=redis)
    assert (mini.appid, official.appid) == ("wx_mini", "wx_oa")
    await redis.aclose()


async def test_the_api_reaches_the_official_account_through_its_own_client(api, settings):
    from server.common.runtime import current

    runtime = current()
    assert runtime is api.app.ctx.runtime
    assert runtime.wechat.appid == settings.wechat_appid
    assert runtime.official_account.appid == settings.oa_appid != settings.wechat_appid
