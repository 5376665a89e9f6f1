"""The lean HTTP/1.1 pool under the WeChat client's JSON POSTs: answers read whole, connections
pooled only after a complete answer, never after a timeout or a broken answer."""

from __future__ import annotations

import asyncio

import pytest
from yarl import URL

from server.wechat.http1 import ExchangeError, Http1Pool
from tests.wechat.http_server import read_request_body

OK = b'{"errcode":0}'


def answer(body: bytes = OK, *extra: str) -> bytes:
    head = ["HTTP/1.1 200 OK", "Content-Type: application/json", *extra]
    if not any(h.lower().startswith(("transfer-encoding", "content-length")) for h in extra):
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class Server:
    """Answers each request with the next of `answers`: bytes, or None to never answer."""

    def __init__(self, answers: list[bytes | None], *, close_after: bool = False) -> None:
        self.answers = list(answers)
        self.close_after = close_after
        self.connections = 0
        self.requests: list[bytes] = []
        self.release = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                self.requests.append(await read_request_body(reader))
                reply = self.answers.pop(0)
                if reply is None:
                    await self.release.wait()
                    writer.write(answer(b'{"errcode":0,"late":true}'))
                    return
                writer.write(reply)
                await writer.drain()
                if self.close_after:
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()

    async def __aenter__(self) -> URL:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return URL(f"http://127.0.0.1:{port}/cgi-bin/message/subscribe/send?access_token=t%2B1")

    async def __aexit__(self, *exc: object) -> None:
        self.release.set()
        self.server.close()


async def test_a_connection_carries_the_next_request_once_its_answer_was_read():
    server = Server([answer(), answer(b'{"errcode":0,"msgid":2}')])
    async with server as url:
        pool = Http1Pool()
        first = await pool.post(url, b'{"a":1}', {"Content-Type": "application/json"}, 5)
        second = await pool.post(url, b'{"a":2}', None, 5)
        pool.close()
    assert first[0] == 200 and first[2] == OK
    assert first[1]["content-type"] == "application/json"
    assert second[2] == b'{"errcode":0,"msgid":2}'
    assert server.requests == [b'{"a":1}', b'{"a":2}']
    assert server.connections == 1


async def test_a_chunked_answer_is_read_whole_with_its_trailer():
    body = b"5;ext=1\r\n" + b'{"err' + b"\r\n" + b"8\r\n" + b'code":0}' + b"\r\n0\r\nX-T: 1\r\n\r\n"
    server = Server([answer(body, "Transfer-Encoding: chunked"), answer()])
    async with server as url:
        pool = Http1Pool()
        chunked = await pool.post(url, b"{}", None, 5)
        after = await pool.post(url, b"{}", None, 5)
        pool.close()
    assert chunked[2] == OK
    assert after[2] == OK
    assert server.connections == 1


async def test_an_answer_ended_by_the_connection_is_read_and_the_connection_not_reused():
    unframed = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + OK
    server = Server([unframed, unframed], close_after=True)
    async with server as url:
        pool = Http1Pool()
        assert (await pool.post(url, b"{}", None, 5))[2] == OK
        assert (await pool.post(url, b"{}", None, 5))[2] == OK
        pool.close()
    assert server.connections == 2


@pytest.mark.parametrize("header", ["Connection: close", "Connection: keep-alive, Close"])
async def test_connection_close_is_honoured(header):
    server = Server([answer(OK, header), answer()], close_after=False)
    async with server as url:
        pool = Http1Pool()
        await pool.post(url, b"{}", None, 5)
        await pool.post(url, b"{}", None, 5)
        pool.close()
    assert server.connections == 2


async def test_after_a_timeout_the_late_answer_is_never_read_as_the_next_requests():
    server = Server([None, answer(b'{"errcode":0,"msgid":7}')])
    async with server as url:
        pool = Http1Pool()
        with pytest.raises(TimeoutError):
            await pool.post(url, b'{"n":1}', None, 0.05)
        server.release.set()  # the first request's answer arrives now, too late
        second = await pool.post(url, b'{"n":2}', None, 5)
        pool.close()
    assert second[2] == b'{"errcode":0,"msgid":7}'
    assert server.connections == 2


async def test_a_connection_the_server_closed_while_idle_is_not_used_again():
    server = Server([answer(), answer()], close_after=True)
    async with server as url:
        pool = Http1Pool()
        await pool.post(url, b"{}", None, 5)
        idle = next(iter(pool._idle.values()))[0]
        for _ in range(500):  # until the loop has seen the server's FIN
            if idle.reader.at_eof():
                break
            await asyncio.sleep(0.01)
        assert (await pool.post(url, b"{}", None, 5))[2] == OK
        pool.close()
    assert server.connections == 2


@pytest.mark.parametrize(
    "reply",
    [
        b"SPDY/3 200 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nbad header\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
)
async def test_an_answer_that_is_not_readable_http_fails_the_exchange(reply):
    server = Server([reply, answer()])
    async with server as url:
        pool = Http1Pool()
        with pytest.raises(ExchangeError):
            await pool.post(url, b"{}", None, 5)
        assert (await pool.post(url, b"{}", None, 5))[2] == OK
        pool.close()
    assert server.connections == 2


async def test_an_answer_cut_short_is_an_eof_error():
    server = Server([b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"], close_after=True)
    async with server as url:
        pool = Http1Pool()
        with pytest.raises(EOFError):
            await pool.post(url, b"{}", None, 5)
        pool.close()
