#!/usr/bin/env bash
# rules_dates.sh: a date that records something done may not be after today at the site
# (DOMAIN.md "Dates", issue 7), between A (昆山, 320583, the outflow site, branch 001) and B
# (南京, 320100, the inflow site, branch 101), pinned both ways.
#
# Each of these exits 3 with one error line naming the date as in the future, and records nothing:
# report add, dues pay --date, checkin --date, meeting attend of a meeting dated tomorrow, depart
# --date, return --date, probation decide --date, cert review --date, transfer issue --date. A
# meeting may be planned for tomorrow (meeting add --date: exit 0), and today is accepted.
# `report add --date 2030-01-01` is refused, so it does not silence report-overdue.
# Nor may it be before the step it follows (exit 3, naming the step and its day, nothing recorded):
# depart or meeting attend before the day he was registered out from, cert review before the
# certificate's issue, return before his departure; registered out from, or dues for months,
# before he joined.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"
. "$(dirname "$0")/cert_lib.sh"
. "$(dirname "$0")/daily_lib.sh"

cert_two_sites
TOMORROW=$(date -d "$TODAY + 1 day" +%F)

# refused_future WHAT CMD...: CMD exits 3 and its one error line says the date is in the future.
refused_future() {
	local what=$1
	shift
	assert_exit 3 "$@" || return 1
	assert_contains "$ERR" "in the future" "the error line of $what"
}

# history_len KEY IDNO: how many events KEY's history of IDNO has.
history_len() {
	ld "$1" --json history "$2" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["events"]))'
}

X=$(make_idno 320583 19800404 441) # registered out (2026-03-01), not yet checked in
cert_member_out a b "$X" 1980-04-04 M 张三
cert_issue a "$X"
wait_for 10 cert_known b "$CERT_NUMBER" || die "B does not know certificate $CERT_NUMBER"

log "check-in tomorrow, then today"
refused_future "checkin --date tomorrow" ld b checkin "$CERT_TOKEN" --branch 101 --date "$TOMORROW"
assert_exit 0 ld b --json member show "$X" &&
	assert_eq "$(jget "$OUT" 'd["state"]')" away "X's state at B after the refused check-in"
assert_exit 0 ld b checkin "$CERT_TOKEN" --branch 101 --date "$TODAY" || die "check-in at B failed"
assert_wait 10 "A sees X checked in" member_state_is a "$X" checked-in || show_status b

log "the outflow site's records"
N_A=$(history_len a "$X")
refused_future "report add --date 2030-01-01" ld a report add "$X" --summary 思想汇报 --date 2030-01-01
refused_future "report add --date tomorrow" ld a report add "$X" --summary 思想汇报 --date "$TOMORROW"
refused_future "cert review --date tomorrow" ld a cert review "$CERT_NUMBER" --result 合格 --date "$TOMORROW"
refused_future "return --date tomorrow" ld a return "$X" --summary 查验 --date "$TOMORROW"
refused_future "transfer issue --date tomorrow" ld a transfer issue "$X" --to 南京 --org 南京市委组织部 --date "$TOMORROW"
assert_eq "$(history_len a "$X")" "$N_A" "A's history of X after the refusals (nothing recorded)"
assert_exit 0 ld a --json due --as-of 2030-02-01 &&
	assert_contains "$(printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join(r["kind"] for r in d["reminders"] if r["member"] == sys.argv[1]))' "$(mask "$X")")" \
		report-overdue "A's reminders about X as of 2030-02-01 after report add --date 2030-01-01"

log "the inflow site's records"
N_B=$(history_len b "$X")
refused_future "dues pay --date tomorrow" ld b dues pay "$X" --from "${TODAY:0:7}" --amount 15 --date "$TOMORROW"
assert_exit 0 ld b --json meeting add --branch 101 --kind branch-meeting --topic 计划中 --date "$TOMORROW" ||
	die "meeting add --date tomorrow at B failed (a meeting may be planned)"
