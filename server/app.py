"""Build the Sanic application: blueprints, listeners, auth middleware, errors."""

from __future__ import annotations

import asyncio
import logging

from sanic import Request, Sanic
from sanic_ext import Extend

from server.common import openapi
from server.common.auth import read_access_token
from server.common.auto_routes import add_auto_routes_at_once
from server.common.errors import DomainError, handle_error
from server.common.input_guard import refuse_malformed_input
from server.common.logging import configure_logging
from server.jobs.broker import build_broker
from server.jobs.embedded import start_embedded_scheduler, stop_embedded_scheduler
from server.jobs.running import running_jobs
from server.lifecycle import close_runtime, open_runtime
from server.metrics.views import PATH as METRICS_PATH
from server.metrics.views import install as install_metrics
from server.settings import SANDBOX_PREFIX, Settings, load_settings
from server.stopping import CONNECTIONS_GRACE_S, JOBS_GRACE_S, close_connection_after

log = logging.getLogger("songjiao")


def create_app(settings: Settings | None = None, *, name: str = "songjiao") -> Sanic:
    """The api application for `settings` (loaded from config and environment if None)."""
    settings = settings or load_settings()
    settings.check_secrets()
    settings.check_wechat_bases()
    configure_logging()
    app = Sanic(name)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.config.REQUEST_MAX_SIZE = (settings.max_upload_mb + 1) * 1024 * 1024
    app.config.OAS_UI_DEFAULT = "swagger"
    app.config.OAS_URL_PREFIX = "/docs"
    app.config.API_TITLE = "送教通 API"
    app.config.API_VERSION = "1.0"
    app.config.API_DESCRIPTION = "结对帮扶与送教下乡：小程序与管理后台的接口"
    app.config.CORS = False
    # A client's address (rate limits) comes from X-Forwarded-For only as written by the
    # trusted proxies in front (nginx appends the peer it saw); never REAL_IP_HEADER, which
    # a client reaching the api directly could set.
    app.config.PROXIES_COUNT = settings.proxies_count
    # Open requests get this long to finish when the process stops (Sanic's default 15 s
    # and the jobs' grace after it would overrun the 10 s that systemd and docker give).
    app.config.GRACEFUL_SHUTDOWN_TIMEOUT = CONNECTIONS_GRACE_S
    Extend(app)
    add_auto_routes_at_once(app)  # a worker's start: 14 s → about 1 s
    openapi.install(app)

    _register_blueprints(app, settings)
    app.error_handler.add(Exception, handle_error)

    @app.before_server_start
    async def _open(app: Sanic) -> None:
        # The process's resources are reached through current() (server/common/runtime.py);
        # app.ctx keeps the runtime only to close it, and this server's own stopping flag.
        broker = build_broker(settings)
        app.ctx.runtime = await open_runtime(settings, broker=broker)
        app.ctx.stopping = asyncio.Event()  #: set when the process begins to stop
        await broker.startup()
        app.ctx.cron = None
        if settings.embedded_redis and settings.embedded_cron:
            app.ctx.cron = await start_embedded_scheduler(broker)

    @app.before_server_stop
    async def _stopping(app: Sanic) -> None:
        app.ctx.stopping.set()  # live boards end; answers close their connections

    @app.on_response
    async def _close_when_stopping(request: Request, response) -> None:
        if request.app.ctx.stopping.is_set():
            close_connection_after(request)

    @app.after_server_stop
    async def _close(app: Sanic) -> None:
        # The open requests were answered (or cut after CONNECTIONS_GRACE_S). Then the work
        # they left running here: cron first (no new jobs), then the jobs and the bot's
        # deferred answers, before the database, Redis and WeChat client they use close.
        from bots.official_account import background

        await stop_embedded_scheduler(app.ctx.cron)
        await asyncio.gather(
            running_jobs(app.ctx.runtime.broker).drain(seconds=JOBS_GRACE_S),
            background.stop(seconds=JOBS_GRACE_S),
        )
        await app.ctx.runtime.broker.shutdown()
        await close_runtime(app.ctx.runtime)

    @app.on_request
    async def _authenticate(request: Request) -> None:
        request.ctx.principal = None
        header = request.headers.get("authorization", "")
        if not header or request.path == METRICS_PATH:
            # /metrics carries its own bearer token (SONGJIAO_METRICS_TOKEN), not a login.
            return
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise DomainError("token_invalid", "登录凭证格式不正确")
        principal = read_access_token(token.strip(), secret=settings.jwt_secret)
        from server.accounts.service import current_principal

        request.ctx.principal = await current_principal(principal=principal)

    app.on_request(refuse_malformed_input)
    from server.web.console import console_headers

    app.on_response(console_headers)  # /console answers no console route made (404, 405)

    # After the runtime listeners: its flusher starts once Redis is open and stops first.
    install_metrics(app)
    return app


def _register_blueprints(app: Sanic, settings: Settings) -> None:
    # Before the views are imported: their bodies then refer to these components.
    openapi.register_body_schemas()
    from bots.official_account.views import bp as official_account_bp
    from server.accounts.views import bp as accounts_bp
    from server.activities.views import blueprints as activity_blueprints
    from server.archive.views import bp as archive_bp
    from server.certificates.views import blueprints as certificate_blueprints
    from server.checkin.views import bp as checkin_bp
    from server.delivery.views import bp as delivery_bp
    from server.followers.views import bp as followers_bp
    from server.jobs.views import bp as jobs_bp
    from server.ledger.views import bp as ledger_bp
    from server.metrics.views import bp as metrics_bp
    from server.notices.views import bp as notices_bp
    from server.orgs.roster_views import bp as roster_bp
    from server.orgs.views import blueprints as org_blueprints
    from server.publicity.views import bp as publicity_bp
    from server.reports.views import bp as reports_bp
    from server.system.views import bp as system_bp
    from server.web.areas import console_blueprints

    app.blueprint(system_bp)
    app.blueprint(metrics_bp)
    app.blueprint(accounts_bp)
    app.blueprint(jobs_bp)
    for bp in org_blueprints:
        app.blueprint(bp)
    app.blueprint(roster_bp)
    for bp in activity_blueprints:
        app.blueprint(bp)
    app.blueprint(archive_bp)
    app.blueprint(checkin_bp)
    app.blueprint(reports_bp)
    app.blueprint(delivery_bp)
    app.blueprint(followers_bp)
    app.blueprint(notices_bp)
    app.blueprint(publicity_bp)
    for bp in certificate_blueprints:
        app.blueprint(bp)
    app.blueprint(ledger_bp)
    app.blueprint(official_account_bp)
    for bp in console_blueprints(settings):
        app.blueprint(bp)
    # check_wechat_bases() refused any other environment already; this says it again here.
    if settings.uses_embedded_sandbox and settings.env == "development":
        from server.wechat.sandbox import create_sandbox_blueprint, embedded_event_push

        # The sandbox stands in for WeChat; its routes stay out of our API document.
        app.blueprint(
            create_sandbox_blueprint(
                appid=settings.wechat_appid,
                secret=settings.wechat_secret,
                oa_appid=settings.official_account_appid,
                oa_secret=settings.official_account_secret,
                url_prefix=SANDBOX_PREFIX,
                event_push=embedded_event_push(settings),
            )
        )
