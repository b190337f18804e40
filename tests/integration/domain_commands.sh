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

# ---------------------------------------------------------------------------------------------
log "dues exempt and the no-dues clock"
ID_E=$(make_idno 320583 19700301 041)
ID_F=$(make_idno 320583 19700402 052)
for who in "$ID_E:1970-03-01:M:免交党员" "$ID_F:1970-04-02:F:对照党员"; do
	IFS=: read -r id birth sex name <<<"$who"
	assert_exit 0 ld a member add --id "$id" --name "$name" --sex "$sex" --birth "$birth" \
		--joined 1995-07-01 --kind full --branch 001 --dues-category hardship --income 3000 \
		--dues 5 || die "member add $id failed"
	assert_exit 0 ld a outflow register "$id" --to 南京 --place 南京市鼓楼区 --reason work \
		--from 2026-01-05 || die "outflow register $id failed"
done
MASKED_E=$(mask "$ID_E")
MASKED_F=$(mask "$ID_F")

assert_exit 2 ld a dues exempt "$ID_E" --monthly 0 --reason 困难 --from 2026-01
assert_exit 3 ld a dues exempt "$ID_E" --monthly 0 --approved-by 镇党委 --reason 困难 --from 2026-13
assert_exit 3 ld a dues exempt "$ID_E" --monthly -1 --approved-by 镇党委 --reason 困难 --from 2026-01
assert_exit 3 ld a dues exempt "$ID_E" --monthly 0 --approved-by 镇党委 --reason 困难 --from 2026-05 --to 2026-01
assert_exit 3 ld a dues exempt "$ID_E" --monthly 6 --approved-by 镇党委 --reason 困难 --from 2026-01
assert_contains "$ERR" "above his monthly dues" "a reduction above his dues"
assert_exit 4 ld a dues exempt "$(make_idno 320583 19700101 999)" --monthly 0 --approved-by 镇党委 \
	--reason 困难 --from 2026-01
wait_for 10 member_arrived b "$ID_E" || die "B does not know $ID_E 10 s after his registration"
assert_exit 5 ld b dues exempt "$ID_E" --monthly 0 --approved-by 镇党委 --reason 困难 --from 2026-01
assert_contains "$ERR" "昆山" "the refusal at B names the site that may"

assert_exit 0 ld a --json dues exempt "$ID_E" --monthly 0 --approved-by 镇党委 --reason 生活困难 \
	--from 2026-01 --to 2026-12 && assert_json
EXEMPTION=$(jget "$OUT" 'd["exemption"]')
case $EXEMPTION in
320583-20[0-9][0-9]-E000001) pass ;;
*) fail "the exemption's id is CODE-YEAR-Eserial: $EXEMPTION" ;;
esac
assert_eq "$(jget "$OUT" 'len(d["months"])')" 12 "months of the exemption"
assert_eq "$(jget "$OUT" 'd["months"][0] + " " + d["months"][-1]')" "2026-01 2026-12" \
	"first and last month of the exemption"
assert_eq "$(jget "$OUT" 'd["monthly_fen"]')" 0 "monthly_fen of the exemption"
assert_exit 5 ld a dues exempt "$ID_E" --monthly 0 --approved-by 镇党委 --reason 困难 --from 2026-12 \
	--to 2027-02
assert_contains "$ERR" "$EXEMPTION" "the overlap names the approval that covers the months"
assert_eq "$(jget "$(ld a --json member show "$ID_E")" 'd["exemption"]["exemption"]')" "$EXEMPTION" \
	"member show at A names the exemption"
# exemption_at_b: B's member show names the exemption (it came with sync).
exemption_at_b() {
	[ "$(jget "$(ld b --json member show "$ID_E" 2>/dev/null || echo '{}')" \
		'(d.get("exemption") or {}).get("exemption")')" = "$EXEMPTION" ]
}
assert_wait 5 "B's member show names the exemption" exemption_at_b
# history shows the approval to people, at both sites.
assert_exit 0 ld a --json history "$ID_E" && assert_json
assert_contains "$(jget "$OUT" '[e["summary"] for e in d["events"] if e["kind"] == "dues.exempted"]')" \
	"2026-01..2026-12" "the exemption's summary in history at A"
# exempt_in_history_b: B's history of E shows the exemption.
exempt_in_history_b() {
	ld b --json history "$ID_E" 2>/dev/null | grep -q "$EXEMPTION"
}
assert_wait 5 "B's history of E shows the exemption" exempt_in_history_b

