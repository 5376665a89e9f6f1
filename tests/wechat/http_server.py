"""Pieces of the small HTTP/1.1 servers the HTTP pool's tests stand up on loopback."""

from __future__ import annotations

import asyncio


async def read_request_body(reader: asyncio.StreamReader) -> bytes:
    """Read one request (head and body, by its Content-Length) and return its body."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return await reader.readexactly(length)
