#!/usr/bin/env bash
# Create .venv and install the project with its test tools; quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "需要 Python 3.11 或更新版本（当前：$("$PY" --version 2>&1)）" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv || {
    echo "无法创建虚拟环境；在 Debian/Ubuntu 上请先安装 python3-venv" >&2
    exit 1
  }
fi
stamp=.venv/.songjiao-installed
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "正在安装依赖……"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
  echo "$want" > "$stamp"
fi

# Posters and charts draw Chinese: a CJK font must exist, or text would render as boxes.
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "正在安装中文字体 fonts-noto-cjk……"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        fontconfig fonts-noto-cjk >/dev/null; } || echo "!! 中文字体安装失败，海报中的中文将无法显示" >&2
  elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then
    echo "正在安装中文字体 fonts-noto-cjk（需要 sudo）……"
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      fontconfig fonts-noto-cjk >/dev/null || echo "!! 中文字体安装失败" >&2
  else
    echo "!! 未找到中文字体：请安装 fonts-noto-cjk（Debian/Ubuntu）" >&2
  fi
fi

# The 简报 tests render every PDF page to PNG with poppler's pdftoppm (tests/artifacts/<run>/briefs).
if ! command -v pdftoppm >/dev/null; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "正在安装 PDF 渲染工具 poppler-utils……"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        poppler-utils >/dev/null; } || echo "!! poppler-utils 安装失败，简报页面无法渲染检查" >&2
  elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then
    echo "正在安装 PDF 渲染工具 poppler-utils（需要 sudo）……"
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      poppler-utils >/dev/null || echo "!! poppler-utils 安装失败" >&2
  else
    echo "!! 未找到 pdftoppm：请安装 poppler-utils（Debian/Ubuntu）" >&2
  fi
fi

# The mini-program's tests run on Node.js (jest + miniprogram-simulate); Debian's nodejs will do.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "正在安装 Node.js（nodejs、npm）……"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        nodejs npm >/dev/null; } || echo "!! Node.js 安装失败，小程序测试无法运行" >&2
  elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then
    echo "正在安装 Node.js（nodejs、npm，需要 sudo）……"
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      nodejs npm >/dev/null || echo "!! Node.js 安装失败" >&2
  else
    echo "!! 未找到 Node.js：请安装 nodejs 与 npm（Debian/Ubuntu）" >&2
  fi
fi
if command -v npm >/dev/null; then
  mp_stamp=miniprogram/node_modules/.songjiao-installed
  mp_want="$(sha256sum miniprogram/package-lock.json | cut -d' ' -f1)"
  if [ ! -f "$mp_stamp" ] || [ "$(cat "$mp_stamp")" != "$mp_want" ]; then
    echo "正在安装小程序测试依赖（npm ci）……"
    (cd miniprogram && npm ci --no-audit --no-fund --loglevel=error) && echo "$mp_want" > "$mp_stamp" \
      || echo "!! 小程序测试依赖安装失败" >&2
  fi
fi

# The web console's browser tests drive Debian's chromium with npm's playwright-core
# (which downloads no browser of its own).
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "正在安装 Chromium（管理后台浏览器测试）……"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        chromium >/dev/null; } || echo "!! Chromium 安装失败，管理后台浏览器测试无法运行" >&2
  elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then
    echo "正在安装 Chromium（需要 sudo）……"
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      chromium >/dev/null || echo "!! Chromium 安装失败" >&2
  else
    echo "!! 未找到 Chromium：请安装 chromium（Debian/Ubuntu），管理后台浏览器测试需要它" >&2
  fi
fi
if command -v npm >/dev/null; then
  web_stamp=tests/web/node_modules/.songjiao-installed
  web_want="$(sha256sum tests/web/package-lock.json | cut -d' ' -f1)"
  if [ ! -f "$web_stamp" ] || [ "$(cat "$web_stamp")" != "$web_want" ]; then
    echo "正在安装管理后台浏览器测试依赖（npm ci）……"
    (cd tests/web && npm ci --no-audit --no-fund --loglevel=error) && echo "$web_want" > "$web_stamp" \
      || echo "!! 管理后台浏览器测试依赖安装失败" >&2
  fi
fi
