#!/usr/bin/env bash
# A private PostgreSQL server for the test suite: the PostgreSQL tests need a real server (no fake can stand in for
# its locking and transaction behaviour), and the machines that run them have no Docker. Debian's own cluster
# (pg_ctlcluster) is not used, so nothing outside the state folder is changed besides installing the package.
#
#   bash scripts/postgres.sh start       install Debian's postgresql package if no initdb is found (as root), then
#                                        start a server on 127.0.0.1 (or reuse the one already running) and print
#                                        its connection string; a running server whose configuration predates the
#                                        current one (see has_current_config) is replaced by a fresh one
#   bash scripts/postgres.sh stop        stop the server and remove the state folder; fine when nothing runs
#   bash scripts/postgres.sh status      exit 0 when the server runs
#   bash scripts/postgres.sh connection  print the connection string
#
# SQLITEQUEUE_PG_DIR names the state folder (default ${TMPDIR:-/tmp}/sqlitequeue-pg) and SQLITEQUEUE_PG_PORT the port
# (default 54329). The tests read the connection string from the folder's `connection` file, or from
# SQLITEQUEUE_TEST_PG.
set -euo pipefail

state="${SQLITEQUEUE_PG_DIR:-${TMPDIR:-/tmp}/sqlitequeue-pg}"
case "$state" in
  /*) ;;
  *) state="$PWD/$state" ;;
esac
state="${state%/}"
port="${SQLITEQUEUE_PG_PORT:-54329}"
data="$state/data"
log="$state/postgres.log"
connection_file="$state/connection"
# Written at creation, so that start and stop never wipe a folder this script did not make.
marker="$state/.sqlitequeue-pg"
connection="Host=127.0.0.1;Port=$port;Username=sqlitequeue;Database=sqlitequeue_test"

# initdb and postgres refuse to run as root, and a server started from a folder the service user cannot read fails.
cd /

fail() {
  echo "postgres.sh: $*" >&2
  exit 1
}

is_root() {
  [ "$(id -u)" -eq 0 ]
}

# The bin folder of the highest PostgreSQL version found on PATH or under /usr/lib/postgresql; empty when none.
find_bin() {
  local candidates=() found best="" best_version="" version
  if found="$(command -v initdb 2>/dev/null)"; then
    candidates+=("$(dirname "$(readlink -f "$found")")")
  fi
  for found in /usr/lib/postgresql/*/bin/initdb; do
    [ -x "$found" ] && candidates+=("$(dirname "$found")")
  done
  for found in ${candidates[@]+"${candidates[@]}"}; do
    version="$("$found/initdb" --version 2>/dev/null | awk '{print $NF}')" || continue
    [ -n "$version" ] || continue
    if [ -z "$best" ] || [ "$(printf '%s\n%s\n' "$best_version" "$version" | sort -V | tail -n 1)" = "$version" ]; then
      best="$found"; best_version="$version"
    fi
  done
  printf '%s' "$best"
}

# A PostgreSQL program: from the chosen bin folder, else from PATH (Debian puts the clients' wrappers there).
tool() {
  if [ -n "$bin" ] && [ -x "$bin/$1" ]; then
    printf '%s' "$bin/$1"
  else
    command -v "$1" 2>/dev/null || true
  fi
}

# The unprivileged user that owns the server: the package's postgres user, else a system user of our own.
pg_user() {
  if id -u postgres >/dev/null 2>&1; then
    printf 'postgres'
  else
    if ! id -u sqlitequeue-pg >/dev/null 2>&1; then
      useradd --system --no-create-home --home-dir / --shell /usr/sbin/nologin sqlitequeue-pg
    fi
    printf 'sqlitequeue-pg'
  fi
}

as_owner() {
  if is_root; then
    runuser -u "$owner" -- "$@"
  else
    "$@"
  fi
}

# The postmaster's pid when one from this folder is alive; checking the program's name keeps a stale pid file whose
# pid was reused from sending signals to an unrelated process.
server_pid() {
  local pid
  [ -f "$data/postmaster.pid" ] || return 1
  pid="$(head -n 1 "$data/postmaster.pid" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" != "postgres" ]; then
    return 1
  fi
  printf '%s' "$pid"
}

answers() {
  local isready
  isready="$(tool pg_isready)"
  [ -n "$isready" ] || return 1
  "$isready" -q -h 127.0.0.1 -p "$port" -t 2 >/dev/null 2>&1
}

running() {
  server_pid >/dev/null && answers
}

# The multi-host tests reach the server from network namespaces over veth pairs in 10.231.0.0/16, so the server
# listens on every address while pg_hba admits only loopback and that range. A server set up before this rule has no
# such pg_hba line and must be replaced rather than reused.
has_current_config() {
  grep -q '^host all all 10\.231\.0\.0/16 trust$' "$data/pg_hba.conf" 2>/dev/null
}

ours_or_absent() {
  [ ! -e "$state" ] || [ -f "$marker" ] || [ -z "$(ls -A "$state" 2>/dev/null)" ]
}

