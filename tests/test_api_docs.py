"""docs/api.md is generated from the app: it must list every route as the app serves it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_api_document_matches_the_routes():
    # Its own process: the script builds an app of its own, with its own database.
    done = subprocess.run(
        [sys.executable, "scripts/api_docs.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,  # not timed: a busy two-core machine took more than 120 s
    )
    assert done.returncode == 0, done.stdout + done.stderr
