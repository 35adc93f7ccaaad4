#!/usr/bin/env bash
# Installs what the tests need beyond the .NET SDK on a fresh machine: Debian's Chromium, which the dashboard's browser
# tests drive, and a private PostgreSQL server (scripts/postgres.sh), which the PostgreSQL tests need running. The
# README's test command is `bash scripts/test-setup.sh && dotnet test`; .ci/run runs the same two.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 && [ -z "${SQLITEQUEUE_CHROMIUM:-}" ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Chromium for the dashboard's browser tests (apt-get install chromium)..."
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "The dashboard's browser tests need Chromium: install it (e.g. sudo apt-get install chromium) or set SQLITEQUEUE_CHROMIUM to its path." >&2
  fi
fi

# Installs Debian's postgresql package when needed and starts (or reuses) the server; prints its connection string.
bash scripts/postgres.sh start
