#!/usr/bin/env bash
# sighup_reload.sh: SIGHUP swaps the rules as a snapshot (issue 11, "configuration swapped as an
# immutable snapshot on SIGHUP"). Certificates are issued from two clients while the config flips
# cert_valid_days between 100 and 200 and SIGHUP arrives every few milliseconds: every certificate
# is valid for exactly one of the two periods, the daemon stays up and says it reloaded. Each
# request copies the rules on the loop thread when it starts; the writer thread reads only that
# copy. Before, a handler read the daemon's rules while SIGHUP overwrote them: scripts/test runs
# this test under ThreadSanitizer too (build-tsan), which reported that race.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"
. "$(dirname "$0")/cert_lib.sh"

cert_two_sites
CONF=${SITE_DIR[a]}/liudongd.conf
grep -q '^# *cert_valid_days' "$CONF" || die "no cert_valid_days line in $CONF"
N=${SIGHUP_MEMBERS:-24}
ids=()
for ((i = 0; i < N; i++)); do
	id=$(make_idno 320583 "$((19700101 + i))" 011)
	ids+=("$id")
	cert_member_out a b "$id" "$(date -d "1970-01-01 + $i days" +%F)" M 成员$i
done

# flipper: rewrite the period and SIGHUP the daemon until told to stop.
flipper() {
	local days=100
	while [ ! -e "$T/stop" ]; do
		sed -i -E "s/^#? *cert_valid_days *=.*/cert_valid_days = $days/" "$CONF"
		kill -HUP "${SITE_PID[a]}" || return 1
		days=$((300 - days))
		sleep 0.005
	done
}
issuer() { # FIRST STEP: cert issue for members FIRST, FIRST+STEP, ...; one line per number
	local i out number
	for ((i = $1; i < N; i += $2)); do
		out=$(ld a --json cert issue "${ids[$i]}" 2>&1) || {
			echo "FAILED ${ids[$i]}: $out"
			continue
		}
		number=$(jget "$out" 'd["number"]')
		out=$(ld a --json cert show "$number" 2>&1) || {
			echo "FAILED cert show $number: $out"
			continue
		}
		echo "$(jget "$out" 'd["issued"]') $(jget "$out" 'd["valid_until"]')"
	done
}
# The first reload done before any certificate: from then on only 100 or 200 can apply.
sed -i -E "s/^#? *cert_valid_days *=.*/cert_valid_days = 200/" "$CONF"
kill -HUP "${SITE_PID[a]}"
assert_wait 10 "the first reload" grep -q "SIGHUP: peers and rules reloaded" "$T/a.log"
bg flipper
flip=$BG_PID
issuer 0 2 >"$T/issued.0" &
p0=$!
issuer 1 2 >"$T/issued.1" &
p1=$!
wait "$p0" "$p1"
: >"$T/stop"
bg_wait "$flip" || fail "the flipper could not signal the daemon (is it gone?)"

log "every certificate has one of the two periods"
grep FAILED "$T"/issued.* && fail "a cert issue failed during the reloads"
n=0
while read -r issued until; do
	days=$((($(date -d "$until" +%s) - $(date -d "$issued" +%s)) / 86400 + 1))
	case $days in
	100 | 200) n=$((n + 1)) ;;
	*) fail "a certificate issued $issued valid until $until: $days days, neither 100 nor 200" ;;
	esac
done < <(cat "$T"/issued.*)
assert_eq "$n" "$N" "certificates issued during the reloads"
kill -0 "${SITE_PID[a]}" || fail "the daemon died under SIGHUP"
assert_exit 0 ld a site
reloads=$(grep -c "SIGHUP: peers and rules reloaded" "$T/a.log")
[ "$reloads" -gt 10 ] || fail "only $reloads reloads while issuing: the test proves nothing"
log "$reloads reloads while $N certificates were issued"
finish
