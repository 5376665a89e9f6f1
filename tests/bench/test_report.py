"""The benchmark report: ratios read from the benchmarks' output, the document rewritten."""

from __future__ import annotations

from bench.report import BENCHES, END, START, machine, read_result, render, write

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
city         150.2ms  140.1ms       110.0ms  100.0ms   1.37
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


def results():
    outputs = {"checkin": (CHECKIN, 0), "fanout": (FANOUT, 1), "summary": (SUMMARY, 0)}
    return [
        read_result(b, returncode=outputs[b.name][1], seconds=12.0, output=outputs[b.name][0])
        for b in BENCHES
    ]


def test_every_ratio_printed_by_a_benchmark_is_read():
    checkin, fanout, summary = results()
    assert [(r.label, r.value) for r in checkin.ratios] == [("check-in / bare Sanic", 0.2)]
    assert "1,340 req/s" in checkin.ratios[0].measured
    assert fanout.ratios[0].value == 0.26 and "4,000 sends/s" in fanout.ratios[0].baseline
    assert [r.value for r in summary.ratios] == [1.37, 1.33]
    assert fanout.verdict.startswith("FAILED") and checkin.verdict == "OK"


def test_the_document_gets_the_results_and_keeps_its_explanations(tmp_path):
    doc = tmp_path / "performance.md"
    doc.write_text(HAND_WRITTEN)
    write(render(results(), ABOUT), doc)
    first = doc.read_text()
    assert first.startswith("# Performance\n\nEvery benchmark prints")
    assert "On this machine the target is not reachable: two cores." in first
    assert first.index(END) < first.index("## Fan-out")
    for text in ("**0.200**", "**0.260**", "**1.370**", "**1.330**", "Test CPU @ 2.0GHz"):
        assert text in first
    assert "FAIL: 3 parents got no message" in first  # the raw output, for the reader
    fanout_row = next(line for line in first.splitlines() if line.startswith("| `fanout`"))
    assert "| ratio ≥ 0.8 | no | FAILED (exit 1) |" in fanout_row
    summary_row = next(line for line in first.splitlines() if "summary, city" in line)
    assert "| yes | OK |" in summary_row

    # A second run replaces its section and nothing else.
    again = results()
    again[0].ratios[0].value = 0.24
    write(render(again, ABOUT), doc)
    second = doc.read_text()
    assert second.count(START) == 1 and "**0.240**" in second and "**0.200**" not in second
    assert second.replace("**0.240**", "**0.200**") == first


def test_the_machine_is_described():
    about = machine("PostgreSQL 15, Redis 7")
    assert {"CPU", "cores", "RAM", "Python", "backend", "date"} <= set(about)
    assert about["cores"].isdigit() and about["Python"].count(".") == 2
