#!/usr/bin/env bash
# rules_due.sh: the rules with a clock (issue 6, acceptance 2), between A (昆山, 320583, the
# outflow site, branch 001) and B (南京, 320100, the inflow site, branch 101), pinned both ways.
#
# `liudong due --as-of DATE --json` at each site, for members set up to hit each boundary:
#   N  registered out 2026-02-01, never checked in: not-checked-in from 2026-03-03 (30 days), at
#      A and at B; not as of 2026-03-02.
#   L  registered out 2026-01-10, checked in at B (today: a check-in cannot predate his
#      certificate, issued today), recorded present at B's theme day of 2026-01-27 and nothing
#      since: no-org-life-warning from 2026-04-27 (3 months), no-org-life
#      from 2026-07-27 (6 months), at both sites; the warning lasts until the full rule replaces it.
#   X  away at a fixed place since 2026-01-10: transfer from 2026-07-10 (6 months), at A only.
#   P1..P3 full members at one place (and a probationary one there too): temp-branch at A once the
#      third full member is out, not with two (a probationary member does not count); still there
#      while one of them is in a temporary branch (branch add --temporary), none once all are
#      (branch join).
#   R  registered out in 2025 at a fixed place and returned: his case is closed, nothing raised.
# Every reminder names its member masked (110105********002*), or no one for the site-level
# kinds (temp-branch, org-life-day); no full identity number appears anywhere in the output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"
. "$(dirname "$0")/cert_lib.sh"

cert_two_sites

ID_N=$(make_idno 320583 19800101 101)
ID_L=$(make_idno 320583 19810202 202)
ID_X=$(make_idno 320583 19820303 303)
ID_P1=$(make_idno 320583 19830404 411)
ID_P2=$(make_idno 320583 19830505 422)
ID_P3=$(make_idno 320583 19830606 433)
ID_PP=$(make_idno 320583 19830707 444)
ID_R=$(make_idno 320583 19840808 505)
ID_H=$(make_idno 320583 19850909 606)
ID_T=$(make_idno 320583 19830808 456)
ALL_IDS=("$ID_N" "$ID_L" "$ID_X" "$ID_P1" "$ID_P2" "$ID_P3" "$ID_PP" "$ID_R" "$ID_H" "$ID_T")
TEMP_PLACE=南京市浦口区

# add_m IDNO BIRTH SEX NAME [KIND]: member add at A (branch 001); dies if it fails.
add_m() {
	assert_exit 0 ld a member add --id "$1" --name "$4" --sex "$3" --birth "$2" \
		--joined "$((${2:0:4} + 20))-07-01" --kind "${5:-full}" --branch 001 \
		--dues-category salaried --income 3000 || die "member add $1 at A failed"
}

# out_m IDNO PLACE FROM [--fixed-place]: outflow register at A to B; dies if it fails.
out_m() {
	assert_exit 0 ld a outflow register "$1" --to 南京 --place "$2" --reason work --from "$3" \
		"${@:4}" || die "outflow register $1 at A failed"
}

# ---------------------------------------------------------------------------------------------
# Reading `due`

