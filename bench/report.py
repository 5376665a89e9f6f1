"""Read the benchmarks' output and write their results section of docs/performance.md.

Each benchmark prints its own figures and its ratio against a baseline measured in the
same run; `python -m bench` runs each one several times in a row (so baseline and measured
alternate: bare, engine, bare, engine, ...). This module reads those lines, takes every
figure's median over the runs with its spread (min–max), says whether each target is
reached by the median, describes the machine, and replaces the part of the document
between the two markers. The hand-written explanations around it stay as they are.
"""

from __future__ import annotations

import operator
import os
import platform
import re
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "performance.md"
START = "<!-- bench:results:start (written by `python -m bench`; edit bench/report.py) -->"
END = "<!-- bench:results:end -->"

_OPS: dict[str, Callable[[float, float], bool]] = {
    "≥": operator.ge,
    "≤": operator.le,
    "<": operator.lt,
    ">": operator.gt,
}


@dataclass(frozen=True)
class Target:
    """A bound a figure's median must meet, e.g. Target("≥", 0.35)."""

    op: str
    bound: float
    unit: str = ""

    def __str__(self) -> str:
        return f"{self.op} {self.bound:g}{(' ' + self.unit) if self.unit else ''}"

    def met(self, value: float) -> bool:
        """Whether `value` meets the bound."""
        return _OPS[self.op](value, self.bound)


@dataclass
class Bench:
    """One benchmark: its script, its full and quick arguments, and what it compares."""

    name: str
    script: str
    args: list[str]
    quick: list[str]
    measured: str  #: what is measured, e.g. "check-ins/s"
    baseline: str  #: what it is measured against
    targets: dict[str, Target]  #: figure label -> the target its median must meet
    #: Extra arguments of the first of several runs and of the later ones (the summary
    #: generates its city once and measures it again), and the database they leave behind.
    first_of_many: list[str] = field(default_factory=list)
    later: list[str] = field(default_factory=list)
    leaves_database: str = ""

    def command(self, *, quick: bool, index: int, repeat: int) -> list[str]:
        """The script and its arguments for run `index` (0-based) of `repeat`."""
        extra = []
        if repeat > 1:
            extra = self.first_of_many if index == 0 else self.later
        return [self.script, *(self.quick if quick else self.args), *extra]


CHECKIN_RATIO = "check-in / bare Sanic throughput"
CHECKIN_P99 = "check-in p99 / bare p99"
FANOUT_RATIO = "fan-out / bare sandbox"
CITY_RATIO = "summary, city: engine / SQL"
CITY_P50 = "summary, city: engine p50 (ms)"
COUNTY_RATIO = "summary, county: engine / SQL"

BENCHES = [
    Bench(
        "checkin",
        "bench/checkin.py",
        ["--teachers", "2500", "--concurrency", "200", "--workers", "2"],
        ["--teachers", "300", "--concurrency", "50", "--workers", "2"],
        "check-in requests/s (api, PostgreSQL + Redis)",
        "a bare Sanic JSON endpoint, same workers",
        {CHECKIN_RATIO: Target("≥", 0.35), CHECKIN_P99: Target("≤", 3)},
    ),
    Bench(
        "fanout",
        "bench/fanout.py",
        ["--parents", "20000", "--workers", "2"],
        ["--parents", "2000", "--workers", "2"],
        "deliveries/s (notify() to the last message, 2 workers)",
        "the sandbox's bare accept rate",
        {FANOUT_RATIO: Target("≥", 0.8)},
    ),
    Bench(
        "summary",
        "bench/summary.py",
        ["--scale", "1.0", "--runs", "10"],
        ["--scale", "0.05", "--runs", "3"],
        "targets engine p50 (ms), per scope",
        "the same figures in hand-written SQL",
        {
            CITY_RATIO: Target("≤", 1.2),
            CITY_P50: Target("<", 200, "ms"),
            COUNTY_RATIO: Target("≤", 1.2),
        },
        first_of_many=["--keep"],
        later=["--reuse"],
        leaves_database="songjiao_bench_summary",
    ),
]


