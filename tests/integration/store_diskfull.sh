#!/usr/bin/env bash
# store_diskfull.sh: a full data disk (issue 11, storage faults). The site's data directory is a
# small tmpfs; after some members are added, a filler file takes the rest of it. Then writes fail
# with exit 1 and "no space left on the data disk" (not "internal error in the daemon"), the
# daemon's log says so in words (no bare "error -5" or "error -28"), the map is not grown in vain,
# the daemon stays up and answers reads. As soon as the filler is deleted, writes work again
# without a restart. After a restart `liudong verify` is clean and every acknowledged member is
# there. Needs root (mount -t tmpfs): otherwise the test says why and is skipped (exit 77).
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	log "skipped: not root, cannot mount a small tmpfs for the data directory"
	exit 77
fi

site_init a 昆山 320583
A=${SITE_DIR[a]}
if ! mount -t tmpfs -o size=24m,mode=0700 tmpfs "$A/data" 2>"$T/mount.err"; then
	log "skipped: mount -t tmpfs failed: $(cat "$T/mount.err")"
	exit 77
fi
# Whatever happens: stop the daemon (it must exit 0), unmount, then lib.sh's own clean-up.
_diskfull_exit() {
	local status=$1 key
	for key in "${!SITE_PID[@]}"; do
		[ -n "${SITE_PID[$key]}" ] || continue
		site_stop "$key"
		if [ "$STOP_RC" != 0 ]; then
			fail "liudongd for $key exited with status $STOP_RC at the end"
			status=1
		fi
	done
	umount "$A/data" 2>/dev/null || umount -l "$A/data"
	(exit "$status")
	_cleanup
}
trap '_diskfull_exit $?' EXIT

site_start a
assert_exit 0 ld a branch add 001 --name 第一支部 || die "branch add failed"

ACKED=()
# add N: try to add member number N; its number goes to ACKED if the add exits 0. ADD_RC, ADD_ERR.
add() {
	local n=$1 birth id
	birth=$(date -d "1930-01-01 + $n days" +%F)
	id=$(make_idno 320583 "$birth" $((n % 900 + 1)))
	ADD_ERR=$(ld a member add --id "$id" --name "成员$n" --sex "$(sex_of_seq $((n % 900 + 1)))" \
		--birth "$birth" --joined 2000-07-01 --kind full --branch 001 \
		--dues-category retired --income 4800 2>&1 >/dev/null)
	ADD_RC=$?
	[ "$ADD_RC" = 0 ] && ACKED+=("$id")
}

log "50 members on a disk with room"
n=0
for ((; n < 50; n++)); do
	add "$n"
	[ "$ADD_RC" = 0 ] || fail "member add $n on a disk with room: exit $ADD_RC: $ADD_ERR"
done
assert_eq "${#ACKED[@]}" 50 "members acknowledged before the disk filled"

log "a filler file takes the rest of the data disk"
dd if=/dev/zero of="$A/data/filler" bs=1M 2>/dev/null
dd if=/dev/zero of="$A/data/filler2" bs=4k 2>/dev/null
log "free on the data disk: $(df --output=avail -B1 "$A/data" | tail -n 1) bytes"

log "imports of 1,000 members until one does not fit"
IMPORTED=0
failed_k=
for ((k = 0; k < 10; k++)); do
	members_csv "$T/r$k.csv" "$k"
	run ld a import members "$T/r$k.csv"
	if [ "$RC" = 0 ]; then
		IMPORTED=$((IMPORTED + 1000))
		continue
	fi
	failed_k=$k
	break
done
[ -n "$failed_k" ] || die "10 imports of 1,000 members fit on a full disk; the test cannot fill it"
log "$IMPORTED members imported in what the store had preallocated"
assert_eq "$RC" 1 "exit code of an import on a full disk"
assert_contains "$ERR" "no space left on the data disk" "error of an import on a full disk"
assert_not_contains "$ERR" "internal error" "an import on a full disk is not an internal error"
assert_error_line

