#!/usr/bin/env bash
# sync_import.sh: members per second end to end, from the start of `import members` of an N-row
# register (default 100,000) at A, all registered out to B, until B has applied them all, with B
# up and connected. A commits the import in parts (8,192 rows each) and B applies each part while
# A writes the next; B's head_seq (`liudong site`) counts the events B applied.
#
#   usage: BUILD_DIR=build bench/sync_import.sh      (N=100000; sites under /var/tmp)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
N=${N:-100000}
LIUDONGD=$BUILD/server/liudongd
LIUDONG=$BUILD/client/liudong
BENCH_NAME=sync_import
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
WORK=$(mktemp -d /var/tmp/liudong-sync-import.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
pair_init "$LIUDONGD"
"$LIUDONGD" -c "$WORK/a/liudongd.conf" 2>"$WORK/a.log" & pids+=($!)
"$LIUDONGD" -c "$WORK/b/liudongd.conf" 2>"$WORK/b.log" & pids+=($!)
pair_pin
python3 - "$N" "$WORK/register.csv" <<'PY'
import sys, datetime
n, path = int(sys.argv[1]), sys.argv[2]
w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
base = datetime.date(1950, 1, 1)
with open(path, 'w', encoding='utf-8') as f:
    f.write('id,name,sex,birth,joined,kind,branch,dues_category,income,phone,to,place,reason,from,until,fixed_place,employer\n')
    for i in range(n):
        birth = base + datetime.timedelta(days=i // 999)
        seq = i % 999 + 1
        s17 = '110105' + birth.strftime('%Y%m%d') + '%03d' % seq
        check = '10X98765432'[sum(int(c) * k for c, k in zip(s17, w)) % 11]
        joined = birth.replace(year=birth.year + 20) if not (birth.month == 2 and birth.day == 29) else birth.replace(year=birth.year + 20, day=28)
        sex = 'M' if seq % 2 else 'F'
        f.write(f'{s17}{check},党员{i},{sex},{birth},{joined},full,001,salaried,5000,,南京,南京市,work,2026-03-01,,no,\n')
PY
t0=$(date +%s.%N)
a import members "$WORK/register.csv" >/dev/null
t1=$(date +%s.%N)
while :; do
  h=$(b --json site | python3 -c 'import json,sys; print(json.load(sys.stdin)["head_seq"])')
  [ "$h" -ge "$N" ] && break
  sleep 0.02
done
t2=$(date +%s.%N)
python3 - "$N" "$t0" "$t1" "$t2" <<'PY'
import sys
n, t0, t1, t2 = int(sys.argv[1]), *map(float, sys.argv[2:])
print(f"import of {n} rows at A (in parts): {t1 - t0:.2f} s")
print(f"B applied all {n} events {t2 - t1:.2f} s after A's answer")
print(f"end to end, from the import's start until B applied all: {t2 - t0:.2f} s = {n / (t2 - t0):.0f} members/s")
PY
