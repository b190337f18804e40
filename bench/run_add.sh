#!/usr/bin/env bash
# run_add.sh: the durable member-add benchmark of issue 2 (acceptance 7), end to end.
#
# Builds what it needs, then runs bench_add, each configuration REPEAT times (default 3):
#   socket, 1 client,   N1 adds       (default 2000)
#   socket, 16 clients, N16 adds      (default 20000)
#   socket, EXTRA_CLIENTS clients, N16 adds (default 64; informational, EXTRA_CLIENTS= skips it)
#   raw, 1 record per synced commit, RAW1 records     (default 20000, as many as a 16-client run)
#   raw, 1000 records per commit,    RAW1000 records  (default 200000)
# Every run starts from nothing: each socket run on a fresh site (liudongd init, started, a branch
# added with the CLI; afterwards its log must hold every answered add, `liudong verify` must pass
# and the daemon must stop cleanly), each raw run in a fresh store. All of them live in one new
# directory under /var/tmp (disk-backed, unlike a tmpfs /tmp; override with BENCH_TMPDIR), so
# every run writes to the same disk, and no daemon runs during the raw runs.
#
# Prints every run as JSON on stderr, then a summary table of the median runs and the ratio
# (16-client adds/s) / (raw K=1 records/s). Exits 0 if the ratio is at least MIN_RATIO (default 5:
# group commit makes 16 clients at least 5 times faster than one synced commit per record), 1 if
# not or if anything failed. Stops the daemon and removes the directory on every exit
# (KEEP_BENCH=1 keeps the directory, with the daemons' logs).
#
#   usage: bench/run_add.sh    (from anywhere; BUILD_DIR defaults to the repository's build/)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
N1=${N1:-2000}
N16=${N16:-20000}
RAW1=${RAW1:-20000}
RAW1000=${RAW1000:-200000}
MIN_RATIO=${MIN_RATIO:-5}
REPEAT=${REPEAT:-3}
EXTRA_CLIENTS=${EXTRA_CLIENTS-64}

LIUDONGD=$BUILD/server/liudongd
LIUDONG=$BUILD/client/liudong
BENCH=$BUILD/bench/bench_add

BENCH_NAME=run_add
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# One numeric field of a one-line JSON object.
field() {
  sed -n "s/.*\"$2\":\([0-9.eE+-]*\).*/\1/p" <<<"$1"
}

# A / B with two decimals (0 if B is 0).
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { printf("%.2f", (b > 0) ? a / b : 0) }'
}

# --- build ---------------------------------------------------------------------------------------
if [ ! -f "$BUILD/build.ninja" ]; then
  say "setting up $BUILD"
  meson setup "$BUILD" "$ROOT" >/dev/null
fi
ninja -C "$BUILD" server/liudongd client/liudong bench/bench_add >/dev/null ||
  die "the build failed; run ninja -C $BUILD"

# --- through the daemon --------------------------------------------------------------------------
WORK=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/liudong-bench.XXXXXX")
FS=$(df -T "$WORK" | awk 'NR == 2 { print $1 " (" $2 ")" }')
say "working in $WORK on $FS"

