#!/usr/bin/env bash
# run_pages.sh: answers in pages (issue 12, acceptance 4, 5 for listing, and 6), end to end.
#
# Builds what it needs (release: BUILD_DIR defaults to build-release), makes site A (昆山, 320583)
# in a new directory under /var/tmp (override with BENCH_TMPDIR) listening on 127.0.0.1 only, pins
# peer B (南京, initialized, never started: registering out needs only the pin), and then:
#
#   1. imports a register of N members (default 100000), every one registered out to 南京 (at
#      PLACES places, default 20; from dates over 2025-01-01..2026-11-28), one request;
#   2. records RECEIPTS dues receipts (default 40000: RECEIPTS/2 members, two months each) with
#      `bench_pages pay` (8 connections; voluntary 1.00 yuan, so no amount rule gets in the way);
#   3. before each command below, restarts the daemon, so that its peak RSS (VmHWM) counts that
#      command's runs alone (not the import, not the others);
#   4. times, REPEAT times each (default 3; the median, min and max), the whole answer as the CLI
#      prints it, stdout to /dev/null:
#        conflicts --json                    (every receipt checked for a double payment)
#        due --as-of AS_OF and --json        (AS_OF default 2026-12-01: N away members)
#        member list and --json              (N members)
#      and while each runs, `bench_pages probe` sends `site` every millisecond on another
#      connection: the p99 and max of its wait is what a user's `liudong site` waits meanwhile;
#   5. the daemon's VmHWM after each command's runs; the due --json output is checked (one
#      object, count = its reminders) and counted by kind.
#
# The load of the machine is printed before and after. A command that fails is reported (FAILED
# and its message) and the run goes on: the same script measures the code before paging, where
# `due` over 100,000 members fails. BENCH_TOOLS_DIR names the build holding bench_pages (default
# BUILD_DIR), for running it against such an older build. Prints a summary on stdout (progress on
# stderr); exits 1 if the setup failed. Stops the daemon and removes the directory on every exit
# (KEEP_BENCH=1 keeps it).
#
#   usage: bench/run_pages.sh          (or BUILD_DIR=/path/to/build N=20000 bench/run_pages.sh)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build-release}
TOOLS=${BENCH_TOOLS_DIR:-$BUILD}
N=${N:-100000}
PLACES=${PLACES:-20}
RECEIPTS=${RECEIPTS:-40000}
REPEAT=${REPEAT:-3}
AS_OF=${AS_OF:-2026-12-01}

LIUDONGD=$BUILD/server/liudongd
LIUDONG=$BUILD/client/liudong
BENCH_PAGES=$TOOLS/bench/bench_pages

BENCH_NAME=run_pages
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
[[ "$N" =~ ^[0-9]+$ && "$RECEIPTS" =~ ^[0-9]+$ ]] || die "N=$N, RECEIPTS=$RECEIPTS: give whole numbers"
[ $((N * 2)) -ge "$RECEIPTS" ] ||
  die "RECEIPTS=$RECEIPTS needs N of at least $(((RECEIPTS + 1) / 2)) members (two months each); N=$N"

# --- build ---------------------------------------------------------------------------------------
if [ ! -f "$BUILD/build.ninja" ]; then
  say "setting up $BUILD (release)"
  meson setup "$BUILD" "$ROOT" --buildtype=release >/dev/null
