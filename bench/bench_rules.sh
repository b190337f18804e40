#!/usr/bin/env bash
# bench_rules.sh: the rules and registers benchmark of issue 6 (acceptance 4), end to end.
#
# Builds what it needs, makes site A (昆山, 320583) with `liudongd init` in a new directory under
# /var/tmp (disk-backed, unlike a tmpfs /tmp; override with BENCH_TMPDIR), listening on 127.0.0.1
# only, and pins peer B (南京, a second site that is initialized but never started: registering
# out only needs the peer pinned). A gets branches 001 to 010. Then:
#
#   1. generates a register CSV of N rows (default 100000; UTF-8 with BOM, CRLF, CLI.md's register
#      columns, and export's dues column for the farmers' set dues): valid 18-character identity numbers (area 110105, the birth date, a 3-digit
#      sequence whose parity matches the sex column, the ISO 7064 MOD 11-2 check character),
#      joined = birth + 20 years, 2% probationary, dues categories salaried / retired / farmer /
#      student, and one row in OUT_EVERY (default 2: half of them) registered out to 南京 (at
#      PLACES distinct places, default 20, 0 for a place of his own each; the five reasons; from
#      dates spread over 2025-01-01 to 2026-11-28; one in five at a fixed place; some employers
#      with a comma, which the CSV quotes);
#   2. times `liudong import members FILE` (one request, committed in parts): rows per second;
#   3. checks what was imported: `stats` counts N members, N/OUT_EVERY away, and `liudong verify`
#      passes (a failed verify is reported and fails the run, after the timings);
#   4. times `liudong due --as-of AS_OF --json > /dev/null` (AS_OF default 2026-12-01) REPEAT
#      times (default 5) and reports the median, min and max; counts the reminders by kind once;
#   5. times `liudong stats --as-of AS_OF --json` the same way, and `export members` (for
#      information).
#
# The load of the machine (/proc/loadavg, the busiest processes) is printed before and after, as
# other work may share the CPUs. Prints a summary on stdout (progress on stderr). Exits 0 if the
# median `due` is under GOAL_DUE_S seconds (default 1), 1 if not or if anything failed. Stops the
# daemon and removes the directory on every exit (KEEP_BENCH=1 keeps it, with the daemon's log).
#
#   usage: BUILD_DIR=/tmp/build-rules bench/bench_rules.sh     (BUILD_DIR defaults to build/)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
N=${N:-100000}
OUT_EVERY=${OUT_EVERY:-2}
PLACES=${PLACES:-20}
REPEAT=${REPEAT:-5}
AS_OF=${AS_OF:-2026-12-01}
GOAL_DUE_S=${GOAL_DUE_S:-1}

LIUDONGD=$BUILD/server/liudongd
LIUDONG=$BUILD/client/liudong

BENCH_NAME=bench_rules
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- build ---------------------------------------------------------------------------------------
if [ ! -f "$BUILD/build.ninja" ]; then
  say "setting up $BUILD"
  meson setup "$BUILD" "$ROOT" >/dev/null
fi
ninja -C "$BUILD" server/liudongd client/liudong >/dev/null ||
  die "the build failed; run ninja -C $BUILD"
