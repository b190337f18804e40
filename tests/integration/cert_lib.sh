# cert_lib.sh: helpers of the activity-certificate integration tests (cert_*.sh), on top of
# lib.sh and sync_lib.sh. Source all three, in this order:
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/sync_lib.sh"
#   . "$(dirname "$0")/cert_lib.sh"

# ---------------------------------------------------------------------------------------------
# Sites

# cert_two_sites: sites A (昆山, 320583, the outflow site) and B (南京, 320100, the inflow site),
# started, pinned both ways and live; branch 001 at A, branch 101 at B.
cert_two_sites() {
	sync_site_init a 昆山 320583
	sync_site_init b 南京 320100
	sync_site_start a
	sync_site_start b
	sync_pin_both a b
	assert_wait 15 "A shows B live" peer_is a b live || show_status a
	assert_wait 15 "B shows A live" peer_is b a live || show_status b
	assert_exit 0 ld a branch add 001 --name 第一支部 || die "branch add at A failed"
	assert_exit 0 ld b branch add 101 --name 流入第一支部 || die "branch add at B failed"
}

# cert_member_out KEY PEERKEY IDNO BIRTH SEX NAME: member add at KEY (branch 001) and outflow
# register him to PEERKEY; dies if either fails.
cert_member_out() {
	local key=$1 peer=$2 id=$3 birth=$4 sex=$5 name=$6
	assert_exit 0 add_member "$key" "$id" "$birth" "$sex" "$name" || die "member add $id at $key failed"
	assert_exit 0 register_out "$key" "$id" "$peer" "${SITE_NAME[$peer]}市玄武区" ||
		die "outflow register $id at $key failed"
}

# cert_issue KEY IDNO: cert issue at KEY; sets CERT_NUMBER and CERT_TOKEN (dies if it fails).
cert_issue() {
	assert_exit 0 ld "$1" --json cert issue "$2" || die "cert issue $2 at $1 failed"
	# shellcheck disable=SC2034 # for the tests
	CERT_NUMBER=$(jget "$OUT" 'd["number"]')
	CERT_TOKEN=$(jget "$OUT" 'd["token"]')
	case $CERT_TOKEN in
	LD1:*) pass ;;
	*) die "cert issue printed no LD1: token: $OUT" ;;
	esac
}

# member_arrived KEY IDNO: KEY knows the member (his outflow registration has arrived).
member_arrived() {
	ld "$1" member show "$2" >/dev/null 2>&1
}

# member_state_is KEY IDNO STATE: member show at KEY says STATE.
member_state_is() {
	local out
	# grep, not jget: a poll should cost little more than the command itself.
	out=$(ld "$1" --json member show "$2" 2>/dev/null) &&
		printf '%s' "$out" | grep -qE "\"state\": *\"$3\""
}

# cert_status_is KEY NUMBER STATUS: cert show at KEY says STATUS.
cert_status_is() {
	local out
	out=$(ld "$1" --json cert show "$2" 2>/dev/null) &&
		printf '%s' "$out" | grep -qE "\"status\": *\"$3\""
}

# cert_known KEY NUMBER: KEY has the certificate (cert show succeeds).
cert_known() {
	ld "$1" cert show "$2" >/dev/null 2>&1
}

# cert_checkin IDNO: certificate issued at A (CERT_NUMBER, CERT_TOKEN), known at B within 10 s,
# and the member checks in with it at B (branch 101); dies if any step fails.
cert_checkin() {
	cert_issue a "$1"
	wait_for 10 cert_known b "$CERT_NUMBER" || {
		show_status a
		die "B does not know certificate $CERT_NUMBER 10 s after A issued it"
	}
	assert_exit 0 ld b checkin "$CERT_TOKEN" --branch 101 --contact 张联系人 ||
		die "check-in of $1 at B failed"
}

# ---------------------------------------------------------------------------------------------
# Tokens

# token_split TOKEN DIR: decode the LD1: token and write the SignedCertificate's body (field 1)
# to DIR/body.bin and its signature (field 2) to DIR/sig.bin, parsing the protobuf by hand.
# Prints a one-line summary; exits nonzero with the reason if the token is not as specified.
token_split() {
	python3 - "$1" "$2" <<'PYEOF'
import base64, sys
token, out = sys.argv[1], sys.argv[2]
if not token.startswith("LD1:"):
    sys.exit("the token does not begin with LD1:")
text = token[4:]
if "=" in text:
    sys.exit("the token has base64 padding")
raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

def varint(b, i):
    v = shift = 0
    while True:
        if i >= len(b):
            raise ValueError("varint runs past the end")
        c = b[i]; i += 1
        v |= (c & 0x7f) << shift
        shift += 7
        if not c & 0x80:
            return v, i

fields = {}
i = 0
while i < len(raw):
    tag = raw[i]; i += 1
    if tag not in (0x0a, 0x12):
        sys.exit("unexpected tag byte 0x%02x at offset %d" % (tag, i - 1))
    n, i = varint(raw, i)
    if i + n > len(raw):
        sys.exit("field 0x%02x runs past the end" % tag)
    if tag in fields:
        sys.exit("field 0x%02x twice" % tag)
    fields[tag] = raw[i:i + n]
    i += n
if 0x0a not in fields or 0x12 not in fields:
    sys.exit("missing body or signature: tags %s" % sorted(fields))
open(out + "/body.bin", "wb").write(fields[0x0a])
open(out + "/sig.bin", "wb").write(fields[0x12])
print("SignedCertificate: %d bytes, body %d bytes, signature %d bytes"
      % (len(raw), len(fields[0x0a]), len(fields[0x12])))
PYEOF
}

