"""A lean HTTP/1.1 exchange for the WeChat API's JSON POSTs: keep-alive connections, no more.

A fan-out is one POST per message, and aiohttp's per-request machinery (request, answer and
connection objects, its timer, header merging, a writer task) cost two thirds of a send's
client CPU: 0.11–0.16 ms a send against 0.035 ms for the bare exchange (issue 18,
docs/performance.md, "Fan-out, third pass"). This writes the request in one piece and reads
the answer (Content-Length, chunked, or until the connection ends); everything else stays
on aiohttp (GETs, uploads, the WeCom robot).

Exactly once depends on one rule here: a connection is pooled again only after its answer
was read whole. Any error, timeout or cancellation closes it, so an answer arriving late is
never read as the next request's.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Mapping

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

#: Idle connections are dropped after this long, before a server closes them (aiohttp: 15 s).
IDLE_S = 10.0
#: Idle connections kept per origin; more are closed as they come back.
KEEP = 32
#: A status line or header longer than this ends the exchange (asyncio's stream limit).
LINE_LIMIT = 64 * 1024


class ExchangeError(Exception):
    """The answer was cut short or was not HTTP/1.1 we can read."""


class _Connection:
    __slots__ = ("reader", "writer", "used_at")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.used_at = time.monotonic()

    def close(self) -> None:
        self.writer.close()


class Http1Pool:
    """Keep-alive connections per origin, for one event loop."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._tls: ssl.SSLContext | None = None

    def close(self) -> None:
        """Close every idle connection."""
        for connections in self._idle.values():
            for conn in connections:
                conn.close()
        self._idle.clear()

    def _take(self, origin: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(origin)
        oldest = time.monotonic() - IDLE_S
        while idle:
            conn = idle.pop()
            if conn.used_at > oldest and not conn.reader.at_eof() and not conn.writer.is_closing():
                return conn
            conn.close()
        return None

    def _give_back(self, origin: tuple[str, str, int], conn: _Connection) -> None:
        idle = self._idle.setdefault(origin, [])
        if len(idle) >= KEEP:
            conn.close()
            return
        conn.used_at = time.monotonic()
        idle.append(conn)

    async def _open(self, origin: tuple[str, str, int]) -> _Connection:
        scheme, host, port = origin
        tls = None
        if scheme == "https":
            if self._tls is None:
                self._tls = ssl.create_default_context()
            tls = self._tls
        reader, writer = await asyncio.open_connection(
            host, port, ssl=tls, server_hostname=host if tls else None, limit=LINE_LIMIT
        )
        return _Connection(reader, writer)

    async def post(
        self, url: URL, body: bytes, headers: Mapping[str, str] | None, within: float | None
    ) -> tuple[int, CIMultiDictProxy[str], bytes]:
        """POST `body`; (status, headers, body) of the answer read whole.

        TimeoutError past `within` seconds (connecting included), OSError or ExchangeError when the
        connection fails or the answer is not readable.
        """
        if url.scheme not in ("http", "https") or not url.host:
            raise ExchangeError(f"unsupported URL scheme {url.scheme!r}")
        origin = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        head = [
            f"POST {url.raw_path_qs} HTTP/1.1",
            f"Host: {url.host_port_subcomponent}",
            f"Content-Length: {len(body)}",
        ]
        head.extend(f"{name}: {value}" for name, value in (headers or {}).items())
        request = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        conn: _Connection | None = None
        try:
            async with asyncio.timeout(within):
                conn = self._take(origin) or await self._open(origin)
                conn.writer.write(request)
                status, answer_headers, content, reusable = await _read_answer(conn.reader)
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        if reusable:
            self._give_back(origin, conn)
        else:
            conn.close()
        return status, CIMultiDictProxy(answer_headers), content


async def _read_answer(
    reader: asyncio.StreamReader,
) -> tuple[int, CIMultiDict[str], bytes, bool]:
    """Status, headers, body, and whether the connection can carry another request."""
    while True:
        version, status, headers = await _read_head(reader)
        if not 100 <= status < 200:
            break  # an interim answer (we never ask for one) is skipped
    connection = {t.strip().lower() for t in ",".join(headers.getall("Connection", [])).split(",")}
    reusable = version == "HTTP/1.1" and "close" not in connection
    encoding = ",".join(headers.getall("Transfer-Encoding", [])).lower()
    if status in (204, 304):
        content = b""
    elif "chunked" in encoding:
        content = await _read_chunked(reader)
    elif "Content-Length" in headers:
        try:
            length = int(headers["Content-Length"])
        except ValueError as exc:
            raise ExchangeError("bad Content-Length") from exc
        if length < 0:
            raise ExchangeError("bad Content-Length")
        content = await reader.readexactly(length)
    else:
        content = await reader.read()  # until the server closes
        reusable = False
    return status, headers, content, reusable


async def _read_head(reader: asyncio.StreamReader) -> tuple[str, int, CIMultiDict[str]]:
    raw = await reader.readuntil(b"\r\n\r\n")
    lines = raw[:-4].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ExchangeError("not an HTTP/1.x answer")
    headers: CIMultiDict[str] = CIMultiDict()
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise ExchangeError("bad header line")
        headers.add(name, value.strip())
    return parts[0], int(parts[1]), headers


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    pieces = []
    while True:
        line = await reader.readuntil(b"\r\n")
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError as exc:
            raise ExchangeError("bad chunk size") from exc
        if size == 0:
            break
        pieces.append(await reader.readexactly(size))
        if await reader.readexactly(2) != b"\r\n":
            raise ExchangeError("bad chunk end")
    while await reader.readuntil(b"\r\n") != b"\r\n":
        pass  # trailer fields, unused
    return b"".join(pieces)
