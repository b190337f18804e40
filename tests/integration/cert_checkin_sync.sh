#!/usr/bin/env bash
# cert_checkin_sync.sh: activity certificates, acceptance 5. A (昆山) issues X's certificate; B
# (南京) checks him in. Within 2 seconds `member show` at A says checked-in (polled every 0.1 s;
# the time it took is logged), with B's branch and the date; A's history lists cert.issued (origin
# A) and checkin (origin B). `cert review` at B (the inflow site) is allowed and shows in `cert
# show` at A after sync, and a review at A shows at B; `cert revoke` at B exits 5 (only the issuer
# revokes) and changes nothing at either site. No conflicts, and `verify` passes at both sites.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"
. "$(dirname "$0")/cert_lib.sh"

cert_two_sites
X=$(make_idno 320583 19800404 441)
cert_member_out a b "$X" 1980-04-04 M 周流动
cert_issue a "$X"
NUMBER=$CERT_NUMBER
TOKEN=$CERT_TOKEN
log "issued $NUMBER"
assert_exit 0 ld a --json member show "$X" && {
	assert_eq "$(jget "$OUT" 'd["state"]')" away "X's state at A before check-in"
	assert_eq "$(jget "$OUT" 'd["certificate"]')" "$NUMBER" "X's certificate at A"
}
assert_wait 5 "B has X's certificate" cert_known b "$NUMBER" || show_status a
assert_exit 0 ld b --json cert verify "$TOKEN" &&
	assert_eq "$(jget "$OUT" 'd["for_this_site"]')" true "for_this_site of X's token at B"

log "check-in at B"
TODAY=$(jget "$(ld a --json cert show "$NUMBER")" 'd["issued"]')
assert_exit 0 ld b --json checkin "$TOKEN" --branch 101 --contact 李联系人 || die "check-in at B failed"
CHECKIN_OUT=$OUT
# Poll at once: the time is from the check-in's answer to A's member show saying checked-in.
if poll 2 member_state_is a "$X" checked-in; then
	pass
	log "A shows X checked-in $POLLED s after the check-in at B"
else
	fail "A does not show X checked-in within 2 s of the check-in at B"
	show_status a
	show_status b
	poll 10 member_state_is a "$X" checked-in && log "(A showed it after $((2 + ${POLLED%.*})) s or so)"
