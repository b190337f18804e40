#!/usr/bin/env bash
# run_sync.sh: the peer-sync benchmark of issue 3 (acceptance 7), end to end.
#
# Builds what it needs, then runs three phases, each on a fresh pair of sites A (昆山, the outflow
# site) and B (南京) made with `liudongd init` in a new directory under /var/tmp (disk-backed,
# unlike a tmpfs /tmp; override with BENCH_TMPDIR). The two sites listen on 127.0.0.1 (TLS 1.3,
# both sides authenticated), pin each other with `liudong peer add`, and A adds branch `bench`.
# Events are made at A with bench_sync (bench/bench_sync.c): CLIENTS control connections (default
# 256) each send `member.add` and/or `outflow.register ... --to 南京`. Only the outflow
# registrations concern B, so B's head_seq (from `site`) counts the events B has applied.
#
#   live     B up. A first adds N members (no event for B), then registers the N out to B while
#            B follows. Rate = N / (B applied the last one - A got the first registration).
#   catchup  B stopped. A adds and registers N members (N events for B). Then B is started and
#            catches up. Rate = N / (B applied the last one - B was started), and also counted
#            from B's first answer on its control socket.
#   memory   as catchup with BIG events (default 1,000,000), loaded in LOAD_CHUNKS parts (default
#            4, each timed). A is restarted after loading (RESTART_A=1, the default) so that its
#            figures are those of the catch-up, not of the load; RESTART_A=0 keeps it running.
#            VmRSS, VmHWM, RssAnon and RssFile of both daemons are read from /proc/PID/status
#            every SAMPLE_MS (default 500) while B catches up; the CPU time of both (on a CPU,
#            and runnable but waiting for one) from /proc/PID/task/*/schedstat.
# (The catchup phase samples memory the same way, so its 100,000-event backlog is a second point
# for "flat as the backlog grows".)
#
# After each phase it checks: B's head is exactly the number of events sent (none lost, none
# doubled: the waiter reads it again 1.5 s after it was reached), A shows B live with lag 0 and
# acked_seq = A's head, B shows applied_seq = A's head and nothing quarantined, B has no conflicts.
# For N <= VERIFY_LOG_MAX (default 200000) it also compares the two logs entry by entry (B's log
# must hold exactly A's outflow registrations, each once), and runs `liudong verify` at both.
#
# Prints the runs as JSON on stderr and a summary on stdout; the memory samples are kept in
# OUT_DIR (default: a new directory bench-sync.XXXXXX under BENCH_TMPDIR) as TSV files, with the
# JSON and the daemons' logs. Exits 0 if every check passed and the goals were met (>= GOAL_RATE
# events/s, default 50000, for the catch-up; peak VmRSS < GOAL_MIB MiB, default 64, for each
# daemon in the memory phase), 1 if not. Stops every daemon it started and removes the sites on
# exit (KEEP_BENCH=1 keeps them).
#
#   usage: BUILD_DIR=/tmp/build-bench bench/run_sync.sh      (BUILD_DIR defaults to build-release/
#          of the repository, set up with --buildtype=release if missing)
#          PHASES="live catchup memory" N=100000 BIG=1000000 CLIENTS=256 are the defaults.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build-release}
N=${N:-100000}
BIG=${BIG:-1000000}
CLIENTS=${CLIENTS:-256}
LOAD_CHUNKS=${LOAD_CHUNKS:-4}
SAMPLE_MS=${SAMPLE_MS:-500}
RESTART_A=${RESTART_A:-1}
PHASES=${PHASES:-live catchup memory}
GOAL_RATE=${GOAL_RATE:-50000}
GOAL_MIB=${GOAL_MIB:-64}
VERIFY_LOG_MAX=${VERIFY_LOG_MAX:-200000}
TMPBASE=${BENCH_TMPDIR:-/var/tmp}

LIUDONGD=$BUILD/server/liudongd
LIUDONG=$BUILD/client/liudong
BENCH=$BUILD/bench/bench_sync

NAME_A=昆山
NAME_B=南京

