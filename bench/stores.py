"""A private Redis server for one benchmark run.

The test slots use every numbered database of the shared Redis on 6379 (see
tests/support/backends.py), and a benchmark empties its database and runs workers on the
job queue there; so each run gets a redis-server of its own on a free port instead.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis() -> tuple[str, subprocess.Popen]:
    """Start redis-server on a free loopback port, without persistence; (URL, process)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit(
            "redis-server not found: install redis-server (Debian: apt-get install redis-server)"
        )
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return f"redis://127.0.0.1:{port}/0", proc
        except OSError:
            time.sleep(0.05)
    proc.terminate()
    raise SystemExit("redis-server did not start")


def stop_redis(proc: subprocess.Popen) -> None:
    """Stop the private redis-server."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


async def open_send_activity(*, title: str, host_id: int, start):
    """A published 送教下乡 whose check-in is open from half an hour before `start`.

    Three hours long, two hours for attendees, at fixed coordinates: what the check-in
    benchmark and the soak scan into.
    """
    from datetime import timedelta

    from server.activities.codes import new_activity_code, new_activity_secret
    from server.activities.models import Activity, AudienceMode

    return await Activity.create(
        title=title,
        kind="送教下乡",
        host_id=host_id,
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        checkin_opens_at=start - timedelta(minutes=30),
        late_after=start + timedelta(hours=2),
        checkin_closes_at=start + timedelta(hours=3),
        audience_mode=AudienceMode.KINDERGARTENS,
        status="published",
        attendee_hours=2,
        code=new_activity_code(),
        secret=new_activity_secret(),
        lat=28.2,
        lng=112.9,
    )