# due_at SITE ASOF: run `due --as-of ASOF --json` at SITE and keep its output in DUE (empty if it
# failed). Checks the output is one JSON object with as_of and reminders, that every reminder has
# kind, member, since and detail, that member is masked (or empty for the site-level kinds), and
# that no full identity number of any member appears in the output.
due_at() {
	local site=$1 asof=$2 why id
	DUE=
	DUE_WHERE="due --as-of $asof at ${site^^}"
	assert_exit 0 ld "$site" --json due --as-of "$asof" || return 1
	assert_json || return 1
	DUE=$OUT
	assert_eq "$(jget "$DUE" 'd.get("as_of")')" "$asof" "as_of of $DUE_WHERE"
	if why=$(printf '%s' "$DUE" | python3 -c '
import json, re, sys
d = json.load(sys.stdin)
bad = []
if not isinstance(d.get("reminders"), list):
    sys.exit("no reminders list")
for r in d["reminders"]:
    for k in ("kind", "member", "since", "detail"):
        if not isinstance(r.get(k), str):
            bad.append("reminder without a string %s: %s" % (k, json.dumps(r, ensure_ascii=False)))
    m = r.get("member")
    if not isinstance(m, str):
        continue
    if r.get("kind") in ("temp-branch", "org-life-day"):
        if m and not re.fullmatch(r"[0-9]{6}\*{8}[0-9]{3}\*", m):
            bad.append("site-level reminder with a member that is not masked: %s" % m)
    elif not re.fullmatch(r"[0-9]{6}\*{8}[0-9]{3}\*", m):
        bad.append("member not masked (110105********002*): %s" % json.dumps(r, ensure_ascii=False))
if bad:
    sys.exit("; ".join(bad))
' 2>&1); then
		pass
	else
		fail "$DUE_WHERE: $why"
	fi
	for id in "${ALL_IDS[@]}"; do
		assert_not_contains "$DUE" "$id" "$DUE_WHERE (a full identity number)"
	done
}

# kinds_of IDNO: the kinds of DUE's reminders about IDNO (matched by its masked form), sorted,
# one line, space-separated.
kinds_of() {
	printf '%s' "$DUE" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join(sorted(r["kind"] for r in d["reminders"] if r["member"] == sys.argv[1])))' "$(mask "$1")"
}

# since_of IDNO KIND: the since of DUE's KIND reminder about IDNO ("" if none).
since_of() {
	printf '%s' "$DUE" | python3 -c '
import json, sys
d = json.load(sys.stdin)
m = [r["since"] for r in d["reminders"] if r["member"] == sys.argv[1] and r["kind"] == sys.argv[2]]
print(m[0] if m else "")' "$(mask "$1")" "$2"
}

# temp_branch_details: the details of DUE's temp-branch reminders, one a line.
temp_branch_details() {
	printf '%s' "$DUE" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for r in d["reminders"]:
    if r["kind"] == "temp-branch":
        print(r["detail"])'
}

# has_kind IDNO KIND WHAT: DUE has a KIND reminder about IDNO.
has_kind() {
	local kinds
	[ -n "$DUE" ] || return 1
	kinds=" $(kinds_of "$1") "
	if [[ $kinds == *" $2 "* ]]; then
		pass
		return 0
	fi
	fail "$DUE_WHERE: expected a '$2' reminder about $(mask "$1") ($3); his reminders: [${kinds# }]"
	return 1
}

# lacks_kind IDNO KIND WHAT: DUE has no KIND reminder about IDNO.
lacks_kind() {
	local kinds
	[ -n "$DUE" ] || return 1
	kinds=" $(kinds_of "$1") "
	if [[ $kinds != *" $2 "* ]]; then
		pass
		return 0
	fi
	fail "$DUE_WHERE: expected no '$2' reminder about $(mask "$1") ($3); his reminders: [${kinds# }]"
	return 1
}

# since_is IDNO KIND DATE: DUE's KIND reminder about IDNO has since DATE.
since_is() {
	[ -n "$DUE" ] || return 1
	assert_eq "$(since_of "$1" "$2")" "$3" "$DUE_WHERE: since of '$2' about $(mask "$1")"
}

# ---------------------------------------------------------------------------------------------
log "members at A: N (out 2026-02-01), L (out 2026-01-10), X (fixed place since 2026-01-10)"
add_m "$ID_N" 1980-01-01 M 赵未报
add_m "$ID_L" 1981-02-02 F 钱生活
add_m "$ID_X" 1982-03-03 M 孙固定
add_m "$ID_R" 1984-08-08 M 周已返
add_m "$ID_H" 1985-09-09 F 吴在家
out_m "$ID_N" 南京市玄武区 2026-02-01
out_m "$ID_L" 南京市鼓楼区 2026-01-10
out_m "$ID_X" 南京市江宁区 2026-01-10 --fixed-place
out_m "$ID_R" 南京市秦淮区 2025-01-02 --fixed-place

