#!/usr/bin/env bash
# socket_group.sh: issue 13. [site] socket_group gives the control socket that group, mode 0660:
# with the current user's group (id -gn), and (as root) with another group, which shows the chown
# happens. A group that does not exist: liudongd refuses to start (exit 1) with one line naming
# the setting and the group, and leaves no socket. As root, a group the daemon's user (nobody)
# is not in: exit 5, one line naming the setting.
. "$(dirname "$0")/lib.sh"

# set_group KEY GROUP: [site] socket_group = GROUP in KEY's config (replacing one set before).
set_group() {
	local conf=${SITE_DIR[$1]}/liudongd.conf
	sed -i '/^socket_group = /d' "$conf"
	sed -i "/^\\[site\\]/a socket_group = $2" "$conf"
}

# socket_is KEY GROUP: KEY's socket is of GROUP, mode 660.
socket_is() {
	assert_eq "$(stat -c '%G %a' "${SITE_DIR[$1]}/liudongd.sock")" "$2 660" "the socket's group and mode"
}

# start_fails KEY CODE: liudongd -c for KEY exits CODE at once (within 15 s); its stderr in ERR.
start_fails() {
	local key=$1 want=$2
	run timeout 15 "${LIUDONGD_RUN[@]}" -c "${SITE_DIR[$key]}/liudongd.conf"
	assert_eq "$RC" "$want" "liudongd's exit status" || _show_last
	assert_eq "$(printf '%s\n' "$ERR" | grep -c '')" 1 "lines liudongd wrote on stderr" || _show_last
	if [ -e "${SITE_DIR[$key]}/liudongd.sock" ]; then
		fail "a socket was left at ${SITE_DIR[$key]}/liudongd.sock"
	else
		pass
	fi
}

site_init a 昆山 320583
GROUP=$(id -gn)

log "socket_group = $GROUP (id -gn)"
set_group a "$GROUP"
site_start a
socket_is a "$GROUP"
assert_exit 0 ld a site
site_stop a
assert_eq "$STOP_RC" 0 "liudongd's exit status at stop"

if [ "$(id -u)" = 0 ]; then
	OTHER=nogroup
	getent group "$OTHER" >/dev/null || OTHER=daemon
	log "socket_group = $OTHER (not root's group: the socket is given it)"
	set_group a "$OTHER"
	site_start a
	socket_is a "$OTHER"
	site_stop a
fi

log "socket_group names a group that does not exist"
MISSING=ld-missing-$$
getent group "$MISSING" >/dev/null && die "group $MISSING exists"
set_group a "$MISSING"
start_fails a 1
assert_contains "$ERR" "[site] socket_group: no group named '$MISSING'" "liudongd's error"

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	log "socket_group = root, the daemon running as nobody: not a member"
	set_group a root
	chown -R nobody "${SITE_DIR[a]}"
	chmod 755 "$T"
	run timeout 15 setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$LIUDONGD" -c "${SITE_DIR[a]}/liudongd.conf"
	assert_eq "$RC" 5 "liudongd's exit status (as nobody)" || _show_last
	assert_eq "$(printf '%s\n' "$ERR" | grep -c '')" 1 "lines liudongd wrote on stderr" || _show_last
	assert_contains "$ERR" "[site] socket_group: cannot give the control socket" "liudongd's error"
	assert_contains "$ERR" "'root'" "liudongd's error"
	[ -e "${SITE_DIR[a]}/liudongd.sock" ] && fail "a socket was left behind" || pass
fi

finish