stop_server() {
  local pid pg_ctl waited=0
  pid="$(server_pid)" || return 0
  owner="$(stat -c %U "$data")"
  pg_ctl="$(tool pg_ctl)"
  if [ -n "$pg_ctl" ]; then
    as_owner "$pg_ctl" stop -D "$data" -m fast -w -t 60 >/dev/null 2>&1 || true
  fi
  # Without pg_ctl, or when it gave up, SIGINT is the same fast shutdown.
  if kill -0 "$pid" 2>/dev/null; then
    kill -INT "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 60 ]; do
      sleep 1; waited=$((waited + 1))
    done
    kill -0 "$pid" 2>/dev/null && fail "the server (pid $pid) did not stop within 60 s"
  fi
  return 0
}

psql_admin() {
  "$(tool psql)" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres -tA "$@"
}

ensure_role_and_database() {
  if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'sqlitequeue'")" != "1" ]; then
    psql_admin -c "CREATE ROLE sqlitequeue LOGIN SUPERUSER" >/dev/null
  fi
  if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'sqlitequeue_test'")" != "1" ]; then
    psql_admin -c "CREATE DATABASE sqlitequeue_test OWNER sqlitequeue" >/dev/null
  fi
}

write_connection() {
  printf '%s\n' "$connection" >"$connection_file.tmp"
  chmod 644 "$connection_file.tmp"
  mv -f "$connection_file.tmp" "$connection_file"
  printf '%s\n' "$connection"
}

start() {
  bin="$(find_bin)"
  if [ -z "$bin" ]; then
    if is_root && command -v apt-get >/dev/null 2>&1; then
      echo "Installing PostgreSQL for the PostgreSQL tests (apt-get install postgresql)..." >&2
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
      bin="$(find_bin)"
      [ -n "$bin" ] || fail "postgresql was installed but no initdb was found on PATH or under /usr/lib/postgresql/*/bin."
    else
      fail "the PostgreSQL tests need a PostgreSQL server, and no initdb was found on PATH or under /usr/lib/postgresql/*/bin. Install it (e.g. sudo apt-get install postgresql) or run this script as root to have it installed."
    fi
  fi
  for program in pg_ctl postgres pg_isready psql; do
    [ -n "$(tool "$program")" ] || fail "found initdb in $bin but not $program."
  done

  if [ -d "$data" ] && server_pid >/dev/null; then
    if answers && has_current_config; then
      ensure_role_and_database
      write_connection
      return 0
    fi
    # Alive but not answering on this port (started with another port, or hung), or set up by an older version of
    # this script: start over.
    stop_server
  fi

  ours_or_absent || fail "$state exists and was not made by this script; remove it or set SQLITEQUEUE_PG_DIR to another folder."
  # A test server keeps nothing worth reusing: a fresh cluster each start avoids repairing a half-made one.
  rm -rf "$state"
  mkdir -p "$state"
  touch "$marker"
  if is_root; then
    owner="$(pg_user)"
    chown -R "$owner": "$state"
  else
    owner="$(id -un)"
  fi
  # Readable by all, so that tests run as another user find the connection file; the data folder stays private.
  chmod 755 "$state"
  as_owner test -w "$state" ||
    fail "user $owner cannot write $state (a parent folder is closed to it); set SQLITEQUEUE_PG_DIR to a folder under /tmp."

  as_owner "$(tool initdb)" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C >"$state/initdb.log" 2>&1 ||
    { cat "$state/initdb.log" >&2; fail "initdb failed (log above)."; }

  # TCP from 127.0.0.1 and the multi-host tests' veth range only (listen_addresses takes no netmask, hence '*'), and
  # the socket inside the state folder so that it clashes with no other server.
  cat >"$data/pg_hba.conf" <<EOF
local all all trust
host all all 127.0.0.1/32 trust
host all all 10.231.0.0/16 trust
EOF
  cat >>"$data/postgresql.conf" <<EOF

# scripts/postgres.sh
listen_addresses = '*'
port = $port
unix_socket_directories = '$state'
max_connections = 200
EOF
  chown "$owner": "$data/pg_hba.conf" "$data/postgresql.conf" 2>/dev/null || true

  as_owner "$(tool pg_ctl)" start -D "$data" -l "$log" -W >/dev/null 2>&1 ||
    { tail -n 30 "$log" >&2 2>/dev/null || true; fail "pg_ctl start failed (log: $log)."; }

  local waited=0
  until answers; do
    if [ "$waited" -ge 60 ]; then
      tail -n 30 "$log" >&2 2>/dev/null || true
      fail "the server did not answer on 127.0.0.1:$port within 60 s (log: $log)."
    fi
    if [ "$waited" -ge 2 ] && ! server_pid >/dev/null; then
      tail -n 30 "$log" >&2 2>/dev/null || true
      fail "the server exited while starting (log: $log)."
    fi
    sleep 1; waited=$((waited + 1))
  done

  ensure_role_and_database
  write_connection
}

stop() {
  bin="$(find_bin)"
  if [ -d "$data" ]; then
    stop_server
  fi
  if [ -e "$state" ]; then
    ours_or_absent || fail "$state exists and was not made by this script; not removing it."
    rm -rf "$state"
  fi
}

status() {
  bin="$(find_bin)"
  if running; then
    echo "running on 127.0.0.1:$port ($data)"
  else
    echo "not running"
    return 1
  fi
}

print_connection() {
  [ -f "$connection_file" ] || fail "no server has been started; run: bash scripts/postgres.sh start"
  cat "$connection_file"
}

bin=""
owner=""
case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  connection) print_connection ;;
  *)
    echo "usage: bash scripts/postgres.sh start|stop|status|connection" >&2
    exit 2
    ;;
esac
