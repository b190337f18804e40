#!/usr/bin/env bash
# daily_dues.sh: daily work, acceptance 2: dues (党费) between A (昆山, outflow) and B (南京,
# inflow), for a member checked in at B with monthly dues of 15.00 yuan.
#  - paid at B for 2026-03..2026-05: at A within 2 s, the same receipt number; paying May again
#    at B exits 5; while his certificate is active, A may not collect (exit 5, naming 南京).
#  - a double collection of June while the sites are apart: B stopped, A revokes the certificate
#    (A collects from then on) and takes June; A stopped, B started alone (it still believes the
#    certificate active) and takes June too. Once both run again, `conflicts --json` at BOTH lists
#    one dues.double-payment naming both receipts; refunding one receipt (only at the site that
#    issued it) clears it at both.
#  - amounts with more than two decimals and months that do not exist exit 3; an amount below
#    the monthly dues times the months is accepted with a warning on stderr.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"
. "$(dirname "$0")/cert_lib.sh"
. "$(dirname "$0")/daily_lib.sh"

cert_two_sites
ID=$(make_idno 320583 19850615 031)
MASKED=$(mask "$ID")
daily_checked_in "$ID" 1985-06-15 M 陈明
NUMBER=$CERT_NUMBER
assert_eq "$(jget "$(ld a --json member show "$ID")" 'd["monthly_dues_fen"]')" 1500 "monthly dues (salaried, 3000 yuan)"

# ---------------------------------------------------------------------------------------------
log "three months paid at B reach A"
assert_exit 0 ld b --json dues pay "$ID" --from 2026-03 --to 2026-05 --amount 45 && assert_json
R1=$(jget "$OUT" 'd["receipt"]')
assert_eq "$(jget "$OUT" 'd["months"]')" '["2026-03", "2026-04", "2026-05"]' "months of the receipt at B"
assert_eq "$(jget "$OUT" 'd["amount_fen"]')" 4500 "amount_fen of the receipt at B"
assert_eq "$(jget "$OUT" 'd["basis_fen"]')" 4500 "basis_fen of the receipt at B"
assert_eq "$ERR" "" "stderr of a payment of the full dues (no warning)"
if poll 2 daily_receipt_at a "$ID" "$R1" paid; then
	pass
	log "receipt $R1 reached A after $POLLED s"
else
	run ld a --json dues list "$ID"
	fail_run "receipt $R1 paid at B is not in A's dues list 2 s later"
	show_status b
fi
assert_exit 0 ld a --json dues list "$ID" && {
	assert_eq "$(jget "$OUT" 'len(d["receipts"])')" 1 "receipts at A"
	assert_eq "$(jget "$OUT" 'd["receipts"][0]["receipt"]')" "$R1" "receipt number at A"
	assert_eq "$(jget "$OUT" 'd["receipts"][0]["site"]')" 南京 "collecting site at A"
	assert_eq "$(jget "$OUT" 'd["receipts"][0]["months"]')" '["2026-03", "2026-04", "2026-05"]' \
		"months at A: an array, as dues pay gives them"
	assert_eq "$(jget "$OUT" 'd["receipts"][0]["amount_fen"]')" 4500 "amount_fen at A"
	assert_eq "$(jget "$OUT" 'd["receipts"][0]["basis_fen"]')" 4500 "basis_fen at A"
}
assert_eq "$(daily_receipts a "$ID")" "$(daily_receipts b "$ID")" "dues list at A and at B"

log "a month is paid once; A does not collect while the certificate is active"
assert_refused_with 5 "$R1" ld b dues pay "$ID" --from 2026-05 --amount 15
assert_refused_with 5 "2026-05" ld b dues pay "$ID" --from 2026-05 --to 2026-06 --amount 30
assert_refused_with 5 南京 ld a dues pay "$ID" --from 2026-06 --amount 15
assert_exit 0 ld b --json dues list "$ID" && assert_eq "$(jget "$OUT" 'len(d["receipts"])')" 1 \
	"receipts at B after the refused payments"

