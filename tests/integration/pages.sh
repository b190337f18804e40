#!/usr/bin/env bash
# pages.sh: answers in pages (issue 12). `due`, `member list`, `member find`, `history` and `audit`
# are answered a page at a time, the CLI asking for the next page until there is none; at A (昆山),
# with B (南京) pinned but never started, on a site bigger than one page ($LIUDONG_PAGE_ROWS makes
# the pages small: 1, 2, 3 and 7 rows):
#  - with --json each paged answer is exactly one JSON object, byte for byte the answer of one
#    page (the default page holds this whole site), `due` counting its reminders across pages
#    (count), its site-level reminders (temp-branch) after the members'; for people the same rows
#    (the columns may widen from one page to the next: compared with runs of spaces squeezed);
#  - on the socket a page holds at most `limit` rows and names the next (`next`), null on the last;
#    the cursor carries no identity number (full or masked); a cursor the daemon did not make, one
#    of another listing, one from before a restart, and limit 0 are refused (exit 3);
#  - `due` with no limit answers up to 10,000 reminders a page (its rows are text, cheap to write);
#  - LIUDONG_PAGE_ROWS=0 is a usage error (exit 2).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"
CTL_RAW=${CTL_RAW:-$HERE/../../build/tests/integration/ctl_raw}
[ -x "$CTL_RAW" ] || die "no $CTL_RAW; build first"

sync_site_init a 昆山 320583
sync_site_init b 南京 320100
sync_site_start a
sync_pin a b
assert_exit 0 ld a branch add 001 --name 第一支部 || die "branch add failed"

# 40 members: 30 registered out to 南京 in 2025 at 3 places (10 full members each: a temp-branch
# reminder for each place), 10 at home.
python3 - "$T/reg.csv" "$T/.idnos" <<'PYEOF'
import sys
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
C = "10X98765432"
rows = ["id,name,sex,birth,joined,kind,branch,dues_category,income,phone,to,place,reason,from,"
        "until,fixed_place,employer"]
ids = []
for i in range(40):
    birth = "19%02d-%02d-%02d" % (60 + i % 30, 1 + i % 12, 1 + i % 28)
    seq = 101 + 2 * i
    body = "320583" + birth.replace("-", "") + "%03d" % seq
    idno = body + C[sum(int(c) * w for c, w in zip(body, W)) % 11]
    ids.append(idno)
    row = [idno, "页%02d" % i, "M", birth, "%d-07-01" % (int(birth[:4]) + 20), "full", "001",
           "retired", "4000", "1380000%04d" % i]
    if i < 30:
        row += ["南京", "南京市%s" % ("玄武区", "鼓楼区", "江宁区")[i % 3], "work",
                "2025-%02d-%02d" % (1 + i % 12, 1 + i % 28), "", "yes" if i % 4 == 0 else "no", ""]
    else:
        row += [""] * 7
    rows.append(",".join(row))
open(sys.argv[1], "w", encoding="utf-8").write("\n".join(rows) + "\n")
open(sys.argv[2], "a").write("\n".join(ids) + "\n")
PYEOF
mapfile -t IDS < <(tail -n 40 "$T/.idnos")
assert_exit 0 ld a import members "$T/reg.csv" || die "import failed"
# History and audit rows: seven updates of the first member, each audited; five reveals.
for i in 1 2 3 4 5 6 7; do
	assert_exit 0 ld a member update "${IDS[0]}" --phone "1390000000$i" || die "member update failed"
done
for i in 1 2 3 4 5; do
	assert_exit 0 ld a member show "${IDS[$i]}" --reveal >/dev/null || die "member show failed"
done

# squeeze TEXT: runs of spaces and newlines as one space (a later page may widen the columns, and
# so move where a long cell wraps within its column).
squeeze() {
	printf '%s\n' "$1" | tr -s ' \n' '  '
}

# same_paged WHAT ARGS...: `ld a --json ARGS` in pages of 1, 2, 3 and 7 rows is one JSON object
# equal to the one-page answer; for people, the same rows. Sets WHOLE to the one-page JSON.
same_paged() {
	local what=$1 rows text
	shift
	assert_exit 0 ld a --json "$@" && assert_json || return 1
	WHOLE=$OUT
	assert_exit 0 ld a "$@" || return 1
	text=$OUT
	for rows in 1 2 3 7; do
		assert_exit 0 env LIUDONG_PAGE_ROWS=$rows "$LIUDONG" -s "${SITE_DIR[a]}/liudongd.sock" \
			--json "$@" && assert_json &&
			assert_eq "$OUT" "$WHOLE" "$what --json in pages of $rows"
		assert_exit 0 env LIUDONG_PAGE_ROWS=$rows "$LIUDONG" -s "${SITE_DIR[a]}/liudongd.sock" \
			"$@" &&
			assert_eq "$(squeeze "$OUT")" "$(squeeze "$text")" "$what for people in pages of $rows"
	done
}

log "due: the same reminders in pages of 1, 2, 3 and 7"
same_paged due due --as-of 2026-12-01
N_DUE=$(jget "$WHOLE" 'len(d["reminders"])')
assert_eq "$(jget "$WHOLE" 'd["count"] == len(d["reminders"]) and len(d["reminders"]) > 40')" true \
	"due counts its reminders (count), more than 40 of them ($N_DUE)"
assert_eq "$(jget "$WHOLE" '[r["kind"] for r in d["reminders"]][-3:]')" \
	'["temp-branch", "temp-branch", "temp-branch"]' "the site-level reminders come last, one a place"
assert_eq "$(jget "$WHOLE" 'sorted(d)')" '["as_of", "count", "reminders"]' "due's fields"