@dataclass
class Ratio:
    """One figure a benchmark run printed (most are ratios), with the figures behind it."""

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
    """`ratio (check-in / bare throughput): 0.200`, the two throughput lines, their p99s."""
    ratio = _line(output, rf"^ratio \(check-in / bare throughput\): {_NUMBER}")
    bare = _line(
        output, rf"^bare sanic\s*:\s*{_NUMBER} req/s\s+p50\s+{_NUMBER} ms\s+p99\s+{_NUMBER}"
    )
    got = _line(output, rf"^check-in\s*:\s*{_NUMBER} req/s\s+p50\s+{_NUMBER} ms\s+p99\s+{_NUMBER}")
    if not ratio:
        return []
    measured = f"{float(got[1]):,.0f} req/s (p50 {got[2]} ms, p99 {got[3]} ms)" if got else "?"
    baseline = f"{float(bare[1]):,.0f} req/s (p50 {bare[2]} ms, p99 {bare[3]} ms)" if bare else "?"
    ratios = [Ratio(CHECKIN_RATIO, float(ratio[1]), measured, baseline)]
    if got and bare and float(bare[3]) > 0:
        p99 = float(got[3]) / float(bare[3])
        ratios.append(Ratio(CHECKIN_P99, p99, f"p99 {got[3]} ms", f"p99 {bare[3]} ms"))
    return ratios


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
    return [Ratio(FANOUT_RATIO, float(ratio[1]), measured, baseline)]


def parse_summary(output: str) -> list[Ratio]:
    """One row per scope: engine p50 and best, hand SQL p50 and best, ratio; the city's p50."""
    ratios = []
    row = rf"^(city|county)\s+{_NUMBER}ms\s+{_NUMBER}ms\s+{_NUMBER}ms\s+{_NUMBER}ms\s+{_NUMBER}$"
    for match in re.finditer(row, output, re.MULTILINE):
        scope, e50, ebest, h50, hbest, ratio = match.groups()
        engine = f"{e50} ms p50 (best {ebest} ms)"
        hand = f"{h50} ms p50 (best {hbest} ms)"
        # The printed ratio has two decimals; the p50s it comes from give a third.
        value = float(e50) / float(h50) if float(h50) > 0 else float(ratio)
        ratios.append(Ratio(f"summary, {scope}: engine / SQL", value, engine, hand))
        if scope == "city":
            ratios.append(Ratio(CITY_P50, float(e50), engine, hand))
    return ratios


PARSERS = {"checkin": parse_checkin, "fanout": parse_fanout, "summary": parse_summary}


def read_result(bench: Bench, *, returncode: int, seconds: float, output: str) -> Result:
    """One run's output turned into its figures."""
    ratios = PARSERS[bench.name](output)
    return Result(bench, returncode, seconds, output, ratios)


@dataclass
class Figure:
    """One figure over the runs: its median, spread, and the run the median comes from."""

    label: str
    values: list[float]  #: in run order (runs that printed it)
    median_run: Ratio  #: the run whose value is the median (the lower middle one if even)
    target: Target | None

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    @property
    def reached(self) -> bool | None:
        """Whether the median meets the target (None without a target)."""
        return None if self.target is None else self.target.met(self.median)


@dataclass
class Combined:
    """Every run of one benchmark and its figures across them."""

    bench: Bench
    runs: list[Result]
    figures: list[Figure]

    @property
    def verdict(self) -> str:
        """OK when every run's own checks passed; else which runs failed."""
        failed = [
            f"run {i + 1} exit {r.returncode}" for i, r in enumerate(self.runs) if r.returncode
        ]
        if not failed:
            return "OK" if len(self.runs) == 1 else f"OK ({len(self.runs)} of {len(self.runs)})"
        return "FAILED (" + ", ".join(failed) + ")"

    @property
    def seconds(self) -> float:
        return sum(r.seconds for r in self.runs)


