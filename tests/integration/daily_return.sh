#!/usr/bin/env bash
# daily_return.sh: daily work, acceptance 4: the end of a member's mobility, between A (昆山,
# outflow) and B (南京, inflow).
#  - return (查验) at A recalls the certificate: `cert verify TOKEN` at B exits 5 and says revoked
#    (and at A too), check-in with it at B is refused, `member show` says returned at both sites;
#    returning him twice, or return at B, exits 5; B no longer writes feedback or attendance.
#  - transfer of the relation (组织关系转接): a second member, checked in at B; `transfer issue` at
#    A to B gives a letter; `transfer receive LETTER` at B: state transferred at both sites, the
#    certificate recalled (revoked, reason transferred) at both; receiving it at A, or twice, exits
#    5; a letter that does not exist exits 4.
#  - dues of a member who departed from B (his certificate not yet recalled): B no longer collects
#    them (5, names 昆山), A does; exactly one of the two may record a month.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"
. "$(dirname "$0")/cert_lib.sh"
. "$(dirname "$0")/daily_lib.sh"

cert_two_sites
R=$(make_idno 320583 19850615 031) # returns
M=$(make_idno 320583 19790203 064) # his relation moves to B

# ---------------------------------------------------------------------------------------------
log "return (查验)"
daily_checked_in "$R" 1985-06-15 M 陈明
R_NUMBER=$CERT_NUMBER
R_TOKEN=$CERT_TOKEN
assert_exit 0 ld b --json cert verify "$R_TOKEN" &&
	assert_eq "$(jget "$OUT" 'd["valid"]')" true "R's certificate verifies at B before the return"
assert_refused_with 5 昆山 ld b return "$R" --summary 查验
assert_exit 0 ld a --json return "$R" --summary 查验活动证，表现良好 && assert_json
for s in a b; do
	assert_wait 3 "member show at $s says returned" member_state_is "$s" "$R" returned || {
		run ld "$s" --json member show "$R"
		fail_run "R's record at $s"
	}
	assert_wait 3 "certificate $R_NUMBER revoked at $s" cert_status_is "$s" "$R_NUMBER" revoked
	assert_exit 0 ld "$s" --json cert show "$R_NUMBER" &&
		assert_eq "$(jget "$OUT" 'd["revoke_reason"]')" returned "revoke_reason of R's certificate at $s"
done
assert_verify_refused b "$R_TOKEN" revoked
assert_verify_refused a "$R_TOKEN" revoked
assert_refused_with 5 revoked ld b checkin "$R_TOKEN" --branch 101
assert_exit 5 ld a return "$R" --summary 又一次
assert_eq "$(jget "$(daily_hist a "$R")" '[k for o, s, k in d]')" \
	'["member.registered", "outflow.registered", "cert.issued", "checkin", "returned"]' \
	"R's history at A (the return is one event; the certificate is recalled by it)"
# Back home, he has no current inflow site (DESIGN.md: feedback is written by "his current inflow
# site"): B may no longer write feedback about him, nor record his attendance.
# BUG: feedback at B of a returned member is accepted (exit 0) and synced to A: the ownership
# check of inflow-only kinds does not look at whether the member is still away.
assert_exit 5 ld b feedback "$R" --text 回访 --kind help
assert_exit 0 ld b --json meeting add --branch 101 --kind theme-day --topic 主题党日 --date 2026-04-27
assert_refused_with 5 昆山 ld b meeting attend "$(jget "$OUT" 'd["meeting"]')" "$R"
assert_wait 3 "A and B agree on R" daily_agree "$R"

