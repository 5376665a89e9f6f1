"""The cyclic garbage collector of a long-running process (an api or job worker)."""

from __future__ import annotations

import gc

#: A collection of the youngest objects after this many new ones instead of Python's 700
#: (the older generations keep their factor of 10).
GC_YOUNG_THRESHOLD = 10_000


def tune_gc() -> None:
    """Collect once, keep what start-up made out of every later collection, collect less often.

    Call it once a serving process has started (never in a test process, which builds
    many apps). A fan-out worker spent a quarter of its CPU in Python's cyclic collector
    (issue 18: 0.27 ms per delivery before, 0.20 after): every send leaves a few objects in
    reference cycles (aiohttp's request and answer, futures), so the youngest generation
    filled every few sends, and each full collection walked the ~175,000 objects the
    imports made (modules, models, schemas), which live as long as the process. An api
    worker is alike: each request leaves cycles (Sanic's request, its tasks and futures).
    Frozen, the start-up objects are never walked again; with the higher threshold, cycles
    wait for at most 10,000 new objects (a few megabytes) before they are freed. Nothing
    relies on a cycle being freed sooner.
    """
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)