# start_site N: a fresh site in $WORK/site-N (as every raw run has a fresh store), liudongd
# started on it (DPID), a branch added. Sets SOCK.
start_site() {
  local site=$WORK/site-$1
  SOCK=$site/liudongd.sock
  [ ${#SOCK} -lt 108 ] || die "socket path $SOCK is too long; set BENCH_TMPDIR to a shorter directory"
  "$LIUDONGD" init "$site" --name "Bench site" --code 110105 >/dev/null
  "$LIUDONGD" -c "$site/liudongd.conf" >"$site.log" 2>&1 &
  DPID=$!
  for _ in $(seq 100); do
    if "$LIUDONG" -s "$SOCK" site >/dev/null 2>&1; then
      break
    fi
    kill -0 "$DPID" 2>/dev/null || die "liudongd exited at start: $(cat "$site.log")"
    sleep 0.1
  done
  "$LIUDONG" -s "$SOCK" site >/dev/null 2>&1 || die "liudongd did not answer within 10 s"
  "$LIUDONG" -s "$SOCK" --operator bench branch add bench --name "Benchmark branch" >/dev/null
}

# check_and_stop_site N COUNT: every answered add is in the log (head_seq is the branch's event
# and COUNT adds), the log and state tables agree, the daemon stops cleanly; the site is removed.
check_and_stop_site() {
  local head
  head=$("$LIUDONG" -s "$SOCK" --json site | sed -n 's/.*"head_seq":\([0-9]*\).*/\1/p')
  [ "$head" = $((1 + $2)) ] || die "the log holds $head entries, expected $((1 + $2))"
  "$LIUDONG" -s "$SOCK" verify >/dev/null || die "liudong verify failed after the run"
  stop_daemon || die "liudongd did not stop cleanly; its log is $WORK/site-$1.log"
  rm -rf -- "$WORK/site-$1" "$WORK/site-$1.log"
}

# socket_runs NAME CLIENTS COUNT: REPEAT runs, each on a fresh site; the JSON lines go to the
# array NAME.
RUN=0
socket_runs() {
  local -n out=$1
  local r line
  out=()
  for r in $(seq "$REPEAT"); do
    RUN=$((RUN + 1))
    start_site "$RUN"
    say "socket: $2 client(s), $3 adds (run $r of $REPEAT)"
    line=$("$BENCH" socket --socket "$SOCK" --clients "$2" --count "$3" --branch bench --json) ||
      die "socket run with $2 clients failed; the daemon's log is $WORK/site-$RUN.log"
    say "  $line"
    out+=("$line")
    check_and_stop_site "$RUN" "$3"
  done
}

# raw_runs NAME PER_COMMIT COUNT [--whole-add]: REPEAT runs, each in a fresh store.
raw_runs() {
  local -n out=$1
  local r line
  out=()
  for r in $(seq "$REPEAT"); do
    say "raw: $2 per commit, $3 records ${4:-} (run $r of $REPEAT)"
    line=$("$BENCH" raw --dir "$WORK/raw-$2-$r" --count "$3" --per-commit "$2" ${4:-} --json) ||
      die "raw run with $2 records per commit failed"
    say "  $line"
    out+=("$line")
    rm -rf -- "$WORK/raw-$2-$r"
  done
}

# median FIELD LINE...: the JSON line whose FIELD is the median.
median() {
  local f=$1 line
  shift
  for line in "$@"; do
    printf '%s\t%s\n' "$(field "$line" "$f")" "$line"
  done | sort -g | sed -n "$((($# + 1) / 2))p" | cut -f2-
}

socket_runs S1_ALL 1 "$N1"
socket_runs S16_ALL 16 "$N16"
S64_ALL=()
if [ -n "$EXTRA_CLIENTS" ]; then
  socket_runs S64_ALL "$EXTRA_CLIENTS" "$N16"
fi

# --- the store alone -----------------------------------------------------------------------------
raw_runs R1_ALL 1 "$RAW1"
raw_runs R1000_ALL 1000 "$RAW1000"
raw_runs RW1_ALL 1 "$RAW1" --whole-add
raw_runs RW1000_ALL 1000 "$RAW1000" --whole-add

# --- summary -------------------------------------------------------------------------------------
S1=$(median adds_per_s "${S1_ALL[@]}")
S16=$(median adds_per_s "${S16_ALL[@]}")
R1=$(median records_per_s "${R1_ALL[@]}")
R1000=$(median records_per_s "${R1000_ALL[@]}")
RATE16=$(field "$S16" adds_per_s)
RATE_RAW1=$(field "$R1" records_per_s)
RW1=$(median records_per_s "${RW1_ALL[@]}")
RW1000=$(median records_per_s "${RW1000_ALL[@]}")
RATE_RAWW1=$(field "$RW1" records_per_s)
# The acceptance compares with one synced commit per record. A record here is a member add: the
# whole-add raw run writes exactly what the daemon writes for one (event, log entry, origins,
# head, member state, audit row). The single-put run (one member state) is shown beside it.
RATIO=$(ratio "$RATE16" "$RATE_RAWW1")
RATIO_PUT=$(ratio "$RATE16" "$RATE_RAW1")

row() {
  printf '%-34s %10s %12s %10s %10s %10s\n' "$@"
}
socket_row() {
  row "$1" "$(field "$2" done)" "$(field "$2" adds_per_s)" "$(field "$2" p50_ms)" \
    "$(field "$2" p99_ms)" "$(field "$2" max_ms)"
}
printf '\nDurable member adds (issue 2): %s, %s CPUs, kernel %s; median of %s runs\n\n' \
  "$FS" "$(nproc)" "$(uname -r)" "$REPEAT"
row run count rate/s p50_ms p99_ms max_ms
socket_row "socket, 1 client (adds)" "$S1"
socket_row "socket, 16 clients (adds)" "$S16"
if [ ${#S64_ALL[@]} -gt 0 ]; then
  socket_row "socket, $EXTRA_CLIENTS clients (adds, extra)" "$(median adds_per_s "${S64_ALL[@]}")"
fi
row "raw, 1 per commit (member state)" "$(field "$R1" count)" "$RATE_RAW1" - - -
row "raw, 1000 per commit (member state)" "$(field "$R1000" count)" \
  "$(field "$R1000" records_per_s)" - - -
row "raw, 1 per commit (whole add)" "$(field "$RW1" count)" "$RATE_RAWW1" - - -
row "raw, 1000 per commit (whole add)" "$(field "$RW1000" count)" \
  "$(field "$RW1000" records_per_s)" - - -
printf '\nraw record: %s bytes; commits/s: %s (K=1), %s (K=1000)\n' "$(field "$R1" record_bytes)" \
  "$(field "$R1" commits_per_s)" "$(field "$R1000" commits_per_s)"
printf 'group commit in the daemon: 16 clients / 1 client = %s\n' \
  "$(ratio "$RATE16" "$(field "$S1" adds_per_s)")"
printf 'ratio 16-client adds/s / raw K=1 single member-state put = %s\n' "$RATIO_PUT"
printf 'ratio 16-client adds/s / raw K=1 whole member add = %s (acceptance: >= %s)\n' "$RATIO" \
  "$MIN_RATIO"

if awk -v r="$RATIO" -v m="$MIN_RATIO" 'BEGIN { exit !(r >= m) }'; then
  printf 'PASS\n'
else
  printf 'FAIL: group commit gives only %sx one synced commit per record\n' "$RATIO"
  exit 1
fi
