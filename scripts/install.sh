#!/usr/bin/env bash
# Install diversion and everything it needs into ./.venv, from this repository's files.
#
# System packages (Debian): libicu-dev, pkg-config and g++ build PyICU (needed by
# normality/rigour); chromium and fonts-wqy-zenhei render reports, PNG/PDF export
# and the browser tests; a Java 17 runtime runs PySpark in local mode. They are
# installed with apt-get when missing and we are root (CI); otherwise a hint is
# printed. Python packages are pinned by constraints.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
need=()
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
dpkg -s libicu-dev >/dev/null 2>&1 || need+=(libicu-dev)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
dpkg -s fonts-wqy-zenhei >/dev/null 2>&1 || need+=(fonts-wqy-zenhei)
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing system packages: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "warning: missing system packages: ${need[*]} (install them with apt-get as root)" >&2
  fi
fi

[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -c constraints.txt -e '.[dev,spark,bench]'
echo "installed: $(.venv/bin/diversion --help >/dev/null && echo 'diversion CLI ok')"
