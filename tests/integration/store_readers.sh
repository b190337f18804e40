#!/usr/bin/env bash
# store_readers.sh: a reader killed in the middle of a read transaction does not pin the store for
# ever (issue 11, storage faults). A second process (hold_reader, as mdb_stat or mdb_copy would)
# opens the running site's store, begins a read transaction and is killed with -9: its slot in
# LMDB's reader table keeps the snapshot it read, so no page freed since could be used again and
# data.mdb would grow with every write. The daemon clears the slot within seconds (its log says
# "cleared 1 stale reader slot(s)"), and 150 writes afterwards use a small fraction of the pages
# the same writes take while a live reader pins the snapshot.
. "$(dirname "$0")/lib.sh"

HOLD_READER=${HOLD_READER:-$HERE/../../build/tests/integration/hold_reader}
[ -x "$HOLD_READER" ] || die "$HOLD_READER is not an executable; build first (ninja -C build)"
command -v mdb_stat >/dev/null || die "mdb_stat not found: install lmdb-utils (apt-get install lmdb-utils)"

site_init a 昆山 320583
A=${SITE_DIR[a]}
site_start a
assert_exit 0 ld a branch add 001 --name 第一支部 || die "branch add failed"
for n in 1 2 3 4 5 6 7 8 9 10; do
	birth=$(printf '1975-04-%02d' "$n")
	ld a member add --id "$(make_idno 320583 "$birth" $((2 * n + 1)))" --name "成员$n" --sex M \
		--birth "$birth" --joined 2000-07-01 --kind full --branch 001 \
		--dues-category retired --income 4800 >/dev/null || die "member add $n failed"
done
ID1=$(make_idno 320583 1975-04-01 3)

# pages_used: the pages of data.mdb LMDB has handed out so far (its last page number + 1).
pages_used() {
	mdb_stat -e "$A/data" | sed -n 's/^ *Number of pages used: //p'
}

# writes N: N member updates (each one commit: a log entry, the member, the audit row).
writes() {
	local i
	for ((i = 0; i < $1; i++)); do
		ld a member update "$ID1" --phone "1390000$(printf '%04d' "$i")" >/dev/null 2>"$T/w.err" ||
			{
				fail "member update $i failed: $(cat "$T/w.err")"
				return 1
			}
	done
}

# holder: start hold_reader on A's store; waits until it holds its read transaction.
holder() {
	bg "$HOLD_READER" "$A/data" >"$T/holder.out" 2>&1
	HOLDER=$BG_PID
	for ((i = 0; i < 50; i++)); do
		grep -q holding "$T/holder.out" && return 0
		sleep 0.1
	done
	die "hold_reader did not start: $(cat "$T/holder.out")"
}

log "a reader killed with -9 in its transaction is cleared by the daemon"
holder
kill -KILL "$HOLDER"
bg_wait "$HOLDER" 2>/dev/null
cleared=
for ((i = 0; i < 50; i++)); do
	if grep -q "cleared 1 stale reader slot" "$T/a.log"; then
		cleared=yes
		break
	fi
	sleep 0.1
done
[ -n "$cleared" ] && pass || fail "the daemon did not clear the killed reader's slot within 5 s"
mdb_stat -r "$A/data" | grep -q "^ *$HOLDER " && fail "the killed reader's slot (pid $HOLDER) is still in the reader table" || pass

log "150 writes once the slot is cleared"
p0=$(pages_used)
writes 150
p1=$(pages_used)
free_run=$((p1 - p0))
log "pages taken by 150 writes once the slot is cleared: $free_run"

log "the same 150 writes while a live reader pins the snapshot (what a stale slot would cost)"
holder
p2=$(pages_used)
writes 150
p3=$(pages_used)
pinned=$((p3 - p2))
log "pages taken by 150 writes under a pinned snapshot: $pinned"
kill -TERM "$HOLDER"
bg_wait "$HOLDER"
# Without a pinned snapshot the pages freed by one commit serve the next: only the log and the
# audit grow. Under a pin every commit's copied pages stay taken (some 10 a write).
[ "$pinned" -gt 150 ] && [ $((free_run * 3)) -lt "$pinned" ] && pass ||
	fail "150 writes took $free_run pages after the clearing vs $pinned under a pinned snapshot; expected under a third"
assert_exit 0 ld a --json verify && assert_eq "$(jget "$OUT" 'd["ok"]')" true "verify"
assert_exit 0 ld a site

finish
