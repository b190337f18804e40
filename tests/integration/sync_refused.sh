#!/usr/bin/env bash
# sync_refused.sh: issue 3, acceptance 4. C (苏州) has pinned A (昆山); A has not pinned C. A
# refuses C: C's status shows A refused, with a last error saying C's key is not pinned at A.
# A's peer port speaks TLS 1.3 only: an openssl client restricted to TLS 1.2 cannot complete a
# handshake. A TLS 1.3 client that presents no certificate is refused during the handshake and
# receives no frame (no application data at all). A client with an unpinned key is told why in a
# Close frame (which also shows that this test sees a frame when one is sent). Once A pins C, the
# two connect.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"

command -v openssl >/dev/null || die "openssl not found"
command -v timeout >/dev/null || die "timeout not found"

sync_site_init a 昆山 320583
sync_site_init c 苏州 320500
sync_site_start a
sync_site_start c
sync_pin c a
PA=${SITE_PORT[a]}

log "C is refused by A"
assert_wait 15 "C shows A refused" peer_is c a refused || show_status c
assert_exit 0 ld c --json status && assert_json && {
	assert_eq "$(jget "$OUT" 'd["peers"][0]["name"]')" 昆山 "peer in C's status"
	assert_eq "$(jget "$OUT" 'd["peers"][0]["state"]')" refused "state in C's status"
	err=$(jget "$OUT" 'd["peers"][0]["last_error"]')
	assert_contains "$err" "not pinned" "last_error in C's status"
	assert_contains "$err" "${SITE_ID[c]}" "last_error in C's status (names C's id)"
	assert_eq "$(jget "$OUT" 'd["peers"][0]["applied_seq"]')" 0 "applied_seq in C's status"
}
# It stays refused: C retries, and is refused again each time.
sleep 2
assert_eq "$(peer_field c a state)" refused "state in C's status 2 s later"
assert_exit 0 ld a --json status && assert_eq "$(jget "$OUT" 'len(d["peers"])')" 0 "peers in A's status"
assert_contains "$(cat "$T/a.log")" "${SITE_ID[c]}" "A's log (the refused site's id)"
assert_contains "$(grep "${SITE_ID[c]}" "$T/a.log")" "not pinned" "A's log line about C"
# Nothing of A's reaches C.
assert_exit 0 ld a branch add 001 --name 第一支部
ID=$(make_idno 320583 19700303 333)
assert_exit 0 add_member a "$ID" 1970-03-03 M 赵某
sleep 1
assert_exit 0 ld c --json log && assert_eq "$(jget "$OUT" 'len(d["entries"])')" 0 "entries in C's log"

# s_client HOW ARGS...: run openssl s_client against A's peer port (stdin /dev/null, 10 s at most);
# stdout in $T/HOW.out, stderr in $T/HOW.err, exit code in RC.
s_client() {
	local how=$1
	shift
	LAST_CMD="openssl s_client -connect 127.0.0.1:$PA $*"
	timeout 10 openssl s_client -connect "127.0.0.1:$PA" "$@" </dev/null >"$T/$how.out" 2>"$T/$how.err"
	RC=$?
	OUT=$(tr -c '[:print:]\n' '?' <"$T/$how.out")
	ERR=$(cat "$T/$how.err")
}

# no_real_cipher HOW: the s_client output in $T/HOW.out shows no negotiated cipher.
no_real_cipher() {
	if grep -E 'Cipher is ' "$T/$1.out" | grep -vqF 'Cipher is (NONE)'; then
		fail_run "$1: a cipher was negotiated: $(grep -E 'Cipher is ' "$T/$1.out")"
		return 1
	fi
	if grep -E '^ *Cipher *: ' "$T/$1.out" | grep -vqE 'Cipher *: (0000|\(NONE\))$'; then
		fail_run "$1: the session shows a cipher: $(grep -E '^ *Cipher *: ' "$T/$1.out")"
		return 1
	fi
	pass
}

