"""The benchmark report: figures read from the benchmarks' output, their median and spread
over the runs, each target reached or not, and the document rewritten."""

from __future__ import annotations

from bench.report import (
    BENCHES,
    CHECKIN_P99,
    CHECKIN_RATIO,
    CITY_P50,
    END,
    START,
    combine,
    machine,
    read_result,
    render,
    targets_text,
    write,
)

CHECKIN = """teachers=1000 concurrency=200 workers=2 cores=2
bare sanic :   6700.0 req/s  p50   25.0 ms  p99  100.0 ms
check-in   :   1340.5 req/s  p50   99.0 ms  p99  416.0 ms
ratio (check-in / bare throughput): 0.200
answers: {'checked_in': 1000}; records: 1000, distinct people: 1000
OK: every teacher checked in exactly once
"""
FANOUT = """parents=20000 workers=2 concurrency=32 (in flight per worker 16) cores=2
bare sandbox :   4000.0 accepted subscribe sends/s
fan-out      :   1039.0 deliveries/s  last delivery after   19.3 s (notify() itself  1.5 s)
workers' CPU per delivery: 1.00 ms
ratio (fan-out / bare): 0.260  (target ≥ 0.8)
FAIL: 3 parents got no message
"""
SUMMARY = """period 2026秋, seen at 2026-11-27 03:00 UTC, elapsed 60%
scope     engine p50     best  hand SQL p50     best  ratio
city         150.0ms  140.1ms       125.0ms  100.0ms   1.20
  figures agree (12 region(s))
county        20.0ms   18.0ms        15.0ms   14.0ms   1.33
  figures agree (1 region(s))
"""
HAND_WRITTEN = """# Performance

Every benchmark prints its result as a ratio against a baseline.

## Fan-out (`bench/fanout`)
On this machine the target is not reachable: two cores.
"""
ABOUT = {"CPU": "Test CPU @ 2.0GHz", "cores": "2", "backend": "PostgreSQL 15, Redis 7"}


def checkin_output(ratio: float, p99: float) -> str:
    """The check-in benchmark's output with another ratio and check-in p99."""
    return CHECKIN.replace("0.200", f"{ratio:.3f}").replace("416.0", f"{p99:.1f}")


def results():
    outputs = {"checkin": (CHECKIN, 0), "fanout": (FANOUT, 1), "summary": (SUMMARY, 0)}
    return [
        combine(
            b,
            [
                read_result(
                    b, returncode=outputs[b.name][1], seconds=12.0, output=outputs[b.name][0]
                )
            ],
        )
        for b in BENCHES
    ]


def test_every_ratio_printed_by_a_benchmark_is_read():
    checkin, fanout, summary = (c.runs[0] for c in results())
    assert [(r.label, r.value) for r in checkin.ratios] == [
        (CHECKIN_RATIO, 0.2),
        (CHECKIN_P99, 4.16),
    ]
    assert "1,340 req/s" in checkin.ratios[0].measured
    assert fanout.ratios[0].value == 0.26 and "4,000 sends/s" in fanout.ratios[0].baseline
    assert [(r.label, round(r.value, 3)) for r in summary.ratios] == [
        ("summary, city: engine / SQL", 1.2),
        (CITY_P50, 150.0),
        ("summary, county: engine / SQL", 1.333),
    ]
    assert fanout.verdict.startswith("FAILED") and checkin.verdict == "OK"


def test_the_median_of_alternating_runs_decides_and_the_spread_is_shown():
    checkin = BENCHES[0]
    runs = [
        read_result(checkin, returncode=0, seconds=10.0, output=checkin_output(r, p))
        for r, p in ((0.40, 250.0), (0.10, 900.0), (0.36, 290.0))
    ]
    combined = combine(checkin, runs)
    ratio, p99 = combined.figures
    # One noisy run (0.10, p99 9 x bare) does not decide: the median does.
    assert ratio.values == [0.40, 0.10, 0.36] and ratio.median == 0.36
    assert (ratio.low, ratio.high) == (0.10, 0.40) and ratio.reached is True
    assert "p99 290.0 ms" in ratio.median_run.measured  # the figures of the median run
    assert p99.median == 2.9 and p99.reached is True
    text = targets_text([combined])
    assert "0.360 (0.100–0.400)" in text and "target ≥ 0.35" in text
    assert "target ≤ 3" in text and "NOT REACHED" not in text
    assert combined.verdict == "OK (3 of 3)"

    # Two slow runs out of three: not reached, and a failed run's checks are named.
    runs[0] = read_result(checkin, returncode=1, seconds=10.0, output=checkin_output(0.2, 400))
    worse = combine(checkin, runs)
    assert worse.figures[0].median == 0.2 and worse.figures[0].reached is False
    assert worse.verdict == "FAILED (run 1 exit 1)"
    assert "NOT REACHED" in targets_text([worse])


