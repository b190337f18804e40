#!/usr/bin/env bash
# site_files.sh: the files around a site (issue 11). liudongd never removes what sits at its
# socket path unless it is a socket no daemon answers on: a regular file, a directory or a
# symlink there stop it with a message naming the path (exit 5), a live socket is "another
# liudongd is running on PATH" (exit 5), a stale socket is replaced. The data directory is locked:
# a second daemon on it (another config, socket and port) exits 5 naming the first one's pid.
# `liudongd init` checks everything before it writes: a refusal (exit 3) leaves nothing behind and
# the next init in the same directory works; a socket path too long for a unix socket is refused
# by init and by the daemon's start. An init that fails half way (a full disk) removes what it made.
. "$(dirname "$0")/lib.sh"

# start_expect KEY CODE: run KEY's daemon in the foreground (it must stop by itself within 10 s),
# check its exit code; its log is in $T/KEY.start.log and in START_LOG.
start_expect() {
	local key=$1 want=$2 conf=${3:-${SITE_DIR[$1]}/liudongd.conf}
	run timeout 10 "$LIUDONGD" -c "$conf"
	START_LOG=$ERR
	printf '%s\n' "$ERR" >>"$T/$key.start.log"
	if [ "$RC" != "$want" ]; then
		fail_run "liudongd for $key: expected exit $want, got $RC"
		return 1
	fi
	pass
}

site_init a 昆山 320583
A=${SITE_DIR[a]}
SOCK=$A/liudongd.sock

log "a regular file at the socket path is kept, and named"
echo "keep me" >"$SOCK"
start_expect a 5 && {
	assert_contains "$START_LOG" "$SOCK" "message names the path"
	assert_contains "$START_LOG" "a regular file, not a socket" "message says what is there"
	assert_contains "$START_LOG" "move it away" "message says what to do"
}
assert_eq "$(cat "$SOCK" 2>/dev/null)" "keep me" "the file at the socket path after a refused start"
rm -f "$SOCK"

log "a directory at the socket path is not 'another liudongd'"
mkdir "$SOCK"
touch "$SOCK/inside"
start_expect a 5 && {
	assert_contains "$START_LOG" "$SOCK is a directory, not a socket" "message for a directory"
	assert_not_contains "$START_LOG" "another liudongd" "a directory is not a daemon"
}
[ -f "$SOCK/inside" ] && pass || fail "the directory at the socket path was touched"
rm -rf "$SOCK"

log "a symlink at the socket path is kept, even to a socket"
ln -s "$T/elsewhere" "$SOCK"
start_expect a 5 && assert_contains "$START_LOG" "$SOCK is a symbolic link, not a socket" "message for a symlink"
[ -L "$SOCK" ] && pass || fail "the symlink at the socket path was removed"
rm -f "$SOCK"

log "a stale socket (no daemon answers) is replaced"
python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$SOCK"
[ -S "$SOCK" ] || die "could not make a stale socket"
site_start a
assert_exit 0 ld a site

log "a live socket: another liudongd is running on PATH"
# A second config for the same socket but another data directory, so the lock does not decide.
B2=$T/b2
mkdir -p "$B2"
sed -e "s|^data_dir = .*|data_dir = $T/b2/data|" -e "s|^listen = .*|# listen off|" \
	-e "s|^socket = .*|socket = $SOCK|" -e "s|^key = |key = $A/|" \
	-e "s|^cert = |cert = $A/|" "$A/liudongd.conf" >"$B2/liudongd.conf"
grep -q "^socket = $SOCK" "$B2/liudongd.conf" || die "the second config does not name the socket"
start_expect b2 5 "$B2/liudongd.conf" &&
	assert_contains "$START_LOG" "another liudongd is running on $SOCK" "message for a live socket"
assert_exit 0 ld a site

log "the data directory is locked: a second daemon on it exits 5 naming the first's pid"
C2=$T/c2
mkdir -p "$C2"
port2=$(free_port)
sed -e "s|^data_dir = .*|data_dir = $A/data|" -e "s|^listen = .*|listen = 127.0.0.1:$port2|" \
	-e "s|^socket = .*|socket = $C2/other.sock|" -e "s|^key = |key = $A/|" \
	-e "s|^cert = |cert = $A/|" "$A/liudongd.conf" >"$C2/liudongd.conf"
grep -q "^data_dir = $A/data" "$C2/liudongd.conf" || die "the second config does not name the data directory"
start_expect c2 5 "$C2/liudongd.conf" && {
	assert_contains "$START_LOG" "another liudongd (pid ${SITE_PID[a]}) is running on the data directory $A/data" \
		"message names the first daemon's pid"
}
[ -e "$C2/other.sock" ] && fail "the refused daemon made its socket" || pass
assert_eq "$(tr -d '\n' <"$A/data/liudongd.lock")" "${SITE_PID[a]}" "the lock file holds the running daemon's pid"
assert_exit 0 ld a site
site_stop a
assert_eq "$STOP_RC" 0 "first daemon stops cleanly"
log "once the first has stopped, the second config may run on the data directory"
"$LIUDONGD" -c "$C2/liudongd.conf" 2>>"$T/c2.log" &
SITE_PID["c2"]=$!
SITE_DIR["c2"]=$C2
for ((i = 0; i < 100; i++)); do
	LIUDONG_SOCKET=$C2/other.sock "$LIUDONG" site >/dev/null 2>&1 && break
	sleep 0.1