log "TLS 1.2 is refused"
for how in tls12 tls12-cert; do
	if [ "$how" = tls12 ]; then
		s_client "$how" -tls1_2
	else
		# The same with a client certificate offered.
		s_client "$how" -tls1_2 -cert "${SITE_DIR[c]}/site.crt" -key "${SITE_DIR[c]}/site.key"
	fi
	if [ "$RC" = 124 ]; then
		fail_run "$how: openssl s_client -tls1_2 still running after 10 s"
	elif [ "$RC" = 0 ]; then
		fail_run "$how: openssl s_client -tls1_2 exited 0"
	else
		pass
	fi
	assert_contains "$OUT" "CONNECTED" "$how: s_client output (the TCP connection itself must work)"
	no_real_cipher "$how"
	assert_not_contains "$OUT" "Protocol  : TLSv1.3" "$how: s_client output"
	# The server answers with a protocol_version alert (70).
	assert_contains "$ERR" "alert protocol version" "$how: s_client errors"
done

log "TLS 1.3 without a client certificate gets no frame"
# -quiet: stdout carries only what the server sent as application data; must be nothing.
s_client tls13-nocert-quiet -quiet -tls1_3 -alpn liudong/1
if [ "$RC" = 124 ]; then
	fail_run "tls13-nocert: the server did not close the connection within 10 s"
else
	pass
fi
bytes=$(wc -c <"$T/tls13-nocert-quiet.out")
if [ "$bytes" = 0 ]; then
	pass
else
	fail_run "tls13-nocert: a client without a certificate received $bytes byte(s) of application data: $(od -An -tx1 "$T/tls13-nocert-quiet.out" | head -3)"
fi
# The handshake fails with the certificate_required alert (116), not some other error.
assert_contains "$ERR" "alert certificate required" "tls13-nocert: s_client errors"
# The same with the full session printout: TLS 1.3, ALPN liudong/1, then the alert and no data
# (nothing but s_client's own text after the session block).
s_client tls13-nocert -tls1_3 -alpn liudong/1 -ign_eof
[ "$RC" != 0 ] && [ "$RC" != 124 ] && pass || fail_run "tls13-nocert: expected s_client to fail (not 0, not a timeout)"
assert_contains "$OUT" "New, TLSv1.3, Cipher is TLS_" "tls13-nocert: s_client output (TLS 1.3 handshake from the client's side)"
assert_contains "$OUT" "ALPN protocol: liudong/1" "tls13-nocert: s_client output"
assert_contains "$ERR" "alert certificate required" "tls13-nocert: s_client errors"
if LC_ALL=C grep -q '[^[:print:][:space:]]' "$T/tls13-nocert.out"; then
	fail_run "tls13-nocert: binary data in s_client's output (a frame?)"
else
	pass
fi

log "TLS 1.3 with an unpinned key: a Close frame saying why (the frame check's control)"
s_client tls13-unpinned -quiet -tls1_3 -alpn liudong/1 -cert "${SITE_DIR[c]}/site.crt" -key "${SITE_DIR[c]}/site.key"
[ "$RC" != 124 ] && pass || fail_run "tls13-unpinned: the server did not close within 10 s"
run python3 - "$T/tls13-unpinned.out" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read()
if len(b) < 4:
    sys.exit("received %d bytes, expected a frame" % len(b))
n = int.from_bytes(b[:4], "big")
if n != len(b) - 4:
    sys.exit("frame length %d, but %d bytes follow the header" % (n, len(b) - 4))
if b"not pinned" not in b:
    sys.exit("the Close frame does not say 'not pinned': %r" % b[4:])
EOF
[ "$RC" = 0 ] && pass || fail_run "tls13-unpinned: expected exactly one frame, a Close saying the key is not pinned"

log "A still works, and pinning C lets it in"
assert_exit 0 ld a --json site && assert_eq "$(jget "$OUT" 'd["head_seq"]')" 2 "A's head seq"
kill -0 "${SITE_PID[a]}" 2>/dev/null && pass || fail "A's daemon died"
sync_pin a c
assert_wait 15 "A shows C live once pinned" peer_is a c live || show_status a
assert_wait 15 "C shows A live once A pinned it" peer_is c a live || show_status c
assert_eq "$(peer_field c a last_error)" null "last_error in C's status once live"
assert_exit 0 ld c --json log && assert_eq "$(jget "$OUT" 'len(d["entries"])')" 0 "entries in C's log (nothing of A's concerns C)"
assert_exit 4 ld c member show "$ID"

finish
