#!/usr/bin/env bash
# ab_catchup.sh: B's catch-up of the same backlog, again and again, with two builds of liudongd in
# turn: for changes too small to see in one run of run_e2e.sh on a noisy machine.
#
#   usage: bench/ab_catchup.sh CSV N ROUNDS BUILD_X BUILD_Y
#
# Sets up A (昆山) and B (南京) once with BUILD_X (pinned both ways, a branch at A), keeps a copy
# of B's site as it is before any event of A reached it, stops B, and imports CSV (N rows, all
# registered out to 南京) at A. Then ROUNDS times, for X and then Y (Y first in every other round):
# B's site is put back as copied, B started with that build, and timed from its start until its
# head counts all N events (polled every 5 ms by bench_sync wait); then stopped. A stays up with
# BUILD_X throughout. Prints one line per run (build, seconds, B's CPU seconds, B's peak VmHWM in
# KiB) and, at the end, the median and the runs each build won. Sites under BENCH_TMPDIR (default
# /var/tmp), removed on exit. AB_WRAP: a command B runs under, as in ab_import.sh (valgrind's
# callgrind: counts the machine's noise does not move).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAME=ab_catchup
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
ab_begin "bench/ab_catchup.sh CSV N ROUNDS BUILD_X BUILD_Y" "$@"
BENCH_SYNC=$BX/bench/bench_sync
base=$(jget "$(b --json site)" 'd["head_seq"]')
stop_pid "liudongd B" "$PB" || die "B did not stop cleanly"
PB=
cp -a "$WORK/b" "$WORK/b0"
out=$(a --json import members "$CSV") || die "the import of $CSV at A failed"
[ "$(jget "$out" 'd["registered_out"]')" = "$N" ] ||
  die "the import registered $(jget "$out" 'd["registered_out"]') members out to 南京, not $N"
say "A imported $N; B catches up $ROUNDS times with each build"

run() { # BUILD: one catch-up of B from the copy; sets RUN to "seconds cpu hwm"
  rm -rf "$WORK/b"
  cp -a "$WORK/b0" "$WORK/b"
  sync
  sleep 0.5
  warm_memory # lib.sh: each round meets memory in the same state
  local t0 cpu
  t0=$(date +%s%N)
  ab_start b "$1" # lib.sh: under AB_WRAP if set
  "$BENCH_SYNC" wait --socket "$WORK/b/liudongd.sock" --head $((base + N)) --base "$base" \
    --poll-ms 5 --sample-ms 100 --stall 120 --pid "b=$PB" --json >"$WORK/wait.json" ||
    die "B did not apply all $N events"
  cpu=$(awk '{ print ($14 + $15) / 100 }' "/proc/$PB/stat")
  local hwm
  hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$PB/status")
  stop_pid "liudongd B" "$PB" || die "B did not stop cleanly"
  PB=
  local done_ms
  done_ms=$(jget "$(cat "$WORK/wait.json")" 'd["done_ms"]')
  RUN=$(python3 -c "print(round($done_ms / 1e3 - $t0 / 1e9, 4), $cpu, $hwm)")
}

ab_rounds run
