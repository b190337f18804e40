#!/usr/bin/env bash
# service_visit.sh: the service centre, acceptance 4 (issue 14): visits and care (走访慰问). Four
# members are away from A (昆山) at B (南京): X visited by A today, Y by B today, W by A 400 days
# ago, Z never. Visits by either site are seen at both. `due --as-of` a week before the next 七一
# and a week before the next 春节 (the lunar new year) lists W and Z as holiday-visit, at both
# sites; 15 days before either, and the day after, nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"
. "$(dirname "$0")/cert_lib.sh"
. "$(dirname "$0")/daily_lib.sh"

cert_two_sites
X=$(make_idno 320583 19850615 031)
Y=$(make_idno 320583 19860716 042)
W=$(make_idno 320583 19870817 053)
Z=$(make_idno 320583 19880918 064)
for m in "$X:1985-06-15:M" "$Y:1986-07-16:F" "$W:1987-08-17:M" "$Z:1988-09-18:F"; do
	IFS=: read -r id birth sex <<<"$m"
	cert_member_out a b "$id" "$birth" "$sex" 流动党员
done
assert_wait 5 "B knows the four" eval 'member_arrived b "$Z" && member_arrived b "$W"' || show_status a

shift_day() { date -d "$1 $2 day" +%F; }
# The next 七一 and 春节 after today (春节 from the table of common/calendar.c).
year=${TODAY:0:4}
JULY=$year-07-01
[[ $TODAY > $(shift_day "$JULY" -8) ]] && JULY=$((year + 1))-07-01
SPRING=
for s in 2026-02-17 2027-02-06 2028-01-26 2029-02-13 2030-02-03 2031-01-23 2032-02-11 \
	2033-01-31 2034-02-19 2035-02-08 2036-01-28 2037-02-15 2038-02-04 2039-01-24 2040-02-12; do
	if [[ $s > $(shift_day "$TODAY" +8) ]]; then
		SPRING=$s
		break
	fi
done
[ -n "$SPRING" ] || die "no 春节 in the table after $TODAY"

log "visits by either site, seen at both"
assert_exit 0 ld a --json visit add "$X" --kind holiday --text 走访家属 --help 慰问金500元
assert_eq "$(jget "$OUT" 'd["member"]')" "$(mask "$X")" "visit add answers the member, masked"
assert_exit 0 ld b visit add "$Y" --kind hardship --text 看望生病的党员 --help 帮助联系医院
assert_exit 0 ld a visit add "$W" --kind family --text 走访 --date "$(shift_day "$TODAY" -400)"
assert_exit 3 ld a visit add "$Z" --kind party --text x
assert_exit 3 ld a visit add "$Z" --kind holiday --text x --date "$(shift_day "$TODAY" +1)"
assert_exit 2 ld a visit add "$Z" --kind holiday
# `--help` alone still asks for the usage.
assert_exit 0 ld a visit add --help
assert_contains "$OUT" "usage: liudong visit add" "visit add --help"

# visits_at KEY: the visits `visit list` at KEY shows, as "member:site:kind".
visits_at() {
	local out
	out=$(ld "$1" --json visit list 2>/dev/null) || return 1
	jget "$out" '" ".join(sorted("%s:%s:%s" % (v["member"], v["site"], v["kind"]) for v in d["visits"]))'
}
want=$(printf '%s\n' "$(mask "$X"):昆山:holiday" "$(mask "$Y"):南京:hardship" "$(mask "$W"):昆山:family" | sort | tr '\n' ' ')
want=${want% }
assert_wait 5 "both sites have the three visits" eval '[ "$(visits_at a)" = "$want" ] && [ "$(visits_at b)" = "$want" ]' || {
	log "at A: $(visits_at a)"
	log "at B: $(visits_at b)"
}
assert_exit 0 ld a --json visit list "$Y"
assert_eq "$(jget "$OUT" '[[v["site"], v["text"], v["help"]] for v in d["visits"]]')" \
	'[["南京", "看望生病的党员", "帮助联系医院"]]' "Y's visits at A"

# holiday KEY DATE: the members `due --as-of DATE` at KEY lists as holiday-visit, sorted.
holiday() {
	local out
	out=$(ld "$1" --json due --as-of "$2" 2>&1) || {
		echo "ERROR $out"
		return
	}
	jget "$out" "sorted(r['member'] for r in d['reminders'] if r['kind'] == 'holiday-visit')"
}
want=$(python3 -c 'import json, sys; print(json.dumps(sorted(sys.argv[1:]), ensure_ascii=False))' "$(mask "$W")" "$(mask "$Z")")
for s in a b; do
	log "at $s: 七一 $JULY, 春节 $SPRING"
	assert_eq "$(holiday "$s" "$(shift_day "$JULY" -7)")" "$want" "a week before 七一 at $s"
	assert_eq "$(holiday "$s" "$(shift_day "$SPRING" -7)")" "$want" "a week before 春节 at $s"
	assert_eq "$(holiday "$s" "$(shift_day "$JULY" -15)")" '[]' "15 days before 七一 at $s"
	assert_eq "$(holiday "$s" "$(shift_day "$SPRING" -15)")" '[]' "15 days before 春节 at $s"
	assert_eq "$(holiday "$s" "$(shift_day "$JULY" +1)")" '[]' "the day after 七一 at $s"
done
assert_exit 0 ld a --json due --as-of "$(shift_day "$SPRING" -7)"
assert_contains "$(jget "$OUT" "[r['detail'] for r in d['reminders'] if r['kind'] == 'holiday-visit']")" 春节 \
	"the reminder names the holiday"

log "a visit silences it"
assert_exit 0 ld b visit add "$Z" --kind holiday --text 春节慰问
want="[\"$(mask "$W")\"]"
assert_wait 5 "A no longer lists Z" eval '[ "$(holiday a "$(shift_day "$SPRING" -7)")" = "$want" ]'
assert_wait 5 "both sites agree on Z" daily_agree "$Z"

for s in a b; do
	assert_exit 0 ld "$s" --json conflicts && assert_eq "$(jget "$OUT" 'len(d["conflicts"])')" 0 "conflicts at $s"
done

finish
