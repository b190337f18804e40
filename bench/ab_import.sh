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
#
# AB_WRAP: a command A runs under, for counts that do not depend on the machine's noise, e.g.
#   AB_WRAP="valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file=/tmp/cg/%p.out"
# then `grep -m1 summary: /tmp/cg/PID.out-NN` per thread (its seconds are then valgrind's).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAME=ab_import
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
ab_begin "bench/ab_import.sh CSV N ROUNDS BUILD_X BUILD_Y" "$@"
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
  ab_start a "$1" # lib.sh: under AB_WRAP if set
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

ab_rounds run
