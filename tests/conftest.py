"""Shared fixtures: settings per backend, the sandbox and the api on real sockets."""

from __future__ import annotations

import pytest
from sanic import Sanic

from tests.support import backends
from tests.support.http import http_client

Sanic.test_mode = True

JWT_SECRET = "test-jwt-secret-that-is-long-enough-0123456789"
#: Signs the 学时证明 QR codes of the test runs.
CERTIFICATE_SECRET = "test-certificate-secret-long-enough-0123456789"
#: Two WeChat apps, as in production: the mini-program and the 公众号, each with its own token.
MP_APPID, MP_SECRET = "wx_test_appid", "test-wechat-secret"
OA_APPID, OA_SECRET = "wx_test_oa_appid", "test-oa-secret"
#: The 公众号 callback token; the sandbox signs the events it pushes with it.
CALLBACK_TOKEN = "test-callback-token"


def pytest_report_header(config):
    return f"songjiao backend: {backends.backend()}"


def pytest_configure(config):
    config.addinivalue_line("markers", "services: needs real PostgreSQL and Redis")
    config.addinivalue_line(
        "markers", "embedded: runs in the embedded pass only (a second pass adds nothing)"
    )


def pytest_collection_modifyitems(config, items):
    """Each pass leaves the other pass's own tests (services-only, embedded-only) to it."""
    other = "embedded" if backends.backend() == "services" else "services"
    chosen = [i for i in items if i.get_closest_marker(other) is None]
    dropped = [i for i in items if i.get_closest_marker(other) is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = chosen


def pytest_sessionstart(session):
    if backends.backend() != "services":
        return
    missing = [
        name
        for name, host, port in (
            ("PostgreSQL", backends.PG_HOST, backends.PG_PORT),
            ("Redis", backends.REDIS_HOST, backends.REDIS_PORT),
        )
        if not backends.reachable(host, port)
    ]
    if missing:
        raise pytest.UsageError(
            f"SONGJIAO_TEST_BACKEND=services but {', '.join(missing)} cannot be reached "
            "on 127.0.0.1; start them (see README) — services tests are never skipped."
        )


@pytest.fixture(scope="session")
def api_port():
    """The api's loopback port, chosen first: the sandbox is started knowing its callback."""
    from tests.support.servers import free_port

    return free_port()


@pytest.fixture(scope="session")
async def sandbox(api_port):
    """The WeChat sandbox on its own loopback port.

    Its event callback is the api's, fixed at start as in any deployment (no request may
    choose where the sandbox posts); pushing is off until a test turns it on.
    """
    from server.wechat.sandbox import EventPush, create_sandbox_app
    from tests.support.servers import start_server

    app = create_sandbox_app(
        appid=MP_APPID,
        secret=MP_SECRET,
        oa_appid=OA_APPID,
        oa_secret=OA_SECRET,
        name="test_wechat_sandbox",
        event_push=EventPush(
            url=f"http://127.0.0.1:{api_port}/wechat/callback", token=CALLBACK_TOKEN
        ),
        push_events=False,
    )
    server = await start_server(app)
    yield server
    await server.stop()


@pytest.fixture(scope="session")
async def settings(sandbox, tmp_path_factory):
    """Settings of this run's backend, with WeChat pointed at the sandbox."""
    from server.settings import load_settings

    overrides = dict(
        env="test",
        jwt_secret=JWT_SECRET,
        certificate_secret=CERTIFICATE_SECRET,
        wechat_appid=MP_APPID,
        wechat_secret=MP_SECRET,
        oa_appid=OA_APPID,
        oa_secret=OA_SECRET,
        wechat_token=CALLBACK_TOKEN,
        wechat_api_base=sandbox.url,
        wecom_api_base=sandbox.url,
        data_dir=tmp_path_factory.mktemp("data"),
        # Tests run cron jobs themselves, at the moments they choose.
        embedded_cron=False,
        # Not a timed test: on a busy two-core machine a Redis answer took more than 2 s.
        redis_timeout_seconds=30,
    )
    if backends.backend() == "services":
        await backends.recreate_test_database()
        overrides.update(database_url=backends.TEST_DSN, redis_url=backends.TEST_REDIS)
    return load_settings(**overrides)


@pytest.fixture(scope="session")
async def api(settings, api_port):
    """The api on a real loopback port, schema generated (tests only)."""
    from tortoise import Tortoise

    from server.app import create_app
    from tests.support.servers import start_server
    from tests.support.worker import start_job_worker

    app = create_app(settings, name="songjiao_test")
    server = await start_server(app, port=api_port)
    await Tortoise.generate_schemas()
    worker = await start_job_worker(app.ctx.runtime.broker) if not settings.embedded_redis else None
    yield server
    if worker:
        await worker.stop()
    await server.stop()


@pytest.fixture(autouse=True)
async def _clean_state(request):
    """Empty tables, Redis and the sandbox before every test that uses the api."""
    if "api" not in request.fixturenames and "client" not in request.fixturenames:
        yield
        return
    from tests.support.state import reset_all

    api = request.getfixturevalue("api")
    sandbox = request.getfixturevalue("sandbox")
    await reset_all(api.app, sandbox.url)
    yield


#: Seconds a test's request may take. Tests are not timed (bench/ measures speed): on a busy
#: two-core machine a certificate's PDF took more than 15 s, and the test failed (issue 18).
REQUEST_TIMEOUT_S = 120


@pytest.fixture
async def client(api):
    """An httpx client talking to the api over HTTP."""
    async with http_client(base_url=api.url, timeout=REQUEST_TIMEOUT_S) as http:
        yield http


@pytest.fixture
async def sandbox_client(sandbox):
    """An httpx client for the sandbox's control endpoints."""
    async with http_client(base_url=sandbox.url, timeout=REQUEST_TIMEOUT_S) as http:
        yield http
