#!/usr/bin/env bash
# sync_move.sh: issue 3, acceptance 6. Three sites: A (昆山, outflow), B (南京), C (苏州); A pins
# both, both pin A. A registers a member out to B, then again to C (a move). C gets his snapshot
# (member show at C: away, inflow site C, his details) and the move event itself (history at C);
# a second registration to C is refused (exit 5); B gets one event about him, stay.ended (his stay
# there ended: departed at B), and nothing of C: no move event, no place at C, also after more
# events for B and after a resync of both peers.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"

sync_site_init a 昆山 320583
sync_site_init b 南京 320100
sync_site_init c 苏州 320500
sync_site_start a
sync_site_start b
sync_site_start c
sync_pin_both a b
sync_pin_both a c
for p in b c; do
	assert_wait 15 "A shows $p live" peer_is a "$p" live || show_status a
	assert_wait 15 "$p shows A live" peer_is "$p" a live || show_status "$p"
done

assert_exit 0 ld a branch add 001 --name 第一支部
X=$(make_idno 320583 19800404 441)
Y=$(make_idno 320583 19810505 552)
assert_exit 0 add_member a "$X" 1980-04-04 M 周流动
assert_exit 0 add_member a "$Y" 1981-05-05 F 吴另一

# shellcheck disable=SC2317 # called through assert_wait
# at SITE IDNO STATE INFLOW: member show at SITE says STATE and inflow site INFLOW.
at() {
	local out
	out=$(ld "$1" --json member show "$2" 2>/dev/null) &&
		[ "$(jget "$out" 'd["state"]')" = "$3" ] && [ "$(jget "$out" 'd["inflow_site"]')" = "$4" ]
}

log "registered out to B"
assert_exit 0 register_out a "$X" b 南京市玄武区 2026-03-01
assert_wait 5 "the member is at B, away, inflow site 南京" at b "$X" away 南京 || show_status a
assert_wait 10 "A: B acknowledged everything" peer_caught_up a b || show_status a
assert_wait 10 "A: C acknowledged everything" peer_caught_up a c || show_status a
B_BEFORE=$(log_count_about b "$X")
assert_eq "$B_BEFORE" 1 "events about him in B's log before the move"
assert_exit 4 ld c member show "$X"
assert_exit 0 ld c --json log && assert_eq "$(jget "$OUT" 'len(d["entries"])')" 0 "entries in C's log before the move"

log "moved: registered out to C"
assert_exit 0 register_out a "$X" c 苏州市工业园区 2026-05-01
MOVE_SEQ=$(head_seq a)
assert_exit 0 ld a --json member show "$X" && {
	assert_eq "$(jget "$OUT" 'd["state"]')" away "state at A after the move"
	assert_eq "$(jget "$OUT" 'd["inflow_site"]')" 苏州 "inflow_site at A after the move"
	A_SHOW=$OUT
}
assert_wait 2 "the member is at C, away, inflow site 苏州, within 2 s" at c "$X" away 苏州 || {
	show_status a
	show_status c
}
assert_exit 0 ld c --json member show "$X" && {
	assert_eq "$(jget "$OUT" 'd["outflow_site"]')" 昆山 "outflow_site at C"
	assert_eq "$(jget "$OUT" 'd["place"]')" 苏州市工业园区 "place at C"
	assert_eq "$(jget "$OUT" 'd["from"]')" 2026-05-01 "from at C"
	# The snapshot: everything A knows of him, as A shows it.
	for f in id name sex birth joined kind branch state outflow_site inflow_site place dues_category monthly_dues_fen reason from; do
		assert_eq "$(jget "$OUT" "d.get(\"$f\")")" "$(jget "$A_SHOW" "d.get(\"$f\")")" "member show at C vs at A: $f"
	done
}
assert_exit 0 ld c --json history "$X" && {
	assert_eq "$(jget "$OUT" '[(e["origin"], e["kind"], e["seq"]) for e in d["events"]]')" \
		"[[\"昆山\", \"outflow.registered\", $MOVE_SEQ]]" "history at C: the move event, and nothing older"
	assert_contains "$(jget "$OUT" 'd["events"][0]["summary"]')" 苏州 "summary of the move event at C"
}
assert_exit 0 ld c --json log && {
	assert_eq "$(jget "$OUT" '[(e["origin_seq"], e["kind"]) for e in d["entries"]]')" \
		"[[$MOVE_SEQ, \"outflow.registered\"]]" "C's whole log"
}

log "registering him to C twice is refused"
assert_exit 5 register_out a "$X" c 苏州 2026-05-02
assert_eq "$(head_seq a)" "$MOVE_SEQ" "A's head after the refused registration"

log "B gets nothing about him after the move"
# More for B after the move, so that B's stream has certainly passed the move event.
assert_exit 0 register_out a "$Y" b 南京市秦淮区 2026-06-01
assert_wait 5 "the second member is at B" at b "$Y" away 南京 || show_status a
assert_wait 10 "A: B acknowledged everything" peer_caught_up a b || show_status a
assert_wait 10 "A: C acknowledged everything" peer_caught_up a c || show_status a
assert_wait 10 "B applied A's log to its head" applied_all b a || show_status b
assert_eq "$(log_count_about b "$X")" "$((B_BEFORE + 1))" "events about him in B's log after the move (stay.ended)"
assert_exit 0 ld b --json log && {
	assert_eq "$(jget "$OUT" "[e for e in d[\"entries\"] if e[\"origin_seq\"] == $MOVE_SEQ]")" '[]' "the move event in B's log"
	assert_eq "$(jget "$OUT" 'len(d["entries"])')" 3 "entries in B's log (his registration to B, stay.ended, the second member's)"
}
assert_exit 0 ld b --json history "$X" &&
	assert_eq "$(jget "$OUT" '[e["kind"] for e in d["events"]]')" '["outflow.registered", "stay.ended"]' "B's history of him"
assert_exit 0 ld b --json member show "$X" && {
	assert_eq "$(jget "$OUT" 'd["state"]')" departed "his state at B after the move"
	assert_not_contains "$OUT" 苏州 "member show at B after the move (nothing of C)"
}
# The second member is B's business only.
assert_exit 4 ld c member show "$Y"

log "a resync changes nothing"
assert_exit 0 ld a peer resync 南京
assert_exit 0 ld a peer resync 苏州
sleep 1
assert_wait 10 "A: B acknowledged everything after the resync" peer_caught_up a b || show_status a
assert_wait 10 "A: C acknowledged everything after the resync" peer_caught_up a c || show_status a
assert_eq "$(log_count_about b "$X")" "$((B_BEFORE + 1))" "events about him in B's log after the resync"
assert_exit 0 ld b --json log && assert_eq "$(jget "$OUT" 'len(d["entries"])')" 3 "entries in B's log after the resync"
assert_exit 0 ld c --json log && assert_eq "$(jget "$OUT" 'len(d["entries"])')" 1 "entries in C's log after the resync"
assert_wait 5 "the member is still at C after the resync" at c "$X" away 苏州

for s in a b c; do
	assert_exit 0 ld "$s" --json conflicts && assert_eq "$(jget "$OUT" 'len(d["conflicts"])')" 0 "conflicts at $s"
	assert_exit 0 ld "$s" --json verify && assert_eq "$(jget "$OUT" 'd["ok"]')" true "verify at $s"
done

finish
