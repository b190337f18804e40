# hostile_lib.sh: helpers of the tests of hostile peers and clients (hostile_peers.sh,
# hostile_clients.sh), on top of lib.sh and sync_lib.sh. Source all three, in that order:
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/sync_lib.sh"
#   . "$(dirname "$0")/hostile_lib.sh"
#
# The test sets up sites a and b pinned to each other, a branch 001 at a, and A_PID (the pid of
# a's daemon) before calling these.

# alive AFTER: A's daemon is still running (a pass); else the test stops.
alive() {
	if ! kill -0 "$A_PID" 2>/dev/null; then
		SITE_PID[a]=
		die "A's daemon died after $1"
	fi
	pass
}

# good_peer_served AFTER: A's daemon is alive, answers `liudong site`, and a member A registers
# out to B now reaches B within 10 s.
GOOD_N=0
good_peer_served() {
	local after=$1 seq id
	GOOD_N=$((GOOD_N + 1))
	seq=$((100 + GOOD_N))
	id=$(make_idno 320583 19700101 "$seq")
	alive "$after"
	assert_exit 0 ld a site || return 1
	assert_exit 0 add_member a "$id" 1970-01-01 "$(sex_of_seq "$seq")" 好成员 || return 1
	assert_exit 0 register_out a "$id" b || return 1
	# shellcheck disable=SC2016 # expanded by eval, at each try
	assert_wait 10 "after $after: the member A registered out reached B" \
		eval 'ld b member show "$id" >/dev/null 2>&1' || {
		show_status a
		show_status b
	}
}