log "L: certificate, check-in at B, theme day of 2026-01-27 at B, attended"
cert_checkin "$ID_L"
assert_exit 0 ld b --json meeting add --branch 101 --kind theme-day --topic 学习党章 --date 2026-01-27 ||
	die "meeting add at B failed"
MEETING=$(jget "$OUT" 'd["meeting"]')
assert_exit 0 ld b meeting attend "$MEETING" "$ID_L" || die "meeting attend at B failed"

# last_attended_is SITE DATE: member show of L at SITE gives last_attended DATE.
# shellcheck disable=SC2317 # called through assert_wait
last_attended_is() {
	local out
	out=$(ld "$1" --json member show "$ID_L" 2>/dev/null) &&
		[ "$(jget "$out" 'd.get("last_attended")')" = "$2" ]
}
assert_wait 10 "A sees L's attendance of 2026-01-27 (member show: last_attended)" \
	last_attended_is a 2026-01-27 || show_status b
assert_wait 10 "B sees L's attendance of 2026-01-27" last_attended_is b 2026-01-27

log "R returns (查验): his case is closed"
assert_exit 0 ld a return "$ID_R" --summary 表现良好 --date 2026-03-15 || die "return of R failed"
for id in "$ID_N" "$ID_X"; do
	assert_wait 10 "B knows $(mask "$id") (his outflow registration arrived)" member_arrived b "$id" ||
		show_status a
done
assert_wait 10 "B sees R returned" member_state_is b "$ID_R" returned || show_status a

# ---------------------------------------------------------------------------------------------
log "not-checked-in: N registered out 2026-02-01, due 30 days later (2026-03-03)"
for site in a b; do
	due_at "$site" 2026-03-02
	lacks_kind "$ID_N" not-checked-in "29 days after the from date"
	due_at "$site" 2026-03-03
	has_kind "$ID_N" not-checked-in "30 days after the from date" &&
		since_is "$ID_N" not-checked-in 2026-03-03
	due_at "$site" 2026-03-04
	has_kind "$ID_N" not-checked-in "31 days after the from date" &&
		since_is "$ID_N" not-checked-in 2026-03-03
	# L checked in: never not-checked-in.
	lacks_kind "$ID_L" not-checked-in "L reported in at B"
done

log "no-org-life: L last attended 2026-01-27 (warning 2026-04-27, rule 2026-07-27)"
for site in a b; do
	due_at "$site" 2026-04-26
	lacks_kind "$ID_L" no-org-life-warning "3 months less a day since his last attendance"
	lacks_kind "$ID_L" no-org-life "3 months less a day since his last attendance"
	due_at "$site" 2026-04-28
	has_kind "$ID_L" no-org-life-warning "3 months and a day since his last attendance" &&
		since_is "$ID_L" no-org-life-warning 2026-04-27
	lacks_kind "$ID_L" no-org-life "3 months and a day since his last attendance"
	due_at "$site" 2026-06-26
	# The warning may still be raised here (from 3 months until the 6-month rule replaces it).
	lacks_kind "$ID_L" no-org-life "a day short of 5 months since his last attendance"
	due_at "$site" 2026-07-28
	has_kind "$ID_L" no-org-life "6 months and a day since his last attendance" &&
		since_is "$ID_L" no-org-life 2026-07-27
	lacks_kind "$ID_L" no-org-life-warning "replaced by the 6-month rule"
done

log "transfer: X away at a fixed place since 2026-01-10 (due 2026-07-10, at A only)"
due_at a 2026-07-09
lacks_kind "$ID_X" transfer "6 months less a day at a fixed place"
due_at a 2026-07-11
has_kind "$ID_X" transfer "6 months and a day at a fixed place" &&
	since_is "$ID_X" transfer 2026-07-10
