# bench/lib.sh: what the benchmark scripts share. Source it after setting BENCH_NAME (the prefix of
# every line they print on stderr).

say() {
  printf '%s: %s\n' "$BENCH_NAME" "$*" >&2
}

die() {
  say "$*"
  exit 1
}

# stop_pid WHAT PID: SIGTERM the daemon PID, wait up to 20 s (then SIGKILL). Returns 1 if it did
# not exit with status 0 by itself.
stop_pid() {
  local what=$1 pid=$2 rc=0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 200); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "$what (pid $pid) still running 20 s after SIGTERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    return 1
  fi
  wait "$pid" || rc=$?
  if [ "$rc" -ne 0 ]; then
    say "$what exited with status $rc"
    return 1
  fi
}

# warm_memory: touch and free WARM_MIB MiB (default 512; 0: nothing) of memory just before a
# timed run. This host's kernel reports free memory to its hypervisor a few seconds after it was
# freed (page_reporting), and touching such memory again faults to the host: a new file's page
# cache then costs about 10 times as much as memory freed a moment ago (dd of 64 MiB into a new
# file: 0.20 s against 0.02 s). Whether a timed run meets reported or recently freed memory
# depends on what ran seconds before it; so every timed run that writes a new file (liudong's
# import and catch-up, their raw LMDB floors, PostgreSQL's load) starts right after this, all in
# the same state. On a host without page reporting it changes nothing. At most a quarter of the
# memory available is touched.
warm_memory() {
  local mib=${WARM_MIB:-512} avail
  [[ "$mib" =~ ^[0-9]+$ ]] || die "WARM_MIB=$mib: give a whole number of MiB (0: no warm-up)"
  # At most a quarter of the memory available now: never a cause of swapping or of the OOM killer.
  avail=$(awk '/^MemAvailable:/ { print int($2 / 1024 / 4) }' /proc/meminfo 2>/dev/null || echo 0)
  [ "$mib" -le "$avail" ] || mib=$avail
  [ "$mib" -gt 0 ] || return 0
  python3 -c "import sys; b = bytes(1) * ($mib << 20); sys.exit(0 if len(b) else 1)"
}

# For the scripts with one daemon (DPID) and one work directory (WORK): stop_daemon, and a
# cleanup on every exit that keeps WORK only with KEEP_BENCH=1.
WORK=
DPID=

stop_daemon() {
  [ -n "$DPID" ] || return 0
  local pid=$DPID
  DPID=
  stop_pid liudongd "$pid"
}

bench_cleanup() {
  local rc=$?
  stop_daemon || rc=1
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    if [ "${KEEP_BENCH:-0}" = 1 ]; then
      say "kept $WORK"
    else
      rm -rf -- "$WORK"
    fi
  fi
  exit "$rc"
}

# ---------------------------------------------------------------------------------------------
# For the scripts with one site: SOCK (its control socket), SITE (its directory), LIUDONG and
# LIUDONGD (the build's binaries), WORK.

# ld ARGS...: the CLI on $SOCK, as operator bench.
ld() {
  "$LIUDONG" -s "$SOCK" --operator bench "$@"
}

# now_ns: monotonic-enough wall clock in nanoseconds.
now_ns() {
  date +%s%N
}

# secs START END: END - START nanoseconds as seconds with three decimals.
secs() {
  awk -v a="$1" -v b="$2" 'BEGIN { printf("%.3f", (b - a) / 1e9) }'
}

# stats_of VALUE...: "median min max" of the values.
stats_of() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf("%.3f %.3f %.3f", m, v[1], v[NR]) }'
}

