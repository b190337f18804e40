#!/usr/bin/env bash
# peer_remove.sh: issue 13. `peer remove NAME` while members are registered out to NAME is refused
# (exit 5, one line naming how many and --force) and the peer stays; with --force it is removed,
# a `note:` says what was left (the members keep their records here), and the removal is audited.
# A peer no member is registered out to goes without a word; an unknown one is exit 4. At the
# inflow site the same holds for the members the peer registered out to it; and a peer removed
# and added again is known by its key again once it connects (its certificates verify).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"

sync_site_init a 昆山 320583
sync_site_init b 南京 320100
sync_site_init c 苏州 320500
sync_site_start a
sync_site_start b
sync_pin_both a b
sync_pin a c

assert_exit 0 ld a branch add 001 --name 第一支部
X=$(make_idno 320583 19800404 441)
Y=$(make_idno 320583 19810505 552)
Z=$(make_idno 320583 19820606 663)
assert_exit 0 add_member a "$X" 1980-04-04 M 周流动
assert_exit 0 add_member a "$Y" 1981-05-05 F 吴另一
assert_exit 0 add_member a "$Z" 1982-06-06 M 郑在家
assert_exit 0 register_out a "$X" b
assert_exit 0 register_out a "$Y" b

assert_wait 20 "南京 has both members" applied_all b a

log "at 南京: refused while 昆山's two members are registered out to it"
assert_exit 5 ld b peer remove 昆山
assert_contains "$ERR" "2 member(s) of 昆山 are registered out to here" "the refusal at 南京"
assert_contains "$ERR" "--force" "the refusal at 南京"
assert_exit 0 ld b --json peer list
assert_eq "$(jget "$OUT" '[p["name"] for p in d["peers"]]')" '["昆山"]' "南京's peers after the refusal"

log "at 南京: --force removes 昆山; added again, its key is known again once it connects"
assert_exit 0 ld b pubkey 昆山
KEY_A=$OUT
assert_exit 0 ld b --json peer remove 昆山 --force
assert_eq "$(jget "$OUT" 'd["registered_in"]')" 2 "registered_in"
assert_contains "$ERR" "the 2 member(s) registered out between it and here keep" "the note at 南京"
sync_pin b a
key_back() { ld b pubkey 昆山 >/dev/null 2>&1; }
assert_wait 20 "南京 knows 昆山's key again" key_back
assert_exit 0 ld b pubkey 昆山
assert_eq "$OUT" "$KEY_A" "昆山's key at 南京, added again"

log "refused while two members are registered out to 南京"
assert_exit 5 ld a peer remove 南京
assert_contains "$ERR" "2 member(s) are registered out to 南京" "the refusal"
assert_contains "$ERR" "--force" "the refusal"
assert_exit 0 ld a --json peer list
assert_eq "$(jget "$OUT" '[p["name"] for p in d["peers"]]')" '["南京", "苏州"]' "peers after the refusal"

log "a peer nobody is registered out to goes without a word"
assert_exit 0 ld a --json peer remove 苏州
assert_eq "$ERR" "" "stderr of peer remove 苏州"
assert_eq "$(jget "$OUT" 'd["removed"]')" 苏州 "removed"
assert_eq "$(jget "$OUT" 'd["registered_out"]')" 0 "registered_out"
assert_exit 4 ld a peer remove 苏州

log "--force removes it and says what it left"
assert_exit 0 ld a peer remove 南京 --force
assert_eq "$(printf '%s\n' "$ERR" | grep -c '')" 1 "lines on stderr"
assert_contains "$ERR" "liudong: note: removed 南京; the 2 member(s) registered out between it and here keep" "the note"
assert_exit 0 ld a --json peer list
assert_eq "$(jget "$OUT" 'd["peers"]')" '[]' "peers after --force"
assert_exit 0 ld a --json member show "$X"
assert_eq "$(jget "$OUT" 'd["state"]')" away "his state, kept"
assert_exit 0 ld a --json audit
assert_eq "$(jget "$OUT" '[e["detail"] for e in d["entries"] if e["action"] == "peer.remove"]')" \
	'["苏州", "南京"]' "audited removals" || printf '    %s\n' "$OUT"

finish