# N and L are not at a fixed place.
lacks_kind "$ID_N" transfer "not at a fixed place"
lacks_kind "$ID_L" transfer "not at a fixed place"
for asof in 2026-07-11 2026-12-01; do
	due_at b "$asof"
	lacks_kind "$ID_X" transfer "the transfer rule is raised to the outflow site only"
done

log "closed case: R returned, nothing raised for him at A or B"
for site in a b; do
	for asof in 2026-03-04 2026-07-28 2026-12-01; do
		due_at "$site" "$asof"
		assert_eq "$(kinds_of "$ID_R")" "" "$DUE_WHERE: reminders about R (returned)"
	done
done
log "a member at home raises nothing (full member, not away)"
due_at a 2026-12-01
assert_eq "$(kinds_of "$ID_H")" "" "$DUE_WHERE: reminders about H (at home)"
due_at b 2026-12-01
assert_eq "$(kinds_of "$ID_H")" "" "$DUE_WHERE: reminders about H (unknown at B)"

# ---------------------------------------------------------------------------------------------
log "temp-branch: full members of A at $TEMP_PLACE"
# temp_count: how many temp-branch reminders in DUE name $TEMP_PLACE.
temp_count() {
	temp_branch_details | grep -c -- "$TEMP_PLACE"
}
add_m "$ID_P1" 1983-04-04 M 郑一
add_m "$ID_P2" 1983-05-05 F 王二
add_m "$ID_P3" 1983-06-06 M 冯三
add_m "$ID_PP" 1983-07-07 F 陈预备 probationary
out_m "$ID_P1" "$TEMP_PLACE" 2026-05-01
out_m "$ID_P2" "$TEMP_PLACE" 2026-05-02
due_at a 2026-06-01
assert_eq "$(temp_count)" 0 "$DUE_WHERE: temp-branch reminders for $TEMP_PLACE with 2 full members"
out_m "$ID_PP" "$TEMP_PLACE" 2026-05-03
due_at a 2026-06-01
assert_eq "$(temp_count)" 0 \
	"$DUE_WHERE: temp-branch reminders for $TEMP_PLACE with 2 full members and 1 probationary"
out_m "$ID_P3" "$TEMP_PLACE" 2026-05-04
due_at a 2026-06-01
if assert_eq "$(temp_count)" 1 "$DUE_WHERE: temp-branch reminders for $TEMP_PLACE with 3 full members"; then
	assert_contains "$(temp_branch_details | grep -- "$TEMP_PLACE")" "3 full members" \
		"the temp-branch reminder's detail"
fi
# The other members of A are each alone at their place: no temp-branch for them.
assert_eq "$(temp_branch_details | grep -vc -- "$TEMP_PLACE")" 0 \
	"$DUE_WHERE: temp-branch reminders for other places"

log "temp-branch: a temporary branch formed for $TEMP_PLACE ends the reminder"
assert_exit 0 ld a branch add T1 --name 浦口临时支部 --temporary || die "branch add T1 --temporary failed"
assert_exit 0 ld a member add --id "$ID_T" --name 褚临时 --sex F --birth 1983-08-08 \
	--joined 2003-07-01 --kind full --branch T1 --dues-category salaried --income 3000 ||
	die "member add in T1 failed"
out_m "$ID_T" "$TEMP_PLACE" 2026-05-05
due_at a 2026-06-01
assert_eq "$(temp_count)" 1 \
	"$DUE_WHERE: temp-branch reminders for $TEMP_PLACE while only one member there is in temporary branch T1"
assert_exit 0 ld a branch join T1 "$ID_P1" "$ID_P2" "$ID_P3"
due_at a 2026-06-01
assert_eq "$(temp_count)" 0 \
	"$DUE_WHERE: temp-branch reminders for $TEMP_PLACE once all its full members are in temporary branch T1"

finish
