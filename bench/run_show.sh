#!/usr/bin/env bash
# run_show.sh: read requests on every core (issue 12, acceptance 3), end to end.
#
# Builds what it needs, makes site A (昆山, 320583) with `liudongd init` in a new directory under
# /var/tmp (disk-backed; override with BENCH_TMPDIR), pins peer B (南京, initialized, never
# started), adds branches 001 to 010 and imports a register of N members (default 100000; the
# generator of bench/bench_rules.sh: one row in two registered out to 南京). Then runs
# `bench_show` REPEAT times (default 3) against the same site: CLIENTS client threads (default 8),
# each with its own control connection, send `member.show` of random members of the register one
# at a time for RUN_SECONDS seconds (default 10) after a second of warm-up.
#
# Prints every run as JSON on stderr with the CPU time the daemon's threads took during it (from
# /proc/PID/task/*/stat: the loop thread is the one named liudongd), then the median run (by
# requests/s). Exits 0 if the median reaches GOAL_RPS requests/s (default 60000) with p99 under
# GOAL_P99_MS (default 1), 1 if not or if anything failed. PERF_OUT=FILE records the daemon with
# `perf record -g` during the first run. COMPARE_BUILD=DIR (another build directory, e.g. of the
# main branch) runs its liudongd on the same site right after each run, alternating, so that both
# see the same machine; its median is printed too. The daemon is restarted for every run. Stops the daemon and removes the directory on every exit
# (KEEP_BENCH=1 keeps it, with the daemon's log).
#
#   usage: BUILD_DIR=build-release bench/run_show.sh   (BUILD_DIR defaults to build-release/)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build-release}
N=${N:-100000}
REPEAT=${REPEAT:-3}
CLIENTS=${CLIENTS:-8}
SECONDS_RUN=${RUN_SECONDS:-10}
GOAL_RPS=${GOAL_RPS:-60000}
GOAL_P99_MS=${GOAL_P99_MS:-1}

LIUDONGD=$BUILD/server/liudongd
LIUDONG=$BUILD/client/liudong
BENCH=$BUILD/bench/bench_show

BENCH_NAME=run_show
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

field() {
  sed -n "s/.*\"$2\":\([0-9.eE+-]*\).*/\1/p" <<<"$1"
}

# thread_cpu PID: "name=ticks ..." for every thread of PID (utime + stime, in clock ticks).
thread_cpu() {
  local t
  for t in /proc/"$1"/task/*; do
    awk '{ s = $0; sub(/^[^(]*\(/, "", s); name = s; sub(/\).*/, "", name); sub(/^[^)]*\) /, "", s);
           split(s, f, " "); printf("%s:%s=%d\n", FILENAME, name, f[12] + f[13]) }' "$t/stat" \
      2>/dev/null | sed 's|^/proc/[0-9]*/task/\([0-9]*\)/stat:|\1:|'
  done
}

# cpu_delta BEFORE AFTER SECONDS: per thread name, the share of one CPU it took.
cpu_delta() {
  local hz
  hz=$(getconf CLK_TCK)
  awk -v hz="$hz" -v secs="$3" '
    FNR == NR { split($0, a, "="); before[a[1]] = a[2]; next }
    { split($0, a, "="); d = a[2] - before[a[1]]; split(a[1], b, ":"); by[b[2]] += d }
    END { for (n in by) if (by[n] > 0) printf("%s %.0f%% ", n, 100 * by[n] / hz / secs) }' \
    <(printf '%s\n' "$1") <(printf '%s\n' "$2")
}

# total_ticks BEFORE AFTER: the CPU ticks all the daemon's threads took in between.
total_ticks() {
  awk 'FNR == NR { split($0, a, "="); before[a[1]] = a[2]; next }
    { split($0, a, "="); t += a[2] - before[a[1]] } END { print t + 0 }' \
    <(printf '%s\n' "$1") <(printf '%s\n' "$2")
}

# --- build ---------------------------------------------------------------------------------------
if [ ! -f "$BUILD/build.ninja" ]; then
  say "setting up $BUILD (release)"
  meson setup "$BUILD" "$ROOT" --buildtype=release >/dev/null
fi
ninja -C "$BUILD" server/liudongd client/liudong bench/bench_show >/dev/null ||
  die "the build failed; run ninja -C $BUILD"
