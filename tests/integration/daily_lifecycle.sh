#!/usr/bin/env bash
# daily_lifecycle.sh: daily work, acceptance 1. One member goes through the whole lifecycle
# between A (昆山, outflow) and B (南京, inflow): registered out, certificate, check-in (报到),
# theme-day meeting on the 27th and his attendance, three months' dues, half-year report
# (思想汇报), a contact change, feedback (帮扶), departure assessment, return (查验).
# After each step both sites agree within 3 s: `member show --json` is identical at A and B, and
# `history --json` lists the same (origin, seq, kind), oldest first, at both (B's history starts
# with the outflow registration: the member.registered before it never leaves A). Each step adds
# exactly one event, written by the site the dual-management rule gives it to.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"
. "$(dirname "$0")/cert_lib.sh"
. "$(dirname "$0")/daily_lib.sh"

cert_two_sites
ID=$(make_idno 320583 19850615 031)
MASKED=$(mask "$ID")

# expect_fields WHAT FIELD=VALUE...: each FIELD of the member show (the same at both sites, as
# daily_step checked) is VALUE ("null" for none).
expect_fields() {
	local what=$1 kv
	shift
	for kv in "$@"; do
		assert_eq "$(daily_field "$DS_SHOW_A" "${kv%%=*}")" "${kv#*=}" "$what: ${kv%%=*} (at A and B)"
	done
}

# last_event_date: the date of the newest event in A's history of the member.
last_event_date() {
	jget "$(ld a --json history "$ID")" 'd["events"][-1]["date"]'
}

# ---------------------------------------------------------------------------------------------
log "member added at A, still at home"
assert_exit 0 add_member a "$ID" 1985-06-15 M 陈明 || die "member add failed"
assert_exit 4 ld b member show "$ID"
assert_eq "$(daily_hist a "$ID")" '[["昆山", 2, "member.registered"]]' "A's history after member add"
N=1

log "1. registered out to B"
assert_exit 0 register_out a "$ID" b 南京市玄武区 2026-03-01 || die "outflow register failed"
N=$((N + 1))
if daily_step "registered out" "$ID" "$N" 昆山 outflow.registered; then
	expect_fields "registered out" state=away name=陈明 id="$MASKED" outflow_site=昆山 \
		inflow_site=南京 place=南京市玄武区 from=2026-03-01 certificate=null \
		last_attended=null last_report=null
fi

log "2. certificate issued at A"
cert_issue a "$ID"
NUMBER=$CERT_NUMBER
TOKEN=$CERT_TOKEN
N=$((N + 1))
daily_step "certificate" "$ID" "$N" 昆山 cert.issued &&
	expect_fields "certificate" state=away certificate="$NUMBER"
assert_exit 0 ld b --json cert verify "$TOKEN" &&
	assert_eq "$(jget "$OUT" 'd["valid"]')" true "the certificate verifies at B"

log "3. check-in (报到) at B"
assert_exit 0 ld b checkin "$TOKEN" --branch 101 --contact 张联系人
N=$((N + 1))
# DOMAIN.md: a check-in is contact with the member (report, change notice, attendance, check-in,
# feedback), so last_contact is the check-in date from here on.
# BUG: the daemon does not count the check-in as contact (common/fold.c set_checked_in does not
# touch last_contact): it stays null after the check-in, and the last_contact checks of the
# attendance, dues and report steps fail too (2026-03-27, 2026-03-27, 2026-09-01 instead of the
# check-in date, today) until the contact change of today.
daily_step "check-in" "$ID" "$N" 南京 checkin &&
	expect_fields "check-in" state=checked-in certificate="$NUMBER" inflow_branch=101 \
		checked_in="$TODAY" last_contact="$TODAY"

log "4. theme-day meeting on the 27th at B, and his attendance"
assert_exit 0 ld b --json meeting add --branch 101 --kind theme-day --topic 学习党章 --date 2026-03-27 &&
	assert_json
MEETING=$(jget "$OUT" 'd["meeting"]')
# The 27th is the organizational life day: no warning.
assert_eq "$ERR" "" "stderr of meeting add on the 27th"
assert_eq "$(daily_hist_len a "$ID")" "$((N))" "A's history after meeting add (a meeting is no event about him)"
assert_exit 0 ld b --json meeting list --branch 101 --from 2026-03-01 --to 2026-03-31 &&
	assert_eq "$(jget "$OUT" '[m["meeting"] for m in d["meetings"]]')" "[\"$MEETING\"]" "meeting list of March at 101"
assert_exit 4 ld b meeting list --branch 999
assert_contains "$ERR" "no branch 999;" "meeting list of a branch that does not exist"
assert_exit 3 ld b meeting list --from 2026-03-31 --to 2026-03-01
assert_exit 0 ld b meeting attend "$MEETING" "$ID"
N=$((N + 1))
daily_step "attendance" "$ID" "$N" 南京 attendance &&
	expect_fields "attendance" state=checked-in last_attended=2026-03-27 last_contact="$TODAY"
