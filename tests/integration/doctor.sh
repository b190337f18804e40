#!/usr/bin/env bash
# doctor.sh: issue 13, acceptance 4. `liudong doctor` at two real sites, A (昆山) and B (苏州), on
# 127.0.0.1: a clean pair reports every finding ok and exits 0; then each problem is made on
# purpose and doctor names it, exits 5, and says what to do:
#   clock 10 minutes off   B restarted with LIUDONGD_TEST_CLOCK_OFFSET=600 (test-only clock knob)
#   peer down              B killed (kill -9)
#   unpinned peer          B forgets A (peer remove), so B refuses A's connection
#   key unreadable         A's site.key made unreadable: chmod 000, and since root reads it anyway,
#                          when the test runs as root the file is replaced by text that is no key
#   socket group missing   A restarted with [site] socket_group naming a group that does not exist
# and with A stopped, doctor exits 6 like every command. A hostile peer H (hostile_peer with a real
# site's key) closes with a reason that has line breaks and bytes that are not UTF-8: doctor still
# prints one line per finding and one JSON object; its Hello without a wall clock gives "unknown".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"

# finding JSON CHECK [PEER]: the first finding of CHECK (for PEER) as "status|message|advice".
finding() {
	local json=$1
	shift
	printf '%s' "$json" | python3 -c '
import json, sys
d = json.load(sys.stdin)
peer = sys.argv[2] if len(sys.argv) > 2 else None
for f in d["findings"]:
    if f["check"] == sys.argv[1] and (peer is None or f.get("peer") == peer):
        print("%s|%s|%s" % (f["status"], f["message"], f["advice"] or ""))
        break
else:
    print("missing|no finding %s|" % sys.argv[1])' "$@"
}

# doctor_json KEY: run `liudong --json doctor` at KEY; exit code in RC, the object in OUT.
doctor_json() {
	run ld "$1" --json doctor
	assert_json
}