# ---------------------------------------------------------------------------------------------
log "transfer of the relation to B"
daily_checked_in "$M" 1979-02-03 F 黄转接
M_NUMBER=$CERT_NUMBER
M_TOKEN=$CERT_TOKEN
assert_exit 4 ld b transfer receive 320583-2026-T999999
assert_exit 3 ld b transfer receive garbage
assert_contains "$ERR" "is not a transfer letter number" "a malformed letter number"
# Not while a lapse case is open about him: it is decided first, where his relation is.
assert_exit 0 ld a lapse open "$M" --grounds 半年未参加组织生活
assert_exit 5 ld a transfer issue "$M" --to 南京 --org 中共南京市玄武区某街道委员会
assert_contains "$ERR" "a lapse case is open" "transfer issue while a lapse case is open"
assert_exit 0 ld a lapse decide "$M" --outcome cleared
# Nor dated before he joined the party.
assert_exit 3 ld a transfer issue "$M" --to 南京 --org 中共南京市玄武区某街道委员会 --date 1990-01-01
assert_contains "$ERR" "before the day he joined the party" "transfer issue before he joined"
assert_exit 0 ld a --json transfer issue "$M" --to 南京 --org 中共南京市玄武区某街道委员会 && assert_json
LETTER=$(jget "$OUT" 'd["letter"]')
log "letter $LETTER"
assert_exit 5 ld a transfer issue "$M" --to 南京 --org 又一个
assert_wait 3 "B has M's transfer letter" daily_last_kind_is b "$M" transfer.issued
# The letter is addressed to B: A cannot acknowledge it.
assert_exit 5 ld a transfer receive "$LETTER"
assert_contains "$ERR" "is addressed to 南京, not this site" "transfer receive at the issuing site"
assert_exit 3 ld b transfer receive "$LETTER" --date 2026-01-01
assert_contains "$ERR" "is before transfer letter $LETTER was issued" "a 回执 dated before the letter"
assert_exit 0 ld b --json transfer receive "$LETTER" && assert_json
for s in a b; do
	assert_wait 3 "member show at $s says transferred" member_state_is "$s" "$M" transferred || {
		run ld "$s" --json member show "$M"
		fail_run "M's record at $s"
	}
	assert_wait 3 "certificate $M_NUMBER recalled at $s" cert_status_is "$s" "$M_NUMBER" revoked
	assert_exit 0 ld "$s" --json cert show "$M_NUMBER" &&
		assert_eq "$(jget "$OUT" 'd["revoke_reason"]')" transferred "revoke_reason of M's certificate at $s"
	assert_exit 0 ld "$s" --json member show "$M" &&
		assert_eq "$(jget "$OUT" 'd["transfer"]')" "$LETTER" "transfer letter in M's record at $s"
done
assert_verify_refused b "$M_TOKEN" revoked
assert_exit 5 ld b transfer receive "$LETTER"
# No longer mobile: neither site keeps his daily record.
assert_exit 5 ld a return "$M" --summary 查验
assert_wait 3 "A and B agree on M" daily_agree "$M"
assert_eq "$(jget "$(daily_hist b "$M")" '[(o, k) for o, s, k in d]')" \
	'[["昆山", "outflow.registered"], ["昆山", "cert.issued"], ["南京", "checkin"], ["昆山", "lapse.opened"], ["昆山", "lapse.decided"], ["昆山", "transfer.issued"], ["南京", "transfer.received"]]' \
	"M's history at B"

# ---------------------------------------------------------------------------------------------
log "dues of a member who departed from B"
D=$(make_idno 320583 19880909 072)
daily_checked_in "$D" 1988-09-09 F 周离开
assert_exit 0 ld b depart "$D" --assessment 表现良好
assert_wait 3 "A sees D departed" member_state_is a "$D" departed
assert_refused_with 5 昆山 ld b dues pay "$D" --from 2026-03 --amount 15
assert_contains "$ERR" "he stays at no inflow site now" "why his outflow site collects after his departure"
assert_exit 0 ld a --json dues pay "$D" --from 2026-03 --amount 15 && assert_json
assert_exit 0 ld a --json dues list "$D" &&
	assert_eq "$(jget "$OUT" '[(r["site"], r["months"]) for r in d["receipts"]]')" \
		'[["昆山", ["2026-03"]]]' "D's receipts at A"

for s in a b; do
	assert_exit 0 ld "$s" --json conflicts && assert_eq "$(jget "$OUT" 'len(d["conflicts"])')" 0 "conflicts at $s"
	assert_exit 0 ld "$s" --json verify && assert_eq "$(jget "$OUT" 'd["ok"]')" true "verify at $s"
done

finish
