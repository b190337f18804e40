#!/usr/bin/env bash
# pg_repl.sh: the peer of issue 12's end-to-end figure: PostgreSQL 15 logical replication of the
# same rows liudong imports.
#
#   usage: bench/pg_repl.sh CSV N        (CSV from bench/register_csv.py; N its rows)
#
# Sets up two fresh PostgreSQL 15 clusters under BENCH_TMPDIR (default /var/tmp) on 127.0.0.1,
# two free ports: the publisher (wal_level = logical) and the subscriber, both with fsync on and
# synchronous_commit on (the defaults; set explicitly), shared_buffers 256MB, other settings the
# defaults. Table `members` with the register's columns (id the primary key) on both; a
# publication of it, and a subscription over loopback (copy_data off: the table is empty).
#
# The load: one client (psql) at the publisher runs N/1000 transactions, each
# `BEGIN; COPY members FROM STDIN (FORMAT csv); <1,000 rows>; COMMIT;`. Timed from just before
# that client starts until the subscriber holds the last row (polled every 2 ms inside the
# subscriber by one plpgsql loop, an index lookup of the largest id: the apply worker commits the
# publisher's transactions in order, so the last row there means all are). Then the subscriber's
# count(*) must be N.
#
# Prints one JSON object on stdout: rows, load_s (the publisher's client), e2e_s, rows_per_s.
# PostgreSQL refuses to run as root: as root the clusters run as user liudongbench (created if
# missing, no login shell, no home); otherwise as the calling user. Both clusters are stopped and
# removed on every exit, Ctrl-C included (KEEP_BENCH=1 keeps the directories).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGUSER_NAME=liudongbench
BENCH_NAME=pg_repl
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
[ $# -eq 2 ] || {
  echo "usage: bench/pg_repl.sh CSV N" >&2
  exit 2
}
CSV=$1 N=$2
[ -x "$PGBIN/postgres" ] || die "no PostgreSQL at $PGBIN (set PGBIN)"
command -v psql >/dev/null || die "no psql"

if [ "$(id -u)" = 0 ]; then
  if ! id "$PGUSER_NAME" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$PGUSER_NAME" ||
      die "cannot create user $PGUSER_NAME"
  fi
  as() { runuser -u "$PGUSER_NAME" -- "$@"; }
  RUNAS=$PGUSER_NAME
else
  as() { "$@"; }
  RUNAS=$(id -un)
fi

WORK=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/liudong-pg.XXXXXX")
chmod 755 "$WORK"
[ "$(id -u)" != 0 ] || chown "$PGUSER_NAME" "$WORK"
STARTED=()
cleanup() {
  local rc=$?
  for c in "${STARTED[@]}"; do
    as "$PGBIN/pg_ctl" -D "$WORK/$c" -m immediate -w stop >/dev/null 2>&1 || true
  done
  if [ "${KEEP_BENCH:-0}" = 1 ]; then say "kept $WORK"; else rm -rf -- "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT_PUB=$(port)
PORT_SUB=$(port)

cluster() { # NAME PORT EXTRA-SETTINGS...
  local name=$1 port=$2
  shift 2
  as "$PGBIN/initdb" -D "$WORK/$name" -U "$RUNAS" --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$WORK/$name.initdb.log" 2>&1 || die "initdb $name failed: $(tail -3 "$WORK/$name.initdb.log")"
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $port"
    echo "unix_socket_directories = '$WORK'"
    echo "shared_buffers = 256MB"
    echo "fsync = on"
    echo "synchronous_commit = on"
    for s in "$@"; do echo "$s"; done
  } >>"$WORK/$name/postgresql.conf"
  as "$PGBIN/pg_ctl" -D "$WORK/$name" -l "$WORK/$name.log" -w start >/dev/null ||
    die "cluster $name did not start: $(tail -5 "$WORK/$name.log")"
  STARTED+=("$name")
}
sql() { # PORT [psql args...]
  local port=$1
  shift
  as psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$RUNAS" -d postgres "$@"
}

cluster pub "$PORT_PUB" "wal_level = logical"
cluster sub "$PORT_SUB"

TABLE='CREATE TABLE members (
  id text PRIMARY KEY, name text NOT NULL, sex text NOT NULL, birth date NOT NULL,
  joined date NOT NULL, kind text NOT NULL, branch text NOT NULL, dues_category text NOT NULL,
  income numeric(12,2), phone text, "to" text, place text, reason text, "from" date,
  until date, fixed_place boolean, employer text);'
sql "$PORT_PUB" -c "$TABLE" -c 'CREATE PUBLICATION bench FOR TABLE members;'
sql "$PORT_SUB" -c "$TABLE" -c "CREATE SUBSCRIPTION bench
  CONNECTION 'host=127.0.0.1 port=$PORT_PUB dbname=postgres user=$RUNAS'
  PUBLICATION bench WITH (copy_data = false);" 2>/dev/null
# The subscription is live when its slot at the publisher is active.
for _ in $(seq 300); do
  [ "$(sql "$PORT_PUB" -At -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'bench' AND active")" = 1 ] && break
  sleep 0.1
done
[ "$(sql "$PORT_PUB" -At -c "SELECT count(*) FROM pg_replication_slots WHERE active")" = 1 ] ||
  die "the subscription did not connect in 30 s: $(tail -5 "$WORK/sub.log")"

# The load script: N/1000 transactions of one COPY of 1,000 rows each.
LOAD=$WORK/load.sql
python3 - "$CSV" "$LOAD" <<'PY'
import sys
with open(sys.argv[1], encoding='utf-8') as f, open(sys.argv[2], 'w', encoding='utf-8') as out:
    next(f)
    rows = f.readlines()
    for i in range(0, len(rows), 1000):
        out.write('BEGIN;\nCOPY members FROM STDIN WITH (FORMAT csv);\n')
        out.writelines(rows[i:i + 1000])
        out.write('\\.\nCOMMIT;\n')
PY
chmod 644 "$LOAD"
LAST_ID=$(tail -n 1 "$CSV" | cut -d, -f1)

# The waiter: connected before the load starts; prints the subscriber's clock when the last row
# is there.
sql "$PORT_SUB" -At -c "DO \$\$ BEGIN
  LOOP
    PERFORM 1 FROM members WHERE id = '$LAST_ID';
    EXIT WHEN FOUND;
    PERFORM pg_sleep(0.002);
  END LOOP; END \$\$;" -c "SELECT (extract(epoch FROM clock_timestamp()) * 1e9)::bigint" \
  >"$WORK/waiter.out" 2>"$WORK/waiter.err" &
WAITER=$!
sleep 0.3
warm_memory
t0=$(date +%s%N)
sql "$PORT_PUB" -f "$LOAD" || die "the load at the publisher failed"
t1=$(date +%s%N)
wait "$WAITER" || die "the waiter failed: $(cat "$WORK/waiter.err")"
t2=$(cat "$WORK/waiter.out")
count=$(sql "$PORT_SUB" -At -c 'SELECT count(*) FROM members')
[ "$count" = "$N" ] || die "the subscriber holds $count rows, not $N"
python3 -c '
import json, sys
n, t0, t1, t2 = (int(x) for x in sys.argv[1:])
e2e = (t2 - t0) / 1e9
print(json.dumps({"bench": "pg_logical_replication", "rows": n, "per_txn": 1000,
                  "load": "COPY", "load_s": round((t1 - t0) / 1e9, 4),
                  "e2e_s": round(e2e, 4), "rows_per_s": round(n / e2e, 1)}))' "$N" "$t0" "$t1" "$t2"