PLANNED=$(jget "$OUT" 'd["meeting"]')
refused_future "meeting attend of a meeting dated tomorrow" ld b meeting attend "$PLANNED" "$X"
refused_future "depart --date tomorrow" ld b depart "$X" --assessment 良好 --date "$TOMORROW"
assert_eq "$(history_len b "$X")" "$N_B" "B's history of X after the refusals (nothing recorded)"
assert_exit 0 ld b dues pay "$X" --from "${TODAY:0:7}" --amount 15 --date "$TODAY"

log "dates before the step they follow"
YESTERDAY=$(date -d "$TODAY - 1 day" +%F)
N_A=$(history_len a "$X")
N_B=$(history_len b "$X")
assert_exit 3 ld b depart "$X" --assessment 良好 --date 2026-02-01
assert_contains "$ERR" "before the day he was registered out from (2026-03-01)" "depart before he left"
assert_exit 0 ld b --json meeting add --branch 101 --kind branch-meeting --topic 他来之前 --date 2026-02-15 ||
	die "meeting add --date 2026-02-15 at B failed"
assert_exit 3 ld b meeting attend "$(jget "$OUT" 'd["meeting"]')" "$X"
assert_contains "$ERR" "before the day he was registered out from (2026-03-01)" "attendance before he left"
assert_exit 3 ld a cert review "$CERT_NUMBER" --result 合格 --date 2026-02-01
assert_contains "$ERR" "before the certificate's issue or last review ($TODAY)" "a review before the issue"
assert_exit 3 ld b dues pay "$X" --from 2000-06 --to 2000-12 --amount 15
assert_contains "$ERR" "before he joined the party (2000-07)" "dues for months before he joined"
assert_eq "$(history_len b "$X")" "$N_B" "B's history of X after the refusals (nothing recorded)"
assert_eq "$(history_len a "$X")" "$N_A" "A's history of X after the refusals (nothing recorded)"
assert_exit 0 ld b depart "$X" --assessment 良好 --date "$TODAY"
assert_wait 10 "A sees X departed" member_state_is a "$X" departed
assert_exit 3 ld a return "$X" --summary 查验 --date "$YESTERDAY"
assert_contains "$ERR" "before his departure from the inflow site ($TODAY)" "a return before the departure"
assert_exit 0 ld a return "$X" --summary 查验 --date "$TODAY"

log "a date before 1900, or no real day"
assert_exit 3 ld b meeting add --branch 101 --kind group --topic 旧 --date 1899-12-31
assert_contains "$ERR" "--date: '1899-12-31' is before 1900-01-01" "meeting add --date 1899-12-31"
assert_exit 3 ld a due --as-of 1899-12-31
assert_contains "$ERR" "--as-of: '1899-12-31' is before 1900-01-01" "due --as-of 1899-12-31"
assert_exit 3 ld a audit --since 2026-02-30
assert_contains "$ERR" "--since: '2026-02-30' is not a real date; use YYYY-MM-DD" "audit --since 2026-02-30"

log "probation"
P=$(make_idno 320583 19900101 111)
assert_exit 0 ld a member add --id "$P" --name 预备党员 --sex M --birth 1990-01-01 \
	--joined "$(date -d "$TODAY - 13 months" +%F)" --kind probationary --branch 001 \
	--dues-category salaried --income 3000 || die "member add P failed"
refused_future "probation decide --date tomorrow" ld a probation decide "$P" --result full --date "$TOMORROW"
assert_exit 0 ld a --json member show "$P" &&
	assert_eq "$(jget "$OUT" 'd["kind"]')" probationary "P's kind after the refused decision"
assert_exit 0 ld a probation decide "$P" --result full --date "$TODAY"
assert_exit 3 ld a outflow register "$P" --to 南京 --place 南京市鼓楼区 --reason work --from 1990-02-01
assert_contains "$ERR" "before he joined the party" "registered out from before he joined"
assert_exit 0 ld a --json member show "$P" &&
	assert_eq "$(jget "$OUT" 'd["state"]')" home "P's state after the refused registration out"

finish
