#!/usr/bin/env bash
# sync_crash.sh: issue 3, acceptance 3. A (昆山) registers 10,000 members out to B (南京) with
# four parallel writers, each importing registers of 10 members one after another: a stream of
# 10,000 events (outflow.registered, each carrying the member), 1,000 commits pushed to B as they
# commit. Meanwhile B is killed with kill -9 while it is receiving the stream, and started again;
# twice. Once both have settled, B's log holds every outflow.registered of A's log exactly once
# (compared by origin_seq), none missing, none twice, nothing else; `verify` is ok at both; A
# shows B live with lag 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"

N=10000 # an event each
WORKERS=4
ROWS=10
KILLS=2
SETTLE_LIMIT=90

sync_site_init a 昆山 320583
sync_site_init b 南京 320100
sync_site_start a
sync_site_start b
sync_pin_both a b
assert_wait 15 "A shows B live" peer_is a b live || show_status a
assert_wait 15 "B shows A live" peer_is b a live || show_status b
assert_exit 0 ld a branch add 001 --name 第一支部

gen_members "$N" >"$T/members"
log "A registers $N members out to B: $N events, $WORKERS writers, $ROWS members to an import"
t0=$(date +%s)
start_import_writers a b "$T/members" "$WORKERS" "$ROWS"

writers_running() {
	local pid
	for pid in "${WRITER_PIDS[@]}"; do
		kill -0 "$pid" 2>/dev/null && return 0
	done
	return 1
}
# shellcheck disable=SC2317 # called through wait_for
# b_applied_at_least K: B's log has at least K entries (read from its head seq).
b_applied_at_least() {
	local h
	h=$(head_seq b 2>/dev/null) && [[ $h =~ ^[0-9]+$ ]] && [ "$h" -ge "$1" ]
}

mid_stream=0
for ((k = 1; k <= KILLS; k++)); do
	# Let B receive part of the stream first (after a restart, its catch-up is under way then).
	base=$(head_seq b)
	want=$((base + N / 40))
	# shellcheck disable=SC2016 # expanded by eval, at each try
	if ! wait_for 120 eval 'b_applied_at_least "$want" || ! writers_running'; then
		fail "kill $k: B did not reach $want entries within 120 s (it has $(head_seq b))"
		show_status a
	fi
	if writers_running; then
		mid_stream=$((mid_stream + 1))
	fi
	log "kill $k: kill -9 B at A's head $(head_seq a), B's head $(head_seq b); writers $(writers_running && echo running || echo finished)"
	site_kill b
	sleep 0.7
	sync_site_restart b
	log "kill $k: B restarted with $(head_seq b) entries; A's head $(head_seq a)"
done
if [ "$mid_stream" = "$KILLS" ]; then
	pass
else
	fail "only $mid_stream of $KILLS kills happened while A was still writing (the writers were too fast?)"
fi

wait_writers
log "writing took $(($(date +%s) - t0)) s"
HEAD=$(head_seq a)
assert_eq "$HEAD" $((1 + N)) "A's head seq (branch, then an outflow.registered per member)"

log "settling"
t0=$(date +%s)
assert_wait "$SETTLE_LIMIT" "A: B live, lag 0, acked_seq = A's head ($HEAD)" peer_acked_head a b || show_status a
assert_wait 20 "B: applied A's log to its head ($HEAD)" applied_all b a || show_status b
log "settled $(($(date +%s) - t0)) s after the writers ended"

log "the two logs"
assert_exit 0 log_json a "$T/log.a"
assert_exit 0 log_json b "$T/log.b"
run compare_outflow_logs "$T/log.a" "$T/log.b" 昆山
log "$OUT"
[ "$RC" = 0 ] && pass || fail_run "B's log is not exactly A's outflow registrations, each once"
assert_eq "$(jget "$(cat "$T/log.a")" 'len(d["entries"])')" "$HEAD" "entries in A's log"
assert_eq "$(jget "$(cat "$T/log.b")" 'len(d["entries"])')" "$N" "entries in B's log"

log "state and integrity"
assert_exit 0 ld b --json member list && {
	assert_eq "$(jget "$OUT" 'len(d["members"])')" "$N" "members at B"
	assert_eq "$(jget "$OUT" 'sorted(set(m["state"] for m in d["members"]))')" '["away"]' "states at B"
}
assert_exit 0 ld a --json status && {
	assert_eq "$(jget "$OUT" 'd["peers"][0]["state"]')" live "state in A's status"
	assert_eq "$(jget "$OUT" 'd["peers"][0]["lag"]')" 0 "lag in A's status"
}
assert_exit 0 ld b --json status && {
	assert_eq "$(jget "$OUT" 'd["peers"][0]["state"]')" live "state in B's status"
	assert_eq "$(jget "$OUT" 'd["peers"][0]["quarantined"]')" 0 "quarantined in B's status"
}
assert_exit 0 ld b --json conflicts && assert_eq "$(jget "$OUT" 'len(d["conflicts"])')" 0 "conflicts at B"
for s in a b; do
	assert_exit 0 ld "$s" --json verify && {
		assert_eq "$(jget "$OUT" 'd["ok"]')" true "verify at $s"
		assert_eq "$(jget "$OUT" 'd["first_bad"]')" null "verify at $s: first_bad"
	}
done
assert_eq "$(jget "$(ld b --json verify)" 'd["entries"]')" "$N" "verify at B: entries"

finish
