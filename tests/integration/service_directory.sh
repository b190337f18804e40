#!/usr/bin/env bash
# service_directory.sh: the service centre, acceptance 2 (issue 14): finding an organization
# (流动党员找组织). B (南京, the inflow site) adds a branch with its address, contact person and
# phone, taking mobile members: it is published to its peers. A (昆山, the outflow site) lists B's
# directory (a branch added without directory options is not in it), registers a member out to B
# with that branch suggested (a branch not in the directory: exit 4), and B shows the suggestion
# at check-in and in member show. A site C pinned by B afterwards gets B's directory too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"
. "$(dirname "$0")/cert_lib.sh"
. "$(dirname "$0")/daily_lib.sh"

cert_two_sites

log "B publishes a branch in its directory"
assert_exit 0 ld b --json branch add 102 --name 玄武区流动党员党支部 --address 南京市玄武区中山路1号 \
	--contact 李书记 --phone 025-84000000 --accepts-mobile
assert_eq "$(jget "$OUT" 'd["published"]')" true "branch add with directory options is published"
assert_exit 0 ld b --json branch add 103 --name 机关支部
assert_eq "$(jget "$OUT" 'd["published"]')" false "branch add without them is not"
assert_exit 3 ld b branch add 104 --name x --phone 'not a phone'

# in_directory KEY PEER CODE: `directory PEER` at KEY lists branch CODE.
in_directory() {
	local out
	out=$(ld "$1" --json directory "$2" 2>/dev/null) &&
		[ "$(jget "$out" "[b['code'] for b in d['branches']]")" = "[\"$3\"]" ]
}
assert_wait 5 "A lists B's directory" in_directory a 南京 102 || show_status b
assert_exit 0 ld a --json directory 南京
assert_eq "$(jget "$OUT" '[[b["site"], b["name"], b["address"], b["contact"], b["phone"], b["accepts_mobile"]] for b in d["branches"]]')" \
	'[["南京", "玄武区流动党员党支部", "南京市玄武区中山路1号", "李书记", "025-84000000", true]]' \
	"B's directory at A"
assert_exit 0 ld a --json directory --search 中山路
assert_eq "$(jget "$OUT" '[b["code"] for b in d["branches"]]')" '["102"]' "directory --search at A"
assert_exit 0 ld a --json directory --search 无此
assert_eq "$(jget "$OUT" 'd["branches"]')" '[]' "directory --search with no match"
assert_exit 4 ld a directory 上海
assert_exit 0 ld b --json directory
assert_eq "$(jget "$OUT" 'd["branches"]')" '[]' "B's own branches are not in its view of its peers' directory"
# The table for people.
assert_exit 0 ld a directory 南京
assert_contains "$OUT" 李书记 "directory as a table"

log "A registers a member out to B with the branch suggested"
X=$(make_idno 320583 19850615 031)
Y=$(make_idno 320583 19860716 042)
assert_exit 0 add_member a "$X" 1985-06-15 M 陈明
assert_exit 0 add_member a "$Y" 1986-07-16 F 林芳
assert_exit 4 ld a outflow register "$Y" --to 南京 --place 南京市玄武区 --reason work \
	--from 2026-03-01 --suggest-branch 103
assert_contains "$ERR" "directory" "the refusal of a branch not in the directory"
assert_exit 0 ld a outflow register "$X" --to 南京 --place 南京市玄武区 --reason work \
	--from 2026-03-01 --suggest-branch 102
assert_exit 0 ld a --json member show "$X"
assert_eq "$(jget "$OUT" 'd["suggested_branch"]')" '{"code": "102", "name": "玄武区流动党员党支部"}' \
	"the suggestion at A"
# Under zh_CN the suggested branch's name is a branch's (支部名称), not a person's (姓名).
assert_exit 0 env LC_ALL=zh_CN.UTF-8 "$LIUDONG" -s "${SITE_DIR[a]}/liudongd.sock" member show "$X" &&
	assert_contains "$OUT" "支部名称  玄武区流动党员党支部" "the suggestion's name under zh_CN" &&
	assert_eq "$(grep -c '^姓名' <<<"$OUT")" 1 "姓名 once: his own name"

log "B sees the suggestion at check-in"
cert_issue a "$X"
assert_wait 5 "B knows the certificate" cert_known b "$CERT_NUMBER" || show_status a
assert_exit 0 ld b --json member show "$X"
assert_eq "$(jget "$OUT" 'd["suggested_branch"]["code"]')" 102 "the suggestion at B before check-in"
assert_exit 0 ld b --json checkin "$CERT_TOKEN" --branch 102 --contact 李书记
assert_eq "$(jget "$OUT" 'd["suggested_branch"]')" '{"code": "102", "name": "玄武区流动党员党支部"}' \
	"check-in shows the suggestion"
assert_wait 5 "both sites agree on X" daily_agree "$X"

log "a peer pinned later (C, 上海) gets B's directory too"
sync_site_init c 上海 310000
sync_site_start c
sync_pin_both b c
assert_wait 15 "C shows B live" peer_is c b live || show_status c
assert_wait 5 "C lists B's directory" in_directory c 南京 102 || show_status b
assert_exit 0 ld c --json directory
assert_eq "$(jget "$OUT" '[[b["site"], b["code"], b["contact"]] for b in d["branches"]]')" \
	'[["南京", "102", "李书记"]]' "B's directory at C"

for s in a b; do
	assert_exit 0 ld "$s" --json conflicts && assert_eq "$(jget "$OUT" 'len(d["conflicts"])')" 0 "conflicts at $s"
done

finish
