#!/usr/bin/env bash
# sync_hostile.sh: what a peer sends is hostile. A (昆山) has pinned H (恶意) with H's real id; H's
# daemon never runs: hostile_peer speaks for H with H's real key. It registers members out to A
# (good), then sends batches mixing good events (thought reports about a member H may write
# about) with bad ones: undecodable bytes, a member A does not know, a check-in written by the
# outflow site, another site's event relayed, an outflow registration naming another inflow
# site, a transfer letter without issuer, and each event kind without its payload. A must:
#  - stay up (its process alive, `liudong site` answering), acknowledge every batch with its
#    last seq;
#  - quarantine each bad event with a reason (`conflicts --json` names it by H:seq), apply none
#    of them (A's log has no bad seq) and apply every good one, also those after a bad one;
#  - not know the member registered to another site; refuse (3 or 5: quarantined on arrival, or
#    not valid; never a crash) `transfer receive` of the letter without issuer;
#  - pass `verify`;
#  - refuse a peer that speaks only versions it does not (3..4) with Close PROTOCOL_MISMATCH,
#    showing it refused with both ranges in last_error, applying nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"

[ -x "${HOSTILE_PEER:-}" ] || die "HOSTILE_PEER must name the hostile_peer program"

sync_site_init a 昆山 320583
sync_site_init h 恶意 320999 # its daemon is never started
sync_site_start a
sync_pin a h
A_PID=${SITE_PID[a]}

G=$(make_idno 320999 19800101 011)  # the good member: every good event is about him
P=$(make_idno 320999 19810202 021)  # the junk member: events without payload
L=$(make_idno 320999 19820303 031)  # the member of the letter without issuer
X=$(make_idno 320999 19830404 041)  # registered out to another site, not to A
Y=$(make_idno 320999 19840505 051)  # never registered anywhere A knows
LETTER=320999-2026-T000001

log "the hostile peer talks to A"
run "$HOSTILE_PEER" --site "${SITE_DIR[h]}" --connect "127.0.0.1:${SITE_PORT[a]}" --good "$G" \
	--junk "$P" --letter-member "$L" --unrouted "$X" --unknown "$Y" --letter "$LETTER" --timeout 10
HOSTILE_OUT=$OUT
printf '%s\n' "$OUT" >"$T/hostile.out"
[ "$RC" = 0 ] && pass || fail_run "hostile_peer: expected exit 0 (every batch acknowledged)"
assert_contains "$OUT" "hello ${SITE_ID[a]} 昆山" "hostile_peer's output (A's Hello)"

# Every batch acknowledged with its last seq, in order.
run python3 - "$T/hostile.out" <<'EOF'
import sys
lines = open(sys.argv[1]).read().splitlines()
sent = [l.split()[3] for l in lines if l.startswith("sent batch ")]
acks = [l.split()[1] for l in lines if l.startswith("ack ")]
if not sent:
    sys.exit("no batch was sent")
if acks != sent:
    sys.exit("batches sent up to seqs %s, acknowledged %s" % (sent, acks))
EOF
[ "$RC" = 0 ] && pass || fail_run "every batch acknowledged with its last seq"
NBATCHES=$(grep -c '^sent batch ' "$T/hostile.out")
assert_eq "$NBATCHES" 5 "batches sent (the scenario got to its end)"

log "A is still up"
kill -0 "$A_PID" 2>/dev/null && pass || fail "A's daemon died"
assert_exit 0 ld a --json site

log "each bad event quarantined with a reason, each good one applied"
assert_exit 0 ld a --json conflicts && CONFLICTS=$OUT
assert_exit 0 ld a --json log && LOG=$OUT
GOOD_SEQS=$(awk '$1 == "event" && $3 == "good" {print $2}' "$T/hostile.out" | tr '\n' ' ')
BAD_LINES=$(awk '$1 == "event" && $3 == "bad"' "$T/hostile.out")
# check_outcomes: prints one line per event whose outcome at A is wrong.
run python3 - "$CONFLICTS" "$LOG" "${SITE_NAME[h]}" "$GOOD_SEQS" "$BAD_LINES" <<'EOF'
import json, sys
conflicts = json.loads(sys.argv[1])["conflicts"]
log = json.loads(sys.argv[2])["entries"]
h = sys.argv[3]
good = [int(s) for s in sys.argv[4].split()]
bad = [l.split(None, 5) for l in sys.argv[5].splitlines() if l.strip()]
in_log = {e["origin_seq"] for e in log if e["origin"] == h}
by_event = {}
for c in conflicts:
    for e in c.get("events", []):
        by_event.setdefault(e, []).append(c)
