"""The soak's own arithmetic: errors near a fault, figures per minute, memory growth."""

from __future__ import annotations

from bench.soak_checks import memory, per_minute, percentile
from bench.soak_load import Call, Soak


def soak_with(calls: list[Call], events: list[tuple[float, str]]) -> Soak:
    soak = Soak(started=0.0, env={}, apis=[], sandbox="", redis=None, procs={})
    soak.calls, soak.events = calls, events
    return soak


def test_errors_are_findings_only_away_from_the_faults():
    calls = [Call(at, "checkin", 200, 0.1) for at in range(0, 120, 2)]
    calls += [Call(24.5, "checkin", 0, 5.0), Call(30.0, "summary", 503, 0.2)]
    calls += [Call(100.0, "console", 500, 0.3)]
    soak = soak_with(calls, [(24.0, "Redis: SHUTDOWN SAVE (restart)")])
    lines, findings = per_minute(soak)
    assert len(lines) == 3  # the header and two minutes
    assert "Redis: SHUTDOWN SAVE" in lines[1] and "{'checkin:0': 1, 'summary:503': 1}" in lines[1]
    assert findings == ["minute 2: 1 errors away from any fault: {'console:500': 1}"]


def test_percentile_takes_the_value_at_or_above_the_rank():
    values = list(range(1, 101))
    assert percentile(values, 0.99) == 99 and percentile(values, 0.5) == 50
    assert percentile([7.0], 0.99) == 7.0


def test_memory_growth_counts_from_warm_up_and_a_restart_starts_again():
    soak = soak_with([], [])
    mb = 2**20
    soak.rss["api0"] = [(0, 100 * mb), (60, 200 * mb), (170, 230 * mb)]
    soak.rss["worker1"] = [(0, 200 * mb), (100, 30 * mb), (160, 150 * mb), (170, 160 * mb)]
    soak.restarted["worker1"] = 100
    lines, findings = memory(soak)
    assert "+15.0%" in lines[1] and "restarted at 100 s" in lines[2]
    assert findings == []
    soak.rss["api0"].append((180, 260 * mb))
    _, findings = memory(soak)
    assert findings == ["api0: memory grew +30% (200 → 260 MB)"]
