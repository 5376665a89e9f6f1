"""Read the benchmarks' output and write their results section of docs/performance.md.

Each benchmark prints its own figures and its ratio against a baseline measured in the
same run; this module only reads those lines, describes the machine, and replaces the
part of the document between the two markers. The hand-written explanations around it
stay as they are.
"""

from __future__ import annotations

import os
import platform
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "performance.md"
START = "<!-- bench:results:start (written by `python -m bench`; edit bench/report.py) -->"
END = "<!-- bench:results:end -->"


@dataclass
class Bench:
    """One benchmark: its script, its full and quick arguments, and what it compares."""

    name: str
    script: str
    args: list[str]
    quick: list[str]
    measured: str  #: what is measured, e.g. "check-ins/s"
    baseline: str  #: what it is measured against
    target: str
    reached: Callable[[float], bool]  #: whether a ratio meets the target


BENCHES = [
    Bench(
        "checkin",
        "bench/checkin.py",
        ["--teachers", "1000", "--concurrency", "200", "--workers", "2"],
        ["--teachers", "300", "--concurrency", "50", "--workers", "2"],
        "check-in requests/s (api, PostgreSQL + Redis)",
        "a bare Sanic JSON endpoint, same workers",
        "ratio ≥ 0.25",
        lambda ratio: ratio >= 0.25,
    ),
    Bench(
        "fanout",
        "bench/fanout.py",
        ["--parents", "20000", "--workers", "2"],
        ["--parents", "2000", "--workers", "2"],
        "deliveries/s (notify() to the last message, 2 workers)",
        "the sandbox's bare accept rate",
        "ratio ≥ 0.8",
        lambda ratio: ratio >= 0.8,
    ),
    Bench(
        "summary",
        "bench/summary.py",
        ["--scale", "1.0", "--runs", "10"],
        ["--scale", "0.05", "--runs", "3"],
        "targets engine p50 (ms), per scope",
        "the same figures in hand-written SQL",
        "ratio ≤ 1.5 (engine / SQL), city < 200 ms",
        lambda ratio: ratio <= 1.5,
    ),
]


@dataclass
class Ratio:
    """One ratio a benchmark printed, with the figures behind it."""

    label: str
    value: float
    measured: str
    baseline: str


@dataclass
class Result:
    """What one benchmark run printed, read back."""

    bench: Bench
    returncode: int
    seconds: float
    output: str
    ratios: list[Ratio] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """OK when the benchmark's own checks passed (exit status 0)."""
        return "OK" if self.returncode == 0 else f"FAILED (exit {self.returncode})"


_NUMBER = r"([0-9]+(?:\.[0-9]+)?)"


def _line(output: str, pattern: str) -> re.Match | None:
    return re.search(pattern, output, re.MULTILINE)


def parse_checkin(output: str) -> list[Ratio]:
    """`ratio (check-in / bare throughput): 0.200` and the two throughput lines."""
    ratio = _line(output, rf"^ratio \(check-in / bare throughput\): {_NUMBER}")
    bare = _line(
        output, rf"^bare sanic\s*:\s*{_NUMBER} req/s\s+p50\s+{_NUMBER} ms\s+p99\s+{_NUMBER}"
    )
    got = _line(output, rf"^check-in\s*:\s*{_NUMBER} req/s\s+p50\s+{_NUMBER} ms\s+p99\s+{_NUMBER}")
    if not ratio:
        return []
    measured = f"{float(got[1]):,.0f} req/s (p50 {got[2]} ms, p99 {got[3]} ms)" if got else "?"
    baseline = f"{float(bare[1]):,.0f} req/s (p50 {bare[2]} ms, p99 {bare[3]} ms)" if bare else "?"
    return [Ratio("check-in / bare Sanic", float(ratio[1]), measured, baseline)]


def parse_fanout(output: str) -> list[Ratio]:
    """`ratio (fan-out / bare): 0.250` with the sandbox and fan-out rates."""
    ratio = _line(output, rf"^ratio \(fan-out / bare\): {_NUMBER}")
    bare = _line(output, rf"^bare sandbox\s*:\s*{_NUMBER} accepted")
    got = _line(
        output, rf"^fan-out\s*:\s*{_NUMBER} deliveries/s\s+last delivery after\s+{_NUMBER} s"
    )
    if not ratio:
        return []
    measured = f"{float(got[1]):,.0f} deliveries/s, last after {got[2]} s" if got else "?"
    baseline = f"{float(bare[1]):,.0f} sends/s" if bare else "?"
    return [Ratio("fan-out / bare sandbox", float(ratio[1]), measured, baseline)]


