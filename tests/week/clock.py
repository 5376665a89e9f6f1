"""The week's clock: every process of the week reads its wall clock from one file.

The processes start with tests/week/clockhook on PYTHONPATH: its sitecustomize puts each
on time-machine's clock, offset from the real time by the seconds written in the file, and
follows the file. Moving the week's clock is writing a new offset. Only the wall clock
moves (time.time, datetime.now …); the monotonic clock that asyncio's timers and every
timeout use is left alone, so nothing times out or sleeps because of a jump. PostgreSQL and
Redis keep real time: the code stamps rows with its own clock (never SQL's now()), and
gives Redis durations, not moments.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta
from pathlib import Path

from server.common.time import CHINA, now

HOOK = Path(__file__).resolve().parent / "clockhook"


def china(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """A moment given in China time."""
    return datetime(year, month, day, hour, minute, second, tzinfo=CHINA)


class FakeClock:
    """The offset file every process of the week reads its wall clock from."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = timedelta(0)
        self.set(now(), settle=False)

    def set(self, moment: datetime, *, settle: bool = True) -> None:
        """From now on, every process's clock reads `moment` (and runs on from there)."""
        offset = (moment - now()).total_seconds()
        scratch = self.path.with_suffix(".tmp")
        scratch.write_text(f"{offset:.3f}\n")
        os.replace(scratch, self.path)  # whole, never half-written
        self._offset = timedelta(seconds=offset)
        if settle:
            time.sleep(0.3)  # every process's clock thread looks at the file each 50 ms

    def now(self) -> datetime:
        """What the processes' clocks read now."""
        return now() + self._offset

    def env(self) -> dict[str, str]:
        """The environment that puts a process on this clock."""
        path = os.environ.get("PYTHONPATH", "")
        return {
            "PYTHONPATH": str(HOOK) + (os.pathsep + path if path else ""),
            "SONGJIAO_WEEK_CLOCK_FILE": str(self.path),
        }
