"""Real `songjiao` processes and throwaway Redis and PostgreSQL servers for scale tests."""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.http import http_client
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


def _die_with_parent() -> None:
    # A test run killed before its teardown must not leave servers running (Linux only).
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Proc:
    """A `songjiao` command running in its own process group, its output in a log file."""

    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    proc: asyncio.subprocess.Process | None = None

    async def start(self) -> Proc:
        """Start (or start again) the command."""
        out = self.log.open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "server.cli",
            *self.args,
            cwd=ROOT,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            # `songjiao worker` and `serve` run children; a signal must reach them all.
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        out.close()
        return self

    def signal(self, sig: int) -> None:
        """Send `sig` to the whole process group."""
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)

    async def kill(self) -> None:
        """SIGKILL the process group, as a crashed host would."""
        self.signal(signal.SIGKILL)
        if self.proc is not None:
            await self.proc.wait()

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL whatever is left after a while."""
        if self.proc is None:
            return
        self.signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), timeout=15)
        except TimeoutError:
            await self.kill()
        # A child of the group may outlive its parent; leave nothing behind.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def output(self) -> str:
        """What the process printed so far (the end of it)."""
        return self.log.read_text(errors="replace")[-6000:] if self.log.exists() else ""


async def wait_http(url: str, *, within: float = 300.0, ok=(200,)) -> None:
    """Wait until GET `url` answers one of `ok`.

    Not a timed check: a process that never starts still fails, but on a busy two-core
    machine Sanic took up to 100 s to start (60 s failed tests there, issue 18).
    """
    deadline = asyncio.get_running_loop().time() + within
    async with http_client(timeout=5) as http:
        while True:
            try:
                if (await http.get(url)).status_code in ok:
                    return
            except httpx.TransportError:
                pass
            assert asyncio.get_running_loop().time() < deadline, f"{url} never answered"
            await asyncio.sleep(0.2)


async def until(check, *, within: float = 60.0, what: str = "condition") -> None:
    """Poll the async `check` until it is true."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


@dataclass
class PrivateRedis:
    """A throwaway redis-server of this test alone, stopped and started at will."""

    tmp: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server (again, on the same port) and wait until it answers PING.

        Call it from the event loop's thread, not a worker thread: the server is told to
        die with the thread that started it.
        """
        self.proc = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        import redis

        client = redis.Redis(port=self.port)
        for _ in range(200):
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                import time

                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        """Shut the server down, saving its data to disk as a persistent Redis would."""
        if self.proc is not None:
            import redis

            with contextlib.suppress(redis.ConnectionError):
                redis.Redis(port=self.port).shutdown(save=True)
            self.proc.wait(timeout=30)
            self.proc = None

    def kill(self) -> None:
        """Kill the server if it runs (cleanup)."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    return shutil.which(name) or name


@dataclass
class PrivatePostgres:
    """A throwaway PostgreSQL cluster in a temporary directory, on its own port."""

    #: Under /tmp itself: the postgres user cannot enter pytest's (root-only) tmp_path.
    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="songjiao-pg-")))
    port: int = field(default_factory=free_port)

    @property
    def dsn(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/songjiao"

    def _run(self, *args: str) -> None:
        # PostgreSQL refuses to run as root; in CI containers the tests are root.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"{args[0]} failed:\n{done.stdout}\n{done.stderr}"

    def init(self) -> None:
        """initdb (trust, no fsync) and start, then create the database."""
        self.tmp.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.tmp, "postgres")
        self._run(
            _pg_bin("initdb"),
            "-D",
            str(self.tmp / "data"),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        self.start()
        self._run(
            _pg_bin("createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "songjiao",
        )

    def start(self) -> None:
        """Start the cluster and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.tmp} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            _pg_bin("pg_ctl"),
            "-D",
            str(self.tmp / "data"),
            "-o",
            options,
            "-l",
            str(self.tmp / "log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        """Stop the cluster (fast: open connections are cut, as on a restart)."""
        self._run(_pg_bin("pg_ctl"), "-D", str(self.tmp / "data"), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        """Stop the cluster if it runs and delete its directory."""
        if (self.tmp / "data" / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def deployment(env: dict[str, str], logs: Path, *, sandbox_port: int, api_ports) -> dict[str, Proc]:
    """The many-process deployment: the sandbox, an api per port, two workers, the scheduler.

    Not started; each process logs to `logs`/<its name>. The scale tests and bench/soak run it.
    """
    return {
        "sandbox": Proc("sandbox", ["sandbox", "--port", str(sandbox_port)], env, logs / "sandbox"),
        **{
            f"api{i}": Proc(
                f"api{i}",
                ["serve", "--no-migrate"],
                {**env, "SONGJIAO_PORT": str(port)},
                logs / f"api{i}",
            )
            for i, port in enumerate(api_ports)
        },
        "worker0": Proc("worker0", ["worker"], env, logs / "worker0"),
        "worker1": Proc("worker1", ["worker"], env, logs / "worker1"),
        "scheduler": Proc("scheduler", ["scheduler"], env, logs / "scheduler"),
    }