def parse_summary(output: str) -> list[Ratio]:
    """One row per scope: engine p50 and best, hand SQL p50 and best, ratio."""
    ratios = []
    row = rf"^(city|county)\s+{_NUMBER}ms\s+{_NUMBER}ms\s+{_NUMBER}ms\s+{_NUMBER}ms\s+{_NUMBER}$"
    for match in re.finditer(row, output, re.MULTILINE):
        scope, e50, ebest, h50, hbest, ratio = match.groups()
        ratios.append(
            Ratio(
                f"summary, {scope}: engine / SQL",
                float(ratio),
                f"{e50} ms p50 (best {ebest} ms)",
                f"{h50} ms p50 (best {hbest} ms)",
            )
        )
    return ratios


PARSERS = {"checkin": parse_checkin, "fanout": parse_fanout, "summary": parse_summary}


def read_result(bench: Bench, *, returncode: int, seconds: float, output: str) -> Result:
    """A benchmark's output turned into its ratios."""
    ratios = PARSERS[bench.name](output)
    return Result(bench, returncode, seconds, output, ratios)


def _first(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def machine(backend: str) -> dict[str, str]:
    """CPU model, cores, RAM, Python, backend and the date of this run."""
    mem_kb = _first("/proc/meminfo", "MemTotal")
    ram = f"{int(mem_kb.split()[0]) / 1024 / 1024:.1f} GiB" if mem_kb else "unknown"
    return {
        "CPU": _first("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "cores": str(os.cpu_count()),
        "RAM": ram,
        "Python": sys.version.split()[0],
        "OS": f"{platform.system()} {platform.release()}",
        "backend": backend,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def render(results: list[Result], about: dict[str, str], *, quick: bool = False) -> str:
    """The results section: the machine, one row per ratio, each benchmark's output."""
    lines = [
        START,
        "## Latest results",
        "",
        "Written by `bash bench/all` (or `.venv/bin/python -m bench`); every ratio is "
        "against a baseline measured in the same run on this machine. *Checks*: the "
        "benchmark's own correctness checks (nothing lost or doubled, same figures)."
        + (" **Quick run** (smaller data sets): not comparable with full runs." if quick else ""),
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in about.items()),
        "",
        "| benchmark | ratio | measured | baseline | target | reached | checks | time |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        rows = result.ratios or [Ratio("(no ratio printed)", float("nan"), "?", "?")]
        for ratio in rows:
            known = ratio.value == ratio.value  # NaN when nothing was printed
            value = f"{ratio.value:.3f}" if known else "—"
            reached = ("yes" if result.bench.reached(ratio.value) else "no") if known else "—"
            lines.append(
                f"| `{result.bench.name}`: {ratio.label} | **{value}** | {ratio.measured} "
                f"| {ratio.baseline} | {result.bench.target} | {reached} | {result.verdict} "
                f"| {result.seconds:.0f} s |"
            )
    lines.append("")
    for result in results:
        args = " ".join(result.bench.quick if quick else result.bench.args)
        lines += [
            f"<details><summary><code>{result.bench.script} {args}</code></summary>",
            "",
            "```",
            result.output.strip() or "(no output)",
            "```",
            "</details>",
            "",
        ]
    lines.append(END)
    return "\n".join(lines) + "\n"


def write(section: str, path: Path = DOCUMENT) -> None:
    """Replace the results section of `path`, or put one before its first `## ` heading."""
    text = path.read_text() if path.exists() else "# Performance\n"
    if START in text and END in text:
        head, _, rest = text.partition(START)
        _, _, tail = rest.partition(END)
        text = head + section.rstrip("\n") + tail
    else:
        at = text.find("\n## ")
        if at < 0:
            text = text.rstrip("\n") + "\n\n" + section
        else:
            text = text[: at + 1] + section + "\n" + text[at + 1 :]
    path.write_text(text)
