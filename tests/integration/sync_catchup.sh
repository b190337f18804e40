#!/usr/bin/env bash
# sync_catchup.sh: issue 3, acceptance 2. B (南京) is stopped with SIGTERM; A (昆山) registers
# 1,000 members out to B (four writers in parallel, each importing registers of 25); B is started
# again and catches up: within 30 s B holds the 1,000 members, all away, its log has exactly A's
# 1,000 outflow registrations, and A's status shows B live with lag 0. Then both stop and A
# starts alone: its status still shows what B acknowledged (acked_seq = A's head, lag 0).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"

N=${SYNC_CATCHUP_MEMBERS:-1000}
WORKERS=4
ROWS=25
CATCHUP_LIMIT=30

sync_site_init a 昆山 320583
sync_site_init b 南京 320100
sync_site_start a
sync_site_start b
sync_pin_both a b
assert_wait 15 "A shows B live" peer_is a b live || show_status a
assert_wait 15 "B shows A live" peer_is b a live || show_status b
assert_exit 0 ld a branch add 001 --name 第一支部

log "B stops (SIGTERM)"
site_stop b
assert_eq "$STOP_RC" 0 "B's exit status after SIGTERM"
# shellcheck disable=SC2016 # expanded by eval, at each try
assert_wait 10 "A no longer shows B live once B stopped" eval '[ "$(peer_field a b state)" != live ]' ||
	show_status a
st=$(peer_field a b state)
case $st in
down | connecting) pass ;;
*) fail "A's state for a stopped B: expected down or connecting, got '$st'" ;;
esac

log "A registers $N members out to B ($WORKERS writers, $ROWS members to an import)"
gen_members "$N" >"$T/members"
t0=$(date +%s)
start_import_writers a b "$T/members" "$WORKERS" "$ROWS"
wait_writers
log "writing took $(($(date +%s) - t0)) s"
assert_exit 0 ld a --json member list --state away && assert_eq "$(jget "$OUT" 'len(d["members"])')" "$N" "members away at A"
HEAD=$(head_seq a)
assert_eq "$HEAD" $((1 + N)) "A's head seq (branch, then an outflow.registered per member)"
lag=$(peer_field a b lag)
log "A's status while B is down: state $(peer_field a b state), lag $lag"
# One event for B per registration (member adds concern no peer); A counted its lag before the
# writes too, so this count is the earlier one moved by what was added since.
assert_eq "$lag" "$N" "A's lag for a stopped B after $N registrations"

log "B starts again and catches up"
sync_site_restart b
t0=$(date +%s%N)
# shellcheck disable=SC2317 # called through wait_for
# members_at_b: B's member list has all N, each away; keeps the last answer in $T/list.b.
members_at_b() {
	ld b --json member list >"$T/list.b" 2>&1 &&
		[ "$(jget "$(cat "$T/list.b")" 'len(d["members"])')" = "$N" ]
}
if wait_for "$CATCHUP_LIMIT" members_at_b; then
	pass
	log "B had $N members after $((($(date +%s%N) - t0) / 1000000)) ms"
else
	fail "B does not hold the $N members $CATCHUP_LIMIT s after it started (it has $(jget "$(cat "$T/list.b")" 'len(d["members"])'))"
	show_status a
	show_status b
fi
OUT=$(cat "$T/list.b")
assert_eq "$(jget "$OUT" 'sorted(set(m["state"] for m in d["members"]))')" '["away"]' "states of the members at B"
assert_eq "$(jget "$OUT" 'sorted(set(m.get("inflow_site") for m in d["members"]))')" '["南京"]' \
	"inflow_site of the members at B"
assert_exit 0 ld b --json member list --state away && assert_eq "$(jget "$OUT" 'len(d["members"])')" "$N" "member list --state away at B"
# Every number A wrote is at B (member show by full number).
for id in $(awk 'NR == 1 || NR % 97 == 0 {print $1}' "$T/members") "$(tail -n 1 "$T/members" | cut -d' ' -f1)"; do
	assert_exit 0 ld b --json member show "$id" && assert_eq "$(jget "$OUT" 'd["state"]')" away "state at B of $(mask "$id")"
done

log "status once caught up"
assert_wait 10 "A: B live, lag 0, acked_seq = A's head ($HEAD)" peer_acked_head a b || show_status a
assert_exit 0 ld a --json status && {
	assert_eq "$(jget "$OUT" 'd["peers"][0]["state"]')" live "state in A's status"
	assert_eq "$(jget "$OUT" 'd["peers"][0]["lag"]')" 0 "lag in A's status"
	assert_eq "$(jget "$OUT" 'd["peers"][0]["acked_seq"]')" "$HEAD" "acked_seq in A's status"
	assert_eq "$(jget "$OUT" 'd["peers"][0]["head_seq"]')" "$HEAD" "head_seq in A's status"
}
assert_wait 10 "B: A live" peer_is b a live || show_status b
assert_exit 0 ld b --json status && {
	assert_eq "$(jget "$OUT" 'd["peers"][0]["state"]')" live "state in B's status"
	assert_eq "$(jget "$OUT" 'd["peers"][0]["applied_seq"]')" "$HEAD" "applied_seq in B's status"
	assert_eq "$(jget "$OUT" 'd["peers"][0]["quarantined"]')" 0 "quarantined in B's status"
}

log "B's log"
assert_exit 0 log_json b "$T/log.b"
assert_exit 0 log_json a "$T/log.a"
run compare_outflow_logs "$T/log.a" "$T/log.b" 昆山
log "$OUT"
[ "$RC" = 0 ] && pass || fail_run "B's log is not exactly A's outflow registrations, each once"
assert_exit 0 ld b --json conflicts && assert_eq "$(jget "$OUT" 'len(d["conflicts"])')" 0 "conflicts at B"
for s in a b; do
	assert_exit 0 ld "$s" --json verify && assert_eq "$(jget "$OUT" 'd["ok"]')" true "verify at $s"
done

log "B stops, then A restarts: A's status still knows what B acknowledged"
site_stop b
assert_eq "$STOP_RC" 0 "B's exit status after SIGTERM"
site_stop a
assert_eq "$STOP_RC" 0 "A's exit status after SIGTERM"
sync_site_restart a
assert_exit 0 ld a --json status && {
	st=$(jget "$OUT" 'd["peers"][0]["state"]')
	case $st in
	down | connecting) pass ;;
	*) fail "A's state for B after A's restart with B down: expected down or connecting, got '$st'" ;;
	esac
	assert_eq "$(jget "$OUT" 'd["peers"][0]["acked_seq"]')" "$HEAD" "acked_seq in A's status after its restart"
	assert_eq "$(jget "$OUT" 'd["peers"][0]["lag"]')" 0 "lag in A's status after its restart"
}

finish