def test_an_even_number_of_runs_takes_the_middle_two_and_a_missing_figure_is_unknown():
    checkin = BENCHES[0]
    runs = [
        read_result(checkin, returncode=0, seconds=1.0, output=checkin_output(r, 300.0))
        for r in (0.2, 0.4)
    ] + [read_result(checkin, returncode=1, seconds=1.0, output="Traceback: boom")]
    ratio = combine(checkin, runs).figures[0]
    assert abs(ratio.median - 0.3) < 1e-9
    assert "2 of 3 runs" in targets_text([combine(checkin, runs)])
    nothing = combine(checkin, [runs[2]])
    assert nothing.figures == []
    assert targets_text([nothing]).count("UNKNOWN") == 2


def test_the_document_gets_the_results_and_keeps_its_explanations(tmp_path):
    doc = tmp_path / "performance.md"
    doc.write_text(HAND_WRITTEN)
    write(render(results(), ABOUT), doc)
    first = doc.read_text()
    assert first.startswith("# Performance\n\nEvery benchmark prints")
    assert "On this machine the target is not reachable: two cores." in first
    assert first.index(END) < first.index("## Fan-out")
    for text in ("**0.200**", "**0.260**", "**1.200**", "**1.333**", "Test CPU @ 2.0GHz"):
        assert text in first
    assert "FAIL: 3 parents got no message" in first  # the raw output, for the reader
    fanout_row = next(line for line in first.splitlines() if line.startswith("| `fanout`"))
    assert "| ≥ 0.8 | no | FAILED (run 1 exit 1) |" in fanout_row
    summary_row = next(line for line in first.splitlines() if "summary, city: engine /" in line)
    assert "| ≤ 1.2 | yes | OK |" in summary_row
    p50_row = next(line for line in first.splitlines() if CITY_P50 in line)
    assert "**150.0**" in p50_row and "| < 200 ms | yes |" in p50_row
    county_row = next(line for line in first.splitlines() if "summary, county" in line)
    assert "| ≤ 1.2 | no |" in county_row

    # A second run replaces its section and nothing else.
    again = results()
    again[0].figures[0].values = [0.24]
    write(render(again, ABOUT), doc)
    second = doc.read_text()
    assert second.count(START) == 1 and "**0.240**" in second and "**0.200**" not in second
    assert second.replace("**0.240**", "**0.200**").replace("| 0.240 |", "| 0.200 |") == first


def test_several_runs_show_each_output_and_the_summary_reuses_its_city():
    summary = BENCHES[2]
    assert summary.command(quick=False, index=0, repeat=1) == [
        "bench/summary.py",
        "--scale",
        "1.0",
        "--runs",
        "10",
    ]
    assert summary.command(quick=False, index=0, repeat=3)[-1] == "--keep"
    assert summary.command(quick=False, index=2, repeat=3)[-1] == "--reuse"
    runs = [read_result(summary, returncode=0, seconds=5.0, output=SUMMARY) for _ in range(3)]
    section = render([combine(summary, runs)], ABOUT)
    assert section.count("(run 2 of 3)") == 1 and section.count("```") == 6
    assert "1.200, 1.200, 1.200" in section


def test_the_machine_is_described():
    about = machine("PostgreSQL 15, Redis 7")
    assert {"CPU", "cores", "RAM", "Python", "backend", "date"} <= set(about)
    assert about["cores"].isdigit() and about["Python"].count(".") == 2