# dues_kinds SITE ASOF MASKED: the kinds of SITE's reminders about MASKED as of ASOF, sorted.
dues_kinds() {
	local out
	out=$(ld "$1" --json due --as-of "$2" 2>&1) || {
		printf 'ERROR %s\n' "$out"
		return 0
	}
	jget "$out" 'sorted(r["kind"] for r in d["reminders"] if r["member"] == "'"$3"'" and "dues" in r["kind"])'
}
for site in a b; do
	assert_eq "$(dues_kinds "$site" 2026-07-06 "$MASKED_F")" '["no-dues"]' \
		"dues reminders at ${site^^} as of 2026-07-06 for the member out since 2026-01-05, nothing paid"
	assert_eq "$(dues_kinds "$site" 2026-07-06 "$MASKED_E")" '[]' \
		"dues reminders at ${site^^} as of 2026-07-06 for the member exempted at 0 for 2026"
	assert_eq "$(dues_kinds "$site" 2026-12-31 "$MASKED_E")" '[]' \
		"dues reminders at ${site^^} as of 2026-12-31 for the member exempted at 0 for 2026"
	assert_eq "$(dues_kinds "$site" 2027-07-01 "$MASKED_E")" '["no-dues"]' \
		"dues reminders at ${site^^} as of 2027-07-01 (6 months after the exemption ended)"
done

log "dues pay: over ten times what the months owe needs --voluntary"
# U: salaried at 120.00 a month (member update above), away at B with no certificate: A collects.
assert_exit 5 ld a dues pay "$ID_U" --from 2026-01 --amount 1200.01
assert_contains "$ERR" "voluntary" "the refusal of an amount over ten times the dues"
assert_exit 0 ld a --json dues pay "$ID_U" --from 2026-01 --amount 1200 && assert_json
assert_eq "$(jget "$OUT" 'd["voluntary"]')" false "a payment of ten times the dues is not voluntary"
assert_exit 0 ld a --json dues pay "$ID_U" --from 2026-02 --amount 5000 --voluntary && assert_json
R_VOL=$(jget "$OUT" 'd["receipt"]')
assert_eq "$(jget "$OUT" 'd["voluntary"]')" true "the answer of a voluntary payment"
assert_eq "$(jget "$(ld a --json dues list "$ID_U")" '[r["voluntary"] for r in d["receipts"] if r["receipt"] == "'"$R_VOL"'"]')" \
	'[true]' "dues list at A marks the receipt voluntary"
# voluntary_at_b: B's dues list of U marks R_VOL voluntary.
voluntary_at_b() {
	[ "$(jget "$(ld b --json dues list "$ID_U" 2>/dev/null || echo '{}')" \
		'[r["voluntary"] for r in d.get("receipts", []) if r["receipt"] == "'"$R_VOL"'"]')" = '[true]' ]
}
assert_wait 5 "B's dues list marks the receipt voluntary" voluntary_at_b
# E: months exempted at 0 owe nothing, so any amount for them is voluntary.
assert_exit 5 ld a dues pay "$ID_E" --from 2026-03 --amount 0.01
assert_exit 0 ld a --json dues pay "$ID_E" --from 2026-03 --amount 0.01 --voluntary
assert_eq "$(jget "$OUT" 'd["basis_fen"]')" 0 "what an exempted month owes (basis_fen)"
assert_exit 0 ld a --json dues pay "$ID_F" --from 2026-01 --to 2026-02 --amount 100
assert_eq "$(jget "$OUT" 'd["basis_fen"]')" 1000 "what two months at 5.00 owe (basis_fen)"
# F paid 2026-01..02, then a month ahead: the months between are unpaid all the same.
AHEAD=$(date -d "$(date +%Y-%m-15) +6 months" +%Y-%m)
assert_exit 0 ld a --json dues pay "$ID_F" --from "$AHEAD" --amount 5
assert_eq "$(dues_kinds a 2026-06-02 "$MASKED_F")" '["no-dues-warning"]' \
	"dues reminders as of 2026-06-02 for a member paid to 2026-02 and for $AHEAD"
assert_eq "$(dues_kinds a 2026-09-02 "$MASKED_F")" '["no-dues"]' \
	"dues reminders as of 2026-09-02 for a member paid to 2026-02 and for $AHEAD"
assert_eq "$(dues_kinds a "$AHEAD-02" "$MASKED_F")" '[]' \
	"dues reminders as of $AHEAD-02, a month he paid"

# ---------------------------------------------------------------------------------------------
log "branch join/leave and the temp-branch reminder"
# G1 and G2 at "南京市 雨花台区", G3 at "南京市雨花台区": one place, three full members.
ID_G1=$(make_idno 320583 19880101 061)
ID_G2=$(make_idno 320583 19880202 072)
ID_G3=$(make_idno 320583 19880303 083)
ID_NONE=$(make_idno 320583 19700101 999)
for who in "$ID_G1:1988-01-01:M:南京市 雨花台区" "$ID_G2:1988-02-02:F:南京市 雨花台区" \
	"$ID_G3:1988-03-03:M:南京市雨花台区"; do
	IFS=: read -r id birth sex place <<<"$who"
	assert_exit 0 add_member a "$id" "$birth" "$sex" 雨花台党员 || die "member add $id failed"
	assert_exit 0 register_out a "$id" b "$place" 2026-03-01 || die "outflow register $id failed"
done

