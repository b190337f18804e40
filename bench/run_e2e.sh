#!/usr/bin/env bash
# run_e2e.sh: liudong end to end (issue 12, acceptance 1, 2 and 5): an N-row register (every row
# registered out to 南京) imported at site A (昆山) with `liudong import members`, site B (南京)
# pinned both ways. B's head (`site`) is polled every 5 ms by bench_sync wait, which also samples
# both daemons' memory.
#
#   usage: bench/run_e2e.sh CSV N OUT_DIR       (BUILD_DIR: default build-release)
#          MODE=timed   (default) B up and live during the import: the end-to-end figure, timed
#                       from the start of the import command until B's head counts all N events
#          MODE=catchup B stopped during the import, then started: A's import and B's apply each
#                       alone (B's apply timed from the moment it is started until its head counts
#                       all N: its start, the TLS handshake and its catch-up)
#          MODE=trace   as catchup, both daemons running with bench/liblmdbtrace.so; afterwards
#                       bench/lmdb_replay replays A's write transactions of the import (from the
#                       start of the command to its answer) and B's from its start to its last
#                       event into fresh stores: the raw LMDB floors; then both again with
#                       the log and the members alone (lmdb_replay --only log,members): the
#                       floors of a schema without outbox and origins (lean_a, lean_b)
#          MODE=perf    as catchup, with `perf record -g` on A during the import and on B (run
#                       under perf from its start) until it caught up; OUT_DIR/perf-a.txt and
#                       perf-b.txt get the top functions
#          PERF_LIVE=1  (MODE=timed) `perf record` on both daemons from the import's start until
#                       B applied all: OUT_DIR/perf-a.data, perf-b.data (the live shape: A's
#                       sender and B's apply run during the import); PERF_CALLGRAPH sets perf's
#                       call-graph options in both (default -g)
#
# Prints one JSON object on stdout: rows, import_s (the command at A), e2e_s and members_per_s
# (timed), b_apply_s, peak VmHWM of both daemons (KiB), in trace mode the four replays, and the CPU
# time of both daemons (a_cpu_s, b_cpu_s). Sites
# live under BENCH_TMPDIR (default /var/tmp) and are removed on exit (KEEP_BENCH=1 keeps them);
# daemons are stopped on every exit, Ctrl-C included. Each timed part (the import, B's catch-up)
# and each replay starts right after warm_memory (bench/lib.sh; WARM_MIB=0: not), so all meet
# memory in the same state. KEEP_BENCH=1 in trace mode also keeps WORK/replay.args: each site's
# trace and window, for `lmdb_replay --trace LINE --dir NEW_DIR`.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build-release}
MODE=${MODE:-timed}
[ $# -eq 3 ] || {
  echo "usage: bench/run_e2e.sh CSV N OUT_DIR" >&2
  exit 2
}
CSV=$1 N=$2 OUT=$3
LIUDONGD=$BUILD/server/liudongd
LIUDONG=$BUILD/client/liudong
BENCH_SYNC=$BUILD/bench/bench_sync
REPLAY=$BUILD/bench/lmdb_replay
TRACELIB=$BUILD/bench/liblmdbtrace.so
BENCH_NAME=run_e2e
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
mkdir -p "$OUT"