log "invalid input"
assert_exit 3 ld b dues pay "$ID" --from 2026-06 --amount 12.345
assert_exit 3 ld b dues pay "$ID" --from 2026-13 --amount 15
assert_exit 3 ld b dues pay "$ID" --from 2026-06 --to 2026-13 --amount 15
assert_exit 3 ld b dues pay "$ID" --from 2026-00 --amount 15
assert_exit 3 ld b dues pay "$ID" --from 2026-06 --amount 0
assert_exit 3 ld b dues pay "$ID" --from 2026-06 --amount 十五
assert_exit 0 ld b --json dues list "$ID" && assert_eq "$(jget "$OUT" 'len(d["receipts"])')" 1 \
	"receipts at B after the invalid payments"

# ---------------------------------------------------------------------------------------------
log "June collected at A while B is stopped, after A revoked the certificate"
HEAD_B=$(head_seq b)
assert_wait 5 "A has applied B's whole log before B stops" applied_all a b || show_status a
site_stop b
assert_eq "$STOP_RC" 0 "B's exit status on SIGTERM"
assert_exit 0 ld a cert revoke "$NUMBER" --reason lost
assert_exit 0 ld a --json dues pay "$ID" --from 2026-06 --amount 15 && assert_json
RA=$(jget "$OUT" 'd["receipt"]')
log "A collected June: $RA"

log "June collected at B too, started alone: the revocation has not reached it"
site_stop a
assert_eq "$STOP_RC" 0 "A's exit status on SIGTERM"
sync_site_restart b
assert_eq "$(head_seq b)" "$HEAD_B" "B's head after its restart"
cert_status_is b "$NUMBER" revoked && fail "B knows of the revocation though A was stopped before B started"
assert_exit 0 ld b --json dues pay "$ID" --from 2026-06 --amount 15 && assert_json
RB=$(jget "$OUT" 'd["receipt"]')
log "B collected June: $RB"
if [ -n "$RA" ] && [ -n "$RB" ] && [ "$RA" != "$RB" ]; then
	pass
else
	fail "the two receipts of June must be two different numbers: '$RA' and '$RB'"
fi

log "both run again: the double payment is listed at both sites"
sync_site_restart a
assert_wait 30 "A shows B live again" peer_is a b live || show_status a
assert_wait 30 "B shows A live again" peer_is b a live || show_status b
assert_wait 10 "A has B's receipt $RB" daily_receipt_at a "$ID" "$RB" paid
assert_wait 10 "B has A's receipt $RA" daily_receipt_at b "$ID" "$RA" paid
assert_wait 10 "B has the revocation" cert_status_is b "$NUMBER" revoked
for s in a b; do
	if wait_for 5 daily_double_payment_at "$s" "$MASKED" "$RA" "$RB"; then
		pass
		OUT=$(daily_conflicts "$s")
		assert_eq "$(jget "$OUT" 'd["conflicts"][0]["member"]')" "$MASKED" "member of the conflict at $s"
		assert_contains "$(jget "$OUT" 'd["conflicts"][0]["detail"]')" 2026-06 "detail of the conflict at $s"
		# For people (piped: 100 columns), no id is split across lines: the conflict's (two
		# receipt numbers), the member's, the receipts', the kind.
		CID=$(jget "$OUT" 'd["conflicts"][0]["id"]')
		assert_exit 0 ld "$s" conflicts &&
			for word in "$CID" "$MASKED" "$RA" "$RB" dues.double-payment; do
				assert_contains "$OUT" "$word" "conflicts at $s for people, $word whole on a line"
			done
	else
		fail "conflicts at $s: expected exactly one dues.double-payment of $MASKED naming $RA and $RB"
		printf '    conflicts at %s: %s\n' "$s" "$(daily_conflicts "$s" | head -c 2000)"
	fi
done
assert_eq "$(daily_receipts a "$ID")" "$(daily_receipts b "$ID")" "dues list at A and at B after reconnecting"