# free_port: a TCP port on 127.0.0.1 nothing listens on right now.
free_port() {
  python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# machine_load: the load average and the busiest processes, on one line.
machine_load() {
  printf 'loadavg %s; busiest processes (pid %%cpu command):' "$(cut -d' ' -f1-3 /proc/loadavg)"
  ps -eo pid=,pcpu=,comm= --sort=-pcpu | head -n 5 | awk '{ printf(" [%s %s %s]", $1, $2, $3) }'
  printf '\n'
}

# hwm: the daemon's VmHWM ("123456 kB").
hwm() {
  awk '/^VmHWM/ { print $2 " " $3 }' "/proc/$DPID/status" 2>/dev/null || echo "?"
}

# start_daemon [BINARY]: liudongd (BINARY, else $LIUDONGD) on $SITE (DPID), log appended to
# $WORK/liudongd.log; returns once it answers on $SOCK (dies after 30 s or if it exits).
start_daemon() {
  "${1:-$LIUDONGD}" -c "$SITE/liudongd.conf" >>"$WORK/liudongd.log" 2>&1 &
  DPID=$!
  for _ in $(seq 300); do
    if "$LIUDONG" -s "$SOCK" site >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "$DPID" 2>/dev/null || die "liudongd exited at start: $(tail -n 5 "$WORK/liudongd.log")"
    sleep 0.1
  done
  die "liudongd did not answer within 30 s"
}

# ---------------------------------------------------------------------------------------------
# For the scripts with two sites under WORK: A (昆山, WORK/a, the outflow site) and B (南京, WORK/b),
# with LIUDONG the build's CLI.

# a ARGS..., b ARGS...: the CLI on A's or B's control socket.
a() {
  "$LIUDONG" -s "$WORK/a/liudongd.sock" "$@"
}
b() {
  "$LIUDONG" -s "$WORK/b/liudongd.sock" "$@"
}

# jget JSON EXPR: EXPR (Python, the parsed JSON as d) of JSON, printed bare; a dict, list, bool
# or None as JSON.
jget() {
  python3 -c 'import json, sys
d = json.loads(sys.argv[1])
v = eval(sys.argv[2])
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)' "$1" "$2"
}

# pair_init LIUDONGD: make A and B with `LIUDONGD init`, each listening on a free port of
# 127.0.0.1; sets IDA and IDB (their site ids), PORTA and PORTB.
pair_init() {
  PORTA=$(free_port) PORTB=$(free_port)
  IDA=$("$1" init "$WORK/a" --name 昆山 --code 320583 --listen "127.0.0.1:$PORTA")
  IDB=$("$1" init "$WORK/b" --name 南京 --code 320100 --listen "127.0.0.1:$PORTB")
}

# pair_pin: with both daemons started, wait until both answer, pin each as the other's peer, add
# branch 001 at A, and wait until each shows the other live (dies if not, naming what failed).
pair_pin() {
  local up=0
  for _ in $(seq 200); do
    a site >/dev/null 2>&1 && b site >/dev/null 2>&1 && up=1 && break
    sleep 0.05
  done
  [ "$up" = 1 ] || die "A or B does not answer on its control socket after 10 s; see their logs"
  a peer add 南京 --id "$IDB" --address "127.0.0.1:$PORTB" >/dev/null
  b peer add 昆山 --id "$IDA" --address "127.0.0.1:$PORTA" >/dev/null
  a branch add 001 --name 一支部 >/dev/null
  for _ in $(seq 300); do
    a --json status | grep -q '"state":"live"' && b --json status | grep -q '"state":"live"' && return 0
    sleep 0.1
  done
  die "A and B do not see each other live after 30 s"
}

# ---------------------------------------------------------------------------------------------
# For the A/B comparisons of two builds (ab_catchup.sh, ab_import.sh).

