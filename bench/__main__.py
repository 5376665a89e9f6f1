"""Run every benchmark and write the results section of docs/performance.md.

    .venv/bin/python -m bench [--quick] [--only checkin,fanout,summary] [--output FILE]

Needs PostgreSQL on 127.0.0.1 and redis-server installed (each benchmark starts its
own). The benchmarks run one after another, each as its own process; a failed one is
reported in the document and the command exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import time
from pathlib import Path

from bench.report import BENCHES, DOCUMENT, ROOT, machine, read_result, render, write


async def _backend() -> str:
    import asyncpg

    parts = []
    try:
        conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller data sets (a smoke run)")
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    parser.add_argument("--output", type=Path, default=DOCUMENT)
    args = parser.parse_args()
    wanted = {n for n in args.only.split(",") if n}
    chosen = [b for b in BENCHES if not wanted or b.name in wanted]
    results = []
    for bench in chosen:
        command = [sys.executable, bench.script, *(bench.quick if args.quick else bench.args)]
        print(f"== {' '.join(command[1:])}", flush=True)
        started = time.monotonic()
        proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        output = proc.stdout + (f"\n{proc.stderr[-2000:]}" if proc.returncode else "")
        print(output, flush=True)
        results.append(
            read_result(
                bench,
                returncode=proc.returncode,
                seconds=time.monotonic() - started,
                output=output,
            )
        )
    about = machine(asyncio.run(_backend()))
    write(render(results, about, quick=args.quick), args.output)
    print(f"wrote {args.output}")
    return 0 if all(r.returncode == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
