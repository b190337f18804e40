#!/usr/bin/env bash
# store_tools.sh: the site's store is plain LMDB that the standard tools read (issue 2, acceptance
# 6), kept private, and stopped cleanly: after SIGTERM the daemon exits 0 and removes its socket;
# `mdb_stat -a DIR/data` lists the named databases; data.mdb and site.key are mode 0600; `liudong
# verify` walks the whole log (entries = head_seq).
. "$(dirname "$0")/lib.sh"

command -v mdb_stat >/dev/null || die "mdb_stat not found: install lmdb-utils (apt-get install lmdb-utils)"

site_init a 昆山 320583
site_init b 南京 320100
DIR=${SITE_DIR[a]}

log "files made by liudongd init"
assert_eq "$(stat -c %a "$DIR/site.key")" 600 "mode of site.key"
[ -f "$DIR/site.crt" ] && pass || fail "liudongd init made no site.crt"
[ -f "$DIR/liudongd.conf" ] && pass || fail "liudongd init made no liudongd.conf"
# Init refuses to overwrite a site (its key is its identity).
assert_exit 0 stat -c %s "$DIR/site.key"
keysum=$(sha256sum <"$DIR/site.key")
run "$LIUDONGD" init "$DIR" --name 其他 --code 320500
[ "$RC" != 0 ] && pass || fail_run "liudongd init on an existing site must refuse"
assert_eq "$(sha256sum <"$DIR/site.key")" "$keysum" "site.key after a second init"

log "some writes"
site_start a
assert_exit 0 ld a branch add 001 --name 第一支部
assert_exit 0 ld a branch add 002 --name 第二支部 --temporary
assert_exit 0 ld a peer add 南京 --id "${SITE_ID[b]}" --address "127.0.0.1:${SITE_PORT[b]}"
ids=()
for n in 1 2 3 4 5 6 7; do
	birth=$(printf '1975-03-%02d' "$n")
	id=$(make_idno 320583 "$birth" $((2 * n + 1)))
	ids+=("$id")
	assert_exit 0 ld a member add --id "$id" --name "成员$n" --sex M --birth "$birth" --joined 2000-07-01 \
		--kind full --branch 00$((n % 2 + 1)) --dues-category retired --income 4800
done
assert_exit 0 ld a outflow register "${ids[0]}" --to 南京 --place 南京市江宁区 --reason business --from 2026-04-01
assert_exit 0 ld a member show "${ids[1]}" --reveal

log "mdb_stat while the daemon runs (a second reader)"
assert_exit 0 mdb_stat -a "$DIR/data"

log "verify"
assert_exit 0 ld a --json verify && assert_json && {
	assert_eq "$(jget "$OUT" 'd["ok"]')" true "verify ok"
	assert_eq "$(jget "$OUT" 'd["first_bad"]')" null "verify first_bad"
}
entries=$(jget "$OUT" 'd["entries"]')
assert_exit 0 ld a --json site && head=$(jget "$OUT" 'd["head_seq"]')
assert_eq "$entries" "$head" "verify entries vs site head_seq"
# branch x2, member x7, outflow x1 are events; peer add and reveal are not.
assert_eq "$head" 10 "head_seq after 2 branches, 7 members and 1 outflow"
assert_exit 0 ld a verify && assert_contains "$OUT" "yes" "verify for people"

log "graceful stop"
site_stop a
assert_eq "$STOP_RC" 0 "exit status of liudongd on SIGTERM"
[ -e "$DIR/liudongd.sock" ] && fail "liudongd left its socket $DIR/liudongd.sock behind after SIGTERM" || pass
assert_contains "$(cat "$T/a.log")" "stopped" "daemon log after SIGTERM"

log "mdb_stat -a on the stopped site"
assert_exit 0 mdb_stat -a "$DIR/data"
stat_out=$OUT
for db in meta log origins members branches peers audit outbox cursors quarantine; do
	assert_contains "$stat_out" "Status of $db" "mdb_stat -a"
done
# The entries mdb_stat counts agree with what liudong said.
db_entries() { # DB: the Entries line of DB in $stat_out
	printf '%s\n' "$stat_out" | awk -v db="Status of $1" '$0 == db {f = 1; next} f && /Entries:/ {print $2; exit}'
}
assert_eq "$(db_entries members)" 7 "mdb_stat: entries of members"
assert_eq "$(db_entries branches)" 2 "mdb_stat: entries of branches"
assert_eq "$(db_entries peers)" 1 "mdb_stat: entries of peers"
assert_exit 0 mdb_stat -e "$DIR/data"
assert_exit 0 mdb_dump -s members -n "$DIR/data/data.mdb"
[ -n "$OUT" ] && pass || fail "mdb_dump -s members printed nothing"

log "file modes"
assert_eq "$(stat -c %a "$DIR/data/data.mdb")" 600 "mode of data/data.mdb"
assert_eq "$(stat -c %a "$DIR/site.key")" 600 "mode of site.key after running"
lockmode=$(stat -c %a "$DIR/data/lock.mdb" 2>/dev/null || echo none)
[ "$lockmode" = none ] || assert_eq "$lockmode" 600 "mode of data/lock.mdb"
dirmode=$(stat -c %a "$DIR/data")
[ "$((8#$dirmode & 8#077))" = 0 ] && pass || fail "data directory is mode $dirmode; others can read it"

log "restart: everything is still there and verifies"
site_start a
assert_exit 0 ld a --json verify && assert_eq "$(jget "$OUT" 'd["ok"]')" true "verify ok after restart"
assert_eq "$(jget "$OUT" 'd["entries"]')" "$head" "verify entries after restart"
assert_exit 0 ld a --json site && assert_eq "$(jget "$OUT" 'd["head_seq"]')" "$head" "head_seq after restart"
assert_exit 0 ld a --json member list && assert_eq "$(jget "$OUT" 'len(d["members"])')" 7 "members after restart"
assert_exit 0 ld a --json member show "${ids[0]}" && assert_eq "$(jget "$OUT" 'd["state"]')" away "state after restart"
# A second daemon on the same site refuses to start and leaves the first one working.
bg "${LIUDONGD_RUN[@]}" -c "$DIR/liudongd.conf" 2>"$T/second.log"
second=$BG_PID
for ((i = 0; i < 100; i++)); do
	kill -0 "$second" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$second" 2>/dev/null; then
	fail "a second liudongd on the same site is still running after 10 s"
	kill -KILL "$second"
	bg_wait "$second"
else
	bg_wait "$second"
	rc=$?
	[ "$rc" != 0 ] && pass || fail "a second liudongd on the same site exited 0"
fi
assert_exit 0 ld a site
site_stop a
assert_eq "$STOP_RC" 0 "exit status of liudongd on the second SIGTERM"
[ -e "$DIR/liudongd.sock" ] && fail "liudongd left its socket behind after the second SIGTERM" || pass

finish
