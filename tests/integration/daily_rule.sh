#!/usr/bin/env bash
# daily_rule.sh: daily work, acceptance 3: the dual-management rule (双重管理) at the command line.
# A (昆山) is the outflow site, B (南京) the inflow site. Each kind of record is written only by
# the site DESIGN.md gives it to; at the other site the command exits 5, its one error line names
# the site that may write it, and nothing is written (the member's history is unchanged at both
# sites). The same command at the right site succeeds.
#  - report add (思想汇报) at B: 5, names 昆山.       - checkin at A: 5, names 南京.
#  - probation decide at B (a probationary member registered out to B): 5, names 昆山.
#  - feedback at A: 5, names 南京.   - probation opinion at A: 5, names 南京.
#  - meeting attend at A (a meeting of A's own branch) of a member who is away: 5, names 南京.
#  - contact, return, lapse open at B: 5, name 昆山; depart at A: 5, names 南京.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"
. "$(dirname "$0")/cert_lib.sh"
. "$(dirname "$0")/daily_lib.sh"

cert_two_sites
X=$(make_idno 320583 19850615 031) # checked in at B
Y=$(make_idno 320583 19860716 042) # registered out, certificate issued, not yet checked in
P=$(make_idno 320583 20000101 053) # probationary, registered out to B
daily_checked_in "$X" 1985-06-15 M 陈明
cert_member_out a b "$Y" 1986-07-16 F 林芳
cert_issue a "$Y"
Y_TOKEN=$CERT_TOKEN
Y_NUMBER=$CERT_NUMBER
assert_exit 0 ld a member add --id "$P" --name 赵预备 --sex M --birth 2000-01-01 --joined 2025-07-01 \
	--kind probationary --branch 001 --dues-category student || die "member add of P failed"
assert_exit 0 register_out a "$P" b 南京市鼓楼区 || die "outflow register of P failed"
assert_wait 5 "B knows P" member_arrived b "$P" || show_status a
assert_wait 5 "B knows Y's certificate" cert_known b "$Y_NUMBER" || show_status a
for m in "$X" "$Y" "$P"; do
	assert_wait 5 "both sites agree on $(mask "$m")" daily_agree "$m"
done

# refused WHO_MAY MEMBER CMD...: CMD exits 5, its one error line names WHO_MAY, and neither site's
# history of MEMBER changes (checked once any event in flight has had time to arrive).
refused() {
	local who=$1 member=$2 ha hb
	shift 2
	ha=$(daily_hist a "$member")
	hb=$(daily_hist b "$member")
	assert_exit 5 "$@" || return 1
	assert_contains "$ERR" "$who" "the refusal of '${LAST_CMD% }' (the site that may write it)"
	assert_not_contains "$ERR" "$member" "the refusal of '${LAST_CMD% }' (the full identity number)"
	sleep 0.3
	assert_eq "$(daily_hist a "$member")" "$ha" "A's history of $(mask "$member") after '${LAST_CMD% }'"
	assert_eq "$(daily_hist b "$member")" "$hb" "B's history of $(mask "$member") after '${LAST_CMD% }'"
}

# ---------------------------------------------------------------------------------------------
log "report add (思想汇报): outflow site only"
refused 昆山 "$X" ld b report add "$X" --summary 思想汇报
assert_exit 0 ld a report add "$X" --summary 思想汇报 --date 2026-09-01
assert_wait 3 "B has the report written at A" daily_field_is b "$X" last_report 2026-09-01

log "checkin (报到): inflow site only"
refused 南京 "$Y" ld a checkin "$Y_TOKEN" --branch 001
assert_exit 0 ld a --json member show "$Y" && assert_eq "$(jget "$OUT" 'd["state"]')" away "Y's state at A after the refused check-in"
assert_exit 0 ld b checkin "$Y_TOKEN" --branch 101
assert_wait 3 "A sees Y checked in" member_state_is a "$Y" checked-in

log "probation: opinion at the inflow site, decision at the outflow site"
refused 昆山 "$P" ld b probation decide "$P" --result full
refused 南京 "$P" ld a probation opinion "$P" --text 表现良好
assert_exit 0 ld b probation opinion "$P" --text 表现良好，建议按期转正
assert_wait 3 "A has B's probation opinion" daily_last_kind_is a "$P" probation.opinion
assert_exit 0 ld a probation decide "$P" --result full
for s in a b; do
	assert_wait 3 "P is a full member at $s" daily_field_is "$s" "$P" kind full
done

log "feedback: inflow site only"
refused 南京 "$X" ld a feedback "$X" --text 重要情况 --kind situation
assert_exit 0 ld b feedback "$X" --text 重要情况 --kind situation

log "meeting attend at A of a member who is away: the inflow site records his attendance"
assert_exit 0 ld a --json meeting add --branch 001 --kind theme-day --topic 主题党日 --date 2026-03-27
MEETING_A=$(jget "$OUT" 'd["meeting"]')
refused 南京 "$X" ld a meeting attend "$MEETING_A" "$X"
refused 南京 "$X" ld a meeting attend "$MEETING_A" "$X" --absent --reason 在外地
assert_exit 0 ld b --json meeting add --branch 101 --kind theme-day --topic 主题党日 --date 2026-03-27
MEETING_B=$(jget "$OUT" 'd["meeting"]')
assert_exit 0 ld b meeting attend "$MEETING_B" "$X"

log "the other kinds: each at the wrong site"
refused 昆山 "$X" ld b contact "$X" --phone 13800000000
refused 昆山 "$X" ld b return "$X" --summary 查验
refused 昆山 "$X" ld b lapse open "$X" --grounds 失联
refused 南京 "$X" ld a depart "$X" --assessment 表现良好

log "both sites agree in the end"
for m in "$X" "$Y" "$P"; do
	assert_wait 3 "history and member show of $(mask "$m") agree at A and B" daily_agree "$m" || {
		printf '    A: %s\n       %s\n' "$(daily_hist a "$m")" "$(daily_show a "$m")"
		printf '    B: %s\n       %s\n' "$(daily_hist b "$m")" "$(daily_show b "$m")"
	}
done
for s in a b; do
	assert_exit 0 ld "$s" --json conflicts && assert_eq "$(jget "$OUT" 'len(d["conflicts"])')" 0 "conflicts at $s"
done

finish