# Smaller imports take what is left, so that single adds find the end after a few tries (each
# command takes a sanitized build a quarter of a second).
log "imports of 100, then of 10 members, until one does not fit"
members_csv "$T/r10.csv" 10
members_csv "$T/r11.csv" 11
tail -n +2 "$T/r11.csv" | cat "$T/r10.csv" - >"$T/rest.csv" # a header, then 2,000 members
row=2 # the next member of rest.csv
for size in 100 10; do
	for ((k = 0; k < 20; k++)); do
		{ head -n 1 "$T/rest.csv" && sed -n "$row,$((row + size - 1))p" "$T/rest.csv"; } >"$T/part.csv"
		run ld a import members "$T/part.csv"
		[ "$RC" = 0 ] || break
		IMPORTED=$((IMPORTED + size))
		row=$((row + size))
	done
	assert_eq "$RC" 1 "exit code of an import of $size on a full disk"
done
log "single adds until the first that does not fit, then more"
first_fail=
for ((tries = 0; tries < 3000; tries++, n++)); do
	add "$n"
	if [ "$ADD_RC" != 0 ]; then
		first_fail=$n
		n=$((n + 1))
		break
	fi
done
[ -n "$first_fail" ] || die "3000 adds fit on a full disk; the test cannot fill it"
log "$((${#ACKED[@]} - 50)) more add(s) fitted"
assert_eq "$ADD_RC" 1 "exit code of the first member add that did not fit"
assert_contains "$ADD_ERR" "no space left on the data disk" "error of the first member add that did not fit"
for ((k = 0; k < 5; k++, n++)); do
	add "$n"
	assert_eq "$ADD_RC" 1 "exit code of member add on a full disk"
	assert_contains "$ADD_ERR" "no space left on the data disk" "error of member add on a full disk"
done
assert_eq "$(printf '%s\n' "$ADD_ERR" | grep -c '')" 1 "the error is one line"
assert_not_contains "$(cat "$T/a.log")" "error -5" "daemon log on a full disk (a bare EIO)"
assert_not_contains "$(cat "$T/a.log")" "error -28" "daemon log on a full disk (a bare ENOSPC)"
assert_contains "$(cat "$T/a.log")" "no space left on the data disk" "daemon log on a full disk"
assert_not_contains "$(cat "$T/a.log")" "map grown" "the map is not grown for a full disk"
kill -0 "${SITE_PID[a]}" 2>/dev/null && pass || die "liudongd died on a full disk"
assert_exit 0 ld a site
assert_exit 0 ld a --json verify && assert_eq "$(jget "$OUT" 'd["ok"]')" true "verify on the full disk"

log "space comes back: writes work at once, without a restart"
rm -f "$A/data/filler" "$A/data/filler2"
add "$n"
n=$((n + 1))
assert_eq "$ADD_RC" 0 "member add once space is back ($ADD_ERR)"
assert_exit 0 ld a --json import members "$T/r$failed_k.csv" &&
	assert_eq "$(jget "$OUT" 'd.get("imported")')" 1000 "imported once space is back" &&
	IMPORTED=$((IMPORTED + 1000))

log "restart: verify is clean and every acknowledged member is there"
site_stop a
assert_eq "$STOP_RC" 0 "daemon stops cleanly"
site_start a
assert_exit 0 ld a --json verify && assert_eq "$(jget "$OUT" 'd["ok"]')" true "verify after a restart"
assert_exit 0 ld a export members --out "$T/export.csv"
missing=0
for id in "${ACKED[@]}"; do
	grep -q "^$id," "$T/export.csv" || missing=$((missing + 1))
done
assert_eq "$missing" 0 "acknowledged members missing after the restart (of ${#ACKED[@]})"
count=$(ld a --json member list | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["members"]))')
assert_eq "$count" $((${#ACKED[@]} + IMPORTED)) "members after the restart (acknowledged adds and imports)"

finish