BUILDTYPE=$(meson introspect "$BUILD" --buildoptions 2>/dev/null | python3 -c '
import json, sys
print(" ".join("%s=%s" % (o["name"], o["value"]) for o in json.load(sys.stdin)
               if o["name"] in ("buildtype", "b_sanitize")))' 2>/dev/null || echo unknown)

LOAD_BEFORE=$(machine_load)
say "machine before: $LOAD_BEFORE"

# --- sites ---------------------------------------------------------------------------------------
WORK=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/liudong-bench-rules.XXXXXX")
SITE=$WORK/a
SOCK=$SITE/liudongd.sock
[ ${#SOCK} -lt 108 ] || die "socket path $SOCK is too long; set BENCH_TMPDIR to a shorter directory"
FS=$(df -T "$WORK" | awk 'NR == 2 { print $1 " (" $2 ")" }')
say "working in $WORK on $FS"

PORT_A=$(free_port)
PORT_B=$(free_port)
"$LIUDONGD" init "$SITE" --name 昆山 --code 320583 --listen "127.0.0.1:$PORT_A" >/dev/null
ID_B=$("$LIUDONGD" init "$WORK/b" --name 南京 --code 320100 --listen "127.0.0.1:$PORT_B")
"$LIUDONGD" -c "$SITE/liudongd.conf" >"$WORK/liudongd.log" 2>&1 &
DPID=$!
for _ in $(seq 150); do
  if "$LIUDONG" -s "$SOCK" site >/dev/null 2>&1; then
    break
  fi
  kill -0 "$DPID" 2>/dev/null || die "liudongd exited at start: $(cat "$WORK/liudongd.log")"
  sleep 0.1
done
ld site >/dev/null 2>&1 || die "liudongd did not answer within 15 s"
ld peer add 南京 --id "$ID_B" --address "127.0.0.1:$PORT_B" >/dev/null
for b in $(seq -w 1 10); do
  ld branch add "0$b" --name "第${b}支部" >/dev/null
done

# --- the register --------------------------------------------------------------------------------
CSV=$WORK/register-$N.csv
say "generating $N rows in $CSV"
python3 - "$CSV" "$N" "$OUT_EVERY" "$PLACES" <<'PYEOF'
import datetime, sys
path, n, out_every, places = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
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
for i in range(n):
    birth = base + datetime.timedelta(days=(i // 40) * 2)   # 40 numbers a day, unique (birth, seq)
    seq = 101 + (i % 40) * 21                                # 101..920, parity alternates
    body = "110105" + birth.strftime("%Y%m%d") + "%03d" % seq
    idno = body + C[sum(int(c) * w for c, w in zip(body, W)) % 11]
    sex = "M" if seq % 2 else "F"
    joined = birth.replace(year=birth.year + 20)             # birth + 20 years (Feb 29 stays leap)
    kind = "probationary" if i % 50 == 7 else "full"
    cat = ("salaried", "salaried", "retired", "farmer", "student")[i % 5]
    income = {"salaried": "%d.00" % (2500 + (i * 37) % 12000), "retired": "%d.50" % (3000 + i % 4000),
              "farmer": "", "student": ""}[cat]
    name = surnames[i % len(surnames)] + given[(i // 7) % len(given)]
    row = [idno, name, sex, birth.isoformat(), joined.isoformat(), kind, "%03d" % (1 + i % 10),
           cat, income, "139%08d" % i]
    if i % out_every == 0:
        frm = out_start + datetime.timedelta(days=(i * 7919) % span)
        employer = "南京某%s公司" % districts[i % 7] if i % 3 else '"甲,乙%d建筑公司"' % (i % 13)
        k = i // out_every
        if places == 0:
            place = "南京市玄武区中山路%d号" % k                  # every one at his own place
        elif places <= len(districts):
            place = "南京市" + districts[k % places]
        else:
            place = "南京市%s第%d号" % (districts[k % len(districts)], k % places)
        row += ["南京", place, reasons[i % 5],
                frm.isoformat(), "", "yes" if k % 5 == 0 else "no", employer]
    else:
        row += [""] * 7
    row.append("0.50" if cat == "farmer" else "")          # farmers' dues are set per member
    rows.append(",".join(row))
open(path, "w", encoding="utf-8", newline="").write("\r\n".join(rows) + "\r\n")
PYEOF
CSV_BYTES=$(stat -c %s "$CSV")
say "register: $CSV_BYTES bytes"

# --- import --------------------------------------------------------------------------------------
say "import members ($N rows)"
t0=$(now_ns)
IMPORT_OUT=$(ld --json import members "$CSV" 2>"$WORK/import.err") ||
  die "import failed: $(tail -n 3 "$WORK/import.err"); the daemon's log is $WORK/liudongd.log"
t1=$(now_ns)
IMPORT_S=$(secs "$t0" "$t1")
IMPORT_RATE=$(awk -v n="$N" -v s="$IMPORT_S" 'BEGIN { printf("%.0f", n / s) }')
say "  $IMPORT_OUT in $IMPORT_S s ($IMPORT_RATE rows/s)"
python3 -c '
import json, sys
d = json.loads(sys.argv[1]); n = int(sys.argv[2])
out = (n + int(sys.argv[3]) - 1) // int(sys.argv[3])
if d.get("imported") != n or d.get("registered_out") != out:
    sys.exit("import printed %s; expected imported %d, registered_out %d" % (d, n, out))
' "$IMPORT_OUT" "$N" "$OUT_EVERY" || die "the import did not register every row"

STATS=$(ld --json stats --as-of "$AS_OF")
python3 -c '
import json, sys
d = json.loads(sys.argv[1]); n = int(sys.argv[2])
s = d["members_by_state"]
out = (n + int(sys.argv[3]) - 1) // int(sys.argv[3])
if sum(s.values()) != n or s.get("away") != out:
    sys.exit("stats after the import: %s; expected %d members, %d away" % (s, n, out))
' "$STATS" "$N" "$OUT_EVERY" || die "stats does not count what was imported"
# A failed verify is reported (and fails the run at the end), but the timings still go on.
VERIFY_FAILED=
t0=$(now_ns)
if ! VERIFY_ERR=$(ld --json verify 2>&1 >/dev/null); then
  VERIFY_FAILED="liudong verify failed after the import: $VERIFY_ERR"
  say "$VERIFY_FAILED"
fi
t1=$(now_ns)
VERIFY_S=$(secs "$t0" "$t1")
RSS_IMPORT=$(awk '/^VmHWM/ { print $2 " " $3 }' "/proc/$DPID/status" 2>/dev/null || echo "?")
HEAD=$(ld --json site | python3 -c 'import json, sys; print(json.load(sys.stdin)["head_seq"])')
STORE_BYTES=$(du -sb "$SITE/data" | cut -f1)
say "  head_seq $HEAD, store $STORE_BYTES bytes, verify $VERIFY_S s"

# --- due, stats, export --------------------------------------------------------------------------
# timed NAME CMD...: REPEAT runs of CMD (stdout to /dev/null); the seconds of each go to NAME.
timed() {
  local -n _times=$1
  shift
  local r t0 t1
  _times=()
  for r in $(seq "$REPEAT"); do
    t0=$(now_ns)
    "$@" >/dev/null || die "'$*' failed (run $r); the daemon's log is $WORK/liudongd.log"
    t1=$(now_ns)
    _times+=("$(secs "$t0" "$t1")")
    say "  run $r: ${_times[-1]} s"
  done
}

say "due --as-of $AS_OF --json > /dev/null, $REPEAT runs"
timed DUE_TIMES ld --json due --as-of "$AS_OF"
DUE_JSON=$WORK/due.json
ld --json due --as-of "$AS_OF" >"$DUE_JSON" || die "due failed"
DUE_BYTES=$(stat -c %s "$DUE_JSON")
DUE_KINDS=$(python3 - "$DUE_JSON" <<'PYEOF'
import collections, json, re, sys
d = json.load(open(sys.argv[1]))
rs = d["reminders"]
bad = [r for r in rs if r["member"] and not re.fullmatch(r"[0-9]{6}\*{8}[0-9]{3}[0-9X]", r["member"])]
if bad:
    sys.exit("%d reminder(s) with an unmasked member, e.g. %s" % (len(bad), bad[0]))
c = collections.Counter(r["kind"] for r in rs)
print("%d reminders: %s" % (len(rs), ", ".join("%s %d" % kv for kv in sorted(c.items()))))
PYEOF
) || die "the due output is wrong: $DUE_KINDS"
say "  $DUE_KINDS; $DUE_BYTES bytes of JSON"

say "stats --as-of $AS_OF --json, $REPEAT runs"
timed STATS_TIMES ld --json stats --as-of "$AS_OF"
say "export members --out FILE (for information), $REPEAT runs"
timed EXPORT_TIMES ld export members --out "$WORK/export.csv"
EXPORT_ROWS=$(($(grep -c '' "$WORK/export.csv") - 1))
[ "$EXPORT_ROWS" = "$N" ] || die "export members wrote $EXPORT_ROWS rows, expected $N"

LOAD_AFTER=$(machine_load)
RSS=$(awk '/^VmHWM/ { print $2 " " $3 }' "/proc/$DPID/status" 2>/dev/null || echo "?")
stop_daemon || die "liudongd did not stop cleanly; its log is $WORK/liudongd.log"

# --- summary -------------------------------------------------------------------------------------
read -r DUE_MED DUE_MIN DUE_MAX <<<"$(stats_of "${DUE_TIMES[@]}")"
read -r ST_MED ST_MIN ST_MAX <<<"$(stats_of "${STATS_TIMES[@]}")"
read -r EX_MED EX_MIN EX_MAX <<<"$(stats_of "${EXPORT_TIMES[@]}")"
printf '\nRules and registers (issue 6): %s members (1 in %s away, PLACES=%s), %s CPUs (%s), %s, kernel %s, build %s\n' \
  "$N" "$OUT_EVERY" "$PLACES" "$(nproc)" "$(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -n 1)" "$FS" \
  "$(uname -r)" "$BUILDTYPE"
printf 'machine before: %s\nmachine after:  %s\n\n' "$LOAD_BEFORE" "$LOAD_AFTER"
printf 'register file: %s rows, %s bytes\n' "$N" "$CSV_BYTES"
printf 'import members: %s s, %s rows/s (%s); head_seq %s; store %s bytes; verify %s s\n' \
  "$IMPORT_S" "$IMPORT_RATE" "$IMPORT_OUT" "$HEAD" "$STORE_BYTES" "$VERIFY_S"
printf 'due --as-of %s --json: median %s s (min %s, max %s) of %s runs: %s\n' "$AS_OF" \
  "$DUE_MED" "$DUE_MIN" "$DUE_MAX" "$REPEAT" "${DUE_TIMES[*]}"
printf '  output: %s bytes, %s\n' "$DUE_BYTES" "$DUE_KINDS"
printf 'stats --as-of %s --json: median %s s (min %s, max %s): %s\n' "$AS_OF" "$ST_MED" "$ST_MIN" \
  "$ST_MAX" "${STATS_TIMES[*]}"
printf 'export members --out FILE: median %s s (min %s, max %s): %s\n' "$EX_MED" "$EX_MIN" \
  "$EX_MAX" "${EXPORT_TIMES[*]}"
printf 'daemon peak RSS (VmHWM): %s after the import and verify, %s at the end\n' "$RSS_IMPORT" "$RSS"
if [ -n "$VERIFY_FAILED" ]; then
  printf 'FAIL: %s\n' "$VERIFY_FAILED"
  exit 1
fi
if awk -v m="$DUE_MED" -v g="$GOAL_DUE_S" 'BEGIN { exit !(m < g) }'; then
  printf 'PASS: due over %s members in %s s (goal: under %s s)\n' "$N" "$DUE_MED" "$GOAL_DUE_S"
else
  printf 'FAIL: due over %s members took %s s (goal: under %s s)\n' "$N" "$DUE_MED" "$GOAL_DUE_S"
  exit 1
fi
