#!/usr/bin/env bash
# hostile_peers.sh: what comes to the peer port is hostile (issue 11). A (昆山) and B (南京) pin
# each other and sync; A also pins H (恶意) and S (静默), whose daemons never run: hostile_peer
# speaks for them with their real keys. U (陌生) is a site A has not pinned. Each attack on A's
# peer port must be refused or dropped, and after each one A's daemon is alive and a member A
# registers out to B reaches B (the good peer is still served):
#  - a client without certificate and a TLS 1.2 client get no Hello (the handshake fails);
#  - U's key, not pinned, gets Close "not pinned", and A's log names the refusal;
#  - 5 bytes 0xFF on the bare TCP port (no TLS record) are dropped at once; a frame header of
#    0xFFFFFFFF inside TLS from H too (A's log: "a frame over 4 MiB"); the same 4 bytes on the bare
#    port, and nothing more, are less than a TLS record header: dropped after 20 s;
#  - a well-formed frame that does not decode, before and after Hello: Close "does not decode";
#  - S completes TLS and never sends Hello: dropped with Close "no Hello within 20 seconds" after
#    20 s (meanwhile the other attacks and the good peer go on: S holds nothing up).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"
. "$(dirname "$0")/hostile_lib.sh"

[ -x "${HOSTILE_PEER:-}" ] || die "HOSTILE_PEER must name the hostile_peer program"

sync_site_init a 昆山 320583
sync_site_init b 南京 320100
sync_site_init h 恶意 320999 # its daemon is never started
sync_site_init s 静默 320998 # its daemon is never started
sync_site_init u 陌生 320997 # its daemon is never started, and A does not pin it
sync_site_start a
sync_site_start b
sync_pin_both a b
sync_pin a h
sync_pin a s
A_PID=${SITE_PID[a]}
A_PEER=127.0.0.1:${SITE_PORT[a]}
assert_wait 15 "A shows B live" peer_is a b live || show_status a
assert_exit 0 ld a branch add 001 --name 第一支部

# attack WHAT SITEKEY ARGS...: run hostile_peer against A (its output in ATTACK_OUT, its end line
# in ATTACK_END); SITEKEY is the site it speaks for ("-": none).
attack() {
	local what=$1 key=$2
	shift 2
	log "attack: $what"
	if [ "$key" = - ]; then
		run "$HOSTILE_PEER" --connect "$A_PEER" "$@"
	else
		run "$HOSTILE_PEER" --site "${SITE_DIR[$key]}" --connect "$A_PEER" "$@"
	fi
	ATTACK_OUT=$OUT
	ATTACK_END=$(printf '%s\n' "$OUT" | grep '^end ' | tail -n 1)
	[ "$RC" = 0 ] && [ -n "$ATTACK_END" ] && pass || fail_run "hostile_peer ($what) did not get to its end"
}

# ended_within KIND MS: the last attack ended with KIND (close, eof, tls-error) within MS ms.
ended_within() {
	local kind ms
	read -r _ kind ms _ <<<"$ATTACK_END"
	if [ "$kind" = "$1" ] && [ "$ms" -le "$2" ]; then
		pass
	else
		fail "expected the connection ended by A ($1) within $2 ms; got '$ATTACK_END'"
	fi
}

good_peer_served "the start"

log "S completes TLS and never says Hello (in the background, while the rest goes on)"
bg "$HOSTILE_PEER" --site "${SITE_DIR[s]}" --connect "$A_PEER" --attack silent --timeout 40 \
	>"$T/silent.out" 2>&1
SILENT_PID=$BG_PID
# The same without TLS: a frame header of 0xFFFFFFFF on the bare TCP port, and nothing more. It
# is not even a whole TLS record header (5 bytes): A cannot tell it from a slow peer, and must drop
# it at the same 20 s.
raw_huge_header() {
	local fd start rc
	exec {fd}<>"/dev/tcp/127.0.0.1/${SITE_PORT[a]}"
	start=$(date +%s%N)
	printf '\xff\xff\xff\xff' >&"$fd"
	timeout 40 cat <&"$fd" >/dev/null
	rc=$?
	echo "rc=$rc ms=$((($(date +%s%N) - start) / 1000000))"
}
bg raw_huge_header >"$T/raw.out" 2>&1
RAW_PID=$BG_PID

attack "no client certificate" - --attack no-cert --timeout 10
assert_not_contains "$ATTACK_OUT" "hello " "what a client without certificate got"
ended_within tls-error 5000
good_peer_served "a client without certificate"

