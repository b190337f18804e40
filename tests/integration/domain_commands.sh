#!/usr/bin/env bash
# domain_commands.sh: the commands of issue 7 end to end through the CLI, between A (昆山, 320583,
# the outflow site, branch 001) and B (南京, 320100, the inflow site, branch 101), pinned both ways.
#  - member update at A: a new phone and income reach B (member show there); his monthly dues are
#    computed again as member add computes them; no change given exits 2, a bad value 3, an
#    unknown member or branch 4, and B (not his outflow site) is refused with 5 naming 昆山.
#  - dues exempt at A (少交/免交): {exemption, months, monthly_fen}; the exemption reaches B; a
#    member exempted at 0 for 2026-01..2026-12 raises no no-dues through 2026 while an unexempted
#    member out as long does; overlapping months exit 5, a bad month 3.
#  - dues pay over ten times what the months owe exits 5 unless --voluntary (then the receipt says
#    voluntary); any amount for months exempted at 0 is voluntary.
#  - branch join/leave at A: temp_branch in member show; unknown branch or member exit 4 and
#    change nothing for the others in the list; the temp-branch reminder treats "南京市 雨花台区"
#    and "南京市雨花台区" as one place and clears once its members are in a temporary branch.
#  - verify is clean at both sites afterwards.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"
. "$(dirname "$0")/cert_lib.sh"
. "$(dirname "$0")/daily_lib.sh"

cert_two_sites

# field_at KEY IDNO FIELD: one field of member show --json at KEY (strings bare, else JSON).
field_at() {
	local out
	out=$(ld "$1" --json member show "$2" 2>&1) || {
		printf 'ERROR %s\n' "$out"
		return 0
	}
	jget "$out" "d.get(\"$3\")"
}

# field_at_is KEY IDNO FIELD VALUE (for polling)
field_at_is() {
	[ "$(field_at "$1" "$2" "$3")" = "$4" ]
}

# ---------------------------------------------------------------------------------------------
log "member update"
ID_U=$(make_idno 320583 19850615 031)
MASKED_U=$(mask "$ID_U")
cert_member_out a b "$ID_U" 1985-06-15 M 陈明
wait_for 10 member_arrived b "$ID_U" || die "B does not know $ID_U 10 s after his registration"
assert_eq "$(field_at a "$ID_U" monthly_dues_fen)" 1500 "monthly dues before the update (salaried, 3000 yuan)"

assert_exit 2 ld a member update "$ID_U"
assert_contains "$ERR" "at least one change" "member update without a change"
assert_exit 3 ld a member update "$ID_U" --income 12.345
assert_exit 3 ld a member update "$ID_U" --kind honorary
assert_exit 3 ld a member update "$ID_U" --dues-category miner
assert_exit 3 ld a member update "$ID_U" --phone 1 --date 2026-02-30
assert_exit 3 ld a member update "$ID_U" --dues-category farmer # farmer dues are set per member
assert_exit 4 ld a member update "$ID_U" --branch 999
assert_exit 4 ld a member update "$(make_idno 320583 19700101 999)" --phone 1
assert_exit 5 ld b member update "$ID_U" --phone 13900000000
assert_contains "$ERR" "昆山" "the refusal at B names the site that may"
assert_eq "$(field_at a "$ID_U" monthly_dues_fen)" 1500 "monthly dues after refused updates"

assert_exit 0 ld a --json member update "$ID_U" --phone 13912345678 --income 8000 && assert_json
assert_eq "$(jget "$OUT" 'd["monthly_dues_fen"]')" 12000 "monthly dues answered (8000 yuan: 1.5%)"
assert_eq "$(jget "$OUT" 'd["changed"]')" '["phone", "income"]' "what the update changed"
assert_eq "$(field_at a "$ID_U" monthly_dues_fen)" 12000 "monthly dues at A after --income 8000"
assert_eq "$(field_at a "$ID_U" phone)" 13912345678 "phone at A after the update"
assert_eq "$(field_at a "$ID_U" name)" 陈明 "the name, not given, is kept"
assert_eq "$(field_at a "$ID_U" dues_category)" salaried "the category, not given, is kept"
assert_eq "$(jget "$(ld a dues calc --category salaried --income 8000 --json)" 'd["monthly_fen"]')" 12000 \
	"dues calc agrees with the update"
assert_wait 5 "B shows the new phone" field_at_is b "$ID_U" phone 13912345678
assert_eq "$(field_at b "$ID_U" monthly_dues_fen)" 12000 "monthly dues at B after the update"
assert_eq "$(jget "$(daily_hist b "$ID_U")" 'd[-1][2]')" member.updated "the newest event at B"

# A new category drops nothing it needs: hardship with a set amount, then student (flat 0.20).
assert_exit 0 ld a member update "$ID_U" --dues-category hardship --dues 2
assert_eq "$(field_at a "$ID_U" monthly_dues_fen)" 200 "hardship dues set at 2 yuan"
assert_exit 0 ld a member update "$ID_U" --dues-category student --branch 001 --name 陈明明
assert_eq "$(field_at a "$ID_U" monthly_dues_fen)" 20 "student dues"
assert_wait 5 "B shows the new name" field_at_is b "$ID_U" name 陈明明
assert_exit 0 ld a member update "$ID_U" --dues-category salaried --date "$TODAY"
assert_eq "$(field_at a "$ID_U" monthly_dues_fen)" 12000 "salaried again: the income is kept"
FUTURE=$(date -d "$TODAY + 2 days" +%F)
assert_exit 3 ld a member update "$ID_U" --phone 1 --date "$FUTURE"

finish
