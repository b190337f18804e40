#!/usr/bin/env bash
# dues_calc.sh: monthly dues (党费) through the command line (issue 2, acceptance 4): `liudong dues
# calc --json` gives monthly_fen at every bracket boundary of 中组发〔2008〕3号, needs no daemon, and
# refuses a bad amount with exit 3. The daemon computes the same dues for a member registered
# with that income (member show --json monthly_dues_fen).
. "$(dirname "$0")/lib.sh"

# category income expected_fen ("-" for no income)
cases=(
	"salaried 3000 1500"
	"salaried 3000.00 1500"
	"salaried 3000.01 3000"
	"salaried 5000 5000"
	"salaried 5000.01 7500"
	"salaried 10000 15000"
	"salaried 10000.01 20000"
	"salaried 2345.67 1173"
	"salaried 0 0"
	"salaried 0.99 0"
	"salaried 1 1"
	"annual-salary 10000.01 20000"
	"self-employed 3000.01 3000"
	"retired 5000 2500"
	"retired 5000.01 5000"
	"retired 3000.01 1500"
	"student - 20"
	"unemployed - 20"
)

log "dues calc with no daemon"
nosock="$T/no-daemon.sock"
for c in "${cases[@]}"; do
	read -r cat income want <<<"$c"
	args=(--category "$cat")
	[ "$income" = - ] || args+=(--income "$income")
	what="dues calc ${args[*]}"
	if assert_exit 0 "$LIUDONG" -s "$nosock" --json dues calc "${args[@]}" && assert_json; then
		assert_eq "$(jget "$OUT" 'd["monthly_fen"]')" "$want" "$what: monthly_fen"
	fi
	# For people: the amount in yuan, e.g. 11.73.
	if assert_exit 0 "$LIUDONG" -s "$nosock" dues calc "${args[@]}"; then
		yuan=$(printf '%d.%02d' $((want / 100)) $((want % 100)))
		assert_contains "$OUT" "$yuan" "$what (human output)"
	fi
done

log "bad input"
assert_exit 3 "$LIUDONG" -s "$nosock" --json dues calc --category salaried --income 12.505 &&
	assert_contains "$ERR" "12.505" "error for --income 12.505"
for bad in abc 1,000 1e3 1. .5 " 1" -1 +1 ""; do
	assert_exit 3 "$LIUDONG" -s "$nosock" dues calc --category salaried --income "$bad"
done
assert_exit 3 "$LIUDONG" -s "$nosock" dues calc --category nobody --income 100
assert_exit 2 "$LIUDONG" -s "$nosock" dues calc --income 100
assert_exit 2 "$LIUDONG" -s "$nosock" dues calc --category salaried --income

log "the daemon computes the same dues for a member"
site_init a 昆山 320583
site_start a
assert_exit 0 ld a branch add 001 --name 第一支部
n=0
for c in "${cases[@]}"; do
	read -r cat income want <<<"$c"
	n=$((n + 1))
	# A distinct member per case: births 1960-01-01 + n days, even sequence (female).
	birth=$(printf '1960-01-%02d' "$n")
	id=$(make_idno 320583 "$birth" $((2 * n)))
	args=(--category "$cat")
	margs=(--id "$id" --name "党员$n" --sex F --birth "$birth" --joined 1990-07-01 --kind full
		--branch 001 --dues-category "$cat")
	[ "$income" = - ] || margs+=(--income "$income")
	if assert_exit 0 ld a --json member add "${margs[@]}"; then
		assert_eq "$(jget "$OUT" 'd["monthly_dues_fen"]')" "$want" "member add $cat ${income/#-/}: monthly_dues_fen"
	fi
	if assert_exit 0 ld a --json member show "$id"; then
		assert_eq "$(jget "$OUT" 'd["monthly_dues_fen"]')" "$want" "member show ($cat ${income/#-/}): monthly_dues_fen"
	fi
done
# The daemon refuses the same bad amount with the same code.
assert_exit 3 ld a member add --id "$(make_idno 320583 19700101 002)" --name 坏数 --sex F \
	--birth 1970-01-01 --joined 1990-07-01 --kind full --branch 001 --dues-category salaried \
	--income 12.505
assert_exit 3 ld a member update "$id" --income 99999999999999999999
assert_contains "$ERR" "is more than 1,000,000,000,000 yuan" "member update --income too large"
# An amount set per member is refused for a category whose dues are computed, not ignored.
assert_exit 3 ld a member update "$id" --dues-category salaried --income 4000 --dues 5
assert_contains "$ERR" "computed, not set" "member update --dues of a salaried member"
assert_exit 0 ld a --json member show "$id" &&
	assert_eq "$(jget "$OUT" 'd["dues_category"]')" "$cat" "the dues category after the refused update"

finish