log "member list, member find, history, audit: the same rows in pages"
same_paged "member list" member list
assert_eq "$(jget "$WHOLE" 'len(d["members"])')" 40 "member list: every member"
same_paged "member list --state away" member list --state away
assert_eq "$(jget "$WHOLE" 'len(d["members"])')" 30 "member list --state away"
same_paged "member find" member find 鼓楼区
assert_eq "$(jget "$WHOLE" 'len(d["members"])')" 10 "member find 鼓楼区"
same_paged history history "${IDS[0]}"
assert_eq "$(jget "$WHOLE" '[e["kind"] for e in d["events"]]')" \
	'["outflow.registered", "member.updated", "member.updated", "member.updated", "member.updated", "member.updated", "member.updated", "member.updated"]' \
	"history: every event, oldest first"
same_paged audit audit
assert_eq "$(jget "$WHOLE" 'len(d["entries"]) >= 14')" true "audit: every row (branch add, import, updates, reveals)"
same_paged "audit --member" audit --member "${IDS[0]}"
assert_eq "$(jget "$WHOLE" 'len(d["entries"])')" 7 "audit --member: his seven updates"

log "on the socket: pages of at most limit rows, and the next one named"
SOCK=${SITE_DIR[a]}/liudongd.sock
# raw ARGS...: ctl_raw at A; the answer's JSON in RAW (empty if it failed), the status in RC.
raw() {
	run "$CTL_RAW" "$SOCK" tester "$@"
	RAW=$(printf '%s\n' "$OUT" | sed -n '2p')
}
raw member.list limit=3
assert_eq "$RC" 0 "member.list limit=3"
assert_eq "$(jget "$RAW" 'len(d["members"])')" 3 "rows in a page of limit 3"
NEXT=$(jget "$RAW" 'd["next"]')
assert_not_contains "$NEXT" "********" "the cursor (no masked number)"
for id in "${IDS[@]}"; do
	assert_not_contains "$NEXT" "$id" "the cursor (no full number)"
	assert_not_contains "$NEXT" "${id:6:8}" "the cursor (no birth date)"
done
raw member.list limit=40 "after=$NEXT"
assert_eq "$(jget "$RAW" 'len(d["members"])')" 37 "the rest after the first page"
assert_eq "$(jget "$RAW" 'd["next"]')" null "next on the last page"
raw member.list limit=0
assert_eq "$RC" 3 "limit=0"
raw member.list limit=10001
assert_eq "$RC" 3 "limit=10001"
raw member.list after=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
assert_eq "$RC" 3 "a cursor the daemon did not make"
assert_contains "$OUT" "run the command again" "the refusal of a forged cursor"
raw member.list "after=${NEXT:0:-2}00"
assert_eq "$RC" 3 "a cursor changed in its last byte"
raw due limit=2 as-of=2026-12-01 "after=$NEXT"
assert_eq "$RC" 3 "a member list's cursor sent to due"
raw due limit=2 as-of=2026-12-01
DUE_NEXT=$(jget "$RAW" 'd["next"]')
assert_eq "$(jget "$RAW" 'len(d["reminders"]) >= 2 and isinstance(d["next"], str)')" true \
	"due: a first page and a next"
raw history "arg=${IDS[0]}" limit=4
assert_eq "$(jget "$RAW" '[len(d["events"]), d["next"] is not None]')" "[4, true]" "history limit=4"
raw audit limit=2 after=x
assert_eq "$RC" 3 "audit after=x"

log "a cursor from before a restart is refused"
site_stop a
sync_site_restart a
raw due limit=2 as-of=2026-12-01 "after=$DUE_NEXT"
assert_eq "$RC" 3 "due with a cursor from before the restart"

log "due: a page holds up to 10,000 reminders unless the request says"
# 240 more members away since 2025: some 1,300 reminders in all.
python3 - "$T/more.csv" <<'PYEOF'
import datetime, sys
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
C = "10X98765432"
rows = ["id,name,sex,birth,joined,kind,branch,dues_category,income,phone,to,place,reason,from,"
        "until,fixed_place,employer"]
for i in range(240):
    birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=i)
    body = "320583" + birth.strftime("%Y%m%d") + "%03d" % (301 + 2 * i)
    idno = body + C[sum(int(c) * w for c, w in zip(body, W)) % 11]
    rows.append(",".join([idno, "多%03d" % i, "M", birth.isoformat(), "1975-07-01", "full", "001",
                          "retired", "4000", "1390000%04d" % i, "南京", "南京市秦淮区", "work",
                          "2025-03-01", "", "no", ""]))
open(sys.argv[1], "w", encoding="utf-8").write("\n".join(rows) + "\n")
PYEOF
assert_exit 0 ld a import members "$T/more.csv" || die "import failed"
assert_exit 0 ld a --json due --as-of 2026-12-01 && assert_json
N_ALL=$(jget "$OUT" 'd["count"]')
raw due as-of=2026-12-01
assert_eq "$(jget "$RAW" '[len(d["reminders"]) == '"$N_ALL"' > 1000, d["next"]]')" "[true, null]" \
	"due with no limit: all $N_ALL reminders in one page"
raw due as-of=2026-12-01 limit=1000
assert_eq "$(jget "$RAW" '1000 <= len(d["reminders"]) < '"$N_ALL"' and isinstance(d["next"], str)')" \
	true "due limit=1000: a page of 1,000 (a member's reminders kept together) and a next"

log "LIUDONG_PAGE_ROWS must be a number of rows"
assert_exit 2 env LIUDONG_PAGE_ROWS=0 "$LIUDONG" -s "$SOCK" member list
assert_exit 2 env LIUDONG_PAGE_ROWS=x "$LIUDONG" -s "$SOCK" due

finish
