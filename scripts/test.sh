#!/usr/bin/env bash
# Set up and run the whole test suite: lint, the mini-program's jest suite, then every test on
# the embedded default (SQLite + fakeredis) and on PostgreSQL + Redis. With CI=true the services
# are required.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
failed=0

echo "== ruff =="
.venv/bin/ruff check . && .venv/bin/ruff format --check . || failed=1

echo "== jest: mini-program =="
if command -v npm >/dev/null && [ -d miniprogram/node_modules ]; then
  (cd miniprogram && npm test --silent -- --ci) || failed=1
else
  echo "!! 未找到 Node.js 或小程序测试依赖：请运行 scripts/setup.sh"
  failed=1
fi

reachable() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [ "${CI:-}" = "true" ] || { reachable 5432 && reachable 6379; }; then
  # Both backends at once: the services run waits on PostgreSQL, Redis and the servers it
  # starts about half the time (one of two cores idle), and the embedded run fills it. The
  # embedded run's output is shown once it has ended; each run has its own temporary files.
  temp=$(mktemp -d)
  echo "== pytest: embedded (SQLite + in-process Redis), in the background =="
  SONGJIAO_TEST_BACKEND=embedded .venv/bin/pytest --basetemp="$temp/embedded" "$@" \
    >"$temp/embedded.log" 2>&1 &
  embedded=$!
  echo "== pytest: services (PostgreSQL + Redis) =="
  SONGJIAO_TEST_BACKEND=services .venv/bin/pytest --basetemp="$temp/services" "$@" || failed=1
  wait "$embedded" || failed=1
  echo "== pytest: embedded (SQLite + in-process Redis) =="
  cat "$temp/embedded.log"
  rm -rf "$temp"
else
  echo "== pytest: embedded (SQLite + in-process Redis) =="
  SONGJIAO_TEST_BACKEND=embedded .venv/bin/pytest "$@" || failed=1
  echo "!! PostgreSQL 或 Redis 未运行：本次只在嵌入式后端上测试（CI=true 时必须可用）。"
fi

if [ "$failed" -ne 0 ]; then
  echo "测试失败 (tests failed)"
  exit 1
fi
echo "全部测试通过 (all tests passed)"
