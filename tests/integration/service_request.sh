#!/usr/bin/env bash
# service_request.sh: the service centre, acceptance 1 (issue 14). A (昆山) is the member's
# outflow site, B (南京) his inflow site. A request about his relation transfer is opened at B by
# wang (the first-inquiry owner, 首问), forwarded to A (the site that must act: owner unchanged),
# handed over at A to chen (首办), answered and closed there. At both sites the trail shows the
# owner and every hand-over; `due --as-of` shows it overdue the day after its promised day, not on
# the day, at both sites, and no longer once it is closed; `stats` counts it. What the rule
# forbids exits 5 (A forwarding B's request, a step after the close) or 4 (a request A never had).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"
. "$(dirname "$0")/cert_lib.sh"
. "$(dirname "$0")/daily_lib.sh"

cert_two_sites
X=$(make_idno 320583 19850615 031)
cert_member_out a b "$X" 1985-06-15 M 陈明
assert_wait 5 "B knows X" member_arrived b "$X" || show_status a

day_after() { date -d "$1 + 1 day" +%F; }
request_known() { ld "$1" request show "$2" >/dev/null 2>&1; }

# trail KEY REQ: the trail of REQ at KEY as "action:by:to" words, oldest first.
trail() {
	local out
	out=$(ld "$1" --json request show "$2" 2>&1) || {
		printf 'ERROR %s\n' "$out"
		return 0
	}
	jget "$out" '" ".join("%s:%s:%s" % (t["action"], t["by"], t["to"]) for t in d["trail"])'
}


log "a request about the transfer opened at B: wang is its first-inquiry owner"
assert_exit 0 ld b --operator wang --json request open --kind transfer --member "$X" \
	--text 申请将组织关系转入南京 --from-person 陈明 --phone 13800000001
REQ=$(jget "$OUT" 'd["request"]')
DUE=$(jget "$OUT" 'd["due_date"]')
assert_eq "$(jget "$OUT" 'd["owner"]')" wang "the owner"
assert_eq "$(jget "$OUT" 'd["member"]')" "$(mask "$X")" "the member, masked"
case $REQ in 320100-*-Q*) pass ;; *) fail "request number '$REQ' is not B's series" ;; esac
# 10 working days: two weeks, give or take a weekend.
days=$((($(date -d "$DUE" +%s) - $(date -d "$TODAY" +%s)) / 86400))
[ "$days" -ge 14 ] && [ "$days" -le 16 ] && pass || fail "promised in $days days, not 10 working days"

log "A never had it: a step there is not found; A may not forward B's request"
assert_exit 4 ld a request answer "$REQ" --text 收到
assert_exit 0 ld b --operator wang request forward "$REQ" --to 昆山 --note 请流出地开具介绍信
assert_wait 5 "A holds the forwarded request" request_known a "$REQ" || show_status b
assert_exit 5 ld a request forward "$REQ" --to 南京
assert_exit 0 ld a --json request show "$REQ"
assert_eq "$(jget "$OUT" 'd["owner"]')" wang "the owner at A"
assert_eq "$(jget "$OUT" 'd["site"]')" 南京 "the site that took it, at A"

log "handed over at A to chen (首办), answered"
assert_exit 0 ld a --operator li request handover "$REQ" --to chen --note 转接由组织科办理
assert_wait 5 "B sees the hand-over" eval '[ "$(trail b "$REQ")" = "open:wang:wang forward:wang:昆山 handover:li:chen" ]'

log "due --as-of: overdue the day after the promised day, not on it, at both sites"
for s in a b; do
	assert_exit 0 ld "$s" --json due --as-of "$DUE"
	assert_eq "$(jget "$OUT" "[r['kind'] for r in d['reminders'] if '$REQ' in r['detail']]")" \
		'["request-due-soon"]' "due --as-of $DUE at $s"
	assert_exit 0 ld "$s" --json due --as-of "$(day_after "$DUE")"
	assert_eq "$(jget "$OUT" "[r['kind'] for r in d['reminders'] if '$REQ' in r['detail']]")" \
		'["request-overdue"]' "due --as-of the day after at $s"
	assert_eq "$(jget "$OUT" "[r['member'] for r in d['reminders'] if '$REQ' in r['detail']]")" \
		"[\"$(mask "$X")\"]" "the overdue request's member at $s"
	assert_exit 0 ld "$s" --json due --as-of "$TODAY"
	assert_eq "$(jget "$OUT" "[r['kind'] for r in d['reminders'] if '$REQ' in r['detail']]")" \
		'[]' "due today at $s"
