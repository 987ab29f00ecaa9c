#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for the tests (design section 7), shared by every test of one
# ctest run through the CTest fixture "postgres" (tests/CMakeLists.txt):
#   postgres_server.sh start DIR   initdb + start, listening only on a Unix socket in DIR
#   postgres_server.sh stop DIR    stop it and remove DIR
# A test process that finds no server in DIR starts its own (tests/support/postgres_server.hpp).
# When the server binaries are missing, `start` says so and exits 0: the tests then skip with the
# same message. initdb refuses to run as root, so as root it runs as the postgres user.
set -euo pipefail
action=${1:?usage: postgres_server.sh start|stop DIR}
dir=${2:?usage: postgres_server.sh start|stop DIR}
bin=${LEADSYNC_PG_BIN:-/usr/lib/postgresql/15/bin}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$action" in
start)
  if [ ! -x "$bin/initdb" ]; then
    echo "postgres_server: no PostgreSQL server binaries in $bin; run scripts/install-deps.sh" >&2
    exit 0
  fi
  if [ -f "$dir/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    echo "postgres_server: already running in $dir"
    exit 0
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
  as_owner "$bin/initdb" -D "$dir/data" -U leadsync --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  # Unix socket only (nothing to collide with on a port); fsync off: a test server holds nothing
  # worth keeping. Enough connections for three daemons and several pushes.
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-k $dir -c listen_addresses= -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null ||
    { cat "$dir/server.log" >&2; exit 1; }
  echo "postgres_server: running in $dir"
  ;;
stop)
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: postgres_server.sh start|stop DIR" >&2
  exit 2
  ;;
esac
