"""Work a test leaves running in the test process, finished or cancelled before the next reset.

Issue 18: a job started by an earlier test (asleep in the WeCom robot's rate-limit wait)
woke up during a later one and wrote to the tables the reset was truncating: a deadlock,
or a row for a person the reset had deleted. Whatever a test started runs in this event
loop (the in-memory broker's jobs, the job receiver's, a bot's deferred answer, the
sandbox's event push, a request still being answered): every task that is not one of the
servers kept for the session is the last test's work.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging
import weakref

from sanic.http.constants import Stage

log = logging.getLogger("tests.background")

#: Tasks that live across tests: the servers' loops, the metrics flusher.
_LASTING: weakref.WeakSet[asyncio.Task] = weakref.WeakSet()
#: The Sanic servers started by tests (their connections outlive a request: keep-alive).
#: A stopped one has no connections left.
_SERVERS: list = []


def lasting(task: asyncio.Task) -> asyncio.Task:
    """Mark `task` as one that outlives tests by design (a server, a flusher)."""
    _LASTING.add(task)
    return task


def serving(server) -> None:
    """Mark the Sanic AsyncioServer `server`: its idle connections are not work."""
    _SERVERS.append(server)


def _connections() -> list:
    return [conn for server in _SERVERS for conn in list(server.connections)]


def _busy(conn) -> bool:
    """A connection in the middle of a request (not waiting for the next one)."""
    http = conn.http
    return http is not None and http.stage is not Stage.IDLE


def running_work() -> set[asyncio.Task]:
    """The tasks of this loop that a test started and that have not ended."""
    current = asyncio.current_task()
    connections = {conn._task: conn for conn in _connections() if conn._task is not None}
    work = set()
    for task in asyncio.all_tasks():
        if task is current or task.done() or task in _LASTING:
            continue
        conn = connections.get(task)
        if conn is not None and not _busy(conn):
            continue  # a keep-alive connection waiting for its next request
        work.add(task)
    return work


def _describe(task: asyncio.Task) -> str:
    coro = task.get_coro()
    return getattr(coro, "__qualname__", None) or type(coro).__name__


def _first(obj, names: tuple[str, ...]):
    return next((v for v in (getattr(obj, n, None) for n in names) if v is not None), None)


def _where(task: asyncio.Task) -> str:
    """Where `task` waits: the innermost frames of its await chain."""
    awaiting = task.get_coro()
    frames = []
    while awaiting is not None:
        if _first(awaiting, ("cr_frame", "ag_frame", "gi_frame", "cr_code", "ag_code")) is None:
            # An async generator's asend (anext() of it): go on with the generator.
            gens = [ref for ref in gc.get_referents(awaiting) if inspect.isasyncgen(ref)]
            if not gens:
                frames.append(type(awaiting).__name__)
                break
            awaiting = gens[0]
        frame = _first(awaiting, ("cr_frame", "ag_frame", "gi_frame"))
        if frame is not None:
            path = frame.f_code.co_filename.rpartition("site-packages/")[2]
            frames.append(f"{path}:{frame.f_lineno}")
        awaiting = _first(awaiting, ("cr_await", "ag_await", "gi_yieldfrom"))
    cancels = f" (cancel requests: {task.cancelling()})" if task.cancelling() else ""
    return (" > ".join(frames[-14:]) or _describe(task)) + cancels


async def finish_work(*, grace: float) -> list[str]:
    """Wait up to `grace` seconds for the work of the last test, then cancel what is left.

    Returns what was cancelled (a job asleep in a rate-limit wait, say). Cancelled, a job
    unwinds: its transaction rolls back and its connection goes back to the pool.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    while True:
        # A job queued a moment ago (in-memory broker) has a task that has not started.
        await asyncio.sleep(0)
        work = running_work()
        if not work:
            return []
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        # Rescan as each ends: a job may queue another, a request's answer frees its
        # connection.
        await asyncio.wait(work, timeout=min(remaining, 0.1), return_when=asyncio.FIRST_COMPLETED)
    log.warning("the last test's work runs on; waiting in: %s", sorted(map(_where, work)))
    cancelled: list[str] = []
    # A task unwinding may start another (a failure's bookkeeping), or swallow the cancel
    # and wait on (what a cancelled stream read did once): each round cancels what is left.
    for round_ in range(3):
        if round_:
            log.warning("still running after a cancel: %s", sorted(map(_where, work)))
        cancelled += sorted(_describe(task) for task in work)
        for conn in _connections():
            if conn._task in work:
                conn.close()  # a request still being answered: its handler is cancelled
        for task in work:
            task.cancel()
        await asyncio.wait(work, timeout=5)
        await asyncio.sleep(0)
        work = running_work()
        if not work:
            break
    log.warning("the last test's work still ran after %.0f s; cancelled: %s", grace, cancelled)
    assert not work, f"work that would not end when cancelled: {[_describe(t) for t in work]}"
    return cancelled
