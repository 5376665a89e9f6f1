"""The sandbox pushes PUBLISHJOBFINISH only to the callback fixed when it started.

A request can turn pushing on or off, never choose where it goes: otherwise anyone who
reaches the sandbox could make it POST to an address of their choosing.
"""

from __future__ import annotations

import asyncio

import pytest

from server.wechat.sandbox import EventPush, create_sandbox_app
from tests.support.http import http_client
from tests.support.servers import start_server
from tests.wechat.helpers import APPID, SECRET, Sandbox, unique
from tests.wechat.images import image_bytes


class Listener:
    """A loopback TCP listener that records every request it gets and answers 200."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self._server: asyncio.Server | None = None
        self.url = ""

    async def start(self) -> Listener:
        """Listen on a free loopback port."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        body = await reader.readexactly(length) if length else b""
        self.received.append(head + body)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\nsuccess")
        await writer.drain()
        writer.close()

    async def stop(self) -> None:
        """Stop listening."""
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


@pytest.fixture
async def listeners():
    configured, chosen = await Listener().start(), await Listener().start()
    yield configured, chosen
    await configured.stop()
    await chosen.stop()


async def _publish(sandbox: Sandbox) -> None:
    token = await sandbox.token()
    thumb = (
        await sandbox.http.post(
            f"{sandbox.url}/cgi-bin/material/add_material",
            params={"access_token": token, "type": "thumb"},
            files={"media": ("t.jpg", image_bytes("JPEG"))},
        )
    ).json()["media_id"]
    article = {"title": "送教纪实", "content": "<p>送教</p>", "thumb_media_id": thumb}
    draft = (await sandbox.call("/cgi-bin/draft/add", {"articles": [article]}))["media_id"]
    submitted = await sandbox.call("/cgi-bin/freepublish/submit", {"media_id": draft})
    assert submitted["errcode"] == 0, submitted


async def _running_sandbox(http, *, callback: str, push_events: bool):
    app = create_sandbox_app(
        appid=APPID,
        secret=SECRET,
        name=unique("event_push_"),
        event_push=EventPush(url=callback + "/wechat/callback", token="push-token"),
        push_events=push_events,
    )
    server = await start_server(app)
    return server, Sandbox(url=server.url, state=app.ctx.sandbox, http=http)


async def _until_received(listener: Listener, within: float = 5.0) -> None:
    for _ in range(int(within / 0.05)):
        if listener.received:
            return
        await asyncio.sleep(0.05)


async def test_event_push_with_a_url_in_the_body_never_posts_there(listeners):
    configured, chosen = listeners
    async with http_client(timeout=10) as http:
        server, sandbox = await _running_sandbox(http, callback=configured.url, push_events=False)
        try:
            answer = await http.post(
                f"{sandbox.url}/sandbox/event_push",
                json={"url": chosen.url + "/steal", "token": "attacker"},
            )
            assert answer.status_code == 400
            assert "启动时" in answer.json()["message"]
            await _publish(sandbox)
            await asyncio.sleep(1.5)  # the sandbox pushes after 0.5 s
            assert chosen.received == [] and configured.received == []

            # Turned on (no address in the request): the configured callback hears it.
            on = await http.post(f"{sandbox.url}/sandbox/event_push")
            assert on.status_code == 200 and on.json()["event_push"] is True
            await _publish(sandbox)
            await _until_received(configured)
            await asyncio.sleep(0.5)
        finally:
            await server.stop()
    [pushed] = configured.received
    assert pushed.startswith(b"POST /wechat/callback?signature=")
    assert b"PUBLISHJOBFINISH" in pushed
    assert chosen.received == []


async def test_a_sandbox_without_a_configured_callback_cannot_be_given_one(listeners):
    _, chosen = listeners
    app = create_sandbox_app(appid=APPID, secret=SECRET, name=unique("no_push_"))
    server = await start_server(app)
    try:
        async with http_client(timeout=10) as http:
            sandbox = Sandbox(url=server.url, state=app.ctx.sandbox, http=http)
            refused = await http.post(
                f"{server.url}/sandbox/event_push", json={"url": chosen.url, "token": "t"}
            )
            assert refused.status_code == 400
            plain = await http.post(f"{server.url}/sandbox/event_push")
            assert plain.status_code == 409 and "未配置" in plain.json()["message"]
            await _publish(sandbox)
            await asyncio.sleep(1.5)
    finally:
        await server.stop()
    assert chosen.received == []


async def test_reset_keeps_the_configured_choice_to_push(listeners):
    configured, _ = listeners
    async with http_client(timeout=10) as http:
        server, sandbox = await _running_sandbox(http, callback=configured.url, push_events=True)
        try:
            assert (await http.delete(f"{sandbox.url}/sandbox/event_push")).status_code == 200
            assert sandbox.state.event_push is None
            await http.post(f"{sandbox.url}/sandbox/reset")
            assert sandbox.state.event_push == EventPush(
                url=configured.url + "/wechat/callback", token="push-token"
            )
        finally:
            await server.stop()
