"""sanic-ext's automatic HEAD and OPTIONS routes, added with one finalization of the signals.

sanic-ext answers HEAD on every GET route and OPTIONS on every path by adding a route for
each in a `before_server_start` listener (`add_auto_handlers`, priority
`sanic_ext.config.PRIORITY`). Each `add_route` made once the app has started runs inside
`Sanic.amend()`, which renders and compiles the signal router again on the way out: about
490 times for this api. That was 94 % of a worker's start, 14 s on this machine's two
cores before it answered "Worker ready" (py-spy), paid by every api process, at every
start and restart (sanic-org/sanic#3087, not fixed upstream).

The two listeners here run just before and just after sanic-ext's: the first takes the
signal router out of its finalized state, so that `amend()` leaves it alone while the
routes go in, and the second finalizes it once, as `amend()` itself would.
"""

from __future__ import annotations

from sanic import Sanic
from sanic_ext.config import PRIORITY


def add_auto_routes_at_once(app: Sanic) -> None:
    """Register the two listeners around sanic-ext's on `app` (call after `Extend(app)`)."""

    @app.before_server_start(priority=PRIORITY + 1)
    def _hold_signals(app: Sanic) -> None:
        # Higher priorities run first. The dispatch now running has its handlers in hand.
        if app.signal_router.finalized:
            app.signal_router.reset()

    @app.before_server_start(priority=PRIORITY - 1)
    def _finalize_signals(app: Sanic) -> None:
        if not app.signal_router.finalized:
            app.signalize(bool(app.config.TOUCHUP))
