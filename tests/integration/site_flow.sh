#!/usr/bin/env bash
# site_flow.sh: the demo path between two sites. A (昆山, outflow) pins B (南京, inflow) by its site
# id, registers a member and registers him out to B; his record, history and the refusals around
# it are what a user expects; each site's public key is PEM that openssl reads.
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || die "openssl not found"

site_init a 昆山 320583
site_init b 南京 320100
site_start a
site_start b

log "site identity"
for s in a b; do
	assert_exit 0 ld "$s" --json site && assert_json && {
		assert_eq "$(jget "$OUT" 'd["site_id"]')" "${SITE_ID[$s]}" "site $s: site_id vs what init printed"
		assert_eq "$(jget "$OUT" 'd["name"]')" "${SITE_NAME[$s]}" "site $s: name"
		assert_eq "$(jget "$OUT" 'd["listen"]')" "127.0.0.1:${SITE_PORT[$s]}" "site $s: listen"
		assert_eq "$(jget "$OUT" 'd["head_seq"]')" 0 "site $s: head_seq of a new site"
	}
done
assert_eq "$(jget "$(ld a --json site)" 'd["code"]')" 320583 "site a: code"
[ "${SITE_ID[a]}" != "${SITE_ID[b]}" ] && pass || fail "two sites got the same id ${SITE_ID[a]}"

log "pubkey"
for s in a b; do
	assert_exit 0 ld "$s" pubkey && {
		assert_contains "$OUT" "-----BEGIN PUBLIC KEY-----" "liudong pubkey ($s)"
		pem=$OUT
		run openssl pkey -pubin -noout -in <(printf '%s\n' "$pem")
		[ "$RC" = 0 ] && pass || fail_run "openssl pkey -pubin does not accept site $s's pubkey"
		run openssl pkey -pubin -noout -text -in <(printf '%s\n' "$pem")
		assert_contains "$OUT" "ED25519" "openssl's reading of site $s's key"
	}
done
[ "$(ld a pubkey)" != "$(ld b pubkey)" ] && pass || fail "sites a and b print the same public key"
# Piped straight into openssl, as the help says.
if ld a pubkey | openssl pkey -pubin -noout; then pass; else fail "liudong pubkey | openssl pkey -pubin -noout failed"; fi

log "peers"
# A site id with one character changed is refused as invalid input (check characters).
id_b=${SITE_ID[b]}
c=${id_b:3:1}
if [ "$c" = A ]; then r=B; else r=A; fi
mistyped=${id_b:0:3}$r${id_b:4}
assert_exit 3 ld a peer add 南京 --id "$mistyped" --address "127.0.0.1:${SITE_PORT[b]}"
c=${id_b: -1}
if [ "$c" = A ]; then r=B; else r=A; fi
assert_exit 3 ld a peer add 南京 --id "${id_b:0:${#id_b}-1}$r" --address "127.0.0.1:${SITE_PORT[b]}"
assert_exit 3 ld a peer add 南京 --id "${id_b:0:20}" --address "127.0.0.1:${SITE_PORT[b]}"
assert_exit 3 ld a peer add 南京 --id "$id_b" --address "127.0.0.1"
# Its own id is refused.
assert_exit 5 ld a peer add 自己 --id "${SITE_ID[a]}" --address "127.0.0.1:${SITE_PORT[a]}"
assert_exit 0 ld a --json peer list && assert_eq "$(jget "$OUT" 'len(d["peers"])')" 0 "peers after the refusals"
# The right id.
assert_exit 0 ld a peer add 南京 --id "$id_b" --address "127.0.0.1:${SITE_PORT[b]}"
assert_exit 0 ld a --json peer list && {
	assert_eq "$(jget "$OUT" 'd["peers"][0]["name"]')" 南京 "peer list: name"
	assert_eq "$(jget "$OUT" 'd["peers"][0]["site_id"]')" "$id_b" "peer list: site_id"
	assert_eq "$(jget "$OUT" 'd["peers"][0]["address"]')" "127.0.0.1:${SITE_PORT[b]}" "peer list: address"
}
# The same name or the same id twice.
assert_exit 5 ld a peer add 南京 --id "$id_b" --address "127.0.0.1:${SITE_PORT[b]}"
assert_exit 5 ld a peer add 南京市 --id "$id_b" --address "127.0.0.1:${SITE_PORT[b]}"
# B's key is not known at A before the sites have connected: not found.
assert_exit 4 ld a pubkey 北京
assert_exit 0 ld b peer add 昆山 --id "${SITE_ID[a]}" --address "127.0.0.1:${SITE_PORT[a]}"
assert_exit 4 ld a peer remove 北京
# An empty peer name is simply not found. BUG: the daemon passes the empty key to LMDB, which
# fails with MDB_BAD_VALSIZE, and the user gets exit 1 "internal error in the daemon".
assert_exit 4 ld a pubkey ""
assert_exit 4 ld a peer remove ""

log "branch and member at A"
assert_exit 0 ld a branch add 001 --name 第一支部
assert_exit 5 ld a branch add 001 --name 又一支部
assert_exit 0 ld a --json branch list && assert_eq "$(jget "$OUT" 'd["branches"][0]["name"]')" 第一支部 "branch list"
ID=$(make_idno 320583 19850615 031)
assert_exit 0 ld a member add --id "$ID" --name 陈明 --sex M --birth 1985-06-15 --joined 2008-07-01 \
	--kind full --branch 001 --dues-category salaried --income 6200 --phone 13912345678
assert_exit 0 ld a --json member show "$ID" && {
	assert_eq "$(jget "$OUT" 'd["state"]')" home "state before outflow"
	assert_eq "$(jget "$OUT" 'd["outflow_site"]')" 昆山 "outflow_site"
	assert_eq "$(jget "$OUT" 'd["monthly_dues_fen"]')" 9300 "monthly dues on 6200 yuan"
}