WORK=
WORK_ROOT=
OUT=
declare -A DIR PID PORT ID

BENCH_NAME=run_sync
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

# stop KEY: SIGTERM the daemon of site KEY, wait up to 20 s (then SIGKILL). Returns 1 if it did
# not exit with status 0.
stop() {
  local key=$1 pid=${PID[$1]:-}
  [ -n "$pid" ] || return 0
  PID[$key]=
  stop_pid "liudongd $key" "$pid" && return 0
  say "its log is $WORK/$key.log"
  return 1
}

cleanup() {
  local rc=$? k
  for k in "${!PID[@]}"; do
    stop "$k" || rc=1
  done
  if [ "$rc" -ne 0 ] && [ -n "$OUT" ] && [ -n "$WORK" ] && [ "$WORK" != "$WORK_ROOT" ]; then
    for k in a b; do
      cp "$WORK/$k.log" "$OUT/$(basename "$WORK").$k.log" 2>/dev/null || true
    done
  fi
  if [ -n "$WORK_ROOT" ] && [ -d "$WORK_ROOT" ]; then
    if [ "${KEEP_BENCH:-0}" = 1 ]; then
      say "kept $WORK_ROOT"
    else
      rm -rf -- "$WORK_ROOT"
    fi
  fi
  [ -z "$OUT" ] || say "results in $OUT"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now_ms() {
  date +%s%3N
}

# rate COUNT MS: COUNT / (MS / 1000), one decimal.
rate() {
  awk -v n="$1" -v ms="$2" 'BEGIN { printf("%.1f", ms > 0 ? n * 1000 / ms : 0) }'
}

load_avg() {
  cut -d' ' -f1-3 /proc/loadavg
}

# A port below the ephemeral range that nothing listens on now (as tests/integration/sync_lib.sh).
free_port() {
  local lo=20000 hi=32768 eph p
  read -r eph _ </proc/sys/net/ipv4/ip_local_port_range || true
  [ -n "${eph:-}" ] && [ "$eph" -gt $((lo + 1000)) ] && hi=$eph
  for _ in $(seq 100); do
    p=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo)))
    if python3 -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.close()' "$p" 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

ld() {
  local key=$1
  shift
  "$LIUDONG" -s "${DIR[$key]}/liudongd.sock" "$@"
}

# init KEY NAME CODE: a new site in $WORK/KEY.
init() {
  local key=$1
  PORT[$key]=$(free_port) || die "no free port"
  DIR[$key]=$WORK/$key
  ID[$key]=$("$LIUDONGD" init "${DIR[$key]}" --name "$2" --code "$3" \
    --listen "127.0.0.1:${PORT[$key]}") || die "liudongd init $key failed"
}

# start KEY: start the daemon of KEY (log appended to $WORK/KEY.log), wait until it answers.
start() {
  local key=$1
  "$LIUDONGD" -c "${DIR[$key]}/liudongd.conf" 2>>"$WORK/$key.log" &
  PID[$key]=$!
  for _ in $(seq 1000); do
    if [ -S "${DIR[$key]}/liudongd.sock" ] && ld "$key" site >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "${PID[$key]}" 2>/dev/null || die "liudongd $key exited at start: $(tail -5 "$WORK/$key.log")"
    sleep 0.01
  done
  die "liudongd $key did not answer within 10 s"
}

head_seq() {
  jget "$(ld "$1" --json site)" 'd["head_seq"]'
}

# peer_json KEY: KEY's status entry for its one peer.
peer_json() {
  jget "$(ld "$1" --json status)" 'd["peers"][0]'
}

# wait_live KEY: KEY shows its peer live (up to 30 s).
wait_live() {
  for _ in $(seq 300); do
    [ "$(jget "$(peer_json "$1")" 'd["state"]')" = live ] && return 0
    sleep 0.1
  done
  die "$1 does not show its peer live after 30 s: $(peer_json "$1")"
}