# ab_begin USAGE ARGS...: check ARGS (CSV N ROUNDS BUILD_X BUILD_Y; USAGE is the script's usage
# line), set CSV N ROUNDS BX BY and LIUDONG (BUILD_X's CLI), make WORK, stop both daemons (PA,
# PB) and remove WORK on every exit, and pair A and B with BUILD_X (both left running).
ab_begin() {
  local usage=$1
  shift
  [ $# -eq 5 ] || {
    echo "usage: $usage" >&2
    exit 2
  }
  CSV=$1 N=$2 ROUNDS=$3 BX=$4 BY=$5
  [ -r "$CSV" ] || die "cannot read $CSV: make one with bench/register_csv.py N FILE"
  local v b
  for v in "$N" "$ROUNDS"; do
    [[ "$v" =~ ^[1-9][0-9]*$ ]] || die "N and ROUNDS must be whole numbers above 0, not '$v'"
  done
  for b in "$BX" "$BY"; do
    [ -x "$b/server/liudongd" ] || die "no $b/server/liudongd: build it first"
  done
  LIUDONG=$BX/client/liudong
  WORK=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/liudong-$BENCH_NAME.XXXXXX")
  PA='' PB=''
  trap ab_cleanup EXIT
  trap 'exit 130' INT TERM
  pair_init "$BX/server/liudongd"
  "$BX/server/liudongd" -c "$WORK/a/liudongd.conf" 2>"$WORK/a.log" &
  PA=$!
  "$BX/server/liudongd" -c "$WORK/b/liudongd.conf" 2>"$WORK/b.log" &
  PB=$!
  pair_pin
}

# ab_start KEY BUILD: start site KEY's daemon (a or b) with BUILD, under AB_WRAP if set (a
# command, e.g. valgrind), and wait until it answers; sets PA or PB.
ab_start() {
  local key=$1 build=$2 pid tries=400
  # shellcheck disable=SC2086 # AB_WRAP: words
  ${AB_WRAP:-} "$build/server/liudongd" -c "$WORK/$key/liudongd.conf" 2>>"$WORK/$key.log" &
  pid=$!
  if [ "$key" = a ]; then PA=$pid; else PB=$pid; fi
  [ -z "${AB_WRAP:-}" ] || tries=3000 # valgrind starts slowly
  for _ in $(seq "$tries"); do "$key" site >/dev/null 2>&1 && break; sleep 0.01; done
  kill -0 "$pid" 2>/dev/null && return 0
  wait "$pid" || true
  if [ "$key" = a ]; then PA=''; else PB=''; fi # gone: not for ab_cleanup to report again
  die "site $key ($build) exited at its start: $(tail -n 1 "$WORK/$key.log")"
}

ab_cleanup() {
  local rc=$?
  [ -z "$PA" ] || stop_pid "liudongd A" "$PA" || rc=1
  [ -z "$PB" ] || stop_pid "liudongd B" "$PB" || rc=1
  rm -rf -- "$WORK"
  exit "$rc"
}

# ab_rounds RUN: ROUNDS rounds of RUN BUILD with X then Y (Y first in every other round); RUN
# sets RUN to "seconds cpu_seconds peak_kib". Prints each run, then the medians, each build's
# highest peak and the rounds X won.
ab_rounds() {
  local res=$WORK/results r k build order
  : >"$res"
  for r in $(seq "$ROUNDS"); do
    if [ $((r % 2)) -eq 1 ]; then order="X Y"; else order="Y X"; fi
    for k in $order; do
      build=$BX
      [ "$k" = X ] || build=$BY
      "$1" "$build" # not in $(...): the daemon's pid must stay where ab_cleanup sees it
      echo "$r $k $RUN" | tee -a "$res"
    done
  done
  python3 - "$res" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    r, k, s, cpu, hwm = line.split()
    runs.setdefault(int(r), {})[k] = (float(s), float(cpu), int(hwm))
def med(k, i):
    return statistics.median(v[k][i] for v in runs.values())
def peak(k):
    return max(v[k][2] for v in runs.values())
won = sum(1 for v in runs.values() if v["X"][0] < v["Y"][0])
print(f"X: median {med('X', 0):.4f} s, CPU {med('X', 1):.2f} s, peak {peak('X')} KiB; "
      f"Y: median {med('Y', 0):.4f} s, CPU {med('Y', 1):.2f} s, peak {peak('Y')} KiB; "
      f"X faster in {won} of {len(runs)} rounds")
PY
}
