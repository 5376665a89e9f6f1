"""Put a `songjiao` process of the week test on the week's clock (imported at start-up).

The week test puts this folder on PYTHONPATH, so Python imports this module before anything
else in every process it starts, Sanic's worker processes included. With
SONGJIAO_WEEK_CLOCK_FILE set, the wall clock (time.time, datetime.now, date.today …) reads
the real time plus the offset in seconds written in that file, through time-machine; a
thread follows the file, so the test moves every process's clock by writing it. The
monotonic clock, which asyncio's timers and every timeout use, is left alone. Nothing in the
project imports this module; without the variable it does nothing.
"""

import os

_PATH = os.environ.get("SONGJIAO_WEEK_CLOCK_FILE")

if _PATH:
    import threading
    import time

    import time_machine
    from time_machine import escape_hatch

    def _offset() -> float:
        with open(_PATH) as f:
            return float(f.read().strip())  # written whole: the test renames it into place

    _traveller = time_machine.travel(time.time() + _offset(), tick=True)
    _coordinates = _traveller.start()

    def _follow() -> None:
        seen = os.stat(_PATH).st_mtime_ns
        while True:
            time.sleep(0.05)  # not patched: a real pause
            try:
                stamp = os.stat(_PATH).st_mtime_ns
                if stamp != seen:
                    seen = stamp
                    _coordinates.move_to(escape_hatch.time.time() + _offset())
            except (OSError, ValueError):
                continue

    def _start_following() -> None:
        threading.Thread(target=_follow, name="week-clock", daemon=True).start()

    _start_following()
    # A forked child (taskiq's worker processes) keeps the clock but not the thread.
    os.register_at_fork(after_in_child=_start_following)
