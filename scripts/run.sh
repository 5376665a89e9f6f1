#!/usr/bin/env bash
# Set up and run the server on the embedded default (SQLite, in-process Redis stand-in,
# the WeChat sandbox) with demo data. Extra arguments go to `songjiao serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/songjiao serve --demo "$@"
