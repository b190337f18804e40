#!/usr/bin/env bash
# rules_states.sh: the member's state machine across two sites (issue 7), A (昆山, 320583, the
# outflow site, branch 001) and B (南京, 320100, the inflow site, branch 101), pinned both ways.
#
#   probation: `probation decide --result full` before the probation year ends exits 5 naming the
#     day it ends; after it ended, `--result extend --until DATE` moves A's `probation` reminder to
#     DATE (none before it, one from it); `cancel` is accepted any time (state removed).
#   depart: after `depart` at B, B's `due` lists nothing about him; attendance, dues and feedback
#     at B exit 5 naming A (昆山); a second `depart` exits 5; A sees him departed and records his
#     return (查验).
#   lapse case beside the state: with a case open at A, B still records attendance, dues and
#     feedback; no `not-checked-in` for him at either site; A's `return` is accepted.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"
. "$(dirname "$0")/cert_lib.sh"
. "$(dirname "$0")/daily_lib.sh"

cert_two_sites

day() { date -d "$TODAY $1" +%F; }

# kinds_at SITE ASOF IDNO: the kinds of SITE's reminders about IDNO as of ASOF, sorted, one line.
kinds_at() {
	local out
	out=$(ld "$1" --json due --as-of "$2") || {
		echo "ERROR due at $1"
		return 0
	}
	printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join(sorted(r["kind"] for r in d["reminders"] if r["member"] == sys.argv[1])))' "$(mask "$3")"
}

# probationary IDNO BIRTH JOINED: a probationary member at A (not registered out).
probationary() {
	assert_exit 0 ld a member add --id "$1" --name 预备党员 --sex M --birth "$2" --joined "$3" \
		--kind probationary --branch 001 --dues-category salaried --income 3000 ||
		die "member add $1 at A failed"
}

# ---------------------------------------------------------------------------------------------
log "probation"
P1=$(make_idno 320583 19900101 111)
P2=$(make_idno 320583 19900202 221)
P3=$(make_idno 320583 19900303 331)
JOINED1=$(day "-2 months")
END1=$(date -d "$JOINED1 + 12 months" +%F)
probationary "$P1" 1990-01-01 "$JOINED1"
assert_exit 5 ld a probation decide "$P1" --result full
assert_contains "$ERR" "$END1" "the refusal of full before the probation year ends (names its end)"
assert_exit 5 ld a probation decide "$P1" --result extend --until "$(day "+6 months")"
assert_exit 0 ld a --json member show "$P1" &&
	assert_eq "$(jget "$OUT" 'd["kind"]')" probationary "P1's kind after the refusals"

JOINED2=$(day "-13 months")
END2=$(date -d "$JOINED2 + 12 months" +%F)
UNTIL2=$(day "+6 months")
probationary "$P2" 1990-02-02 "$JOINED2"
assert_eq "$(kinds_at a "$(day "-1 day")" "$P2")" probation "A's reminders about P2 the day before today"
assert_eq "$(kinds_at a "$(date -d "$END2 - 1 day" +%F)" "$P2")" "" "A's reminders about P2 the day before his probation ends"
assert_exit 0 ld a probation decide "$P2" --result extend --until "$UNTIL2" ||
	die "probation extend of P2 failed"
assert_exit 0 ld a --json member show "$P2" &&
	assert_eq "$(jget "$OUT" 'd.get("probation_until")')" "$UNTIL2" "P2's probation_until"
assert_eq "$(kinds_at a "$TODAY" "$P2")" "" "A's reminders about P2 after the extension"
assert_eq "$(kinds_at a "$(date -d "$UNTIL2 - 1 day" +%F)" "$P2")" "" "A's reminders about P2 the day before the extension ends"
assert_eq "$(kinds_at a "$UNTIL2" "$P2")" probation "A's reminders about P2 the day the extension ends"
assert_exit 5 ld a probation decide "$P2" --result full
assert_contains "$ERR" "$UNTIL2" "the refusal of full during the extension (names its end)"

probationary "$P3" 1990-03-03 "$(day "-1 month")"
assert_exit 0 ld a probation decide "$P3" --result cancel
assert_exit 0 ld a --json member show "$P3" &&
	assert_eq "$(jget "$OUT" 'd["state"]')" removed "P3's state after cancel"

# ---------------------------------------------------------------------------------------------
log "depart ends the inflow site's duties"
D=$(make_idno 320583 19800404 441)
daily_checked_in "$D" 1980-04-04 M 离开者
assert_exit 0 ld b --json meeting add --branch 101 --kind branch-meeting --topic 学习 ||
	die "meeting add at B failed"
MEETING=$(jget "$OUT" 'd["meeting"]')
assert_exit 0 ld b depart "$D" --assessment 表现良好 || die "depart of D at B failed"
assert_eq "$(kinds_at b "$(day "+2 years")" "$D")" "" "B's reminders about D after he departed"
assert_exit 5 ld b meeting attend "$MEETING" "$D"
assert_contains "$ERR" 昆山 "B's refusal of D's attendance after he departed (names A)"
assert_exit 5 ld b dues pay "$D" --from "${TODAY:0:7}" --amount 15
assert_contains "$ERR" 昆山 "B's refusal of D's dues after he departed (names A)"
assert_exit 5 ld b feedback "$D" --text 情况
assert_contains "$ERR" 昆山 "B's refusal of feedback on D after he departed (names A)"
assert_contains "$ERR" "昆山, his outflow site," "B's refusal names A in its role"
assert_exit 5 ld b depart "$D" --assessment 再次
assert_wait 10 "A sees D departed" member_state_is a "$D" departed || show_status b
assert_exit 0 ld a return "$D" --summary 查验完毕
assert_exit 0 ld a --json member show "$D" &&
	assert_eq "$(jget "$OUT" 'd["state"]')" returned "D's state at A after 查验"

# ---------------------------------------------------------------------------------------------
log "a lapse case beside the state"
L=$(make_idno 320583 19810505 552)
daily_checked_in "$L" 1981-05-05 F 失联者
assert_exit 0 ld a lapse open "$L" --grounds 六个月未参加组织生活 || die "lapse open at A failed"
lapse_known() {
	local out
	out=$(ld b --json member show "$L" 2>/dev/null) &&
		printf '%s' "$out" | grep -q '"lapse_case": *"'
}
assert_wait 10 "B knows of L's lapse case" lapse_known || show_status a
assert_exit 0 ld b --json member show "$L" &&
	assert_eq "$(jget "$OUT" 'd["state"]')" checked-in "L's state at B with a lapse case open"
assert_exit 0 ld b meeting attend "$MEETING" "$L"
assert_exit 0 ld b dues pay "$L" --from "${TODAY:0:7}" --amount 15
assert_exit 0 ld b feedback "$L" --text 已联系上
for site in a b; do
	KINDS=$(kinds_at "$site" "$(day "+2 months")" "$L")
	assert_not_contains "$KINDS" not-checked-in "${site^^}'s reminders about L, checked in, with a lapse case open"
done
assert_exit 0 ld a return "$L" --summary 查验
assert_exit 0 ld a --json member show "$L" &&
	assert_eq "$(jget "$OUT" 'd["state"]')" returned "L's state at A after 查验 with a lapse case open"

finish
