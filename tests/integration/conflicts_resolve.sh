#!/usr/bin/env bash
# conflicts_resolve.sh: issue 7, `liudong conflicts` and `conflicts resolve`. A real conflict
# between two honest sites: R is checked in at B (南京) from A (昆山). While B is down, A records
# his return (查验); then A goes down and B, not knowing of the return, records his attendance at
# a meeting. When both run again, A refuses B's attendance (at home, only his outflow site may
# record it) and quarantines it. At A:
#  - `conflicts` lists it: id, kind attendance, the member masked (whole with --reveal, audited),
#    origin 南京, the reason, status open; `--open` lists it too.
#  - `conflicts resolve` without ID or --note exits 2, a malformed id or an empty or too long note
#    exits 3, an unknown id 4; resolving it exits 0 and is audited (conflict.resolve); resolving
#    it again exits 5. A double payment's id is refused (5: `dues refund` settles those).
#  - B, whose event it was, lists it too ("quarantined by 昆山"), from A's Ack.
#  - afterwards it is listed as resolved with the note, `--open` lists nothing, the log and R's
#    history are untouched, `verify` is ok, and the resolution survives a restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"
. "$(dirname "$0")/cert_lib.sh"
. "$(dirname "$0")/daily_lib.sh"

cert_two_sites
R=$(make_idno 320583 19850615 031)
MASKED=$(mask "$R")
daily_checked_in "$R" 1985-06-15 M 陈明
assert_exit 0 ld a --json conflicts && assert_eq "$(jget "$OUT" 'len(d["conflicts"])')" 0 "conflicts at A before"

log "a partition: A records the return while B is down, B the attendance while A is down"
site_stop b
assert_exit 0 ld a return "$R" --summary 查验
site_stop a
sync_site_restart b
assert_exit 0 ld b --json meeting add --branch 101 --kind theme-day --topic 主题党日 --date 2026-04-27 ||
	die "meeting add at B failed"
MEETING=$(jget "$OUT" 'd["meeting"]')
assert_exit 0 ld b meeting attend "$MEETING" "$R" || die "B refused the attendance before it knew of the return"
sync_site_restart a

# conflict_count KEY [ARGS]: the number of conflicts `conflicts ARGS` lists at KEY.
conflict_count() {
	local key=$1 out
	shift
	out=$(ld "$key" --json conflicts "$@" 2>/dev/null) || return 1
	jget "$out" 'len(d["conflicts"])'
}
# has_conflicts KEY N: KEY lists N conflicts.
has_conflicts() {
	[ "$(conflict_count "$1")" = "$2" ]
}
assert_wait 15 "A quarantined B's attendance" has_conflicts a 1 || show_status a
assert_wait 10 "B has A's return" member_state_is b "$R" returned

log "B, the sender, lists its attendance that A quarantined (told in A's Ack)"
assert_wait 15 "B lists the conflict A reported" has_conflicts b 1 || show_status b
assert_exit 0 ld b --json conflicts && {
	assert_eq "$(jget "$OUT" 'd["conflicts"][0]["kind"]')" attendance "kind at B"
	assert_eq "$(jget "$OUT" 'd["conflicts"][0]["origin"]')" 南京 "origin at B (its own event)"
	assert_contains "$(jget "$OUT" 'd["conflicts"][0]["detail"]')" "quarantined by 昆山" "detail at B"
	assert_contains "$(jget "$OUT" 'd["conflicts"][0]["reason"]')" "outflow site" "reason at B"
}

log "the conflict as listed"
assert_exit 0 ld a --json conflicts && assert_json
C0='d["conflicts"][0]'
ID=$(jget "$OUT" "$C0[\"id\"]")
case $ID in
Q[1-9]*) pass ;;
*) fail "conflict id: expected Q and a number, got '$ID'" ;;
esac
assert_eq "$(jget "$OUT" "$C0[\"kind\"]")" attendance "kind"
assert_eq "$(jget "$OUT" "$C0[\"member\"]")" "$MASKED" "member (masked)"
assert_eq "$(jget "$OUT" "$C0[\"origin\"]")" 南京 "origin"
assert_contains "$(jget "$OUT" "$C0[\"reason\"]")" "outflow site" "reason"
assert_contains "$(jget "$OUT" "$C0[\"detail\"]")" "outflow site" "detail"
assert_eq "$(jget "$OUT" "$C0[\"status\"]")" open "status"
assert_eq "$(conflict_count a --open)" 1 "conflicts --open at A"
assert_not_contains "$OUT" "$R" "conflicts --json (no full number without --reveal)"
# For people (piped: 100 columns) it is named too, no id nor code split across lines.
assert_exit 0 ld a conflicts &&
	for word in "$ID" 南京 attendance "$MASKED" open "outflow site may record attendance"; do
		assert_contains "$OUT" "$word" "conflicts for people, '$word' whole on a line"
	done
