#!/usr/bin/env bash
# rules_leave.sh: a member leaves his inflow site without departing from it (issue 7). Three
# sites: A (昆山, 320583, outflow, branch 001), B (南京, 320100, inflow, branch 101), C (苏州,
# 320500, branch 201); A pins both, both pin A (B and C do not know each other).
#
#   M, checked in at B, is registered out by A to C: B gets stay.ended; at B he is departed,
#     B's `due` lists nothing about him, feedback at B exits 5 naming A (昆山); B learns nothing
#     of C's place (member show at B keeps B's old place).
#   T, checked in at B, gets a transfer letter from A to C: C receives the letter and records
#     its receipt (transfer receive); B's `due` lists nothing about him, feedback at B exits 5
#     naming A; A sees him transferred.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"
. "$(dirname "$0")/cert_lib.sh"
. "$(dirname "$0")/daily_lib.sh"

sync_site_init a 昆山 320583
sync_site_init b 南京 320100
sync_site_init c 苏州 320500
sync_site_start a
sync_site_start b
sync_site_start c
sync_pin_both a b
sync_pin_both a c
for p in b c; do
	assert_wait 15 "A shows $p live" peer_is a "$p" live || show_status a
	assert_wait 15 "$p shows A live" peer_is "$p" a live || show_status "$p"
done
assert_exit 0 ld a branch add 001 --name 第一支部 || die "branch add at A failed"
assert_exit 0 ld b branch add 101 --name 流入第一支部 || die "branch add at B failed"
assert_exit 0 ld c branch add 201 --name 苏州支部 || die "branch add at C failed"

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

# has_event SITE IDNO KIND: SITE's history of IDNO has a KIND event.
has_event() {
	local out
	out=$(ld "$1" --json history "$2" 2>/dev/null) &&
		printf '%s' "$out" | grep -qE "\"kind\": *\"$3\""
}

LATER=$(date -d "$TODAY + 2 years" +%F)

# ---------------------------------------------------------------------------------------------
log "registered out to C while checked in at B"
M=$(make_idno 320583 19800404 441)
daily_checked_in "$M" 1980-04-04 M 周流动
assert_exit 0 ld b --json member show "$M" && B_PLACE=$(jget "$OUT" 'd["place"]')
assert_not_contains "$(kinds_at b "$LATER" "$M")" ERROR "B's due before he left"
[ -n "$(kinds_at b "$LATER" "$M")" ] && pass || fail "B raises nothing about M before he left (the test sees nothing to stop)"
assert_exit 0 register_out a "$M" c 苏州市工业园区 "$TODAY" || die "outflow register of M to C failed"
assert_wait 10 "B hears stay.ended about M" has_event b "$M" stay.ended || show_status a
assert_exit 0 ld b --json member show "$M" && {
	assert_eq "$(jget "$OUT" 'd["state"]')" departed "M's state at B after A registered him to C"
	assert_eq "$(jget "$OUT" 'd["place"]')" "$B_PLACE" "M's place at B (B's old place, not C's)"
	assert_not_contains "$OUT" 苏州 "member show of M at B (nothing of C)"
}
assert_eq "$(kinds_at b "$LATER" "$M")" "" "B's reminders about M after he left"
assert_exit 5 ld b feedback "$M" --text 情况
assert_contains "$ERR" 昆山 "B's refusal of feedback on M (names A)"
assert_wait 10 "C knows M away" member_state_is c "$M" away || show_status a

# ---------------------------------------------------------------------------------------------
log "a transfer letter to C for a member checked in at B"
TR=$(make_idno 320583 19810505 552)
daily_checked_in "$TR" 1981-05-05 F 吴转出
assert_exit 0 ld a --json transfer issue "$TR" --to 苏州 --org 苏州市委组织部 || die "transfer issue of T failed"
LETTER=$(jget "$OUT" 'd["letter"]')
assert_wait 10 "C knows T" member_arrived c "$TR" || show_status a
assert_exit 0 ld c transfer receive "$LETTER"
assert_wait 10 "A sees T transferred" member_state_is a "$TR" transferred || show_status c
assert_wait 10 "B has stopped caring for T" eval '[ -z "$(kinds_at b "$LATER" "$TR")" ]' || show_status a
assert_eq "$(kinds_at b "$LATER" "$TR")" "" "B's reminders about T after the transfer to C"
assert_exit 5 ld b feedback "$TR" --text 情况
assert_contains "$ERR" 昆山 "B's refusal of feedback on T (names A)"

finish