BUILDTYPE=$(meson introspect "$BUILD" --buildoptions 2>/dev/null | python3 -c '
import json, sys
print(" ".join("%s=%s" % (o["name"], o["value"]) for o in json.load(sys.stdin)
               if o["name"] in ("buildtype", "b_sanitize")))' 2>/dev/null || echo unknown)

# --- the site ------------------------------------------------------------------------------------
WORK=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/liudong-bench-show.XXXXXX")
SITE=$WORK/a
SOCK=$SITE/liudongd.sock
[ ${#SOCK} -lt 108 ] || die "socket path $SOCK is too long; set BENCH_TMPDIR to a shorter directory"
say "working in $WORK"
PORT_A=$(free_port)
PORT_B=$(free_port)
"$LIUDONGD" init "$SITE" --name 昆山 --code 320583 --listen "127.0.0.1:$PORT_A" >/dev/null
ID_B=$("$LIUDONGD" init "$WORK/b" --name 南京 --code 320100 --listen "127.0.0.1:$PORT_B")
start_daemon "$LIUDONGD"
ld peer add 南京 --id "$ID_B" --address "127.0.0.1:$PORT_B" >/dev/null
for b in $(seq -w 1 10); do
  ld branch add "0$b" --name "第${b}支部" >/dev/null
done

# The register (bench/bench_rules.sh's generator, one row in two away) and the list of its ids.
CSV=$WORK/register.csv
IDS=$WORK/ids.txt
say "generating $N rows"
python3 - "$CSV" "$IDS" "$N" <<'PYEOF'
import datetime, sys
path, ids_path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
C = "10X98765432"
header = ("id,name,sex,birth,joined,kind,branch,dues_category,income,phone,to,place,reason,from,"
          "until,fixed_place,employer,dues")
surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
given = ["建国", "丽娜", "明", "芳", "伟", "静", "强", "敏", "军", "洋", "磊", "婷"]
districts = ["玄武区", "秦淮区", "建邺区", "鼓楼区", "浦口区", "栖霞区", "雨花台区", "江宁区",
             "六合区", "溧水区", "高淳区", "新街口", "江北新区", "仙林大学城", "河西",
             "麒麟科创园", "紫金山", "百家湖", "将军大道", "汤山"]
reasons = ["work", "business", "residence", "study", "other"]
out_start = datetime.date(2025, 1, 1)
span = (datetime.date(2026, 11, 28) - out_start).days + 1
base = datetime.date(1950, 1, 1)
rows = ["\ufeff" + header]
ids = []
for i in range(n):
    birth = base + datetime.timedelta(days=(i // 40) * 2)
    seq = 101 + (i % 40) * 21
    body = "110105" + birth.strftime("%Y%m%d") + "%03d" % seq
    idno = body + C[sum(int(c) * w for c, w in zip(body, W)) % 11]
    ids.append(idno)
    sex = "M" if seq % 2 else "F"
    joined = birth.replace(year=birth.year + 20)
    kind = "probationary" if i % 50 == 7 else "full"
    cat = ("salaried", "salaried", "retired", "farmer", "student")[i % 5]
    income = {"salaried": "%d.00" % (2500 + (i * 37) % 12000), "retired": "%d.50" % (3000 + i % 4000),
              "farmer": "", "student": ""}[cat]
    name = surnames[i % len(surnames)] + given[(i // 7) % len(given)]
    row = [idno, name, sex, birth.isoformat(), joined.isoformat(), kind, "%03d" % (1 + i % 10),
           cat, income, "139%08d" % i]
    if i % 2 == 0:
        frm = out_start + datetime.timedelta(days=(i * 7919) % span)
        employer = "南京某%s公司" % districts[i % 7] if i % 3 else '"甲,乙%d建筑公司"' % (i % 13)
        row += ["南京", "南京市" + districts[(i // 2) % 20], reasons[i % 5],
                frm.isoformat(), "", "yes" if (i // 2) % 5 == 0 else "no", employer]
    else:
        row += [""] * 7
    row.append("0.50" if cat == "farmer" else "")
    rows.append(",".join(row))
open(path, "w", encoding="utf-8", newline="").write("\r\n".join(rows) + "\r\n")
open(ids_path, "w").write("\n".join(ids) + "\n")
PYEOF
say "import members ($N rows)"
ld import members "$CSV" >/dev/null || die "import failed; the daemon's log is $WORK/liudongd.log"
COUNT=$(ld --json member list | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["members"]))' 2>/dev/null || echo "?")
say "  the site holds $COUNT members"
# The setup's own writes (the site, the import) reach the disk before anything is timed: the
# kernel's writeback of them would otherwise take CPU from the runs.
sync

# --- runs ----------------------------------------------------------------------------------------
# one_run NAME DAEMON R: a bench_show run against DAEMON (started and stopped here); its JSON line
# goes to the array NAME.
one_run() {
  local -n out=$1
  local line before after cpu perf_pid=
  start_daemon "$2"
  say "member.show, $CLIENTS clients, $SECONDS_RUN s (run $3 of $REPEAT, $2)"
  if [ "$3" = 1 ] && [ -n "${PERF_OUT:-}" ]; then
    perf record -g -o "$PERF_OUT${4:-}" -p "$DPID" -- sleep "$((SECONDS_RUN + 1))" 2>/dev/null &
    perf_pid=$!
  fi
  before=$(thread_cpu "$DPID")
  line=$("$BENCH" --socket "$SOCK" --ids "$IDS" --clients "$CLIENTS" --seconds "$SECONDS_RUN" \
    --seed "$3" --json) || die "bench_show failed (run $3); the daemon's log is $WORK/liudongd.log"
  after=$(thread_cpu "$DPID")
  [ -z "$perf_pid" ] || wait "$perf_pid" || true
  cpu=$(cpu_delta "$before" "$after" "$((SECONDS_RUN + 1))")
  cpu="$cpu; daemon $(awk -v t="$(total_ticks "$before" "$after")" -v hz="$(getconf CLK_TCK)" \
    -v n="$(field "$line" done)" -v s="$SECONDS_RUN" 'BEGIN { printf("%.1f", n ? t / hz * 1e6 / (n * (s + 1) / s) : 0) }') µs of CPU per request"

  say "  $line"
  say "  daemon threads (share of one CPU, warm-up included): $cpu"
  out+=("$line")
  stop_daemon || die "liudongd did not stop cleanly; its log is $WORK/liudongd.log"
}

stop_daemon || die "liudongd did not stop cleanly after the import; its log is $WORK/liudongd.log"
LOAD_BEFORE=$(machine_load)
RUNS=()
BASE_RUNS=()
for r in $(seq "$REPEAT"); do
  one_run RUNS "$LIUDONGD" "$r"
  if [ -n "${COMPARE_BUILD:-}" ]; then
    one_run BASE_RUNS "$COMPARE_BUILD/server/liudongd" "$r" .base
  fi
done
LOAD_AFTER=$(machine_load)

# --- summary -------------------------------------------------------------------------------------
# median LINE...: the JSON line whose requests/s is the median.
median() {
  local line
  for line in "$@"; do
    printf '%s\t%s\n' "$(field "$line" requests_per_s)" "$line"
  done | sort -g | sed -n "$((($# + 1) / 2))p" | cut -f2-
}

# report NAME LINE...: the runs and their median.
report() {
  local name=$1 line med
  shift
  printf '%s runs (requests/s p50 p99 ms):' "$name"
  for line in "$@"; do
    printf ' [%s %s %s]' "$(field "$line" requests_per_s)" "$(field "$line" p50_ms)" "$(field "$line" p99_ms)"
  done
  med=$(median "$@")
  printf '\n%s median of %s: %s requests/s, p50 %s ms, p99 %s ms\n' "$name" "$#" \
    "$(field "$med" requests_per_s)" "$(field "$med" p50_ms)" "$(field "$med" p99_ms)"
}

printf '\nReads on every core (issue 12): member.show of random members of %s, %s clients, %s s a run, %s CPUs, kernel %s, build %s\n' \
  "$COUNT" "$CLIENTS" "$SECONDS_RUN" "$(nproc)" "$(uname -r)" "$BUILDTYPE"
printf 'machine before: %s; after: %s\n' "$LOAD_BEFORE" "$LOAD_AFTER"
report "$BUILD" "${RUNS[@]}"
if [ ${#BASE_RUNS[@]} -gt 0 ]; then
  report "$COMPARE_BUILD" "${BASE_RUNS[@]}"
fi
MED=$(median "${RUNS[@]}")
RPS=$(field "$MED" requests_per_s)
P99=$(field "$MED" p99_ms)
if awk -v r="$RPS" -v g="$GOAL_RPS" -v p="$P99" -v gp="$GOAL_P99_MS" 'BEGIN { exit !(r >= g && p < gp) }'; then
  printf 'PASS: at least %s requests/s with p99 under %s ms\n' "$GOAL_RPS" "$GOAL_P99_MS"
else
  printf 'FAIL: goal %s requests/s with p99 under %s ms\n' "$GOAL_RPS" "$GOAL_P99_MS"
  exit 1
fi