LOG_BEFORE=$(ld a --json log | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["entries"]))')
HIST_BEFORE=$(daily_hist a "$R")
assert_not_contains "$HIST_BEFORE" attendance "R's history at A (the attendance was not applied)"

log "--reveal shows the whole number, and is audited"
assert_exit 0 ld a --json --operator 审计员 conflicts --reveal &&
	assert_eq "$(jget "$OUT" "$C0[\"member\"]")" "$R" "member with --reveal"
assert_exit 0 ld a --json audit --member "$R" &&
	assert_eq "$(jget "$OUT" '[e["operator"] for e in d["entries"] if e["action"] == "member.reveal" and e["detail"] == "conflicts"]')" \
		'["审计员"]' "the reveal in the audit"

log "resolve: errors"
assert_exit 2 ld a conflicts resolve --note 已核实
assert_exit 2 ld a conflicts resolve "$ID"
assert_error_line 2 ld a conflicts resolve "$ID"
assert_exit 3 ld a conflicts resolve X17 --note 已核实
assert_exit 3 ld a conflicts resolve Q --note 已核实
assert_exit 3 ld a conflicts resolve Q1x --note 已核实
assert_exit 3 ld a conflicts resolve Q99999999999999999999999 --note 已核实
assert_exit 3 ld a conflicts resolve "$ID" --note ""
assert_exit 3 ld a conflicts resolve "$ID" --note "$(printf 'x%.0s' $(seq 1 1001))"
assert_exit 4 ld a conflicts resolve Q999 --note 已核实
assert_exit 4 ld a conflicts resolve D320583-2026-R000001+320100-2026-R000001 --note 已核实
assert_exit 0 ld a --json conflicts && assert_eq "$(jget "$OUT" "$C0[\"status\"]")" open "status after the refused attempts"

log "resolve"
NOTE="已与南京核实：回归后的考勤，不予记录"
assert_exit 0 ld a --json --operator 张书记 conflicts resolve "$ID" --note "$NOTE" && assert_json && {
	assert_eq "$(jget "$OUT" 'd["id"]')" "$ID" "resolve: id"
	assert_eq "$(jget "$OUT" 'd["status"]')" resolved "resolve: status"
	assert_eq "$(jget "$OUT" 'd["note"]')" "$NOTE" "resolve: note"
}
assert_exit 5 ld a conflicts resolve "$ID" --note 又一次
assert_contains "$ERR" "already" "resolving twice: the error"
assert_exit 0 ld a --json conflicts && {
	assert_eq "$(jget "$OUT" 'len(d["conflicts"])')" 1 "conflicts after resolve (still listed)"
	assert_eq "$(jget "$OUT" "$C0[\"id\"]")" "$ID" "id after resolve"
	assert_eq "$(jget "$OUT" "$C0[\"status\"]")" resolved "status after resolve"
	assert_eq "$(jget "$OUT" "$C0[\"note\"]")" "$NOTE" "note after resolve"
	assert_eq "$(jget "$OUT" "$C0[\"resolved_by\"]")" 张书记 "resolved_by after resolve"
}
assert_eq "$(conflict_count a --open)" 0 "conflicts --open after resolve"
assert_exit 0 ld a --json audit &&
	assert_eq "$(jget "$OUT" '[[e["operator"], e["member"], e["detail"]] for e in d["entries"] if e["action"] == "conflict.resolve"]')" \
		"[[\"张书记\", \"$MASKED\", \"$ID: $NOTE\"]]" "conflict.resolve in the audit"
assert_eq "$(ld a --json log | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["entries"]))')" \
	"$LOG_BEFORE" "log entries at A after resolve (the log is untouched)"
assert_eq "$(daily_hist a "$R")" "$HIST_BEFORE" "R's history at A after resolve"
assert_exit 0 ld a --json verify && assert_eq "$(jget "$OUT" 'd["ok"]')" true "verify at A"

log "the resolution is kept across a restart"
site_stop a
assert_eq "$STOP_RC" 0 "A's daemon stopped cleanly"
sync_site_restart a
assert_exit 0 ld a --json conflicts && assert_eq "$(jget "$OUT" "$C0[\"status\"]")" resolved "status after a restart"
assert_exit 0 ld a --json verify && assert_eq "$(jget "$OUT" 'd["ok"]')" true "verify at A after a restart"
assert_exit 0 ld b --json verify && assert_eq "$(jget "$OUT" 'd["ok"]')" true "verify at B"

finish
