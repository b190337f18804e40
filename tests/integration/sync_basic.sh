#!/usr/bin/env bash
# sync_basic.sh: issue 3, acceptance 1. Two sites pin each other: A (昆山, outflow) and B (南京).
# A member A registers out to B appears at B, state away, within 2 seconds; a member who stays
# home at A never reaches B (member show at B exits 4, B's log has no event about him, not even
# once B has applied A's whole log); status at both sites shows the other live.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"

sync_site_init a 昆山 320583
sync_site_init b 南京 320100
sync_site_start a
sync_site_start b
sync_pin_both a b

log "the sites connect"
assert_wait 15 "A shows B live" peer_is a b live || show_status a
assert_wait 15 "B shows A live" peer_is b a live || show_status b

log "a member registered out to B, and one who stays home"
assert_exit 0 ld a branch add 001 --name 第一支部
AWAY=$(make_idno 320583 19490101 111)
STAY=$(make_idno 320583 19600202 222)
assert_exit 0 add_member a "$AWAY" 1949-01-01 M 王外出
assert_exit 0 add_member a "$STAY" 1960-02-02 F 李在家
assert_exit 0 register_out a "$AWAY" b 南京市鼓楼区 2026-03-01
# shellcheck disable=SC2016 # expanded by eval, at each try
if wait_for 2 eval 'ld b --json member show "$AWAY" >"$T/show.b" 2>/dev/null'; then
	pass
	log "the member reached B after ${WAITED} s"
	OUT=$(cat "$T/show.b")
	assert_eq "$(jget "$OUT" 'd["state"]')" away "state at B"
	assert_eq "$(jget "$OUT" 'd["outflow_site"]')" 昆山 "outflow_site at B"
	assert_eq "$(jget "$OUT" 'd["inflow_site"]')" 南京 "inflow_site at B"
	assert_eq "$(jget "$OUT" 'd["place"]')" 南京市鼓楼区 "place at B"
	assert_eq "$(jget "$OUT" 'd["name"]')" 王外出 "name at B (from the snapshot)"
	# The default view gives the year; the date is there for --reveal (issue 11).
	assert_eq "$(jget "$OUT" 'd["birth_year"]')" 1949 "birth year at B"
	assert_exit 0 ld b --json member show "$AWAY" --reveal &&
		assert_eq "$(jget "$OUT" 'd["birth"]')" 1949-01-01 "birth at B (--reveal)"
else
	run ld b --json member show "$AWAY"
	fail_run "the member A registered out to B is not at B 2 s after the register returned"
	show_status a
	show_status b
fi

log "the member who stays home"
# Make sure B has applied all of A's log (both members, the branch, the outflow) before looking.
assert_wait 10 "B applied A's log up to A's head ($(head_seq a))" applied_all b a || show_status b
assert_wait 10 "A: B acknowledged everything (lag 0)" peer_caught_up a b || show_status a
assert_exit 4 ld b --json member show "$STAY"
assert_exit 4 ld b member show "$STAY"
assert_exit 0 ld b --json log --limit 100000 && assert_json && {
	assert_eq "$(jget "$OUT" 'sum(1 for e in d["entries"] if e["member"] == "'"$(mask "$STAY")"'")')" 0 \
		"events about the member who stayed home in B's log"
	assert_eq "$(jget "$OUT" '[(e["origin"], e["kind"], e["member"]) for e in d["entries"]]')" \
		"[[\"昆山\", \"outflow.registered\", \"$(mask "$AWAY")\"]]" \
		"B's whole log: only the outflow registration to B (no branch, no member.registered)"
}
assert_exit 0 ld b --json history "$AWAY" &&
	assert_eq "$(jget "$OUT" '[e["kind"] for e in d["events"]]')" '["outflow.registered"]' "history at B"
assert_exit 0 ld b --json member list && assert_eq "$(jget "$OUT" 'len(d["members"])')" 1 "members at B"

log "status at both sites"
assert_exit 0 ld a --json status && assert_json && {
	assert_eq "$(jget "$OUT" 'len(d["peers"])')" 1 "peers in A's status"
	assert_eq "$(jget "$OUT" 'd["peers"][0]["name"]')" 南京 "peer name in A's status"
	assert_eq "$(jget "$OUT" 'd["peers"][0]["site_id"]')" "${SITE_ID[b]}" "site_id in A's status"
	assert_eq "$(jget "$OUT" 'd["peers"][0]["state"]')" live "state in A's status"
	assert_eq "$(jget "$OUT" 'd["peers"][0]["lag"]')" 0 "lag in A's status"
	assert_eq "$(jget "$OUT" 'd["peers"][0]["head_seq"]')" 4 "head_seq in A's status (branch, 2 members, outflow)"
	assert_eq "$(jget "$OUT" 'd["peers"][0]["acked_seq"]')" 4 "acked_seq in A's status"
	assert_eq "$(jget "$OUT" 'd["peers"][0]["last_error"]')" null "last_error in A's status"
	assert_eq "$(jget "$OUT" 'd["peers"][0]["quarantined"]')" 0 "quarantined in A's status"
}
assert_exit 0 ld b --json status && assert_json && {
	assert_eq "$(jget "$OUT" 'd["peers"][0]["name"]')" 昆山 "peer name in B's status"
	assert_eq "$(jget "$OUT" 'd["peers"][0]["state"]')" live "state in B's status"
	assert_eq "$(jget "$OUT" 'd["peers"][0]["applied_seq"]')" 4 "applied_seq in B's status"
	assert_eq "$(jget "$OUT" 'd["peers"][0]["their_head_seq"]')" 4 "their_head_seq in B's status"
	assert_eq "$(jget "$OUT" 'd["peers"][0]["lag"]')" 0 "lag in B's status"
	assert_eq "$(jget "$OUT" 'd["peers"][0]["quarantined"]')" 0 "quarantined in B's status"
	assert_eq "$(jget "$OUT" 'd["peers"][0]["last_error"]')" null "last_error in B's status"
}
assert_exit 0 ld b --json conflicts && assert_eq "$(jget "$OUT" 'len(d["conflicts"])')" 0 "conflicts at B"
for s in a b; do
	assert_exit 0 ld "$s" --json verify && assert_eq "$(jget "$OUT" 'd["ok"]')" true "verify at $s"
done

finish