wrong = []
for s in good:
    if s not in in_log:
        wrong.append("good event %d is not in A's log" % s)
for _, seq, _, kind, member, what in bad:
    if seq == "-":
        hit = [c for c in conflicts if "decode" in c.get("reason", "")]
        if not hit:
            wrong.append("%s: no conflict says it does not decode" % what)
        continue
    seq = int(seq)
    if seq in in_log and what != "another site's event, relayed":
        wrong.append("bad event %d (%s %s) was applied" % (seq, kind, what))
    hit = by_event.get("%s:%d" % (h, seq), [])
    if what == "another site's event, relayed":
        # Its origin is not H: listed under its own origin, with the seq.
        hit = [c for c in conflicts if any(e.endswith(":%d" % seq) for e in c.get("events", []))]
    if not hit:
        wrong.append("bad event %d (%s, %s) is not quarantined" % (seq, kind, what))
    elif not all(c.get("reason") for c in hit):
        wrong.append("bad event %d (%s, %s) is quarantined without a reason" % (seq, kind, what))
if wrong:
    sys.exit("\n".join(wrong))
EOF
[ "$RC" = 0 ] && pass || fail_run "outcome of each event at A"
NBAD=$(printf '%s\n' "$BAD_LINES" | grep -c '^event')
assert_eq "$(jget "$CONFLICTS" 'len(d["conflicts"])')" "$NBAD" "conflicts at A (one per bad event)"
# The sender is told (protocol 2, Ack.quarantined): as many as A quarantined, each with a reason.
ACKED_BAD=$(awk '$1 == "ack" { sub("quarantined=", "", $3); n += $3 } END { print n + 0 }' "$T/hostile.out")
assert_eq "$ACKED_BAD" "$NBAD" "quarantined events told in A's Acks"
assert_eq "$(jget "$CONFLICTS" 'sorted(set(c["status"] for c in d["conflicts"]))')" '["open"]' "status of the conflicts"

log "the good member's record at A"
NREPORTS=$(grep -c '^event [0-9]* good report.received' "$T/hostile.out")
assert_exit 0 ld a --json history "$G" &&
	assert_eq "$(jget "$OUT" '[e["kind"] for e in d["events"]].count("report.received")')" "$NREPORTS" \
		"thought reports in G's history at A (all of them, also those after a bad event)"
assert_exit 0 ld a --json member show "$G" && {
	assert_eq "$(jget "$OUT" 'd["name"]')" 好成员 "G's name at A (the relayed update was not applied)"
	assert_eq "$(jget "$OUT" 'd["state"]')" away "G's state at A (the outflow site's check-in was not applied)"
}
assert_exit 4 ld a member show "$X"
assert_exit 4 ld a member show "$Y"

log "the letter without issuer"
assert_exit_oneof "3 5" ld a transfer receive "$LETTER"
kill -0 "$A_PID" 2>/dev/null && pass || fail "A's daemon died at transfer receive of a letter without issuer"
assert_exit 0 ld a --json site

log "verify"
if kill -0 "$A_PID" 2>/dev/null; then
	assert_exit 0 ld a --json verify && assert_eq "$(jget "$OUT" 'd["ok"]')" true "verify at A"
else
	SITE_PID[a]=
	fail "A is gone: no verify"
fi

log "a peer that speaks only protocol versions 3..4 is refused, and says why"
HEAD_BEFORE=$(head_seq a)
run "$HOSTILE_PEER" --site "${SITE_DIR[h]}" --connect "127.0.0.1:${SITE_PORT[a]}" --good "$G" \
	--junk "$P" --letter-member "$L" --unrouted "$X" --unknown "$Y" --letter "$LETTER" \
	--timeout 10 --protocol 3-4
assert_contains "$OUT" "no protocol version in common" "the Close the 3..4 peer gets"
assert_eq "$(printf '%s\n' "$OUT" | grep -c '^ack ')" 0 "Acks the 3..4 peer got"
assert_wait 5 "A shows H refused" peer_is a h refused || show_status a
assert_contains "$(peer_field a h last_error)" "1..2" "A's last_error names the versions it speaks"
assert_eq "$(head_seq a)" "$HEAD_BEFORE" "A's log after the 3..4 peer (nothing applied)"
kill -0 "$A_PID" 2>/dev/null && pass || fail "A's daemon died at a version mismatch"

finish