WORK=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/liudong-e2e.XXXXXX")
PA= PB= PERFA= PERFB= WAITER=
cleanup() {
  local rc=$?
  for p in $PERFA $PERFB $WAITER; do kill -INT "$p" 2>/dev/null || true; done
  for p in $PERFA $PERFB $WAITER; do wait "$p" 2>/dev/null || true; done
  [ -z "$PA" ] || stop_pid "liudongd A" "$PA" || rc=1
  [ -z "$PB" ] || stop_pid "liudongd B" "$PB" || rc=1
  if [ "${KEEP_BENCH:-0}" = 1 ]; then say "kept $WORK"; else rm -rf -- "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cpu_ms() { # PID: the CPU time (user + system) the process took so far, in ms
  awk '{ print ($14 + $15) * 10 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

start() { # KEY: start site KEY's daemon (traced in trace mode); sets PA or PB
  local key=$1 env=()
  [ "$MODE" != trace ] || env=(LIUDONG_LMDB_TRACE="$WORK/$key.trace" LD_PRELOAD="$TRACELIB")
  env "${env[@]}" "$LIUDONGD" -c "$WORK/$key/liudongd.conf" 2>"$WORK/$key.log" &
  if [ "$key" = a ]; then PA=$!; else PB=$!; fi
}

pair_init "$LIUDONGD"
start a
start b
pair_pin
base=$(jget "$(b --json site)" 'd["head_seq"]')
sleep 0.5 # let the connection's first exchanges settle

# waiter: bench_sync wait on B's socket until B's head is base + N (polls every 5 ms; samples
# both daemons' memory every 100 ms).
waiter() {
  "$BENCH_SYNC" wait --socket "$WORK/b/liudongd.sock" --head $((base + N)) --base "$base" \
    --poll-ms 5 --sample-ms 100 --stall 120 --pid "a=$PA" --pid "b=$PB" --json \
    >"$WORK/wait.json" 2>"$WORK/wait.err" &
  WAITER=$!
}
perf_on() { # KEY: perf record -g on site KEY's daemon
  local pid
  pid=$([ "$1" = a ] && echo "$PA" || echo "$PB")
  perf record -q ${PERF_CALLGRAPH:--g} -p "$pid" -o "$OUT/perf-$1.data" 2>"$OUT/perf-$1.err" &
  if [ "$1" = a ]; then PERFA=$!; else PERFB=$!; fi
  sleep 1 # perf attaches
}
perf_off() { # KEY
  local p
  p=$([ "$1" = a ] && echo "$PERFA" || echo "$PERFB")
  [ -n "$p" ] || return 0
  kill -INT "$p"
  wait "$p" || true
  if [ "$1" = a ]; then PERFA=; else PERFB=; fi
}

if [ "$MODE" = timed ]; then
  waiter
else
  # Catch-up shape: B is stopped while A imports, then started; so A's import and B's apply are
  # each measured (and traced or profiled) alone.
  stop_pid "liudongd B" "$PB" || die "B did not stop cleanly"
  PB=
fi
[ "$MODE" != perf ] || perf_on a
if [ "$MODE" = timed ] && [ "${PERF_LIVE:-0}" = 1 ]; then perf_on a; perf_on b; fi
sleep 0.1
warm_memory # lib.sh: each timed run (and each floor) meets memory in the same state
t0=$(now_ns)
ca0=$(cpu_ms "$PA")
cb0=0
[ "$MODE" != timed ] || cb0=$(cpu_ms "$PB")
a --json import members "$CSV" >"$WORK/import.json" 2>"$WORK/import.err" ||
  die "the import failed: $(cat "$WORK/import.err")"
t1=$(now_ns)
ca1=$(cpu_ms "$PA")
[ "$MODE" = timed ] || perf_off a
tb=0
if [ "$MODE" != timed ]; then
  sleep 0.5
  warm_memory
  tb=$(now_ns) # B starts: it opens its store, connects to A and applies what A sends
  if [ "$MODE" = perf ]; then # B under perf from its start: its catch-up is over in a second
    perf record -q ${PERF_CALLGRAPH:--g} -o "$OUT/perf-b.data" -- "$LIUDONGD" -c "$WORK/b/liudongd.conf" \
      2>"$WORK/b.log" &
    PERFB=$!
    for _ in $(seq 200); do PB=$(pgrep -P "$PERFB" || true); [ -z "$PB" ] || break; sleep 0.01; done
  else
    start b
  fi
  for _ in $(seq 400); do b site >/dev/null 2>&1 && break; sleep 0.01; done
  waiter
fi
wait "$WAITER" || die "B did not apply all $N events: $(cat "$WORK/wait.json" "$WORK/wait.err")"
WAITER=
if [ "$MODE" = timed ] && [ "${PERF_LIVE:-0}" = 1 ]; then perf_off a; perf_off b; fi
cb=$(cpu_ms "$PB")
ca2=$(cpu_ms "$PA")
if [ "$MODE" = perf ]; then # B is perf's child: stop it, then perf ends by itself
  kill -TERM "$PB"
  PB=
  wait "$PERFB" || true
  PERFB=
fi
W=$(cat "$WORK/wait.json")
done_ms=$(jget "$W" 'd["done_ms"]')
first_ms=$(jget "$W" 'd["first_ms"]')

if [ "$MODE" = perf ]; then
  for k in a b; do
    perf report -i "$OUT/perf-$k.data" --no-children --percent-limit 1.5 --stdio 2>/dev/null |
      grep -E '^ +[0-9.]+%' | head -15 >"$OUT/perf-$k.txt" || true
  done
fi

REPLAY_A=null REPLAY_B=null LEAN_A=null LEAN_B=null
if [ "$MODE" = trace ]; then
  stop_pid "liudongd A" "$PA" || die "A did not stop cleanly"
  PA=
  stop_pid "liudongd B" "$PB" || die "B did not stop cleanly"
  PB=
  # The two replays' windows, kept with the traces (KEEP_BENCH=1) so a floor can be measured again:
  # WORK/replay.args holds one line per site: its trace, --from and --to.
  printf '%s\n' "$WORK/a.trace --from $t0 --to $t1" "$WORK/b.trace --from $tb --to ${done_ms}000000" \
    >"$WORK/replay.args"
  warm_memory
  REPLAY_A=$("$REPLAY" --trace "$WORK/a.trace" --dir "$WORK/replay-a" --from "$t0" --to "$t1" --json) ||
    die "the replay of A's trace failed"
  warm_memory
  REPLAY_B=$("$REPLAY" --trace "$WORK/b.trace" --dir "$WORK/replay-b" --from "$tb" \
    --to "${done_ms}000000" --json) || die "the replay of B's trace failed"
  # The same windows with the log and the members alone (no outbox, no origins, no meta): the
  # floor of the leanest schema that keeps DESIGN.md's event log beside the members' state.
  warm_memory
  LEAN_A=$("$REPLAY" --trace "$WORK/a.trace" --dir "$WORK/lean-a" --from "$t0" --to "$t1" \
    --only log,members --json) || die "the lean replay of A's trace failed"
  warm_memory
  LEAN_B=$("$REPLAY" --trace "$WORK/b.trace" --dir "$WORK/lean-b" --from "$tb" \
    --to "${done_ms}000000" --only log,members --json) || die "the lean replay of B's trace failed"
fi

python3 - "$N" "$t0" "$t1" "$done_ms" "$first_ms" "$tb" "$W" "$REPLAY_A" "$REPLAY_B" "$MODE" \
  "$((ca1 - ca0))" "$((cb - cb0))" "$LEAN_A" "$LEAN_B" "$((ca2 - ca0))" <<'PY'
import json, sys
n, t0, t1, done_ms, first_ms, tb = (int(x) for x in sys.argv[1:7])
a_cpu_ms, b_cpu_ms = int(sys.argv[11]), int(sys.argv[12])
w = json.loads(sys.argv[7])
ra, rb = json.loads(sys.argv[8]), json.loads(sys.argv[9])
live = sys.argv[10] == "timed"
e2e = done_ms / 1e3 - t0 / 1e9
out = {
    "bench": "liudong_e2e", "mode": sys.argv[10], "rows": n,
    "import_s": round((t1 - t0) / 1e9, 4),
    "e2e_s": round(e2e, 4) if live else None,
    "members_per_s": round(n / e2e, 1) if live else None,
    # live: from B's first applied event to its last; catch-up: from B's first answer
    "b_apply_s": round((done_ms - first_ms) / 1e3 if live else done_ms / 1e3 - tb / 1e9, 4),
    # live: B's first event after the import's start; catch-up: after B's start
    "b_first_after_start_s": round(first_ms / 1e3 - (t0 if live else tb) / 1e9, 4),
    "a_hwm_kib": w["procs"]["a"]["peak_hwm_kib"] if "peak_hwm_kib" in w["procs"]["a"] else None,
    "b_hwm_kib": w["procs"]["b"]["peak_hwm_kib"] if "peak_hwm_kib" in w["procs"]["b"] else None,
    "replay_a": ra, "replay_b": rb,
    "lean_a": json.loads(sys.argv[13]), "lean_b": json.loads(sys.argv[14]),
    # CPU time (user + system, 10 ms ticks): A's during the import; B's from the import's start
    # to its last event (timed) or since it started (its whole life in catch-up and perf modes,
    # where it starts after the import)
    "a_cpu_s": a_cpu_ms / 1e3, "b_cpu_s": b_cpu_ms / 1e3,
    # timed: A's from the import's start to B's last event (its sender's work after the import)
    "a_cpu_e2e_s": int(sys.argv[15]) / 1e3 if live else None,
}
print(json.dumps(out))
PY
