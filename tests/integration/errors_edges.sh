#!/usr/bin/env bash
# errors_edges.sh: the project's own error space, translated from the system's once at its edge
# (issue 11, "Errors"). A damaged stored record is an internal error that says so (exit 1), not a
# refusal by a rule (exit 5, as when -EBADMSG meant both); the daemon's log says it in words, never
# "error -NNNN"; the CLI tells a missing socket, a socket nobody answers on and a socket it may not
# open apart, each with what to do (exit 6).
. "$(dirname "$0")/lib.sh"

command -v mdb_dump >/dev/null || die "mdb_dump not found: install lmdb-utils (apt-get install lmdb-utils)"

site_init a 昆山 320583
site_start a
assert_exit 0 ld a branch add 001 --name 第一支部
ID=$(make_idno 110105 19491231 002)
assert_exit 0 ld a member add --id "$ID" --name 张三 --sex F --birth 1949-12-31 --joined 1970-01-01 \
	--kind full --branch 001 --dues-category salaried --income 3000

log "a damaged member record"
site_stop a
DATA=${SITE_DIR[a]}/data
# Replace the member's stored state by bytes that are no protobuf (a field tag of 0).
mdb_dump -s members "$DATA" >"$T/members.dump" || die "mdb_dump failed"
awk 'BEGIN { inb = 0; n = 0 }
	/^HEADER=END/ { print; inb = 1; next }
	/^DATA=END/ { print; inb = 0; next }
	inb { n++; if (n % 2 == 0) { print " 0000ffff"; next } }
	{ print }' "$T/members.dump" >"$T/members.bad"
mdb_load -s members -f "$T/members.bad" "$DATA" || die "mdb_load failed"
site_start a
assert_exit 1 ld a member show "$ID" &&
	assert_contains "$ERR" "damaged" "error for a damaged record" &&
	assert_contains "$ERR" "liudong verify" "what to do about a damaged record"
assert_exit 1 ld a --json member show "$ID"
grep -qE 'error -[0-9]+' "$T/a.log" && fail "the daemon's log names a bare error number: $(grep -E 'error -[0-9]+' "$T/a.log" | head -1)"
grep -q "damaged" "$T/a.log" || fail "the daemon's log does not say the record is damaged"

log "an unreachable daemon, five ways"
assert_exit 6 "$LIUDONG" -s "$T/none/liudongd.sock" site &&
	assert_contains "$ERR" "no liudongd socket at $T/none/liudongd.sock" "error for a missing socket" &&
	assert_contains "$ERR" "start liudongd" "what to do about a missing socket"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/dead.sock"
assert_exit 6 "$LIUDONG" -s "$T/dead.sock" site &&
	assert_contains "$ERR" "nothing answers on $T/dead.sock" "error for a socket nobody answers on"
: >"$T/plain-file"
assert_exit 6 "$LIUDONG" -s "$T/plain-file" site &&
	assert_contains "$ERR" "$T/plain-file is not a socket" "error for a file that is no socket"
assert_exit 6 "$LIUDONG" -s "$T" site &&
	assert_contains "$ERR" "$T is a directory, not liudongd's socket: name the socket in it" \
		"error for a directory given as the socket"
# A user who may not open the socket: the daemon runs as root, its socket is 0660 root's group.
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	chmod 755 "$T" "${SITE_DIR[a]}"
	assert_exit 6 setpriv --reuid=65534 --regid=65534 --clear-groups "$LIUDONG" \
		-s "${SITE_DIR[a]}/liudongd.sock" site &&
		assert_contains "$ERR" "permission denied on ${SITE_DIR[a]}/liudongd.sock" \
			"error for a socket the user may not open" &&
		assert_contains "$ERR" "group" "what to do about a socket the user may not open"
else
	log "note: not root (or no setpriv): the permission case is not run"
fi
finish