fi
ninja -C "$BUILD" server/liudongd client/liudong >/dev/null || die "the build failed; run ninja -C $BUILD"
ninja -C "$TOOLS" bench/bench_pages >/dev/null || die "the build of bench_pages failed in $TOOLS"
BUILDTYPE=$(meson introspect "$BUILD" --buildoptions 2>/dev/null | python3 -c '
import json, sys
print(" ".join("%s=%s" % (o["name"], o["value"]) for o in json.load(sys.stdin)
               if o["name"] in ("buildtype", "b_sanitize")))' 2>/dev/null || echo unknown)
LOAD_BEFORE=$(machine_load)
say "machine before: $LOAD_BEFORE"

# --- site ----------------------------------------------------------------------------------------
WORK=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/liudong-bench-pages.XXXXXX")
SITE=$WORK/a
SOCK=$SITE/liudongd.sock
[ ${#SOCK} -lt 108 ] || die "socket path $SOCK is too long; set BENCH_TMPDIR to a shorter directory"
say "working in $WORK"
"$LIUDONGD" init "$SITE" --name 昆山 --code 320583 --listen "127.0.0.1:$(free_port)" >/dev/null
PORT_B=$(free_port)
ID_B=$("$LIUDONGD" init "$WORK/b" --name 南京 --code 320100 --listen "127.0.0.1:$PORT_B")
start_daemon
ld peer add 南京 --id "$ID_B" --address "127.0.0.1:$PORT_B" >/dev/null
for b in $(seq -w 1 10); do
  ld branch add "0$b" --name "第${b}支部" >/dev/null
done

# --- register: N members, all registered out ------------------------------------------------------
CSV=$WORK/register.csv
IDS=$WORK/ids.txt
say "generating $N members, all registered out to 南京"
python3 - "$CSV" "$IDS" "$N" "$PLACES" <<'PYEOF'
import datetime, sys
path, ids_path, n, places = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
C = "10X98765432"
rows = ["id,name,sex,birth,joined,kind,branch,dues_category,income,phone,to,place,reason,from,"
        "until,fixed_place,employer"]
ids = []
base, out_start = datetime.date(1950, 1, 1), datetime.date(2025, 1, 1)
span = (datetime.date(2026, 11, 28) - out_start).days + 1
reasons = ["work", "business", "residence", "study", "other"]
for i in range(n):
    birth = base + datetime.timedelta(days=(i // 40) * 2)
    seq = 101 + (i % 40) * 21
    body = "110105" + birth.strftime("%Y%m%d") + "%03d" % seq
    idno = body + C[sum(int(c) * w for c, w in zip(body, W)) % 11]
    ids.append(idno)
    frm = out_start + datetime.timedelta(days=(i * 7919) % span)
    rows.append(",".join([idno, "党员%06d" % i, "M" if seq % 2 else "F", birth.isoformat(),
                          birth.replace(year=birth.year + 20).isoformat(),
                          "probationary" if i % 50 == 7 else "full", "%03d" % (1 + i % 10),
                          "retired", "%d.50" % (3000 + i % 4000), "139%08d" % i, "南京",
                          "南京市第%d区" % (i % places), reasons[i % 5], frm.isoformat(), "",
                          "yes" if i % 5 == 0 else "no", "南京某公司"]))
open(path, "w", encoding="utf-8").write("\n".join(rows) + "\n")
open(ids_path, "w").write("\n".join(ids) + "\n")
PYEOF
say "import members ($N rows, one request)"
t0=$(now_ns)
ld --json import members "$CSV" >/dev/null 2>"$WORK/import.err" ||
  die "import failed: $(tail -n 3 "$WORK/import.err")"
t1=$(now_ns)
IMPORT_S=$(secs "$t0" "$t1")
say "  $IMPORT_S s"

say "recording $RECEIPTS receipts"
PAY_OUT=$("$BENCH_PAGES" pay --socket "$SOCK" --ids "$IDS" --count "$RECEIPTS" --months 2 --clients 8) ||
  die "bench_pages pay failed; the daemon's log is $WORK/liudongd.log"
say "  $PAY_OUT"

stop_daemon || die "liudongd did not stop cleanly"
start_daemon
RSS_START=$(hwm)
say "VmHWM of a daemon just started on this site: $RSS_START"

# --- the reads -----------------------------------------------------------------------------------
# timed NAME CMD...: restart the daemon, then REPEAT runs of CMD, stdout to /dev/null, with the
# probe running; the seconds of each in NAME_TIMES, the probe's line of the slowest run in
# NAME_PROBE, FAILED in NAME_FAIL, the daemon's VmHWM after them in NAME_HWM.
timed() {
  local name=$1 r t0 t1 err worst=-1 probe
  shift
  local -n _times=${name}_TIMES _probe=${name}_PROBE _fail=${name}_FAIL _hwm=${name}_HWM
  _times=() _probe="" _fail="" _hwm=""
  stop_daemon || die "liudongd did not stop cleanly"
  start_daemon
  for r in $(seq "$REPEAT"); do
    rm -f "$WORK/stop"
    "$BENCH_PAGES" probe --socket "$SOCK" --until "$WORK/stop" >"$WORK/probe.out" &
    local ppid=$!
    sleep 0.05
    t0=$(now_ns)
    if ! "$@" >/dev/null 2>"$WORK/cmd.err"; then
      err=$(tail -n 1 "$WORK/cmd.err")
      _fail="FAILED: $err"
    fi
    t1=$(now_ns)
    touch "$WORK/stop"
    wait "$ppid" || true
    probe=$(cat "$WORK/probe.out")
    _times+=("$(secs "$t0" "$t1")")
    say "  run $r: ${_times[-1]} s; $probe${_fail:+; $_fail}"
    if awk -v a="${_times[-1]}" -v b="$worst" 'BEGIN { exit !(a > b) }'; then
      worst=${_times[-1]}
      _probe=$probe
    fi
    [ -z "$_fail" ] || break
  done
  _hwm=$(hwm)
  say "  daemon VmHWM: $_hwm"
}

say "conflicts --json ($RECEIPTS receipts)"
timed CONFLICTS ld --json conflicts
say "due --as-of $AS_OF (for people, every page)"
timed DUE ld due --as-of "$AS_OF"
say "due --as-of $AS_OF --json"
timed DUEJ ld --json due --as-of "$AS_OF"
say "member list (for people, every page)"
timed LIST ld member list
say "member list --json"
timed LISTJ ld --json member list

DUE_CHECK="not checked (due failed)"
if [ -z "$DUEJ_FAIL" ]; then
  ld --json due --as-of "$AS_OF" >"$WORK/due.json"
  DUE_CHECK=$(python3 - "$WORK/due.json" <<'PYEOF'
import collections, json, sys
d = json.load(open(sys.argv[1]))
rs = d["reminders"]
if d.get("count", len(rs)) != len(rs):
    sys.exit("count %s but %d reminders" % (d.get("count"), len(rs)))
c = collections.Counter(r["kind"] for r in rs)
print("%d reminders (%s)" % (len(rs), ", ".join("%s %d" % kv for kv in sorted(c.items()))))
PYEOF
) || DUE_CHECK="WRONG: $DUE_CHECK"
fi
LIST_ROWS=$(ld member list | tail -n +2 | grep -c '' || true)
CONFLICT_ROWS=$(ld --json conflicts | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["conflicts"]))' || echo "?")

LOAD_AFTER=$(machine_load)
stop_daemon || die "liudongd did not stop cleanly; its log is $WORK/liudongd.log"

# --- summary -------------------------------------------------------------------------------------
line() {
  local label=$1 name=$2 med min max
  local -n _t=${name}_TIMES _p=${name}_PROBE _f=${name}_FAIL _h=${name}_HWM
  read -r med min max <<<"$(stats_of "${_t[@]}")"
  printf '%-30s median %s s (min %s, max %s) of %s; daemon VmHWM %s; %s%s\n' "$label" "$med" \
    "$min" "$max" "${#_t[@]}" "$_h" "${_p:-probe: none}" "${_f:+; $_f}"
}
printf '\nAnswers in pages (issue 12): %s members (all away), %s receipts, %s CPUs (%s), kernel %s, build %s\n' \
  "$N" "$RECEIPTS" "$(nproc)" "$(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -n 1)" "$(uname -r)" "$BUILDTYPE"
printf 'machine before: %s\nmachine after:  %s\n' "$LOAD_BEFORE" "$LOAD_AFTER"
printf 'setup: import %s s; %s\n\n' "$IMPORT_S" "$PAY_OUT"
line "conflicts --json" CONFLICTS
printf '  %s conflicts listed\n' "$CONFLICT_ROWS"
line "due --as-of $AS_OF" DUE
line "due --as-of $AS_OF --json" DUEJ
printf '  %s\n' "$DUE_CHECK"
line "member list" LIST
line "member list --json" LISTJ
printf '  %s rows\n' "$LIST_ROWS"
printf 'daemon VmHWM just after a start: %s\n' "$RSS_START"

# For scripts/bench: the figures of issue 12 as KEY=VALUE (medians; site_ms the slowest `liudong
# site` answer seen while conflicts and due ran; due_s the paged `due --json` answer as a whole).
probe_max() { sed -n 's/.* max \([0-9.]*\) ms.*/\1/p' <<<"$1"; }
med() { read -r m _ _ <<<"$(stats_of "$@")"; printf '%s' "$m"; }
printf 'conflicts_ms=%s\n' "$(awk -v s="$(med "${CONFLICTS_TIMES[@]}")" 'BEGIN { printf("%.1f", s * 1000) }')"
printf 'site_ms=%s\n' "$(printf '%s\n' "$(probe_max "$CONFLICTS_PROBE")" "$(probe_max "$DUE_PROBE")" \
  "$(probe_max "$DUEJ_PROBE")" | sort -g | tail -n 1)"
printf 'due_s=%s\n' "$(med "${DUEJ_TIMES[@]}")"
printf 'due_table_s=%s\n' "$(med "${DUE_TIMES[@]}")"
printf 'list_hwm_mib=%s\n' "$(awk '{ printf("%.1f", $1 / 1024) }' <<<"$LIST_HWM")"