# temp_details SITE: the details of SITE's temp-branch reminders about 雨花台区, one a line.
temp_details() {
	local out
	out=$(ld "$1" --json due 2>&1) || {
		printf 'ERROR %s\n' "$out"
		return 0
	}
	printf '%s' "$out" | python3 -c '
import json, sys
for r in json.load(sys.stdin)["reminders"]:
    if r["kind"] == "temp-branch" and "雨花台区" in r["detail"]:
        print(r["detail"])'
}
DETAILS=$(temp_details a)
assert_eq "$(printf '%s' "$DETAILS" | grep -c '')" 1 \
	"temp-branch reminders at A for 雨花台区 (written with and without a space: one place)"
assert_contains "$DETAILS" "3 full members" "the temp-branch reminder"

assert_exit 0 ld a branch add LS --name 雨花台临时支部 --temporary || die "branch add LS failed"
assert_exit 2 ld a branch join LS
assert_exit 4 ld a branch join NOPE "$ID_G1"
assert_exit 4 ld a branch join LS "$ID_G1" "$ID_NONE"
assert_exit 3 ld a branch join LS "$ID_G1" 12345
assert_eq "$(field_at a "$ID_G1" temp_branch)" null "G1's temp_branch after refused joins (all or nothing)"
assert_exit 5 ld a branch leave LS "$ID_G1"
assert_exit 0 ld a --json branch join LS "$ID_G1" "$ID_G2" && assert_json
assert_eq "$(jget "$OUT" 'd["members"]')" "[\"$(mask "$ID_G1")\", \"$(mask "$ID_G2")\"]" \
	"the members branch join answers"
assert_eq "$(field_at a "$ID_G1" temp_branch)" LS "G1's temp_branch"
assert_eq "$(field_at a "$ID_G2" temp_branch)" LS "G2's temp_branch"
assert_exit 0 ld a --json member list --branch LS &&
	assert_eq "$(jget "$OUT" 'sorted(m["id"] for m in d["members"])')" \
		"[\"$(mask "$ID_G1")\", \"$(mask "$ID_G2")\"]" \
		"member list --branch of A's temporary branch"
assert_exit 5 ld a branch join LS "$ID_G3" "$ID_G1" # G1 is in it already: G3 is not put in
assert_eq "$(field_at a "$ID_G3" temp_branch)" null "G3's temp_branch after a refused list"
DETAILS=$(temp_details a)
assert_contains "$DETAILS" "1 of them in no temporary branch" \
	"the temp-branch reminder while one of the three is in none"
assert_exit 0 ld a branch join LS "$ID_G3"
assert_eq "$(temp_details a)" "" "temp-branch reminders at A once all three are in temporary branch LS"
assert_exit 0 ld a branch leave LS "$ID_G3"
assert_eq "$(field_at a "$ID_G3" temp_branch)" null "G3's temp_branch after branch leave"
assert_contains "$(temp_details a)" "1 of them in no temporary branch" \
	"the temp-branch reminder after G3 left the branch"
assert_exit 5 ld a branch leave LS "$ID_G3"
# One temporary branch at a time, never silently moved; his formal branch is not one to leave.
assert_exit 0 ld a branch add LT --name 另一临时支部 --temporary || die "branch add LT failed"
assert_exit 5 ld a branch join LT "$ID_G1"
assert_contains "$ERR" "he is in temporary branch LS: he leaves it first" "branch join while in another"
assert_eq "$(field_at a "$ID_G1" temp_branch)" LS "G1's temp_branch after the refused move"
assert_exit 5 ld a branch join 001 "$ID_G3"
assert_contains "$ERR" "he is in branch 001 already" "branch join of his formal branch"
assert_exit 5 ld a branch leave 001 "$ID_G3"
assert_contains "$ERR" "is his own here, not a temporary one" "branch leave of his formal branch"
# Site-local: B never hears of A's branch; B may put the member it cares for in its own.
assert_eq "$(field_at b "$ID_G1" temp_branch)" null "G1's temp_branch at B (A's branch is A's)"
assert_exit 4 ld b branch join LS "$ID_G1"
assert_exit 0 ld b branch join 101 "$ID_G1"
assert_eq "$(field_at b "$ID_G1" temp_branch)" 101 "G1's temp_branch at B"
assert_eq "$(field_at a "$ID_G1" temp_branch)" LS "G1's temp_branch at A after B's join"
assert_exit 0 ld a --json history "$ID_G3" && assert_json
assert_eq "$(jget "$OUT" '[e["summary"] for e in d["events"] if e["kind"].startswith("branch.")]')" \
	'["joined branch LS", "left branch LS"]' "branch events in G3's history at A"

# ---------------------------------------------------------------------------------------------
log "verify at both sites"
for site in a b; do
	assert_exit 0 ld "$site" --json verify && assert_eq "$(jget "$OUT" 'd["ok"]')" true "verify at ${site^^}"
	assert_eq "$(jget "$(ld "$site" --json conflicts)" 'len(d["conflicts"])')" 0 "conflicts at ${site^^}"
done

finish
