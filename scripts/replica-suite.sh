#!/usr/bin/env bash
# Replica suite: a throwaway primary and a hot standby cloned from it with pg_basebackup, then the OData
# integration tests with writes on the primary and every read on the standby. Both are removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
work=$(mktemp -d "${TMPDIR:-/tmp}/taskfeed-replica.XXXXXX")
chmod 755 "$work"

# initdb and postgres refuse to run as root: run them as the postgres OS user, in directories it owns.
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
[ "$(id -u)" = 0 ] && chown postgres: "$work"

stop_cluster() {
  [ -f "$1/postmaster.pid" ] && as_postgres "$PG_BIN/pg_ctl" -D "$1" -m immediate -w stop >/dev/null 2>&1 || true
}
cleanup() {
  stop_cluster "$work/standby"
  stop_cluster "$work/primary"
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}
primary_port=$(free_port)
standby_port=$(free_port)
while [ "$standby_port" = "$primary_port" ]; do standby_port=$(free_port); done

echo "== primary on 127.0.0.1:$primary_port"
as_postgres "$PG_BIN/initdb" -D "$work/primary" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$work/initdb.log"
cat >>"$work/primary/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $primary_port
unix_socket_directories = '$work'
max_connections = 200
wal_level = replica
max_wal_senders = 5
hot_standby = on
hot_standby_feedback = on
# A throwaway cluster: durability across an OS crash is not needed.
fsync = off
full_page_writes = off
CONF
echo "host replication all 127.0.0.1/32 trust" >>"$work/primary/pg_hba.conf"
as_postgres "$PG_BIN/pg_ctl" -D "$work/primary" -l "$work/primary.log" -w start >/dev/null
psql "postgres://postgres@127.0.0.1:$primary_port/postgres" -qc 'CREATE DATABASE test'

echo "== hot standby on 127.0.0.1:$standby_port (pg_basebackup -R -X stream)"
as_postgres "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$work/standby" -R -X stream
echo "port = $standby_port" >>"$work/standby/postgresql.conf"
as_postgres "$PG_BIN/pg_ctl" -D "$work/standby" -l "$work/standby.log" -w start >/dev/null
in_recovery=$(psql "postgres://postgres@127.0.0.1:$standby_port/test" -qtAc 'SELECT pg_is_in_recovery()')
if [ "$in_recovery" != t ]; then
  echo "the standby is not in recovery" >&2
  exit 1
fi

# Arguments replace the default test path patterns (e.g. one file while investigating).
patterns=("$@")
[ ${#patterns[@]} -eq 0 ] && patterns=(test/integration/odata- test/integration/metrics.test.ts)
echo "== OData integration tests: writes on the primary, reads on the standby"
TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$primary_port/test" \
TEST_DATABASE_READ_URL="postgres://postgres@127.0.0.1:$standby_port/test" \
  node --experimental-vm-modules node_modules/jest/bin/jest.js "${patterns[@]}"
