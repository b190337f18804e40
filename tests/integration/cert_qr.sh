#!/usr/bin/env bash
# cert_qr.sh: activity certificates, acceptance 2. `cert qr NUMBER --png FILE` writes a PNG from
# which zbarimg reads back exactly the token `cert token` prints; `cert qr NUMBER` prints the code
# in the terminal as lines of UTF-8 block characters (same width, nothing else), which, drawn as
# an image, zbarimg reads back as the token too. Errors: an unknown number exits 4, a PNG path
# that cannot be written fails with one error line and leaves no file.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"
. "$(dirname "$0")/cert_lib.sh"

command -v zbarimg >/dev/null || die "zbarimg is not installed (apt-get install zbar-tools)"

# zbar_read FILE: the text zbarimg decodes from FILE (its stderr, dbus noise included, dropped).
zbar_read() {
	zbarimg -q --raw "$1" 2>/dev/null
}

cert_two_sites
X=$(make_idno 320583 19800404 441)
cert_member_out a b "$X" 1980-04-04 M 周流动
cert_issue a "$X"
assert_exit 0 ld a cert token "$CERT_NUMBER"
TOKEN=$OUT
assert_eq "$TOKEN" "$CERT_TOKEN" "cert token vs the token cert issue printed"
log "issued $CERT_NUMBER, token of ${#TOKEN} characters"

log "cert qr --png"
PNG=$T/cert.png
assert_exit 0 ld a cert qr "$CERT_NUMBER" --png "$PNG"
if [ -s "$PNG" ]; then pass; else fail "cert qr --png wrote no file (or an empty one) at $PNG"; fi
# The token inside holds the full identity number: the owner alone reads the PNG (issue 11), even
# one written over a file that was readable by all.
assert_eq "$(stat -c %a "$PNG")" 600 "mode of the PNG"
: >"$T/old.png"
chmod 644 "$T/old.png"
assert_exit 0 ld a cert qr "$CERT_NUMBER" --png "$T/old.png"
assert_eq "$(stat -c %a "$T/old.png")" 600 "mode of a PNG written over a file of mode 644"
if [ "$(head -c 8 "$PNG" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then
	pass
else
	fail "$PNG does not begin with the PNG signature"
fi
GOT=$(zbar_read "$PNG")
ZRC=$?
assert_eq "$ZRC" 0 "zbarimg's exit status on the PNG"
assert_eq "$GOT" "$TOKEN" "the text zbarimg reads from the PNG"
# The token the PNG holds is a valid certificate at the inflow site.
assert_wait 5 "B has the member's outflow registration" member_arrived b "$X"
if [ -n "$GOT" ]; then
	assert_exit 0 ld b --json cert verify "$GOT" &&
		assert_eq "$(jget "$OUT" 'd["number"]')" "$CERT_NUMBER" "cert verify at B of the token read from the PNG"
fi

log "cert qr in the terminal"
assert_exit 0 ld a cert qr "$CERT_NUMBER"
QR=$OUT
printf '%s\n' "$QR" >"$T/qr.txt"
NLINES=$(printf '%s\n' "$QR" | grep -c '')
# A version-10-or-so code is dozens of modules wide: two module rows per line.
if [ "$NLINES" -ge 15 ]; then pass; else fail "cert qr printed $NLINES lines; a QR code needs more"; fi
CHECK=$(python3 - "$T/qr.txt" <<'PYEOF'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
if lines and lines[-1] == "":
    lines.pop()
allowed = set(" \u2580\u2584\u2588")
bad = []
for n, l in enumerate(lines, 1):
    if not l:
        bad.append("line %d is empty" % n)
    elif set(l) - allowed:
        bad.append("line %d has characters other than blocks and spaces: %s"
                   % (n, sorted(set(l) - allowed)))
widths = {len(l) for l in lines}
if len(widths) != 1:
    bad.append("lines of different widths: %s" % sorted(widths))
blocks = sum(1 for l in lines if set(l) & set("\u2580\u2584\u2588"))
if blocks < len(lines) // 2:
    bad.append("only %d of %d lines hold block characters" % (blocks, len(lines)))
print("; ".join(bad[:5]) if bad else "ok")
PYEOF
)
assert_eq "$CHECK" ok "the terminal QR code (non-empty lines of block characters)"

# Draw the terminal code as a PBM image (each character: the upper and the lower module) and let
# zbarimg read it: the terminal code is the token too.
python3 - "$T/qr.txt" "$T/qr.pbm" <<'PYEOF'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
if lines and lines[-1] == "":
    lines.pop()
top = {" ": 0, "\u2584": 0, "\u2580": 1, "\u2588": 1}
bottom = {" ": 0, "\u2584": 1, "\u2580": 0, "\u2588": 1}
rows = []
for l in lines:
    rows.append([top.get(c, 0) for c in l])
    rows.append([bottom.get(c, 0) for c in l])
scale, margin = 4, 4
width = max(len(r) for r in rows) + 2 * margin
rows = [[0] * width] * margin + [[0] * margin + r + [0] * (width - margin - len(r)) for r in rows] \
    + [[0] * width] * margin
with open(sys.argv[2], "w") as f:
    f.write("P1\n%d %d\n" % (width * scale, len(rows) * scale))
    for r in rows:
        line = " ".join(str(v) for v in r for _ in range(scale))
        for _ in range(scale):
            f.write(line + "\n")
PYEOF
assert_eq "$(zbar_read "$T/qr.pbm")" "$TOKEN" "the text zbarimg reads from the terminal QR code"

log "errors"
assert_exit 4 ld a cert qr 320583-2026-999999
assert_exit 4 ld a cert qr 320583-2026-999999 --png "$T/none.png"
if [ -e "$T/none.png" ]; then fail "cert qr of an unknown certificate created $T/none.png"; else pass; fi
assert_exit_oneof "1 3 5" ld a cert qr "$CERT_NUMBER" --png "$T/no-such-dir/cert.png"
assert_contains "$ERR" "$T/no-such-dir/cert.png" "the error line for a PNG path that cannot be written"
if [ -e "$T/no-such-dir" ]; then fail "cert qr created $T/no-such-dir"; else pass; fi

finish
