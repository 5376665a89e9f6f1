"""Run every benchmark a few times and write the results section of docs/performance.md.

    .venv/bin/python -m bench [--quick] [--only checkin,fanout,summary] [--repeat 3]
                              [--output FILE]

Needs PostgreSQL on 127.0.0.1 and redis-server installed (each benchmark starts its
own). Each benchmark runs `--repeat` times in a row, each run its own process measuring
its baseline and then itself, so the two alternate (bare, engine, bare, engine, ...); every
figure is reported as the median of the runs with its spread, and each target says
whether the median reaches it. A failed run is reported in the document and the command
exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import time
from pathlib import Path

from bench.report import (
    BENCHES,
    DOCUMENT,
    ROOT,
    combine,
    machine,
    read_result,
    render,
    targets_text,
    write,
)

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


async def _backend() -> str:
    import asyncpg

    parts = []
    try:
        conn = await asyncpg.connect(PG_ADMIN)
        parts.append(f"PostgreSQL {await conn.fetchval('SHOW server_version')}")
        await conn.close()
    except Exception as exc:  # noqa: BLE001 - the document says what could not be read
        parts.append(f"PostgreSQL unreachable ({type(exc).__name__})")
    try:
        # Each benchmark starts its own redis-server (bench/stores.py): that binary's version.
        version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True)
        found = re.search(r"v=(\S+)", version.stdout)
        parts.append(f"Redis {found[1] if found else '?'} (a private redis-server per run)")
    except OSError as exc:
        parts.append(f"Redis not found ({type(exc).__name__})")
    return ", ".join(parts)


async def _drop(database: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller data sets (a smoke run)")
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each benchmark (default 3; the median)"
    )
    parser.add_argument("--output", type=Path, default=DOCUMENT)
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    wanted = {n for n in args.only.split(",") if n}
    chosen = [b for b in BENCHES if not wanted or b.name in wanted]
    results = []
    for bench in chosen:
        runs = []
        try:
            for index in range(args.repeat):
                command = bench.command(quick=args.quick, index=index, repeat=args.repeat)
                print(f"== run {index + 1}/{args.repeat}: {' '.join(command)}", flush=True)
                started = time.monotonic()
                proc = subprocess.run(
                    [sys.executable, *command], cwd=ROOT, capture_output=True, text=True
                )
                output = proc.stdout + (f"\n{proc.stderr[-2000:]}" if proc.returncode else "")
                print(output, flush=True)
                runs.append(
                    read_result(
                        bench,
                        returncode=proc.returncode,
                        seconds=time.monotonic() - started,
                        output=output,
                    )
                )
        finally:
            if bench.leaves_database and args.repeat > 1:
                asyncio.run(_drop(bench.leaves_database))
        results.append(combine(bench, runs))
    print(f"== targets (median of {args.repeat} run(s), spread lowest–highest)")
    print(targets_text(results), flush=True)
    about = machine(asyncio.run(_backend()))
    write(render(results, about, quick=args.quick), args.output)
    print(f"wrote {args.output}")
    return 0 if all(r.returncode == 0 for c in results for r in c.runs) else 1


if __name__ == "__main__":
    sys.exit(main())