done
assert_exit 0 env LIUDONG_SOCKET="$C2/other.sock" "$LIUDONG" site
site_stop c2
assert_eq "$STOP_RC" 0 "second config's daemon stops cleanly"
log "a daemon killed with -9 leaves no lock behind"
site_start a
site_kill a
site_start a
assert_exit 0 ld a site
site_stop a

log "init checks everything before it writes anything"
D=$T/fresh
# init_refused CODE ARGS...: init in $D is refused with CODE, and $D is left as it was (absent).
init_refused() {
	local want=$1
	shift
	run "$LIUDONGD" init "$D" "$@"
	if [ "$RC" != "$want" ]; then
		fail_run "liudongd init $*: expected exit $want, got $RC"
	elif [ "$(printf '%s' "$ERR" | wc -l)" != 0 ] || [[ $ERR != liudongd:* ]]; then
		fail_run "liudongd init $*: the error is not one line 'liudongd: ...'"
	else
		pass
	fi
	if [ -e "$D" ]; then
		fail "liudongd init $* (refused) left $(find "$D" | tr '\n' ' ')"
		rm -rf "$D"
	else
		pass
	fi
}
init_refused 3 --name 苏州 --code 320500 --listen 127.0.0.1:99999
assert_contains "$ERR" "65535" "port 99999 refused with the range"
init_refused 3 --name 苏州 --code 320500 --listen localhost
assert_contains "$ERR" "port is missing" "--listen without a port"
init_refused 3 --name 苏州 --code 320500 --listen 'foo bar:1'
assert_contains "$ERR" "no spaces" "--listen with a space"
init_refused 3 --name $'苏州\n市' --code 320500
assert_contains "$ERR" "control characters" "a name with a newline"
init_refused 3 --name $'苏州\x1b[31m' --code 320500
init_refused 3 --name $'苏州\t市' --code 320500
init_refused 3 --name 苏州 --code 32050X
init_refused 3 --name 苏州 --code 3205001
long=$T/$(printf 'd%.0s' {1..90})
init_refused 3 --name 苏州 --code 320500 --socket "$long/liudongd.sock"
assert_contains "$ERR" "at most 107" "socket path over 107 bytes"
# The default socket path beside a long directory is checked too.
D=$long
init_refused 3 --name 苏州 --code 320500
D=$T/fresh
log "the next init in the same directory works"
assert_exit 0 "$LIUDONGD" init "$D" --name 苏州 --code 320500 --listen "127.0.0.1:$(free_port)"
[ -f "$D/site.key" ] && [ -f "$D/liudongd.conf" ] && [ -d "$D/data" ] && pass || fail "init made no site"
SITE_DIR["fresh"]=$D
site_start fresh
assert_exit 0 ld fresh site
site_stop fresh

log "init into an existing empty directory: refused init leaves it empty"
E=$T/empty
mkdir "$E"
run "$LIUDONGD" init "$E" --name 无锡 --code 320200 --listen 127.0.0.1:0
assert_eq "$RC" 3 "init with port 0"
assert_eq "$(find "$E" -mindepth 1 | wc -l)" 0 "files left in the existing directory"
assert_exit 0 "$LIUDONGD" init "$E" --name 无锡 --code 320200

log "the daemon's start checks the socket path length"
L=$T/longsock
run "$LIUDONGD" init "$L" --name 常州 --code 320400
assert_eq "$RC" 0 "init of a site whose socket is then moved"
sed -i "s|^socket = .*|socket = $long/liudongd.sock|" "$L/liudongd.conf"
start_expect longsock 1 "$L/liudongd.conf" && {
	assert_contains "$START_LOG" "$long/liudongd.sock is" "message names the socket path"
	assert_contains "$START_LOG" "at most 107" "message gives the limit"
}
[ -e "$L/data/data.mdb" ] && fail "the daemon opened its store before refusing the socket path" || pass

log "an init that fails half way (a full disk) removes what it made"
if [ "$(id -u)" != 0 ]; then
	log "skipped: not root, cannot mount a small tmpfs"
else
	M=$T/small
	mkdir "$M"
	if mount -t tmpfs -o size=8k tmpfs "$M" 2>"$T/mount.err"; then
		run "$LIUDONGD" init "$M/site" --name 南通 --code 320600
		assert_eq "$RC" 1 "init on a full disk"
		assert_contains "$ERR" "no space left" "init on a full disk says why"
		[ -e "$M/site" ] && fail "init on a full disk left $(find "$M/site" | tr '\n' ' ')" || pass
		umount "$M"
	else
		log "skipped: mount -t tmpfs failed: $(cat "$T/mount.err")"
	fi
fi

finish