# pair: a fresh pair of sites A and B in $WORK/<phase>, both running, pinned both ways, live,
# with branch bench at A.
pair() {
  WORK=$WORK_ROOT/$1
  mkdir -p "$WORK"
  init a "$NAME_A" 320583
  init b "$NAME_B" 320100
  start a
  start b
  ld a peer add "$NAME_B" --id "${ID[b]}" --address "127.0.0.1:${PORT[b]}" >/dev/null
  ld b peer add "$NAME_A" --id "${ID[a]}" --address "127.0.0.1:${PORT[a]}" >/dev/null
  wait_live a
  wait_live b
  ld a --operator bench branch add bench --name "Benchmark branch" >/dev/null
}

# unpair: stop both daemons (each must exit 0), copy their logs to OUT, remove the phase's sites.
unpair() {
  stop a || die "liudongd a did not stop cleanly"
  stop b || die "liudongd b did not stop cleanly"
  local phase
  phase=$(basename "$WORK")
  cp "$WORK/a.log" "$OUT/$phase.a.log" 2>/dev/null || true
  cp "$WORK/b.log" "$OUT/$phase.b.log" 2>/dev/null || true
  [ "${KEEP_BENCH:-0}" = 1 ] || rm -rf -- "$WORK"
}

# load ARGS...: bench_sync load against A; prints its JSON line (also on stderr).
load() {
  local line
  line=$("$BENCH" load --socket "${DIR[a]}/liudongd.sock" --clients "$CLIENTS" --json "$@") ||
    die "bench_sync load $* failed; A's log is $WORK/a.log"
  say "  $line"
  printf '%s\n' "$line"
}

# checks EVENTS NAME: the end-of-phase checks (see the header). A's head is HEAD_A.
FAILED=0
check() {
  local events=$1 what=$2 pa pb ha hb t
  ha=$(head_seq a)
  hb=$(head_seq b)
  for _ in $(seq 100); do
    pa=$(peer_json a)
    [ "$(jget "$pa" 'd["state"] == "live" and d["lag"] == 0 and d["acked_seq"] == '"$ha")" = true ] && break
    sleep 0.1
  done
  pb=$(peer_json b)
  say "  $what: A head $ha, B head $hb; A's view of B: $pa"
  say "  $what: B's view of A: $pb"
  if [ "$hb" != "$events" ]; then
    say "  CHECK FAILED ($what): B's head is $hb, expected $events"
    FAILED=1
  fi
  if [ "$(jget "$pa" 'd["state"] == "live" and d["lag"] == 0 and d["acked_seq"] == '"$ha")" != true ]; then
    say "  CHECK FAILED ($what): A does not show B live with lag 0 and acked_seq $ha"
    FAILED=1
  fi
  if [ "$(jget "$pb" 'd["applied_seq"] == '"$ha"' and d["quarantined"] == 0')" != true ]; then
    say "  CHECK FAILED ($what): B does not show applied_seq $ha and nothing quarantined"
    FAILED=1
  fi
  if [ "$(jget "$(ld b --json conflicts)" 'len(d["conflicts"])')" != 0 ]; then
    say "  CHECK FAILED ($what): B has conflicts"
    FAILED=1
  fi
  if [ "$events" -le "$VERIFY_LOG_MAX" ]; then
    ld a --json log --limit $((ha + 10)) >"$WORK/log.a.json"
    ld b --json log --limit $((hb + 10)) >"$WORK/log.b.json"
    if ! python3 - "$WORK/log.a.json" "$WORK/log.b.json" "$NAME_A" >&2 <<'PYEOF'; then
import collections, json, sys
a = json.load(open(sys.argv[1]))["entries"]
b = json.load(open(sys.argv[2]))["entries"]
want = set(e["origin_seq"] for e in a if e["kind"] == "outflow.registered")
got = collections.Counter(e["origin_seq"] for e in b if e["origin"] == sys.argv[3])
bad = [("missing at B", sorted(s for s in want if s not in got)),
       ("more than once at B", sorted(s for s, n in got.items() if n > 1)),
       ("extra at B", sorted(s for s in got if s not in want)),
       ("other origin or kind at B", [e["seq"] for e in b
                                      if e["origin"] != sys.argv[3] or e["kind"] != "outflow.registered"])]
print("run_sync:   logs: A %d entries (%d outflow.registered), B %d entries (%d distinct from A)"
      % (len(a), len(want), len(b), len(got)))
for what, l in bad:
    if l:
        print("run_sync:   %s: %d, first %s" % (what, len(l), l[:10]))
sys.exit(1 if any(l for _, l in bad) else 0)
PYEOF
      say "  CHECK FAILED ($what): B's log is not exactly A's outflow registrations, each once"
      FAILED=1
    fi
    for k in a b; do
      t=$(now_ms)
      if ! ld "$k" verify >/dev/null 2>&1; then
        say "  CHECK FAILED ($what): liudong verify at $k"
        FAILED=1
      fi
      say "  verify at $k took $(($(now_ms) - t)) ms"
    done
  fi
}