log "outflow register"
# To a peer that is not pinned: not found, and nothing changes.
assert_exit 4 ld a outflow register "$ID" --to 北京 --place 北京市海淀区 --reason work --from 2026-03-01 &&
	assert_contains "$ERR" "北京" "error for an unknown peer"
# BUG: as above, --to '' is an internal error (exit 1) instead of not found.
assert_exit 4 ld a outflow register "$ID" --to "" --place 北京市海淀区 --reason work --from 2026-03-01
assert_exit 4 ld a outflow register "$(make_idno 320583 19850615 033)" --to 南京 --place 南京 --reason work --from 2026-03-01
assert_exit 3 ld a outflow register "$ID" --to 南京 --place 南京 --reason fun --from 2026-03-01
assert_exit 3 ld a outflow register "$ID" --to 南京 --place 南京 --reason work --from 2026-02-30
assert_exit 3 ld a outflow register "$ID" --to 南京 --place 南京 --reason work --from 2026-03-01 --until 2026-02-01
assert_exit 2 ld a outflow register "$ID" --to 南京 --reason work --from 2026-03-01
assert_exit 0 ld a --json member show "$ID" && assert_eq "$(jget "$OUT" 'd["state"]')" home "state after refused registrations"

assert_exit 0 ld a --json outflow register "$ID" --to 南京 --place 南京市鼓楼区中山路 --reason work \
	--from 2026-03-01 --until 2027-03-01 --fixed-place --employer 南京某公司 && assert_json
assert_exit 0 ld a --json member show "$ID" && {
	assert_eq "$(jget "$OUT" 'd["state"]')" away "state after outflow register"
	assert_eq "$(jget "$OUT" 'd["inflow_site"]')" 南京 "inflow_site"
	assert_eq "$(jget "$OUT" 'd["place"]')" 南京市鼓楼区中山路 "place"
	assert_eq "$(jget "$OUT" 'd["outflow_site"]')" 昆山 "outflow_site after outflow register"
}
assert_exit 0 ld a member show "$ID" && {
	assert_contains "$OUT" away "member show for people"
	assert_contains "$OUT" 南京市鼓楼区中山路 "member show for people"
}
assert_exit 0 ld a --json member list --state away && assert_eq "$(jget "$OUT" 'len(d["members"])')" 1 "member list --state away"
assert_exit 0 ld a --json member list --state home && assert_eq "$(jget "$OUT" 'len(d["members"])')" 0 "member list --state home"
assert_exit 0 ld a --json member find 鼓楼 && assert_eq "$(jget "$OUT" 'len(d["members"])')" 1 "member find by place"

log "history"
assert_exit 0 ld a --json history "$ID" && assert_json && {
	assert_eq "$(jget "$OUT" '[e["kind"] for e in d["events"]]')" '["member.registered", "outflow.registered"]' "history kinds, oldest first"
	assert_eq "$(jget "$OUT" 'sorted(set(e["origin"] for e in d["events"]))')" '["昆山"]' "history origins"
	assert_eq "$(jget "$OUT" 'd["events"][0]["seq"] < d["events"][1]["seq"]')" true "history seq order"
	assert_contains "$(jget "$OUT" 'd["events"][1]["summary"]')" 南京 "summary of outflow.registered"
}
assert_exit 0 ld a history "$ID" && assert_contains "$OUT" outflow.registered "history for people"

log "registering him to B again"
assert_exit 5 ld a outflow register "$ID" --to 南京 --place 南京市鼓楼区中山路 --reason work --from 2026-03-01
assert_exit 0 ld a --json history "$ID" && assert_eq "$(jget "$OUT" 'len(d["events"])')" 2 "history after the refused repeat"

log "audit and verify at A"
assert_exit 0 ld a --json audit && {
	acts=$(jget "$OUT" '[e["action"] for e in d["entries"]]')
	for a in peer.add branch.add member.add outflow.register; do
		assert_contains "$acts" "\"$a\"" "audit actions"
	done
}
assert_exit 0 ld a --json verify && assert_eq "$(jget "$OUT" 'd["ok"]')" true "verify at A"
assert_exit 0 ld a --json site && assert_eq "$(jget "$OUT" 'd["head_seq"]')" 3 "A's head_seq: branch, member, outflow"
# Once the sites sync (B pinned A above), B sees him away from A at the place given. Before peer
# sync exists (no `liudong status`), B knows nothing of him and says so with 4.
if ld a status >/dev/null 2>&1; then
	log "sync to B"
	for ((i = 0; i < 100; i++)); do
		run ld b --json member show "$ID"
		[ "$RC" = 0 ] && break
		sleep 0.2
	done
	if [ "$RC" = 0 ]; then
		assert_eq "$(jget "$OUT" 'd["state"]')" away "state at B"
		assert_eq "$(jget "$OUT" 'd["outflow_site"]')" 昆山 "outflow_site at B"
		assert_eq "$(jget "$OUT" 'd["inflow_site"]')" 南京 "inflow_site at B"
		assert_eq "$(jget "$OUT" 'd["place"]')" 南京市鼓楼区中山路 "place at B"
		assert_not_contains "$OUT" "$ID" "member show at B"
		# Having connected, A knows B's key: the same PEM B prints.
		assert_exit 0 ld a pubkey 南京 && assert_eq "$OUT" "$(ld b pubkey)" "B's key as A knows it"
	else
		fail_run "B does not know the member 20 s after A registered him out to B"
	fi
else
	assert_exit 4 ld b member show "$ID"
fi

finish
