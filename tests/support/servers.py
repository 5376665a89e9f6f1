"""Run Sanic apps in the test event loop on real loopback sockets."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass

from sanic import Sanic

from tests.support import background


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningServer:
    """A Sanic app served on 127.0.0.1 from inside the running event loop."""

    app: Sanic
    url: str
    _server: object
    _task: asyncio.Task

    async def stop(self) -> None:
        """Run the app's stop listeners and close the socket."""
        await self._server.before_stop()
        self._server.close()
        await self._server.wait_closed()
        await self._server.after_stop()
        self._task.cancel()


async def start_server(app: Sanic, *, port: int | None = None) -> RunningServer:
    """Serve `app` on a loopback port (free, or the one chosen) once it accepts connections."""
    port = port or free_port()
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    await server.startup()
    await server.before_start()
    await server.after_start()
    task = background.lasting(asyncio.create_task(server.serve_forever()))
    background.serving(server)
    if (flusher := getattr(app.ctx, "metrics_flusher", None)) is not None:
        background.lasting(flusher)  # the api's metrics, flushed every few seconds
    return RunningServer(app=app, url=f"http://127.0.0.1:{port}", _server=server, _task=task)
