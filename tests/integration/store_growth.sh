#!/usr/bin/env bash
# store_growth.sh: the store grows its map as it fills (issue 11, storage faults). A site whose
# config sets a tiny initial map ([store] map_size_initial = 128K) takes 300 members one by one
# and 3,000 more in three imports of 1,000 (each one transaction far larger than the map it starts
# with): every add and import is answered 0, the daemon logs each growth, and all 3,300 members
# are there, before and after a restart, with `liudong verify` clean. Then, restarted with parts
# of 250 rows (LIUDONGD_IMPORT_PART_ROWS), 3,000 more members registered out to a peer in one
# import, whose later parts' rows are read ahead while the map grows under the writer (a part
# that grows it runs again, reading its rows itself): all 3,000 in, the map grown again, `verify`
# clean.
. "$(dirname "$0")/lib.sh"

site_init a 昆山 320583
A=${SITE_DIR[a]}
printf '\n[store]\nmap_size_initial = 128K\n' >>"$A/liudongd.conf"
site_start a
assert_exit 0 ld a branch add 001 --name 第一支部 || die "branch add failed"

log "300 members one by one from a 128 KiB map"
acked=0
for ((n = 0; n < 300; n++)); do
	birth=$(date -d "1950-01-01 + $((n * 13)) days" +%F)
	id=$(make_idno 320583 "$birth" $((n % 900 + 1)))
	if ld a member add --id "$id" --name "成员$n" --sex "$(sex_of_seq $((n % 900 + 1)))" \
		--birth "$birth" --joined 2000-07-01 --kind full --branch 001 \
		--dues-category retired --income 4800 >/dev/null 2>"$T/add.err"; then
		acked=$((acked + 1))
	else
		fail "member add $n failed: $(cat "$T/add.err")"
		break
	fi
done
assert_eq "$acked" 300 "members added one by one"
grep -q "map grown" "$T/a.log" && pass || fail "the daemon never grew its 128 KiB map"

log "three imports of 1,000 members, each one transaction"
for k in 0 1 2; do
	members_csv "$T/r$k.csv" "$k"
	assert_exit 0 ld a --json import members "$T/r$k.csv" &&
		assert_eq "$(jget "$OUT" 'd.get("imported")')" 1000 "imported from block $k"
done
grown=$(grep -c "map grown" "$T/a.log")
[ "$grown" -ge 4 ] && pass || fail "the map grew $grown time(s) for 3,300 members from 128 KiB; expected at least 4"
log "the map grew $grown times; data.mdb is $(stat -c %s "$A/data/data.mdb") bytes"

# count_members: members at A (all states).
count_members() {
	ld a --json member list | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["members"]))'
}
assert_eq "$(count_members)" 3300 "members after the growth"
assert_exit 0 ld a --json verify && assert_eq "$(jget "$OUT" 'd["ok"]')" true "verify after the growth"

log "restart: everything is still there"
site_stop a
assert_eq "$STOP_RC" 0 "daemon stops cleanly"
site_start a
assert_eq "$(count_members)" 3300 "members after a restart"
assert_exit 0 ld a --json verify && assert_eq "$(jget "$OUT" 'd["ok"]')" true "verify after a restart"
# And it still takes more.
id=$(make_idno 320583 1999-12-31 7)
assert_exit 0 ld a member add --id "$id" --name 最后 --sex M --birth 1999-12-31 --joined 2020-07-01 \
	--kind full --branch 001 --dues-category retired --income 4800
assert_eq "$(count_members)" 3301 "members after one more add"


log "an import in parts, registered out, its rows read ahead while the map grows"
site_init b 南京 320100
site_stop a
export LIUDONGD_IMPORT_PART_ROWS=250
site_start a
unset LIUDONGD_IMPORT_PART_ROWS
assert_exit 0 ld a peer add 南京 --id "${SITE_ID[b]}" --address "127.0.0.1:${SITE_PORT[b]}"
python3 "$HERE/../../bench/register_csv.py" 3000 "$T/out.csv" # all to 南京, born 1950 on
before=$(grep -c "map grown" "$T/a.log")
assert_exit 0 ld a --json import members "$T/out.csv" || die "the import in parts failed"
assert_eq "$(jget "$OUT" 'd.get("imported")')" 3000 "imported in parts"
assert_eq "$(jget "$OUT" 'd.get("registered_out")')" 3000 "registered out in parts"
after=$(grep -c "map grown" "$T/a.log")
[ "$after" -gt "$before" ] && pass ||
	fail "the map did not grow during the import in parts ($before, $after)"
assert_eq "$(count_members)" 6301 "members after the import in parts"
assert_exit 0 ld a --json verify &&
	assert_eq "$(jget "$OUT" 'd["ok"]')" true "verify after the import in parts"
site_stop a
assert_eq "$STOP_RC" 0 "daemon stops cleanly after the import in parts"

finish