# token_alter TOKEN POS: TOKEN with the character at index POS replaced by another base64url
# character (one that changes the decoded bits even in the last, partial character).
token_alter() {
	python3 - "$1" "$2" <<'PYEOF'
import sys
t, pos = sys.argv[1], int(sys.argv[2])
alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
c = t[pos]
if c in alpha:
    # Flip the highest of the 6 bits: it is always a data bit, also in the last character.
    n = alpha[alpha.index(c) ^ 0x20]
else:
    n = "X" if c != "X" else "Y"
print(t[:pos] + n + t[pos + 1:])
PYEOF
}

# token_pos TOKEN WHAT [all]: the index of a token character that encodes only bytes of WHAT: a
# field number of CertificateBody (1 number, 2 member, 3 name, ..., 11 place: the bytes of its
# value), or "sig" (the signature). The character is taken near the middle of those bytes; with
# "all", every such index is printed, one a line.
token_pos() {
	python3 - "$1" "$2" "${3:-}" <<'PYEOF'
import base64, sys
token, what, every = sys.argv[1], sys.argv[2], sys.argv[3] == "all"
t = token[4:]
raw = base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))

def varint(b, i):
    v = shift = 0
    while True:
        c = b[i]; i += 1
        v |= (c & 0x7f) << shift
        shift += 7
        if not c & 0x80:
            return v, i

def fields(b, base):
    """(field number, wire type, start, end) of each field of B, offsets + BASE."""
    out, i = [], 0
    while i < len(b):
        key, i = varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            s = i
            _, i = varint(b, i)
        elif wt == 2:
            n, i = varint(b, i)
            s = i
            i += n
        else:
            sys.exit("unexpected wire type %d" % wt)
        out.append((num, wt, base + s, base + i))
    return out

top = fields(raw, 0)
body = [f for f in top if f[0] == 1][0]
if what == "sig":
    rng = [f for f in top if f[0] == 2][0][2:]
else:
    sub = fields(raw[body[2]:body[3]], body[2])
    m = [f for f in sub if f[0] == int(what)]
    if not m:
        sys.exit("the body has no field %s" % what)
    rng = m[0][2:]
lo, hi = rng[0] * 8, rng[1] * 8           # bits of WHAT
ks = [k for k in range(len(t)) if 6 * k >= lo and 6 * k + 6 <= hi]
if not ks:
    sys.exit("no character lies wholly inside field %s" % what)
if every:
    print("\n".join(str(k + 4) for k in ks))
else:
    print(ks[len(ks) // 2] + 4)
PYEOF
}

# poll LIMIT CMD...: wait_for (sync_lib.sh) under the name these tests use: run CMD until it
# succeeds (0) or LIMIT seconds have passed (1). POLLED is set to the seconds it took.
poll() {
	local rc=0
	wait_for "$@" || rc=$?
	# shellcheck disable=SC2034 # for the tests
	POLLED=$WAITED
	return "$rc"
}

# assert_verify_refused SITE TOKEN NEEDLE: `cert verify TOKEN` at SITE exits 5 with one error line
# on stderr that contains NEEDLE; with --json, stdout (if any) is one JSON object whose valid is
# false and whose reason contains NEEDLE.
assert_verify_refused() {
	local site=$1 token=$2 needle=$3
	run ld "$site" --json cert verify "$token"
	if [ "$RC" != 5 ]; then
		fail_run "cert verify at $site of a token that is not valid ($needle): expected exit 5, got $RC"
		return 1
	fi
	if [ -z "$ERR" ] || [ "$(printf '%s\n' "$ERR" | grep -c '')" != 1 ] || [[ $ERR != "liudong: "* ]]; then
		fail_run "cert verify at $site: the refusal must be one line on stderr starting 'liudong: '"
		return 1
	fi
	assert_contains "$ERR" "$needle" "the error line of cert verify at $site" || return 1
	if [ -n "$OUT" ]; then
		assert_json || return 1
		assert_eq "$(jget "$OUT" 'd.get("valid")')" false "valid in cert verify --json at $site"
		assert_contains "$(jget "$OUT" 'd.get("reason")')" "$needle" "reason in cert verify --json at $site"
	fi
	pass
}

# assert_refused_with CODE NEEDLE CMD...: assert_exit CODE CMD, and the error line contains NEEDLE.
assert_refused_with() {
	local code=$1 needle=$2
	shift 2
	assert_exit "$code" "$@" || return 1
	assert_contains "$ERR" "$needle" "the error line of '$LAST_CMD'"
}

# token_alter_all TOKEN: every single-character change of token_alter, one a line: "POS TOKEN".
token_alter_all() {
	python3 - "$1" <<'PYEOF'
import sys
t = sys.argv[1]
alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
for pos, c in enumerate(t):
    n = alpha[alpha.index(c) ^ 0x20] if c in alpha else ("X" if c != "X" else "Y")
    print(pos, t[:pos] + n + t[pos + 1:])
PYEOF
}
