#!/usr/bin/env bash
# ab_import.sh: A's import of the same register, again and again, with two builds of liudongd in
# turn: for changes too small to see in one run of run_e2e.sh on a noisy machine (the import's
# counterpart of ab_catchup.sh).
#
#   usage: bench/ab_import.sh CSV N ROUNDS BUILD_X BUILD_Y
#
# Sets up A (昆山) and B (南京) once with BUILD_X (pinned both ways, a branch at A), stops both and
# keeps a copy of A's site as it is then. Then ROUNDS times, for X and then Y (Y first in every
# other round): A's site is put back as copied, A started with that build (B stays stopped, as in
# `MODE=catchup bench/run_e2e.sh`), and `liudong import members CSV` timed from the command's
# start to its answer (N rows, all registered out to 南京); then A is stopped. Prints one line per
# run (round, build, seconds, A's CPU seconds during the import, A's peak VmHWM in KiB) and, at
# the end, the medians and the runs each build won. Sites under BENCH_TMPDIR (default /var/tmp),
# removed on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -eq 5 ] || {
  echo "usage: bench/ab_import.sh CSV N ROUNDS BUILD_X BUILD_Y" >&2
  exit 2
}
CSV=$1 N=$2 ROUNDS=$3 BX=$4 BY=$5
BENCH_NAME=ab_import
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
[ -r "$CSV" ] || die "cannot read $CSV: make one with bench/register_csv.py N FILE"
for v in "$N" "$ROUNDS"; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || die "N and ROUNDS must be whole numbers above 0, not '$v'"
done
for b in "$BX" "$BY"; do
  [ -x "$b/server/liudongd" ] || die "no $b/server/liudongd: build it first"
done
LIUDONG=$BX/client/liudong

WORK=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/liudong-abi.XXXXXX")
PA='' PB=''
cleanup() {
  local rc=$?
  [ -z "$PA" ] || stop_pid "liudongd A" "$PA" || rc=1
  [ -z "$PB" ] || stop_pid "liudongd B" "$PB" || rc=1
  rm -rf -- "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pair_init "$BX/server/liudongd"
"$BX/server/liudongd" -c "$WORK/a/liudongd.conf" 2>"$WORK/a.log" &
PA=$!
"$BX/server/liudongd" -c "$WORK/b/liudongd.conf" 2>"$WORK/b.log" &
PB=$!
pair_pin
stop_pid "liudongd B" "$PB" || die "B did not stop cleanly"
PB=
stop_pid "liudongd A" "$PA" || die "A did not stop cleanly"
PA=
cp -a "$WORK/a" "$WORK/a0"
say "A and B paired; A imports $N rows $ROUNDS times with each build"

run() { # BUILD: one import at A from the copy; sets RUN to "seconds cpu hwm"
  rm -rf "$WORK/a"
  cp -a "$WORK/a0" "$WORK/a"
  sync
  "$1/server/liudongd" -c "$WORK/a/liudongd.conf" 2>>"$WORK/a.log" &
  PA=$!
  for _ in $(seq 400); do a site >/dev/null 2>&1 && break; sleep 0.01; done
  kill -0 "$PA" 2>/dev/null || die "A ($1) exited at its start: $(tail -n 1 "$WORK/a.log")"
  sleep 0.5
  warm_memory # lib.sh: each round meets memory in the same state
  local t0 t1 cpu0 cpu1 out hwm
  cpu0=$(awk '{ print $14 + $15 }' "/proc/$PA/stat")
  t0=$(now_ns)
  out=$(a --json import members "$CSV") || die "the import of $CSV at A ($1) failed"
  t1=$(now_ns)
  cpu1=$(awk '{ print $14 + $15 }' "/proc/$PA/stat")
  [ "$(jget "$out" 'd["registered_out"]')" = "$N" ] ||
    die "the import registered $(jget "$out" 'd["registered_out"]') members out, not $N"
  hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$PA/status")
  stop_pid "liudongd A" "$PA" || die "A did not stop cleanly"
  PA=
  RUN=$(python3 -c "print(round(($t1 - $t0) / 1e9, 4), ($cpu1 - $cpu0) / 100, $hwm)")
}

RES=$WORK/results
: >"$RES"
for r in $(seq "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then order="X Y"; else order="Y X"; fi
  for k in $order; do
    build=$BX
    [ "$k" = X ] || build=$BY
    run "$build" # not in $(...): A's pid must stay where cleanup sees it
    line="$r $k $RUN"
    echo "$line"
    echo "$line" >>"$RES"
  done
done
python3 - "$RES" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    r, k, s, cpu, hwm = line.split()
    runs.setdefault(int(r), {})[k] = (float(s), float(cpu), int(hwm))
def med(k, i):
    return statistics.median(v[k][i] for v in runs.values())
won = sum(1 for v in runs.values() if v["X"][0] < v["Y"][0])
print(f"X: median {med('X', 0):.4f} s, CPU {med('X', 1):.2f} s, peak {max(v['X'][2] for v in runs.values())} KiB; "
      f"Y: median {med('Y', 0):.4f} s, CPU {med('Y', 1):.2f} s, peak {max(v['Y'][2] for v in runs.values())} KiB; "
      f"X faster in {won} of {len(runs)} rounds")
PY
