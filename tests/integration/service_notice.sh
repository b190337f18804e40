#!/usr/bin/env bash
# service_notice.sh: the service centre, acceptance 3 (issue 14): notices, attendance and leave.
# A (昆山, the outflow site) notifies two members away at B (南京) of an election (换届选举); the
# notice reaches B, whose branch passes it on; B may not send or answer one (exit 5, naming 昆山).
# X asks leave with a reason (请假), recorded at A and seen at B; a second answer is refused. `due`
# at A reminds of Y's missing answer from 7 days before the election through its day, not before
# and not after; B raises no such reminder. B's member show says he votes only at his formal
# organization.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"
. "$(dirname "$0")/cert_lib.sh"
. "$(dirname "$0")/daily_lib.sh"

cert_two_sites
X=$(make_idno 320583 19850615 031)
Y=$(make_idno 320583 19860716 042)
cert_member_out a b "$X" 1985-06-15 M 陈明
cert_member_out a b "$Y" 1986-07-16 F 林芳
assert_wait 5 "B knows X and Y" eval 'member_arrived b "$X" && member_arrived b "$Y"' || show_status a

shift_day() { date -d "$1 $2 day" +%F; }
ELECTION=$(shift_day "$TODAY" +20)

log "A notifies X and Y of the election; B may not"
assert_exit 5 ld b notice send --kind election --date "$ELECTION" --text 换届选举 "$X"
assert_contains "$ERR" 昆山 "the refusal at B (the site that may)"
assert_exit 0 ld a --json notice send --kind election --date "$ELECTION" \
	--text 村党支部换届选举，请按时返回参加 "$X" "$Y"
N=$(jget "$OUT" 'd["notice"]')
assert_eq "$(jget "$OUT" 'd["members"]')" "[\"$(mask "$X")\", \"$(mask "$Y")\"]" "the members notified"
assert_exit 3 ld a notice send --kind party --date "$ELECTION" --text x "$X"
assert_exit 3 ld a notice send --kind election --date "$ELECTION" --text x "$X" "$X"
assert_contains "$ERR" "is named twice" "a member named twice in notice send"
assert_exit 4 ld a notice send --kind election --date "$ELECTION" --text x "$(make_idno 320583 19900101 011)"

# notice_at KEY N WANT: `notice list` at KEY shows notice N's members and answers as WANT.
notice_at() {
	local out
	out=$(ld "$1" --json notice list 2>/dev/null) &&
		[ "$(jget "$out" "[[t['member'], t['answer'], t['reason']] for n in d['notices'] if n['notice'] == '$2' for t in n['to']]")" = "$3" ]
}
want="[[\"$(mask "$X")\", null, null], [\"$(mask "$Y")\", null, null]]"
assert_wait 5 "the notice reaches B" notice_at b "$N" "$want" || show_status a
assert_exit 0 ld b --json notice list
assert_eq "$(jget "$OUT" '[[n["kind"], n["date"], n["site"], n["unanswered"]] for n in d["notices"]]')" \
	"[[\"election\", \"$ELECTION\", \"昆山\", 2]]" "the notice at B"

log "X asks leave (请假) at A; B may not answer for him"
assert_exit 5 ld b notice answer "$N" "$X" --leave --reason 在外务工
assert_exit 2 ld a notice answer "$N" "$X" --leave
assert_exit 2 ld a notice answer "$N" "$X" --attend --leave --reason x
assert_exit 0 ld a notice answer "$N" "$X" --leave --reason 在外务工无法返回
assert_exit 5 ld a notice answer "$N" "$X" --attend
assert_exit 4 ld a notice answer no-such-notice "$Y" --attend
want="[[\"$(mask "$X")\", \"leave\", \"在外务工无法返回\"], [\"$(mask "$Y")\", null, null]]"
assert_wait 5 "B sees the leave" notice_at b "$N" "$want" || show_status a
assert_eq "$(notice_at a "$N" "$want" && echo yes)" yes "the leave at A"
assert_exit 0 ld a --json notice list --open
assert_eq "$(jget "$OUT" '[n["notice"] for n in d["notices"]]')" "[\"$N\"]" "notice list --open (Y has not answered)"
# For people, the members notified are named, with X's answer (not "..., ..."), each whole.
assert_exit 0 ld a notice list && assert_not_contains "$OUT" "..." "notice list for people" &&
	for word in "$(mask "$X")" "$(mask "$Y")" "(leave,"; do
		assert_contains "$OUT" "$word" "notice list for people, $word"
	done &&
	assert_contains "$(printf '%s' "$OUT" | tr -d ' \n')" 在外务工无法返回 "notice list for people, the reason"

log "due reminds of Y's missing answer 7 days before the election"
# unanswered KEY DATE: the members `due --as-of DATE` at KEY reminds of notice N.
unanswered() {
	assert_exit 0 ld "$1" --json due --as-of "$2"
	jget "$OUT" "[r['member'] for r in d['reminders'] if r['kind'] == 'notice-unanswered' and '$N' in r['detail']]"
}
assert_eq "$(unanswered a "$(shift_day "$ELECTION" -8)")" '[]' "A, 8 days before"
assert_eq "$(unanswered a "$(shift_day "$ELECTION" -7)")" "[\"$(mask "$Y")\"]" "A, 7 days before"
assert_eq "$(unanswered a "$ELECTION")" "[\"$(mask "$Y")\"]" "A, on the day"
assert_eq "$(unanswered a "$(shift_day "$ELECTION" +1)")" '[]' "A, the day after"
assert_eq "$(unanswered b "$(shift_day "$ELECTION" -7)")" '[]' "B, 7 days before (the outflow site's reminder)"
assert_exit 0 ld a notice answer "$N" "$Y" --attend
assert_eq "$(unanswered a "$(shift_day "$ELECTION" -7)")" '[]' "A, once Y answered"

log "at B he has no vote"
assert_exit 0 ld b --json member show "$X"
assert_contains "$(jget "$OUT" 'd["voting"]')" "only at his formal organization" "member show at B"
assert_wait 5 "both sites agree on X" daily_agree "$X"

# The requests and notices tables are a fold of the log: verify rebuilds them and finds them equal.
for s in a b; do
	assert_exit 0 ld "$s" --json verify && assert_eq "$(jget "$OUT" 'd["ok"]')" true "verify at $s"
done
for s in a b; do
	assert_exit 0 ld "$s" --json conflicts && assert_eq "$(jget "$OUT" 'len(d["conflicts"])')" 0 "conflicts at $s"
done

finish
