"""Production never runs on the WeChat sandbox.

Outside development the server refuses to start without real WeChat base URLs and says, in
Chinese, which setting is missing; with them it mounts neither the sandbox (/_sandbox: its
outbox holds every login code) nor the console's sandbox inbox.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from server.settings import InsecureSettings, load_settings
from tests.support.http import http_client
from tests.support.servers import free_port
from tests.web.console import password_login

ROOT = Path(__file__).resolve().parent.parent
STRONG = {
    "jwt_secret": "production-jwt-secret-0123456789-abcdefghij",
    "certificate_secret": "production-certificate-secret-0123456789-abc",
    "wechat_secret": "real-wechat-secret",
    "wechat_token": "real-callback-token",
}
REAL_BASES = {
    "wechat_api_base": "https://api.weixin.qq.com",
    "wecom_api_base": "https://qyapi.weixin.qq.com",
}


def _env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """A production environment with strong secrets on the embedded stores in tmp_path."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SONGJIAO_") or key == "SONGJIAO_TEST_SLOT"
    }
    env.update(
        SONGJIAO_ENV="production",
        SONGJIAO_DATA_DIR=str(tmp_path),
        SONGJIAO_DATABASE_URL="",
        SONGJIAO_REDIS_URL="",
        **{f"SONGJIAO_{key.upper()}": value for key, value in {**STRONG, **settings}.items()},
    )
    return env


@pytest.mark.parametrize("env", ["production", "test"])
@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({}, ["SONGJIAO_WECHAT_API_BASE", "SONGJIAO_WECOM_API_BASE"]),
        ({"wecom_api_base": REAL_BASES["wecom_api_base"]}, ["SONGJIAO_WECHAT_API_BASE"]),
        ({"wechat_api_base": REAL_BASES["wechat_api_base"]}, ["SONGJIAO_WECOM_API_BASE"]),
    ],
)
def test_outside_development_the_wechat_bases_are_required(env, given, missing):
    settings = load_settings(env=env, **STRONG, **given)
    settings.check_secrets()  # the secrets are fine: the bases alone are refused
    with pytest.raises(InsecureSettings) as err:
        settings.check_wechat_bases()
    message = str(err.value)
    assert message.startswith("拒绝启动") and "微信接口地址" in message and "沙箱" in message
    for name in missing:
        assert name in message
    for name in {"SONGJIAO_WECHAT_API_BASE", "SONGJIAO_WECOM_API_BASE"} - set(missing):
        assert name not in message


def test_development_may_run_on_the_embedded_sandbox():
    load_settings(env="development", wechat_api_base="", wecom_api_base="").check_wechat_bases()


def test_the_app_factory_refuses_production_without_wechat_bases():
    from server.app import create_app

    settings = load_settings(env="production", **STRONG, wechat_api_base="", wecom_api_base="")
    with pytest.raises(InsecureSettings) as err:
        create_app(settings, name="songjiao_prod_refused")
    assert "SONGJIAO_WECHAT_API_BASE" in str(err.value)


def test_a_production_app_has_no_sandbox_routes():
    from server.app import create_app

    settings = load_settings(env="production", **STRONG, **REAL_BASES)
    app = create_app(settings, name="songjiao_prod_routes")
    paths = {"/" + route.path.lstrip("/") for route in app.router.routes}
    assert not any(p.startswith("/_sandbox") for p in paths)
    assert not any("sandbox" in p for p in paths), sorted(p for p in paths if "sandbox" in p)
    assert "wechat_sandbox" not in app.blueprints
    assert "/console/delivery" in paths  # the console itself is there


@pytest.mark.parametrize("command", ["serve", "worker", "scheduler"])
def test_the_command_refuses_production_without_wechat_bases_and_says_which(tmp_path, command):
    env = _env(tmp_path, wechat_api_base="", wecom_api_base=REAL_BASES["wecom_api_base"])
    proc = subprocess.run(
        [sys.executable, "-m", "server.cli", command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "拒绝启动" in proc.stderr and "SONGJIAO_WECHAT_API_BASE" in proc.stderr
    assert "SONGJIAO_WECOM_API_BASE" not in proc.stderr


def test_the_standalone_sandbox_refuses_to_run_in_production(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "server.cli", "sandbox", "--port", str(free_port())],
        cwd=ROOT,
        env=_env(tmp_path, **REAL_BASES),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 3 and "拒绝启动" in proc.stderr and "沙箱" in proc.stderr


async def _wait_for(url: str, proc) -> None:
    async with http_client(timeout=5) as http:
        for _ in range(300):
            if proc.returncode is not None:
                out = (await proc.communicate())[0].decode(errors="replace")
                raise AssertionError(f"process exited with {proc.returncode}:\n{out}")
            try:
                await http.get(url)
                return
            except httpx.TransportError:
                await asyncio.sleep(0.2)
    raise AssertionError(f"{url} never answered")


async def test_production_serves_neither_the_sandbox_nor_its_console_inbox(tmp_path):
    port = free_port()
    env = _env(tmp_path, **REAL_BASES, port=str(port))
    admin = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "server.cli", "create-admin"),
        *("--name", "管理员", "--login", "root"),
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    said = (await asyncio.wait_for(admin.communicate(b"correct-horse-battery\n"), 120))[0]
    assert admin.returncode == 0, said.decode(errors="replace")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server.cli",
        "serve",
        "--no-migrate",
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await _wait_for(f"{base}/healthz", proc)
        async with http_client(base_url=base, timeout=15) as http:
            for method, path in (
                ("GET", "/_sandbox/sandbox/outbox"),
                ("POST", "/_sandbox/sandbox/event_push"),
                ("POST", "/_sandbox/sandbox/reset"),
                ("POST", "/_sandbox/sandbox/faults"),
                ("POST", "/_sandbox/sns/jscode2session"),
            ):
                answer = await http.request(method, path, json={})
                assert answer.status_code == 404, (method, path, answer.status_code)
            logged_in = await password_login(http, "root", "correct-horse-battery")
            assert logged_in.status_code == 303, logged_in.text
            delivery = await http.get("/console/delivery")
            assert delivery.status_code == 200 and "消息投递" in delivery.text
            assert "沙箱收件箱" not in delivery.text and "sandbox-inbox" not in delivery.text
            inbox = await http.get("/console/sandbox-inbox")
            assert inbox.status_code == 404
    finally:
        if proc.returncode is None:
            proc.terminate()
        out = (await asyncio.wait_for(proc.communicate(), timeout=30))[0]
        print(out.decode(errors="replace"))
