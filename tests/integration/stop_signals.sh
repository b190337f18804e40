#!/usr/bin/env bash
# stop_signals.sh: an operator (or a service manager) that sends SIGTERM or SIGINT again while
# liudongd stops does not kill it half way: it finishes its stop, closes its store and exits 0,
# three times (SIGTERM again and again, SIGINT again and again, SIGTERM, SIGINT and SIGHUP mixed),
# each time with "stopped" in its log, and the site starts again with `verify` clean and every
# member there.
. "$(dirname "$0")/lib.sh"

site_init a 昆山 320583
site_start a
assert_exit 0 ld a branch add 001 --name 第一支部 || die "branch add failed"
members_csv "$T/m.csv" 1
assert_exit 0 ld a import members "$T/m.csv" || die "import failed"

# stop_hammered KEY SIGNAL...: the first SIGNAL, then the signals over and over, as fast as the
# shell sends them, until the daemon is gone; its exit status in STOP_RC.
stop_hammered() {
	local key=$1 pid=${SITE_PID[$1]} s
	shift
	kill "-$1" "$pid"
	while kill -0 "$pid" 2>/dev/null; do
		for s in "$@"; do
			kill "-$s" "$pid" 2>/dev/null
		done
	done
	wait "$pid"
	STOP_RC=$?
	SITE_PID[$key]=
}

for signals in "TERM TERM" "INT INT" "TERM INT HUP"; do
	log "stop with SIG${signals// /, SIG} sent again and again"
	stopped_before=$(grep -c ' info: stopped$' "$T/a.log" || true)
	# shellcheck disable=SC2086 # the list is split on purpose
	stop_hammered a $signals
	assert_eq "$STOP_RC" 0 "exit status of liudongd (SIG${signals// /, SIG} sent again and again)"
	assert_eq "$(grep -c ' info: stopped$' "$T/a.log")" $((stopped_before + 1)) "'stopped' in the log"
	site_start a
	assert_exit 0 ld a verify
done
assert_eq "$(jget "$(ld a --json member list)" 'len(d["members"])')" 1000 "members after the stops"

finish
