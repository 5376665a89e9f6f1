"""Api and job workers keep what start-up made out of the cyclic collector and collect less often.

Only a serving process tunes it, once started: the test process builds many apps and
freezes nothing.
"""

from __future__ import annotations

import gc

from server.common.gc_tuning import GC_YOUNG_THRESHOLD, tune_gc


def test_tuning_freezes_startup_objects_and_raises_the_young_threshold():
    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, before[1], before[2])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_each_api_worker_tunes_the_collector_once_its_server_has_started(settings):
    from server.stopping import _tune_gc, api_for_serving

    app = api_for_serving(settings)
    after_start = [f.listener for f in app._future_listeners if f.event == "after_server_start"]
    assert _tune_gc in after_start
    assert gc.get_freeze_count() == 0  # building the app froze nothing


def test_a_job_worker_tunes_it_the_same_way():
    from server.jobs import broker

    assert broker.tune_gc is tune_gc
