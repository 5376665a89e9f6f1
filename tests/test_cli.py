"""The `songjiao` command as a user runs it: serve with demo data, and the sandbox."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.http import http_client
from tests.support.sandbox import read_outbox
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parent.parent


async def _wait_for(url: str, proc) -> httpx.Response:
    async with http_client(timeout=5) as http:
        for _ in range(300):
            if proc.returncode is not None:
                raise AssertionError(f"process exited with {proc.returncode}")
            try:
                return await http.get(url)
            except httpx.TransportError:
                await asyncio.sleep(0.2)
    raise AssertionError(f"{url} never answered")


async def _stop(proc) -> str:
    if proc.returncode is None:
        proc.terminate()
    out = (await asyncio.wait_for(proc.communicate(), timeout=30))[0]
    return out.decode(errors="replace")


async def test_serve_with_demo_runs_the_embedded_default_end_to_end(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "SONGJIAO_DATA_DIR": str(tmp_path),
        "SONGJIAO_PORT": str(port),
        "SONGJIAO_DATABASE_URL": "",
        "SONGJIAO_REDIS_URL": "",
        "SONGJIAO_ENV": "development",
        "SONGJIAO_WECHAT_API_BASE": "",
        "SONGJIAO_WECOM_API_BASE": "",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server.cli",
        "serve",
        "--demo",
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        health = await _wait_for(f"{base}/healthz", proc)
        assert health.json()["database"]["backend"] == "sqlite"
        assert health.json()["wechat"]["base_url"] == f"{base}/_sandbox"
        async with http_client(base_url=base, timeout=15) as http:
            login = await http.post("/api/v1/auth/login", json={"code": "demo-director"})
            assert login.status_code == 200, login.text
            person = login.json()["person"]
            assert person["name"] == "陈婷"
            assert {"director", "teacher"} <= {r["role"] for r in person["roles"]}
            docs = await http.get("/docs")
            assert docs.status_code == 200 and "html" in docs.headers["content-type"]
            spec = (await http.get("/docs/openapi.json")).json()
            assert spec["info"]["title"] == "送教通 API"
            assert "/api/v1/checkins" in spec["paths"]
            assert not any(p.startswith("/_sandbox") for p in spec["paths"])
            outbox = await read_outbox(f"{base}/_sandbox")
            assert any(item["kind"] == "jscode2session" for item in outbox)
    finally:
        out = await _stop(proc)
    assert "送教通已启动" in out
    assert "demo-director" in out and "陈婷" not in out  # the banner names nobody


async def test_sandbox_command_serves_wechat_endpoints_alone(tmp_path):
    port = free_port()
    env = {**os.environ, "SONGJIAO_DATA_DIR": str(tmp_path)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server.cli",
        "sandbox",
        "--port",
        str(port),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        await _wait_for(f"http://127.0.0.1:{port}/sandbox/stats", proc)
        async with http_client(timeout=5) as http:
            resp = await http.post(
                f"http://127.0.0.1:{port}/cgi-bin/stable_token",
                json={
                    "grant_type": "client_credential",
                    "appid": "wx_sandbox_appid",
                    "secret": "dev-only-wechat-secret",
                },
            )
        assert resp.json()["expires_in"] == 7200
    finally:
        await _stop(proc)
