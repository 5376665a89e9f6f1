"""A worker keeps what start-up made out of the cyclic collector and collects less often."""

from __future__ import annotations

import gc

from server.jobs.broker import GC_YOUNG_THRESHOLD, tune_gc


def test_worker_start_freezes_startup_objects_and_raises_the_young_threshold():
    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, before[1], before[2])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