attack "TLS 1.2" h --attack tls12 --timeout 10
assert_contains "$ATTACK_OUT" "handshake failed" "what a TLS 1.2 client got"
assert_not_contains "$ATTACK_OUT" "hello " "what a TLS 1.2 client got"
ended_within tls-error 5000
good_peer_served "a TLS 1.2 client"

attack "a key A has not pinned" u --attack silent --timeout 10
assert_not_contains "$ATTACK_OUT" "hello " "what the unpinned site got"
assert_contains "$ATTACK_END" "is not pinned at 昆山" "how A ended the unpinned site's connection"
ended_within close 5000
assert_contains "$(cat "$T/a.log")" "refused a connection from 127.0.0.1:" "A's log"
good_peer_served "an unpinned key"

log "attack: 5 bytes 0xFF on the bare TCP port (not a TLS record)"
exec {RAW}<>"/dev/tcp/127.0.0.1/${SITE_PORT[a]}"
printf '\xff\xff\xff\xff\xff' >&"$RAW"
timeout 5 cat <&"$RAW" >/dev/null
RAW_RC=$?
exec {RAW}>&-
assert_eq "$RAW_RC" 0 "cat's exit on the bare connection (0: A closed it; 124: still open after 5 s)"
good_peer_served "bytes that are not TLS"

attack "a frame header of 0xFFFFFFFF inside TLS, then nothing" h --attack huge-frame --timeout 10
assert_contains "$ATTACK_OUT" "sent a frame header" "what hostile_peer did"
ended_within eof 5000
assert_contains "$(cat "$T/a.log")" "恶意 disconnected: the peer sent a frame over 4 MiB" "A's log"
good_peer_served "a 4 GiB frame header inside TLS"

attack "a frame that does not decode, before Hello" h --attack garbage-before-hello --timeout 10
assert_contains "$ATTACK_OUT" "sent a frame that does not decode" "what hostile_peer did"
assert_contains "$ATTACK_END" "does not decode" "how A ended it"
ended_within close 5000
good_peer_served "garbage before Hello"

attack "a frame that does not decode, after Hello" h --attack garbage-after-hello --timeout 10
assert_contains "$ATTACK_OUT" "hello ${SITE_ID[a]} 昆山" "A's Hello to H"
assert_contains "$ATTACK_OUT" "sent Hello, then a frame that does not decode" "what hostile_peer did"
assert_contains "$ATTACK_END" "does not decode" "how A ended it"
ended_within close 5000
good_peer_served "garbage after Hello"
HOSTILE_APPLIED=$(peer_field a h applied_seq)
assert_eq "$HOSTILE_APPLIED" 0 "H's events A applied"

log "S, silent since the start, is dropped after 20 s"
bg_wait "$SILENT_PID"
SILENT_OUT=$(cat "$T/silent.out")
assert_contains "$SILENT_OUT" "hello ${SITE_ID[a]} 昆山" "A's Hello to S"
ATTACK_END=$(printf '%s\n' "$SILENT_OUT" | grep '^end ' | tail -n 1)
assert_contains "$ATTACK_END" "no Hello within 20 seconds" "how A ended S's connection"
read -r _ _ SILENT_MS _ <<<"$ATTACK_END"
if [[ $SILENT_MS =~ ^[0-9]+$ ]] && [ "$SILENT_MS" -ge 20000 ] && [ "$SILENT_MS" -le 23000 ]; then
	pass
	log "S was dropped after $SILENT_MS ms"
else
	fail "S must be dropped 20 to 23 s after it connected; got '$ATTACK_END'"
fi
assert_contains "$(cat "$T/a.log")" "静默 disconnected: no Hello within 20 seconds" "A's log"
bg_wait "$RAW_PID"
RAW_OUT=$(cat "$T/raw.out")
read -r RAW_RC RAW_MS <<<"$RAW_OUT"
RAW_MS=${RAW_MS#ms=}
if [ "$RAW_RC" = rc=0 ] && [ "$RAW_MS" -ge 19500 ] && [ "$RAW_MS" -le 23000 ]; then
	pass
	log "the bare 0xFFFFFFFF header was dropped after $RAW_MS ms"
else
	fail "the bare connection with a 0xFFFFFFFF header must be dropped 20 to 23 s after it was made; got '$RAW_OUT'"
fi
good_peer_served "a peer that never sent Hello"

log "verify"
assert_exit 0 ld a --json verify && assert_eq "$(jget "$OUT" 'd["ok"]')" true "verify at A"

finish
