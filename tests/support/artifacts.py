"""Where a test leaves files for a person to look at (PDF pages, screenshots).

tests/artifacts/<run>/<name>, one folder per run: scripts/test.sh runs the embedded and the
services suites side by side, and with one shared folder each run overwrote the other's
certificate pages while it was reading them back (a PNG gone, another run's PDF opened).
"""

from __future__ import annotations

from pathlib import Path

from tests.support import backends

ROOT = Path(__file__).resolve().parents[1] / "artifacts"


def artifacts(name: str) -> Path:
    """The folder for `name` in this run's own place (ignored by git)."""
    run = backends.backend() + (f"-slot{backends.TEST_SLOT}" if backends.TEST_SLOT else "")
    return ROOT / run / name
