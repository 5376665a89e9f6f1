"""How the processes stop: within 10 s of SIGTERM or SIGINT, in-flight work done, no child left.

The budget of one api worker, from the signal: open requests get CONNECTIONS_GRACE_S to
finish (live boards end at once, their browsers reconnect), then the jobs running in the
process get JOBS_GRACE_S, then whatever is left is cancelled and the connections close.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from functools import partial
from typing import Any, NoReturn

#: Seconds an api worker waits for its open requests before closing their connections.
CONNECTIONS_GRACE_S = 5.0
#: Seconds a process waits for the jobs it is running before cancelling them (they are
#: idempotent: an unacknowledged one is run again by another worker; a delivery left
#: midway is taken up by the sweeper).
JOBS_GRACE_S = 3.0
#: A `songjiao worker` has no connections to drain: its jobs get longer. Its manager
#: passes a signal on within a second; closing the database and Redis takes the rest.
WORKER_JOBS_GRACE_S = 5.0
WORKER_CLOSE_S = 2.5
#: How often a stop that came during an api worker's start looks again whether it serves.
STOP_RETRY_S = 0.05


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def interrupt_on_sigterm() -> None:
    """Make SIGTERM stop this process like Ctrl-C, unwinding `finally` blocks.

    By default SIGTERM ends Python at once: during the api's start-up that leaves Sanic's
    manager process (a multiprocessing server) running without a parent.
    """
    signal.signal(signal.SIGTERM, _interrupt)


def use_stoppable_worker_manager() -> None:
    """Have `Sanic.serve` run StoppableWorkerManager instead of Sanic's WorkerManager."""
    import sanic.mixins.startup as startup

    startup.WorkerManager = _stoppable_manager_class()


def exit_now(code: int) -> NoReturn:
    """End this process without Python's teardown, once it has stopped and closed all.

    Tearing down the interpreter of a process that imported the whole app frees every
    object one by one: 0.3 s of CPU on a quiet machine, several seconds on a loaded one,
    all of it after the work is done. Logs and output are flushed first.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _serve_then_exit(serve: Any, **kwargs: Any) -> None:
    # A Sanic worker process: its server stopped and closed everything ("Worker complete").
    try:
        serve(**kwargs)
    except KeyboardInterrupt:
        # Ctrl-C reached this worker from the terminal while it was still starting, before
        # its loop took the signals over: it has served nothing, so it ends here, quietly,
        # instead of printing a traceback of whatever start-up step it interrupted.
        logging.getLogger("songjiao").info("启动中收到停止信号，进程已退出")
    exit_now(0)


def _stoppable_manager_class() -> type:
    from sanic.log import logger
    from sanic.worker.manager import MonitorCycle, WorkerManager

    class StoppableWorkerManager(WorkerManager):
        """Sanic's WorkerManager that obeys a stop signal received during start-up.

        Sanic 25.12's manager waits for every worker's "ready" before it reads its own
        stop message; a SIGTERM or SIGINT that arrives first sets each worker's state to
        TERMINATED, so that wait never ends: the main process spins at full CPU with its
        manager child alive until it is killed (sanic-org/sanic#2997, fix proposed in
        sanic-org/sanic#3063). Once stopping, nobody needs the workers to be ready.

        Its worker processes end with exit_now() once served.

        Its signal handler only notes the stop; the manager's own loop stops the workers
        at its next turn (within 0.1 s). Sanic's handler stopped them itself, writing each
        worker's state through the multiprocessing Manager's proxy; Python runs a handler
        in the main thread between two steps of whatever it interrupts, and that thread
        reads the same proxy every tenth of a second (while it waits for the workers'
        "ready", and after). A signal that landed inside such a read sent the handler's
        request on the same connection: each call read the other's answer ("'list' object
        is not a mapping", then "'str' object has no attribute 'get'"), and the server
        exited with status 1 after Ctrl-C on a busy machine (issue 18, tests/test_stop.py).
        """

        def __init__(self, number: int, serve: Any, *args: Any, **kwargs: Any) -> None:
            super().__init__(number, partial(_serve_then_exit, serve), *args, **kwargs)
            self._stop_requested = False

        def shutdown_signal(self, signal_number: int, frame: Any) -> None:
            if self._shutting_down:
                super().shutdown_signal(signal_number, frame)  # a second stop kills, as Sanic's
                return
            if not self._stop_requested:
                logger.info(
                    "Received signal %s. Shutting down.", signal.Signals(signal_number).name
                )
            self._stop_requested = True

        def _poll_monitor(self) -> Any:
            if self._stop_requested:
                return MonitorCycle.BREAK
            return super()._poll_monitor()

        def monitor(self) -> None:
            super().monitor()
            if self._stop_requested and not self._shutting_down:
                self.shutdown()  # here, in the main thread's own turn, not in the handler

        #: Tenths of a second a worker may take to report ready before Sanic gives up and
        #: shuts the server down (Sanic's own is 300, 30 s). A small two-core host that is busy
        #: (a backup, another service starting) can need more to import and connect; a
        #: server that refuses to start is worse than a slow start. The Sanic maintainers
        #: name this override as the way to change it (sanic-org/sanic#2629).
        THRESHOLD = 1200

        def _all_workers_ack(self) -> bool:
            stopping = self._stop_requested or self._shutting_down
            return stopping or super()._all_workers_ack()

    return StoppableWorkerManager


def close_connection_after(request: Any) -> None:
    """Close this request's HTTP/1.1 connection once its answer is sent (no keep-alive).

    Sanic closes the idle connections once when it stops; one whose request was still in
    flight stays open after its answer until the grace period ends.
    """
    stream = getattr(request, "stream", None)
    if stream is not None and hasattr(stream, "keep_alive"):
        stream.keep_alive = False


def api_for_serving(settings: Any) -> Any:
    """The api as `songjiao serve` runs it in each worker process: one stop per signal."""
    from server.app import create_app

    app = create_app(settings)
    app.after_server_start(_stop_on_first_signal)
    app.after_server_start(_tune_gc)
    return app


async def _tune_gc(app: Any) -> None:
    # Once the worker has started (its imports, app and runtime made): a serving process
    # only, never a test process, which builds many apps.
    from server.common.gc_tuning import tune_gc

    tune_gc()


async def _stop_on_first_signal(app: Any) -> None:
    # Ctrl-C reaches the worker from the terminal and again from Sanic's manager, and
    # systemd signals every process of the service before the manager does; Sanic stops
    # the loop again at each one, which breaks its shutdown halfway ("Event loop stopped
    # before Future completed") and leaves the main process waiting. Once stopping, a
    # repeat changes nothing: the grace periods bound the stop.
    #
    # A signal can come while the worker still runs its after_server_start listeners (a
    # slow start on a busy host: _tune_gc's full collection, then Sanic's manager passes
    # the stop on once). Stopping the loop then ends only the run_until_complete that runs
    # those listeners: Sanic logs "Worker ready" and serves for ever, its manager waiting.
    # So the stop waits until the server serves (Sanic sets is_running just before
    # run_forever); a timer survives from one run of the loop to the next.
    loop = asyncio.get_running_loop()

    def stop_once_serving() -> None:
        if app.state.is_running:
            app.stop(terminate=False)
        else:
            loop.call_later(STOP_RETRY_S, stop_once_serving)

    def first_signal() -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
            signal.signal(sig, signal.SIG_IGN)
        stop_once_serving()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, first_signal)
