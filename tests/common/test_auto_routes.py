"""sanic-ext's HEAD and OPTIONS routes go in with one finalization of the signal router.

Each of the ~490 routes sanic-ext adds at start used to finalize the signal router again,
14 s of a worker's start (server/common/auto_routes.py, sanic-org/sanic#3087).
"""

from __future__ import annotations

import httpx
from sanic import Sanic, json
from sanic_ext import Extend

from server.common.auto_routes import add_auto_routes_at_once
from tests.support.http import http_client
from tests.support.servers import start_server

ROUTES = 40


def _app(name: str, *, at_once: bool) -> tuple[Sanic, list[int]]:
    app = Sanic(name)
    Extend(app)
    if at_once:
        add_auto_routes_at_once(app)
    for i in range(ROUTES):
        app.add_route(lambda request, i=i: json({"route": i}), f"/r{i}", name=f"r{i}")
    finalized: list[int] = []
    finalize = app.signal_router.finalize

    def counted(*args, **kwargs):
        finalized.append(1)
        return finalize(*args, **kwargs)

    app.signal_router.finalize = counted
    return app, finalized


async def _answers(app: Sanic) -> tuple[httpx.Response, httpx.Response, httpx.Response]:
    """GET, HEAD and OPTIONS of one route, the app served for them and stopped after."""
    server = await start_server(app)
    try:
        async with http_client(base_url=server.url) as http:
            return await http.get("/r7"), await http.head("/r7"), await http.options("/r7")
    finally:
        await server.stop()


async def test_the_signal_router_is_finalized_once_however_many_routes_are_added():
    app, finalized = _app("auto_routes_at_once", at_once=True)
    get, head, options = await _answers(app)
    # Sanic's own finalization at start, then ours after sanic-ext's listener.
    assert len(finalized) <= 2, len(finalized)
    assert get.status_code == 200 and get.json() == {"route": 7}
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"]
    assert options.status_code == 204
    assert set(options.headers["allow"].split(",")) == {"GET", "HEAD", "OPTIONS"}


async def test_without_it_every_added_route_finalizes_the_signal_router_again():
    # The cost the listeners remove, so that the test above cannot pass by accident.
    app, finalized = _app("auto_routes_one_by_one", at_once=False)
    _, head, options = await _answers(app)
    assert len(finalized) > 2 * ROUTES
    assert head.status_code == 200 and options.status_code == 204


def test_the_api_brackets_sanic_exts_listener_with_both(settings):
    from server.app import create_app

    app = create_app(settings, name="auto_routes_api")
    # Sanic runs a start listener of higher priority first.
    by_name = {f.listener.__name__: f.priority for f in app._future_listeners}
    assert by_name["_hold_signals"] > by_name["_add_handlers"] > by_name["_finalize_signals"]