done
assert_exit 0 ld a --json request list --open --member "$X"
assert_eq "$(jget "$OUT" '[r["request"] for r in d["requests"]]')" "[\"$REQ\"]" "open requests about X at A"

assert_exit 0 ld a --operator chen request answer "$REQ" --text 介绍信已开出
assert_exit 0 ld a --operator chen request close "$REQ" --result 组织关系已转出
assert_exit 5 ld a --operator chen request answer "$REQ" --text 再答
want="open:wang:wang forward:wang:昆山 handover:li:chen answer:chen: close:chen:"
assert_wait 5 "B sees it closed" eval '[ "$(trail b "$REQ")" = "$want" ]'
assert_eq "$(trail a "$REQ")" "$want" "the trail at A"
assert_exit 5 ld b request answer "$REQ" --text 还有
for s in a b; do
	assert_exit 0 ld "$s" --json request show "$REQ"
	assert_eq "$(jget "$OUT" '[d["status"], d["owner"], d["handler"], d["result"]]')" \
		'["closed", "wang", "chen", "组织关系已转出"]' "request show at $s"
	assert_exit 0 ld "$s" --json due --as-of "$(day_after "$DUE")"
	assert_eq "$(jget "$OUT" "[r['kind'] for r in d['reminders'] if '$REQ' in r['detail']]")" \
		'[]' "due after the close at $s"
	assert_exit 0 ld "$s" --json stats
	assert_eq "$(jget "$OUT" '[d["requests"]["by_kind"], d["requests"]["closed"], d["requests"]["on_time_rate"]]')" \
		'[{"transfer": 1}, 1, 1.0]' "stats at $s"
done
# The people view: the trail as a table.
assert_exit 0 ld b request show "$REQ"
assert_contains "$OUT" chen "request show at B"

log "a request about no member stays at the site that took it"
assert_exit 0 ld a --operator li --json request open --kind housing --text 咨询住房政策
R2=$(jget "$OUT" 'd["request"]')
# For people, the fields it was opened without show "-" like every field with no value.
assert_exit 0 ld a request show "$R2" &&
	for field in member from_person phone forwarded_to closed result; do
		if printf '%s\n' "$OUT" | grep -qE "^$field +-\$"; then
			pass
		else
			fail "request show: $field is not shown as '-':"
			printf '%s\n' "$OUT" | sed 's/^/    /' | head -20
		fi
	done
assert_exit 5 ld a request forward "$R2" --to 南京
assert_exit 3 ld a request open --kind weather --text x

log "a request closed after its promised day shows overdue, as stats counts it late"
assert_exit 0 ld a --json request open --kind rights --text 维权咨询 --date "$(date -d '-30 days' +%F)"
R3=$(jget "$OUT" 'd["request"]')
assert_exit 0 ld a --json request list --overdue &&
	assert_contains "$OUT" "$R3" "request list --overdue before the close"
assert_exit 0 ld a request close "$R3" --result 已答复
assert_exit 0 ld a --json request show "$R3" &&
	assert_eq "$(jget "$OUT" '[d["status"], d["overdue"]]')" '["closed", true]' "a request closed late"
assert_exit 0 ld a --json request list --overdue &&
	assert_not_contains "$OUT" "$R3" "request list --overdue: the open ones to act on"
assert_exit 0 ld a --json request show "$R2" &&
	assert_eq "$(jget "$OUT" 'd["overdue"]')" false "a request open within its days"
assert_exit 2 ld a request open --kind housing

# The requests and notices tables are a fold of the log: verify rebuilds them and finds them equal.
for s in a b; do
	assert_exit 0 ld "$s" --json verify && assert_eq "$(jget "$OUT" 'd["ok"]')" true "verify at $s"
done
for s in a b; do
	assert_exit 0 ld "$s" --json conflicts && assert_eq "$(jget "$OUT" 'len(d["conflicts"])')" 0 "conflicts at $s"
done

finish
