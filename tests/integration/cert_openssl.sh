#!/usr/bin/env bash
# cert_openssl.sh: activity certificates, acceptance 1. A certificate token verifies with nothing
# but openssl and the PEM `liudong pubkey` prints: the token from `cert token` is decoded by hand
# (base64url, then the two length-delimited fields of SignedCertificate), and
# `openssl pkeyutl -verify -pubin -rawin` accepts the signature over exactly the body bytes; with
# one byte of the body (or of the signature) changed it refuses. The peer's copy of the issuer's
# key (`liudong pubkey 昆山` at B) verifies it too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"
. "$(dirname "$0")/cert_lib.sh"

command -v openssl >/dev/null || die "openssl is not installed"

cert_two_sites
X=$(make_idno 320583 19800404 441)
cert_member_out a b "$X" 1980-04-04 M 周流动
cert_issue a "$X"
ISSUED_TOKEN=$CERT_TOKEN
log "issued $CERT_NUMBER"

# The token as `cert token` prints it: one line, the same as cert issue gave.
assert_exit 0 ld a cert token "$CERT_NUMBER"
TOKEN=$OUT
assert_eq "$(printf '%s\n' "$TOKEN" | grep -c '')" 1 "lines printed by cert token"
assert_eq "$TOKEN" "$ISSUED_TOKEN" "cert token vs the token cert issue printed"
if ! [[ $TOKEN =~ ^LD1:[A-Za-z0-9_-]+$ ]]; then
	fail "the token is not LD1: followed by base64url without padding: $TOKEN"
else
	pass
fi
assert_exit 0 ld a --json cert token "$CERT_NUMBER" &&
	assert_eq "$(jget "$OUT" 'd["token"]')" "$TOKEN" "cert token --json"

log "splitting the token into body.bin and sig.bin"
mkdir -p "$T/tok"
if SPLIT=$(token_split "$TOKEN" "$T/tok" 2>&1); then
	pass
	log "$SPLIT"
else
	die "the token does not decode as SignedCertificate{body = 1; signature = 2}: $SPLIT"
fi
assert_eq "$(stat -c %s "$T/tok/sig.bin")" 64 "signature length (Ed25519)"
# The body is the CertificateBody: it holds the number, the full identity number and the name.
for want in "$CERT_NUMBER" "$X" 周流动 南京市玄武区; do
	if grep -qaF "$want" "$T/tok/body.bin"; then pass; else fail "body.bin does not contain '$want'"; fi
done

# The site's public key, as PEM.
assert_exit 0 ld a pubkey
PUB_A=$OUT
printf '%s\n' "$PUB_A" >"$T/a.pem"
assert_contains "$PUB_A" "-----BEGIN PUBLIC KEY-----" "liudong pubkey"
run openssl pkey -pubin -in "$T/a.pem" -noout -text
if [ "$RC" = 0 ]; then
	assert_contains "$OUT" "ED25519" "openssl pkey -text of liudong pubkey"
else
	fail_run "openssl does not read the PEM liudong pubkey prints"
fi

# ossl_verify KEYFILE BODY SIG: openssl pkeyutl -verify -rawin; sets RC, OUT, ERR.
ossl_verify() {
	run openssl pkeyutl -verify -pubin -inkey "$1" -rawin -in "$2" -sigfile "$3"
}

log "openssl pkeyutl -verify with the PEM of liudong pubkey (process substitution)"
LAST_CMD="openssl pkeyutl -verify -pubin -inkey <(liudong pubkey) -rawin -in body.bin -sigfile sig.bin"
openssl pkeyutl -verify -pubin -inkey <(ld a pubkey) -rawin -in "$T/tok/body.bin" \
	-sigfile "$T/tok/sig.bin" >"$T/.out" 2>"$T/.err"
RC=$?
OUT=$(cat "$T/.out")
ERR=$(cat "$T/.err")
if [ "$RC" = 0 ] && [[ $OUT == *"Signature Verified Successfully"* ]]; then
	pass
else
	fail_run "openssl does not verify the certificate's signature with the site's public key"
fi

log "the same with B's copy of A's key (liudong pubkey 昆山 at B)"
# shellcheck disable=SC2317 # run through assert_wait
peer_key_known() { ld "$1" pubkey "$2" >/dev/null 2>&1; }
assert_wait 10 "B knows A's public key" peer_key_known b 昆山
assert_exit 0 ld b pubkey 昆山 && {
	assert_eq "$OUT" "$PUB_A" "A's key as B prints it vs as A prints it"
	printf '%s\n' "$OUT" >"$T/a-at-b.pem"
	ossl_verify "$T/a-at-b.pem" "$T/tok/body.bin" "$T/tok/sig.bin"
	if [ "$RC" = 0 ] && [[ $OUT == *"Signature Verified Successfully"* ]]; then
		pass
	else
		fail_run "openssl does not verify the certificate with B's copy of A's key"
	fi
}

# flip FILE OFFSET OUT: a copy of FILE with the byte at OFFSET xor 0x01.
flip() {
	python3 -c '
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[int(sys.argv[2])] ^= 0x01
open(sys.argv[3], "wb").write(b)' "$1" "$2" "$3"
}

log "one byte of the body changed: refused"
BLEN=$(stat -c %s "$T/tok/body.bin")
for off in 0 $((BLEN / 2)) $((BLEN - 1)); do
	flip "$T/tok/body.bin" "$off" "$T/tok/body.bad"
	ossl_verify "$T/a.pem" "$T/tok/body.bad" "$T/tok/sig.bin"
	if [ "$RC" != 0 ] && [[ $OUT != *"Signature Verified Successfully"* ]]; then
		pass
	else
		fail_run "openssl verified a body with byte $off changed"
	fi
	assert_contains "$OUT$ERR" "Signature Verification Failure" "openssl's answer for body byte $off changed"
done

log "one byte of the signature changed: refused"
flip "$T/tok/sig.bin" 10 "$T/tok/sig.bad"
ossl_verify "$T/a.pem" "$T/tok/body.bin" "$T/tok/sig.bad"
if [ "$RC" != 0 ] && [[ $OUT != *"Signature Verified Successfully"* ]]; then
	pass
else
	fail_run "openssl verified a changed signature"
fi

log "another site's key does not verify it"
assert_exit 0 ld b pubkey && printf '%s\n' "$OUT" >"$T/b.pem"
ossl_verify "$T/b.pem" "$T/tok/body.bin" "$T/tok/sig.bin"
if [ "$RC" != 0 ]; then pass; else fail_run "openssl verified A's certificate with B's key"; fi

finish