# assert_doctor_fails KEY CHECK NEEDLE [PEER]: doctor at KEY exits 5 with finding CHECK failed,
# its message containing NEEDLE, and advice given; the human form names it too. The JSON answer is
# left in DJ.
assert_doctor_fails() {
	local key=$1 check=$2 needle=$3 peer=${4:-} f
	doctor_json "$key"
	assert_eq "$RC" 5 "doctor --json exit at $key ($check)"
	DJ=$OUT
	f=$(finding "$DJ" "$check" ${peer:+"$peer"})
	assert_eq "${f%%|*}" fail "status of $check at $key"
	assert_contains "$f" "$needle" "$check finding at $key"
	local advice=${f##*|}
	[ -n "$advice" ] && pass || fail "$check at $key: no advice"
	run ld "$key" doctor
	assert_eq "$RC" 5 "doctor exit at $key ($check)"
	assert_contains "$(grep '^FAIL' <<<"$OUT")" "$needle" "FAIL lines of doctor at $key"
	assert_contains "$(grep '^FAIL' <<<"$OUT")" "to do:" "FAIL lines of doctor at $key"
	assert_contains "$ERR" "liudong: checks failed" "doctor's stderr at $key"
}

# assert_clean KEY: every finding at KEY is ok (the disk may warn on a nearly full test machine).
assert_clean() {
	local key=$1 bad
	doctor_json "$key"
	assert_eq "$RC" 0 "doctor exit at $key (clean)"
	bad=$(jget "$OUT" '[f["check"] + ": " + f["message"] for f in d["findings"] if f["status"] != "ok" and not (f["check"] == "disk" and f["status"] == "warn")]')
	assert_eq "$bad" "[]" "findings not ok at $key"
	assert_eq "$(jget "$OUT" 'd["ok"]')" true "ok at $key"
	for c in key certificate data_dir socket socket_group disk map peer_reachable peer_pinned \
		peer_in_step peer_clock quarantine; do
		[[ $(finding "$OUT" "$c") != missing* ]] && pass || fail "no finding $c at $key"
	done
	run ld "$key" doctor
	assert_eq "$RC" 0 "doctor exit at $key (clean, for people)"
	assert_eq "$(grep -c '' <<<"$OUT")" "$(jget "$(ld "$key" --json doctor)" 'len(d["findings"])')" \
		"lines of doctor at $key (one per finding)"
}

sync_site_init a 昆山 320583
sync_site_init b 苏州 320500
sync_site_start a
sync_site_start b
sync_pin_both a b
NA=${SITE_NAME[a]}
NB=${SITE_NAME[b]}

log "a clean pair: all ok"
assert_wait 20 "A sees B live" peer_caught_up a b || show_status a
assert_wait 20 "B sees A live" peer_caught_up b a || show_status b
assert_clean a
assert_clean b

log "B's clock 10 minutes ahead"
site_stop b
export LIUDONGD_TEST_CLOCK_OFFSET=600
sync_site_restart b
unset LIUDONGD_TEST_CLOCK_OFFSET
assert_wait 30 "A sees B live again" peer_is a b live || show_status a
assert_doctor_fails a peer_clock "10 min" "$NB"
assert_contains "$(finding "$DJ" peer_clock "$NB")" "ahead of" "A's clock finding"
assert_contains "$(finding "$DJ" peer_clock "$NB")" "NTP" "A's clock finding (advice)"
assert_wait 30 "B sees A live again" peer_is b a live || show_status b
assert_doctor_fails b peer_clock "behind" "$NA"
# Nothing else is wrong at A.
doctor_json a
assert_eq "$(jget "$OUT" 'd["failed"]')" 1 "failed findings at A (the clock only)"

log "B down"
site_kill b
assert_wait 15 "A sees B down" peer_is a b down || show_status a
assert_doctor_fails a peer_reachable "down or unreachable" "$NB"
assert_contains "$(finding "$DJ" peer_reachable "$NB")" "127.0.0.1:${SITE_PORT[b]}" "A's finding names B's address"

log "B back, its clock right"
sync_site_restart b
assert_wait 40 "A sees B live again" peer_caught_up a b || show_status a
assert_wait 40 "B sees A live again" peer_caught_up b a || show_status b
assert_clean a

log "B does not pin A"
assert_exit 0 ld b peer remove "$NA"
assert_wait 30 "A sees B refuse it" peer_is a b refused || show_status a
assert_doctor_fails a peer_pinned "not pinned" "$NB"
f=$(finding "$DJ" peer_pinned "$NB")
assert_contains "$f" "liudong peer add $NA --id ${SITE_ID[a]} --address 127.0.0.1:${SITE_PORT[a]}" \
	"A's advice (the command to run at B)"
# It is not called down: B answers.
assert_eq "$(finding "$DJ" peer_reachable "$NB" | cut -d'|' -f1)" ok "A's reachable finding for B"

log "a hostile peer: its close reason garbled, its Hello without a clock"
HOSTILE_PEER=${HOSTILE_PEER:-$HERE/../../build/tests/integration/hostile_peer}
[ -x "$HOSTILE_PEER" ] || die "$HOSTILE_PEER is not built"
sync_site_init h 恶意 320501 # its daemon never runs: hostile_peer speaks with its key
NH=${SITE_NAME[h]}
sync_pin a h
run "$HOSTILE_PEER" --site "${SITE_DIR[h]}" --connect "127.0.0.1:${SITE_PORT[a]}" \
	--attack close-garbage --timeout 10
assert_contains "$OUT" "sent Close NOT_PINNED" "hostile_peer's output"
assert_wait 10 "A sees H refuse it" peer_is a h refused || show_status a
doctor_json a
DJ=$OUT
assert_eq "$RC" 5 "doctor exit at A (H garbled)"
f=$(finding "$DJ" peer_pinned "$NH")
assert_eq "${f%%|*}" fail "A's pinned finding for H"
assert_contains "$f" "line one line two" "A's pinned finding for H (line breaks made spaces)"
run ld a doctor
assert_eq "$(grep -c '' <<<"$OUT")" "$(jget "$DJ" 'len(d["findings"])')" \
	"lines of doctor at A (one per finding, whatever H sent)"
# status shows what H said too, made readable (json_string refuses text that is not UTF-8).
run ld a --json status
assert_contains "$(jget "$OUT" '[p["last_error"] for p in d["peers"] if p["name"] == "'"$NH"'"][0]')" \
	"line one line two" "status's last error for H"
bg "$HOSTILE_PEER" --site "${SITE_DIR[h]}" --connect "127.0.0.1:${SITE_PORT[a]}" \
	--attack hello-no-clock --timeout 20 >"$T/noclock.out"
# shellcheck disable=SC2016 # expanded by eval, at each try
assert_wait 15 "H's Hello without a clock reached A" \
	eval '[ "$(peer_field a h state)" = live ] || [ "$(peer_field a h state)" = "catching up" ]' ||
	show_status a
doctor_json a
f=$(finding "$OUT" peer_clock "$NH")
assert_eq "${f%%|*}" warn "A's clock finding for H (no clock sent)"
assert_contains "$f" "unknown" "A's clock finding for H"
assert_exit 0 ld a peer remove "$NH"

log "A's key unreadable"
KEY=${SITE_DIR[a]}/site.key
cp -p "$KEY" "$T/site.key.saved"
chmod 000 "$KEY"
if [ "$(id -u)" = 0 ]; then
	# root reads a file of mode 000: make it unreadable as a key instead.
	log "running as root: site.key replaced by text that is no key"
	echo "not a key" >"$KEY"
fi
assert_doctor_fails a key "cannot be read" ""
assert_contains "$(finding "$DJ" key)" "$KEY" "A's key finding names the file"
cp -p "$T/site.key.saved" "$KEY"
chmod 600 "$KEY"
doctor_json a
assert_eq "$(finding "$OUT" key | cut -d'|' -f1)" ok "A's key finding once it is back"

log "A's socket group missing"
# liudongd refuses to start with a group that does not exist (socket_group.sh): the group goes
# away while it runs, as when someone deletes it. Making and deleting a group needs root.
if [ "$(id -u)" -eq 0 ]; then
	site_stop a
	GROUP=ldnosuch$$
	getent group "$GROUP" >/dev/null && die "group $GROUP exists"
	groupadd "$GROUP" || die "groupadd $GROUP failed"
	trap 'rc=$?; groupdel "$GROUP" 2>/dev/null; (exit $rc); _cleanup' EXIT
	sed -i "s/^\[site\]$/[site]\nsocket_group = $GROUP/" "${SITE_DIR[a]}/liudongd.conf"
	grep -q "^socket_group = $GROUP" "${SITE_DIR[a]}/liudongd.conf" || die "socket_group not set"
	sync_site_restart a
	doctor_json a
	assert_eq "$(finding "$OUT" socket_group | cut -d'|' -f1)" ok "A's socket group while it exists"
	groupdel "$GROUP" || die "groupdel $GROUP failed"
	assert_doctor_fails a socket_group "$GROUP" ""
	assert_contains "$(finding "$DJ" socket_group)" "does not exist" "A's socket group finding"
	assert_contains "$(finding "$DJ" socket_group)" "groupadd $GROUP" "A's socket group advice"
else
	log "not root: the socket group case needs groupadd and is left out"
fi

log "A not running"
site_stop a
assert_exit 6 ld a doctor

finish