def combine(bench: Bench, runs: list[Result]) -> Combined:
    """The runs of one benchmark: every figure's median and spread, in first-seen order."""
    seen: dict[str, list[Ratio]] = {}
    for run in runs:
        for ratio in run.ratios:
            seen.setdefault(ratio.label, []).append(ratio)
    for label in bench.targets:
        seen.setdefault(label, [])
    figures = []
    for label, found in seen.items():
        if not found:
            continue
        ordered = sorted(found, key=lambda r: r.value)
        middle = ordered[(len(ordered) - 1) // 2]
        figures.append(Figure(label, [r.value for r in found], middle, bench.targets.get(label)))
    return Combined(bench, runs, figures)


def _number(value: float, label: str) -> str:
    return f"{value:.1f}" if label.endswith("(ms)") else f"{value:.3f}"


def spread(figure: Figure) -> str:
    """`0.200 (0.180–0.240)`: the median and the lowest and highest run."""
    m, lo, hi = (_number(v, figure.label) for v in (figure.median, figure.low, figure.high))
    return m if len(figure.values) == 1 else f"{m} ({lo}–{hi})"


def reached_text(figure: Figure | None) -> str:
    if figure is None or figure.target is None:
        return "—"
    return "yes" if figure.reached else "no"


def missing(combined: Combined) -> list[str]:
    """Labels of targets no run printed a figure for."""
    have = {f.label for f in combined.figures}
    return [label for label in combined.bench.targets if label not in have]


def targets_text(results: list[Combined]) -> str:
    """Each target, its median and spread over the runs, and whether it was reached."""
    lines = []
    for combined in results:
        n = len(combined.runs)
        for figure in combined.figures:
            if figure.target is None:
                continue
            runs = "" if len(figure.values) == n else f", {len(figure.values)} of {n} runs"
            lines.append(
                f"{figure.label:<34} {spread(figure):<26} target {str(figure.target):<10} "
                f"{'REACHED' if figure.reached else 'NOT REACHED'}{runs}"
            )
        for label in missing(combined):
            target = combined.bench.targets[label]
            lines.append(f"{label:<34} {'(not printed)':<26} target {str(target):<10} UNKNOWN")
        if combined.verdict != "OK" and not combined.verdict.startswith("OK "):
            lines.append(f"{combined.bench.name}: checks {combined.verdict}")
    return "\n".join(lines)


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


def render(results: list[Combined], about: dict[str, str], *, quick: bool = False) -> str:
    """The results section: the machine, one row per figure, each run's output."""
    repeat = max((len(c.runs) for c in results), default=1)
    lines = [
        START,
        "## Latest results",
        "",
        "Written by `bash bench/all` (or `.venv/bin/python -m bench`); every ratio is "
        "against a baseline measured in the same run on this machine. Each benchmark ran "
        f"{repeat} time{'s' if repeat != 1 else ''} in a row, so baseline and measured "
        "alternate (bare, engine, bare, engine, …); a figure is the **median** of its runs, "
        "with their spread (lowest–highest) beside it, and *reached* says whether the "
        "median meets the target. *Checks*: the benchmark's own correctness checks "
        "(nothing lost or doubled, same figures) in every run."
        + (" **Quick run** (smaller data sets): not comparable with full runs." if quick else ""),
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in about.items()),
        "",
        "| benchmark | median (spread) | runs | measured (median run) | baseline (median run) "
        "| target | reached | checks | time |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for combined in results:
        rows: list[Figure | None] = list(combined.figures) or [None]
        for figure in rows:
            if figure is None:
                lines.append(
                    f"| `{combined.bench.name}`: (no figure printed) | — | — | ? | ? | — | — "
                    f"| {combined.verdict} | {combined.seconds:.0f} s |"
                )
                continue
            values = ", ".join(_number(v, figure.label) for v in figure.values)
            lines.append(
                f"| `{combined.bench.name}`: {figure.label} | **{spread(figure)}** | {values} "
                f"| {figure.median_run.measured} | {figure.median_run.baseline} "
                f"| {figure.target or '—'} | {reached_text(figure)} | {combined.verdict} "
                f"| {combined.seconds:.0f} s |"
            )
        for label in missing(combined):
            lines.append(
                f"| `{combined.bench.name}`: {label} | — | — | ? | ? "
                f"| {combined.bench.targets[label]} | — | {combined.verdict} "
                f"| {combined.seconds:.0f} s |"
            )
    lines.append("")
    for combined in results:
        for index, run in enumerate(combined.runs):
            command = " ".join(
                combined.bench.command(quick=quick, index=index, repeat=len(combined.runs))
            )
            lines += [
                f"<details><summary><code>{command}</code>"
                + (f" (run {index + 1} of {len(combined.runs)})" if len(combined.runs) > 1 else "")
                + "</summary>",
                "",
                "```",
                run.output.strip() or "(no output)",
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