# --- build ---------------------------------------------------------------------------------------
if [ ! -f "$BUILD/build.ninja" ]; then
  say "setting up $BUILD (release)"
  meson setup "$BUILD" "$ROOT" --buildtype=release >/dev/null
fi
ninja -C "$BUILD" server/liudongd client/liudong bench/bench_sync >/dev/null ||
  die "the build failed; run ninja -C $BUILD"

WORK_ROOT=$(mktemp -d "$TMPBASE/liudong-sync.XXXXXX")
WORK=$WORK_ROOT
OUT=${OUT_DIR:-$(mktemp -d "$TMPBASE/bench-sync.XXXXXX")}
mkdir -p "$OUT"
FS=$(df -T "$WORK_ROOT" | awk 'NR == 2 { print $1 " (" $2 ")" }')
BUILDTYPE=$(python3 -c 'import json, sys
print(next(o["value"] for o in json.load(open(sys.argv[1])) if o["name"] == "buildtype"))' \
  "$BUILD/meson-info/intro-buildoptions.json" 2>/dev/null || echo unknown)
say "working in $WORK_ROOT on $FS; build $BUILD ($BUILDTYPE)"
say "load average at start: $(load_avg)"
SUMMARY=$OUT/summary.txt
: >"$SUMMARY"
sum() {
  printf '%s\n' "$*" | tee -a "$SUMMARY"
}
sum "peer sync benchmark: $(nproc) CPUs, kernel $(uname -r), $FS, build $BUILDTYPE, clients $CLIENTS, $(date -u +%FT%TZ)"
sum "load average at start: $(load_avg)"

CATCHUP_RATE=
MEM_PEAK_A=
MEM_PEAK_B=

# memory_lines WAITJSON: per-daemon memory summary lines from bench_sync wait's JSON.
memory_lines() {
  python3 - "$1" <<'PYEOF'
import json, sys
d = json.loads(sys.argv[1])
for name, p in d["procs"].items():
    at = p["at_progress"]
    curve = "  ".join("%s%%: %.1f (anon %.1f, file %.1f)" % (k, v["rss_kib"] / 1024, v["anon_kib"] / 1024,
                                                         v["file_kib"] / 1024)
                      for k, v in sorted(at.items(), key=lambda kv: int(kv[0])))
    print("  %s: peak VmRSS %.1f MiB (VmHWM %.1f), peak RssAnon %.1f MiB, peak RssFile %.1f MiB; "
          "VmRSS MiB at progress %s" % (name, p["peak_rss_kib"] / 1024, p["peak_hwm_kib"] / 1024,
                                        p["peak_anon_kib"] / 1024, p["peak_file_kib"] / 1024, curve))
for name, p in d["procs"].items():
    c = p["cpu"]
    print("  %s CPU while B caught up (%.2f s): %.2f s on a CPU, %.2f s runnable but waiting for one; "
          "busiest thread (tid %d) %.2f s on a CPU, %.2f s waiting" % (name, d["seconds"], c["run_s"],
          c["runq_wait_s"], c["busiest_tid"], c["busiest_run_s"], c["busiest_runq_wait_s"]))
PYEOF
}

# catch_up EVENTS TAG: A holds EVENTS registrations B has not got, B is stopped. Start B, wait until
# it has applied them all, sampling both daemons. Sets WAIT_JSON and B_START_MS.
catch_up() {
  local events=$1 tag=$2
  B_START_MS=$(now_ms)
  start b
  local answered_ms
  answered_ms=$(now_ms)
  WAIT_JSON=$("$BENCH" wait --socket "${DIR[b]}/liudongd.sock" --head "$events" --base 0 \
    --pid "A=${PID[a]}" --pid "B=${PID[b]}" --sample-ms "$SAMPLE_MS" \
    --samples "$OUT/$tag.samples.tsv" --stall 120 --json) || {
    say "  $WAIT_JSON"
    die "B did not catch up ($tag); logs in $WORK"
  }
  say "  $WAIT_JSON"
  printf '%s\n' "$WAIT_JSON" >"$OUT/$tag.wait.json"
  B_ANSWERED_MS=$answered_ms
}

for phase in $PHASES; do
  case $phase in
  live)
    say "phase live: N=$N, B up"
    pair live
    sum ""
    sum "== live streaming: $N events, B up during the load (load average $(load_avg))"
    ADD=$(load --count "$N" --add)
    sum "  A: $N member.add (not for B) first: $(jget "$ADD" 'd["requests_per_s"]') adds/s"
    WLOG=$OUT/live.wait.json
    "$BENCH" wait --socket "${DIR[b]}/liudongd.sock" --head "$N" --base 0 --pid "A=${PID[a]}" \
      --pid "B=${PID[b]}" --sample-ms "$SAMPLE_MS" --samples "$OUT/live.samples.tsv" \
      --stall 120 --json >"$WLOG" &
    WPID=$!
    REG=$(load --count "$N" --register-to "$NAME_B")
    wait "$WPID" || die "B did not follow the live load: $(cat "$WLOG")"
    W=$(cat "$WLOG")
    say "  $W"
    FIRST=$(jget "$REG" 'd["first_register_sent_ms"]')
    LOAD_END=$(jget "$REG" 'd["end_ms"]')
    DONE=$(jget "$W" 'd["done_ms"]')
    sum "  A: $N outflow.register (one event for B each) in $(jget "$REG" 'd["seconds"]') s = $(jget "$REG" 'd["registers_per_s"]') events/s committed at A"
    sum "  B applied all $N $((DONE - FIRST)) ms after A's first registration: $(rate "$N" $((DONE - FIRST))) events/s end to end"
    sum "  B finished $((DONE - LOAD_END)) ms after A's last registration was answered"
    memory_lines "$W" | tee -a "$SUMMARY"
    check "$N" live
    sum "  load average at the end: $(load_avg)"
    unpair
    ;;
  catchup)
    say "phase catchup: N=$N, B stopped"
    pair catchup
    stop b || die "liudongd b did not stop cleanly"
    sum ""
    sum "== catch-up: $N events loaded at A while B was stopped (load average $(load_avg))"
    REG=$(load --count "$N" --add --register-to "$NAME_B")
    sum "  A: $N member.add + outflow.register in $(jget "$REG" 'd["seconds"]') s ($(jget "$REG" 'd["registers_per_s"]') events for B/s)"
    catch_up "$N" catchup
    DONE=$(jget "$WAIT_JSON" 'd["done_ms"]')
    FIRST=$(jget "$WAIT_JSON" 'd["first_ms"]')
    CATCHUP_RATE=$(rate "$N" $((DONE - B_START_MS)))
    sum "  B caught up $N events in $((DONE - B_START_MS)) ms from its start: $CATCHUP_RATE events/s"
    sum "    ($(rate "$N" $((DONE - B_ANSWERED_MS))) events/s from B's first answer on its socket, $((B_ANSWERED_MS - B_START_MS)) ms after start; first applied event seen by the poller $((FIRST - B_START_MS)) ms after start)"
    memory_lines "$WAIT_JSON" | tee -a "$SUMMARY"
    check "$N" catchup
    sum "  load average at the end: $(load_avg)"
    unpair
    ;;
  memory)
    say "phase memory: BIG=$BIG, B stopped"
    pair memory
    stop b || die "liudongd b did not stop cleanly"
    sum ""
    sum "== memory: $BIG events loaded at A while B was stopped, then B catches up (load average $(load_avg))"
    per=$(((BIG + LOAD_CHUNKS - 1) / LOAD_CHUNKS))
    off=0
    t=$(now_ms)
    while [ "$off" -lt "$BIG" ]; do
      cnt=$((BIG - off < per ? BIG - off : per))
      REG=$(load --count "$cnt" --add --register-to "$NAME_B" --id-offset "$off")
      sum "  A: members $off..$((off + cnt - 1)): $(jget "$REG" 'd["seconds"]') s, $(jget "$REG" 'd["registers_per_s"]') events for B/s (load average $(load_avg))"
      off=$((off + cnt))
    done
    sum "  A: loading $BIG took $((($(now_ms) - t) / 1000)) s; data.mdb A $(du -m "${DIR[a]}/data/data.mdb" | cut -f1) MiB"
    sum "  A before the catch-up: $(grep -E 'VmRSS|VmHWM|RssAnon|RssFile' /proc/"${PID[a]}"/status | tr -s ' \t' ' ' | tr '\n' ' ')"
    if [ "$RESTART_A" = 1 ]; then
      stop a || die "liudongd a did not stop cleanly"
      start a
      sum "  A restarted: $(grep -E 'VmRSS|VmHWM|RssAnon|RssFile' /proc/"${PID[a]}"/status | tr -s ' \t' ' ' | tr '\n' ' ')"
    fi
    catch_up "$BIG" memory
    DONE=$(jget "$WAIT_JSON" 'd["done_ms"]')
    sum "  B caught up $BIG events in $((DONE - B_START_MS)) ms from its start: $(rate "$BIG" $((DONE - B_START_MS))) events/s; data.mdb B $(du -m "${DIR[b]}/data/data.mdb" | cut -f1) MiB"
    memory_lines "$WAIT_JSON" | tee -a "$SUMMARY"
    MEM_PEAK_A=$(jget "$WAIT_JSON" 'd["procs"]["A"]["peak_rss_kib"]')
    MEM_PEAK_B=$(jget "$WAIT_JSON" 'd["procs"]["B"]["peak_rss_kib"]')
    check "$BIG" memory
    sum "  load average at the end: $(load_avg)"
    unpair
    ;;
  *)
    die "unknown phase '$phase' (live, catchup, memory)"
    ;;
  esac
done

sum ""
RC=$FAILED
if [ -n "$CATCHUP_RATE" ]; then
  if awk -v r="$CATCHUP_RATE" -v g="$GOAL_RATE" 'BEGIN { exit !(r >= g) }'; then
    sum "goal >= $GOAL_RATE events/s (catch-up of $N): met ($CATCHUP_RATE)"
  else
    sum "goal >= $GOAL_RATE events/s (catch-up of $N): NOT met ($CATCHUP_RATE)"
    RC=1
  fi
fi
if [ -n "$MEM_PEAK_A" ]; then
  for x in "A $MEM_PEAK_A" "B $MEM_PEAK_B"; do
    set -- $x
    if [ "$2" -lt $((GOAL_MIB * 1024)) ]; then
      sum "goal < $GOAL_MIB MiB peak VmRSS ($1, catch-up of $BIG): met ($(($2 / 1024)) MiB)"
    else
      sum "goal < $GOAL_MIB MiB peak VmRSS ($1, catch-up of $BIG): NOT met ($(($2 / 1024)) MiB)"
      RC=1
    fi
  done
fi
[ "$FAILED" = 0 ] && sum "checks: all passed" || sum "checks: FAILED (see above)"
sum "load average at the end: $(load_avg)"
exit "$RC"