assert_eq "$(last_event_date)" 2026-03-27 "date of the attendance event (the meeting's date)"

log "5. three months' dues at B"
assert_exit 0 ld b --json dues pay "$ID" --from 2026-03 --to 2026-05 --amount 45 && assert_json
RECEIPT=$(jget "$OUT" 'd["receipt"]')
assert_eq "$(jget "$OUT" 'd["months"]')" '["2026-03", "2026-04", "2026-05"]' "months of the receipt"
assert_eq "$(jget "$OUT" 'd["amount_fen"]')" 4500 "amount_fen of the receipt"
N=$((N + 1))
daily_step "dues" "$ID" "$N" 南京 dues.paid &&
	expect_fields "dues" state=checked-in last_attended=2026-03-27 last_contact="$TODAY"
assert_eq "$(daily_receipts a "$ID")" "$(daily_receipts b "$ID")" "dues list at A and at B"
assert_eq "$(jget "$(ld a --json dues list "$ID")" '[(r["receipt"], r["site"], r["status"]) for r in d["receipts"]]')" \
	"[[\"$RECEIPT\", \"南京\", \"paid\"]]" "dues list at A"

log "6. half-year report (思想汇报) at A"
assert_exit 0 ld a report add "$ID" --summary 半年思想汇报：工作学习情况 --date 2026-09-01
N=$((N + 1))
daily_step "report" "$ID" "$N" 昆山 report.received &&
	expect_fields "report" state=checked-in last_report=2026-09-01 last_attended=2026-03-27 \
		last_contact="$TODAY"
assert_eq "$(last_event_date)" 2026-09-01 "date of the report event"

log "7. contact change at A"
assert_exit 0 ld a contact "$ID" --phone 13912345678 --employer 南京某公司
N=$((N + 1))
daily_step "contact" "$ID" "$N" 昆山 contact.changed &&
	expect_fields "contact" state=checked-in phone=13912345678 employer=南京某公司 \
		last_contact="$TODAY"

log "8. feedback (帮扶) at B"
assert_exit 0 ld b feedback "$ID" --text 协助解决子女入学 --kind help --date 2026-09-15
N=$((N + 1))
daily_step "feedback" "$ID" "$N" 南京 feedback &&
	expect_fields "feedback" state=checked-in last_report=2026-09-01 last_contact="$TODAY"
assert_eq "$(last_event_date)" 2026-09-15 "date of the feedback event"

log "9. departure assessment at B"
assert_exit 0 ld b depart "$ID" --assessment 积极参加组织生活，按时交纳党费 --date 2026-10-31
N=$((N + 1))
daily_step "departure" "$ID" "$N" 南京 departure.assessed &&
	expect_fields "departure" departed=2026-10-31 certificate="$NUMBER"

log "10. return (查验) at A"
assert_exit 0 ld a return "$ID" --summary 查验活动证，表现良好
N=$((N + 1))
daily_step "return" "$ID" "$N" 昆山 returned &&
	expect_fields "return" state=returned returned="$TODAY" last_attended=2026-03-27 \
		last_report=2026-09-01 last_contact="$TODAY"
for s in a b; do
	assert_exit 0 ld "$s" --json cert show "$NUMBER" && {
		assert_eq "$(jget "$OUT" 'd["status"]')" revoked "certificate status at $s after the return"
		assert_eq "$(jget "$OUT" 'd["revoke_reason"]')" returned "revoke_reason at $s after the return"
	}
done

# ---------------------------------------------------------------------------------------------
log "the whole history, at both sites"
assert_eq "$(jget "$(daily_hist a "$ID")" '[k for o, s, k in d]')" \
	'["member.registered", "outflow.registered", "cert.issued", "checkin", "attendance", "dues.paid", "report.received", "contact.changed", "feedback", "departure.assessed", "returned"]' \
	"kinds in A's history, oldest first"
assert_eq "$(jget "$(daily_hist b "$ID")" '[o for o, s, k in d]')" \
	'["昆山", "昆山", "南京", "南京", "南京", "昆山", "昆山", "南京", "南京", "昆山"]' \
	"origins in B's history, oldest first"
for s in a b; do
	assert_exit 0 ld "$s" --json history "$ID" && {
		assert_eq "$(jget "$OUT" 'all(x["local_seq"] < y["local_seq"] for x, y in zip(d["events"], d["events"][1:]))')" \
			true "history at $s is oldest first (local_seq increasing)"
		for o in 昆山 南京; do
			assert_eq "$(jget "$OUT" '(lambda s: s == sorted(s))([e["seq"] for e in d["events"] if e["origin"] == "'"$o"'"])')" \
				true "history at $s: events of $o in their seq order"
		done
	}
	assert_exit 0 ld "$s" --json conflicts && assert_eq "$(jget "$OUT" 'len(d["conflicts"])')" 0 "conflicts at $s"
	assert_exit 0 ld "$s" --json verify && assert_eq "$(jget "$OUT" 'd["ok"]')" true "verify at $s"
done

finish
