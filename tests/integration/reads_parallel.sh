#!/usr/bin/env bash
# reads_parallel.sh: reads run on reader threads, so a long read in flight holds up nobody
# (issue 12, "Reads on every core"). The daemon runs with LIUDONGD_TEST_READ_HOLD (daemon.h): a
# scan (member list, due, stats...) with its read transaction open writes held.N into a directory
# and waits there until the test creates `release`, so each order below is certain, not a race
# against the clock:
#   1. while one client's `member list` is held in flight, `liudong site`, `member show` and
#      `status` from other shells are answered, and the held list then answers in full;
#   2. a client that goes away (kill -9) in the middle of its read leaves the daemon well: the
#      read finishes into a closed connection, the next clients are answered (ASan and TSan
#      builds: no report in the log);
#   3. SIGTERM waits for a read in flight: the daemon is still running while the read is held,
#      the client gets its whole answer once released, and the daemon exits 0;
#   4. two requests written at once on one connection (pipelined) are both answered;
#   5. reads on every reader thread and the loop, side by side with writes: four clients read
#      (member show, site, member list, stats) while a fifth updates a member; every answer is
#      right (under ThreadSanitizer, scripts/test: no race reported).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"

[ -x "${HOSTILE_CLIENT:-}" ] || die "HOSTILE_CLIENT must name the hostile_client program"

HOLD=$T/hold
mkdir -p "$HOLD"
export LIUDONGD_TEST_READ_HOLD=$HOLD

site_init a 昆山 320583
site_start a
SOCK=${SITE_DIR[a]}/liudongd.sock
assert_exit 0 ld a branch add 001 --name 第一支部 || die "branch add failed"
N=20
add_members a $N
ID1=$(make_idno 320583 1976-05-01 3)

# members_in FILE: how many members the `member list --json` output in FILE holds.
members_in() {
	python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["members"]))' "$1" 2>/dev/null
}

# held N: whether the N-th held scan has started (and is waiting).
held() {
	[ -e "$HOLD/held.$1" ]
}

# next_held: the number the next scan to start will be held as (scans count from 1).
next_held() {
	echo $(($(find "$HOLD" -name 'held.*' | wc -l) + 1))
}

# --- 1. a long read in flight does not hold up other clients ------------------------------------
log "a member list held in flight; site, member show and status from other shells"
rm -f "$HOLD/release"
H=$(next_held)
bg "$LIUDONG" -s "$SOCK" --json member list >"$T/held-list.json"
LIST_PID=$BG_PID
wait_for 30 held "$H" || die "the member list did not reach its reader thread within 30 s"
assert_exit 0 timeout 20 "$LIUDONG" -s "$SOCK" --json site
assert_eq "$(jget "$OUT" 'd["name"]')" 昆山 "the site's name"
assert_exit 0 timeout 20 "$LIUDONG" -s "$SOCK" member show "$ID1"
assert_contains "$OUT" "成员1"
assert_exit 0 timeout 20 "$LIUDONG" -s "$SOCK" status
# The order: all three answered while the list was still held in flight.
if kill -0 "$LIST_PID" 2>/dev/null; then
	pass
else
	fail "the member list ended before it was released (it was not held in flight)"
fi
touch "$HOLD/release"
bg_wait "$LIST_PID"
assert_eq "$?" 0 "member list exit status once released"
assert_eq "$(members_in "$T/held-list.json")" "$N" "members in the held list's answer"

# --- 2. a client that goes away mid-read ---------------------------------------------------------
log "a client killed while its read is in flight"
rm -f "$HOLD/release"
H=$(next_held)
"$LIUDONG" -s "$SOCK" --json member list >/dev/null 2>&1 &
GONE_PID=$!
wait_for 30 held "$H" || die "the second member list did not reach its reader thread within 30 s"
kill -KILL "$GONE_PID" 2>/dev/null
wait "$GONE_PID" 2>/dev/null
# Its read is still held; the daemon answers others meanwhile, then finishes it into nothing.
assert_exit 0 timeout 20 "$LIUDONG" -s "$SOCK" site
touch "$HOLD/release"
assert_exit 0 timeout 20 "$LIUDONG" -s "$SOCK" --json member list
printf '%s\n' "$OUT" >"$T/list2.json"
assert_eq "$(members_in "$T/list2.json")" "$N" "members in the list after the killed client"
assert_exit 0 timeout 20 "$LIUDONG" -s "$SOCK" member show "$ID1"
if kill -0 "${SITE_PID[a]}" 2>/dev/null; then
	pass
else
	fail "liudongd is gone after a client was killed in the middle of its read"
fi

# --- 3. SIGTERM waits for the read in flight -----------------------------------------------------
log "SIGTERM while a read is in flight"
rm -f "$HOLD/release"
H=$(next_held)
bg "$LIUDONG" -s "$SOCK" --json stats >"$T/stats.json"
STATS_PID=$BG_PID
wait_for 30 held "$H" || die "stats did not reach its reader thread within 30 s"
kill -TERM "${SITE_PID[a]}"
sleep 0.5
if kill -0 "${SITE_PID[a]}" 2>/dev/null; then
	pass
else
	fail "liudongd stopped with a read still in flight"
fi
touch "$HOLD/release"
bg_wait "$STATS_PID"
assert_eq "$?" 0 "stats exit status across the stop"
assert_contains "$(cat "$T/stats.json")" '"members_by_state"'
# It stops by itself now (a second SIGTERM, as site_stop sends, could find the handlers closed).
DPID=${SITE_PID[a]}
for _ in $(seq 200); do
	kill -0 "$DPID" 2>/dev/null || break
	sleep 0.1
done
wait "$DPID"
DRC=$?
SITE_PID[a]=
assert_eq "$DRC" 0 "liudongd's exit status after SIGTERM with a read in flight"

# --- 4. pipelined requests on one connection ------------------------------------------------------
log "two requests written at once on one connection"
rm -f "$HOLD/release"
site_start a
# Request{version: 1, command: "site", operator: "t"}, twice, each behind its 4-byte length.
FRAME=0000000b08011204736974651a0174
run "$HOSTILE_CLIENT" --unix "$SOCK" --send "$FRAME$FRAME" --timeout 2
assert_eq "$(printf '%s\n' "$OUT" | grep -c '^reply status=0')" 2 "answers to two pipelined requests"

# --- 5. reads side by side with writes -----------------------------------------------------------
log "four clients reading while a fifth writes"
touch "$HOLD/release"
# reader CMD...: 30 times CMD; a failure is written to $T/burst.err.
reader() {
	local i
	for ((i = 0; i < 30; i++)); do
		"$LIUDONG" -s "$SOCK" "$@" >/dev/null 2>>"$T/burst.err" ||
			echo "failed: $*" >>"$T/burst.err"
	done
}
: >"$T/burst.err"
reader member show "$ID1" &
P1=$!
reader site &
P2=$!
reader member list --branch 001 &
P3=$!
reader stats &
P4=$!
for i in $(seq 1 30); do
	"$LIUDONG" -s "$SOCK" member update "$ID1" --phone "1390000$(printf '%04d' "$i")" \
		>/dev/null 2>>"$T/burst.err" || echo "failed: member update $i" >>"$T/burst.err"
done
wait "$P1" "$P2" "$P3" "$P4"
assert_eq "$(cat "$T/burst.err")" "" "failures while reading and writing side by side"
assert_exit 0 ld a --json member show "$ID1"
assert_eq "$(jget "$OUT" 'd["phone"]')" 13900000030 "the phone after the last update"

finish