log "refunding one receipt clears it at both"
# Only the site that issued a receipt refunds it.
assert_refused_with 5 南京 ld a dues refund "$RB" --reason 重复缴纳
assert_exit 0 ld b --json dues refund "$RB" --reason 重复缴纳 && {
	assert_eq "$(jget "$OUT" 'd["status"]')" refunded "status in the refund's answer"
	assert_eq "$(jget "$OUT" 'd["amount_fen"]')" 1500 "amount_fen in the refund's answer"
}
assert_exit 5 ld b dues refund "$RB" --reason 又一次
for s in a b; do
	assert_wait 3 "no conflicts at $s after the refund" daily_no_conflicts "$s" ||
		printf '    conflicts at %s: %s\n' "$s" "$(daily_conflicts "$s" | head -c 2000)"
	assert_wait 3 "$RB refunded in the dues list at $s" daily_receipt_at "$s" "$ID" "$RB" refunded
	assert_eq "$(jget "$(ld "$s" --json dues list "$ID")" '[r["status"] for r in d["receipts"] if r["receipt"] in ("'"$R1"'", "'"$RA"'")]')" \
		'["paid", "paid"]' "the other receipts at $s after the refund"
done

# ---------------------------------------------------------------------------------------------
log "less than the dues: accepted, with a warning"
# The certificate is revoked: A collects now, and B may not.
assert_refused_with 5 昆山 ld b dues pay "$ID" --from 2026-07 --amount 15
assert_exit 0 ld a --json --operator zhang.wei@kunshan.gov dues pay "$ID" --from 2026-07 --to 2026-09 --amount 10 && {
	assert_json
	assert_eq "$(jget "$OUT" 'd["amount_fen"]')" 1000 "amount_fen of the short payment"
	assert_eq "$(jget "$OUT" 'd["basis_fen"]')" 4500 "basis_fen of the short payment"
	# The warning: one line on stderr, "liudong: ", naming what was paid and what was due.
	assert_eq "$(printf '%s\n' "$ERR" | grep -c '')" 1 "lines on stderr of a payment below the dues"
	assert_contains "$ERR" "liudong: " "the warning of a payment below the dues"
	assert_contains "$ERR" 10.00 "the warning of a payment below the dues (the amount paid)"
	assert_contains "$ERR" 45.00 "the warning of a payment below the dues (his dues for 3 months)"
}
RS=$(jget "$OUT" 'd["receipt"]')
assert_wait 3 "the short payment $RS reaches B" daily_receipt_at b "$ID" "$RS" paid
# A table of ids too wide for 100 columns (a long collector) is wider: no receipt number is split.
assert_exit 0 ld a --json dues list "$ID" && RECEIPTS=$(jget "$OUT" '" ".join(r["receipt"] for r in d["receipts"])')
assert_exit 0 ld a dues list "$ID" &&
	for word in $RECEIPTS zhang.wei@kunshan.gov 2026-07..2026-09; do
		assert_contains "$OUT" "$word" "dues list for people, $word whole on a line"
	done

log "stats: dues collected by month, oldest first, as of a day"
assert_exit 0 ld a dues pay "$ID" --from 2025-02 --amount 15 --date 2026-09-10
assert_exit 0 ld a dues pay "$ID" --from 2025-01 --amount 15 --date 2026-05-10
assert_exit 0 ld a --json stats && {
	MONTHS=$(jget "$OUT" '[m["month"] for m in d["dues_by_month"]]')
	assert_eq "$MONTHS" "$(jget "$MONTHS" 'sorted(d)')" "A's dues_by_month, oldest first"
	assert_contains "$MONTHS" '"2026-05", ' "A's dues_by_month (paid on 2026-05-10)"
}
assert_exit 0 ld a --json stats --as-of 2026-08-01 &&
	assert_eq "$(jget "$OUT" '[(m["month"], m["collected_fen"]) for m in d["dues_by_month"]]')" \
		'[["2026-05", 1500]]' "A's dues_by_month as of 2026-08-01 (what was paid after is not counted)"
for s in a b; do
	assert_exit 0 ld "$s" --json verify && assert_eq "$(jget "$OUT" 'd["ok"]')" true "verify at $s"
done

finish