fi
for kv in "member=$(mask "$X")" "certificate=$NUMBER" "branch=101" "state=checked-in" "date=$TODAY"; do
	assert_eq "$(jget "$CHECKIN_OUT" "d.get(\"${kv%%=*}\")")" "${kv#*=}" "${kv%%=*} in the check-in answer"
done
assert_exit 0 ld b --json member show "$X" &&
	assert_eq "$(jget "$OUT" 'd["state"]')" checked-in "X's state at B after check-in"
assert_exit 0 ld a --json member show "$X" && {
	assert_eq "$(jget "$OUT" 'd["state"]')" checked-in "X's state at A"
	assert_eq "$(jget "$OUT" 'd.get("inflow_branch")')" 101 "X's inflow_branch at A"
	assert_eq "$(jget "$OUT" 'd.get("checked_in")')" "$TODAY" "X's checked_in date at A"
	assert_eq "$(jget "$OUT" 'd["certificate"]')" "$NUMBER" "X's certificate at A after check-in"
	assert_eq "$(jget "$OUT" 'd["inflow_site"]')" 南京 "X's inflow_site at A"
}
assert_exit 0 ld a --json member list --state checked-in &&
	assert_contains "$OUT" "$(mask "$X")" "member list --state checked-in at A"
log "member list --branch: each site's own branches"
assert_exit 0 ld b --json member list --branch 101 &&
	assert_contains "$OUT" "$(mask "$X")" "member list --branch 101 at B (the branch he reported to)" &&
	assert_eq "$(jget "$OUT" '[m["branch"] for m in d["members"]]')" '["101"]' "his branch in B's list"
assert_exit 0 ld a --json member list --branch 001 &&
	assert_contains "$OUT" "$(mask "$X")" "member list --branch 001 at A (his formal branch)"
assert_exit 4 ld b member list --branch 001
assert_contains "$ERR" "no branch 001" "member list --branch of a branch B does not have"

log "history at A"
assert_exit 0 ld a --json history "$X" && {
	KINDS=$(jget "$OUT" '[[e["origin"], e["kind"]] for e in d["events"]]')
	assert_contains "$KINDS" '["昆山", "cert.issued"]' "A's history of X (origin, kind)"
	assert_contains "$KINDS" '["南京", "checkin"]' "A's history of X (origin, kind)"
	assert_eq "$(jget "$OUT" '[e["kind"] for e in d["events"]].index("cert.issued") < [e["kind"] for e in d["events"]].index("checkin")')" \
		true "cert.issued before checkin in A's history"
	assert_eq "$(jget "$OUT" '[e["date"] for e in d["events"] if e["kind"] == "checkin"]')" "[\"$TODAY\"]" \
		"the checkin's date in A's history"
}
assert_exit 0 ld b --json history "$X" && {
	KINDS=$(jget "$OUT" '[[e["origin"], e["kind"]] for e in d["events"]]')
	assert_contains "$KINDS" '["昆山", "cert.issued"]' "B's history of X (origin, kind)"
	assert_contains "$KINDS" '["南京", "checkin"]' "B's history of X (origin, kind)"
}

log "review at B (the inflow site)"
assert_exit 0 ld b --json cert review "$NUMBER" --result 合格，表现良好 &&
	assert_eq "$(jget "$OUT" 'd["result"]')" 合格，表现良好 "result in the review answer"
# review_at SITE RESULT: cert show at SITE lists a review with RESULT.
# shellcheck disable=SC2317 # run through poll
review_at() {
	local out
	out=$(ld "$1" --json cert show "$NUMBER" 2>/dev/null) &&
		[ "$(jget "$out" "[r[\"result\"] for r in d[\"reviews\"]].count(\"$2\")")" = 1 ]
}
if poll 5 review_at a 合格，表现良好; then
	pass
	log "A shows B's review after $POLLED s"
else
	fail "cert show at A does not list B's review within 5 s"
	show_status a
	show_status b
fi
assert_exit 0 ld a --json cert show "$NUMBER" && {
	assert_eq "$(jget "$OUT" '[[r["site"], r["result"], r["date"]] for r in d["reviews"]]')" \
		"[[\"南京\", \"合格，表现良好\", \"$TODAY\"]]" "reviews in cert show at A"
	assert_eq "$(jget "$OUT" 'd["status"]')" active "status at A after the review"
}
assert_exit 0 ld a --json history "$X" &&
	assert_contains "$(jget "$OUT" '[[e["origin"], e["kind"]] for e in d["events"]]')" '["南京", "cert.reviewed"]' \
		"A's history of X after B's review"

log "review at A (the issuer) reaches B"
assert_exit 0 ld a cert review "$NUMBER" --result 已审核 --date "$TODAY"
if poll 5 review_at b 已审核; then
	pass
	log "B shows A's review after $POLLED s"
else
	fail "cert show at B does not list A's review within 5 s"
	show_status a
fi

log "revoke at B: only the issuer revokes"
assert_refused_with 5 "昆山" ld b cert revoke "$NUMBER" --reason lost
assert_exit 0 ld b --json cert show "$NUMBER" &&
	assert_eq "$(jget "$OUT" 'd["status"]')" active "status at B after the refused revoke"
assert_exit 0 ld b --json cert verify "$TOKEN" &&
	assert_eq "$(jget "$OUT" 'd["valid"]')" true "X's token at B after the refused revoke"
sleep 0.5
assert_exit 0 ld a --json cert show "$NUMBER" &&
	assert_eq "$(jget "$OUT" 'd["status"]')" active "status at A after the refused revoke at B"
assert_exit 0 ld a --json history "$X" &&
	assert_not_contains "$OUT" cert.revoked "A's history of X after the refused revoke at B"

for s in a b; do
	assert_exit 0 ld "$s" --json conflicts && assert_eq "$(jget "$OUT" 'len(d["conflicts"])')" 0 "conflicts at $s"
	assert_exit 0 ld "$s" --json verify && assert_eq "$(jget "$OUT" 'd["ok"]')" true "verify at $s"
done

log "departed from B: his certificate is for a stay that is over there; A still inspects it"
assert_exit 0 ld b depart "$X" --assessment 表现良好
assert_wait 5 "A shows X departed" member_state_is a "$X" departed
assert_verify_refused b "$TOKEN" "stay here is over"
assert_exit 5 ld b checkin "$TOKEN" --branch 101
assert_exit 0 ld a --json cert verify "$TOKEN" &&
	assert_eq "$(jget "$OUT" 'd["valid"]')" true "X's token at A after his departure from B"

log "removed as lapsed: his certificate is recalled, and shown nowhere"
assert_exit 0 ld a lapse open "$X" --grounds 失联半年
assert_exit 0 ld a --json member show "$X" &&
	assert_eq "$(jget "$OUT" '[d["lapse_case"], "lapse" in d]')" '["失联半年", false]' \
		"the open case in member show, once"
assert_exit 0 ld a lapse decide "$X" --outcome removal
assert_exit 0 ld a --json cert show "$NUMBER" &&
	assert_eq "$(jget "$OUT" 'd["status"]')" revoked "X's certificate at A after his removal"
assert_verify_refused a "$TOKEN" "lapsed"
assert_verify_refused b "$TOKEN" "stay here is over"

finish
