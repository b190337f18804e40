#!/usr/bin/env bash
# chaos.sh: three sites under random network faults and kill -9, then healed; nothing the CLI
# acknowledged is lost, nothing is counted twice, and the sites agree (docs/chaos.md).
#
# A (昆山) is the outflow site; B (南京) and C (苏州) are inflow sites. Every peer address points
# through a faultproxy (tests/chaos/faultproxy.c), one per direction of each pair, so each
# direction can be partitioned, cut, corrupted, delayed or dropped on its own. For CHAOS_SECONDS
# (default 30) CHAOS_WORKERS workers (default 2) add members at A, register them out to B or C,
# issue their certificates at A, check them in at B or C, hold meetings there with attendance and
# take their dues there; every write the CLI acknowledged (exit 0) goes into a ledger. Meanwhile
# the nemesis partitions links, corrupts, cuts, delays and drops, and kill -9s a random daemon
# and starts it again. Then everything is healed (faults cleared, every daemon up) and, once every
# `status` shows every peer live with lag 0:
#  - every acknowledged write is at every site it concerns: the member at A and at his inflow
#    site, the certificate, the check-in, the attendance and the dues receipt at both;
#  - no receipt twice at any site, no month paid by two receipts, no attendance twice;
#  - per member, the dues list, the history (but for A's own member.registered) and member show
#    are identical at A and at his inflow site;
#  - no conflicts, no quarantined events, `verify` ok at every site, every daemon stops cleanly;
#  - no CLI command hung (each is given 20 s).
# The seed is printed; CHAOS_SEED=N replays the same draws (where they land depends on timing).
# Long runs by hand: CHAOS_SECONDS=300 tests/integration/chaos.sh, or scripts/chaos.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"

FAULTPROXY=${FAULTPROXY:-$HERE/../../build/tests/chaos/faultproxy}
[ -x "$FAULTPROXY" ] || die "$FAULTPROXY is not an executable; build first (ninja -C build)"
CHAOS_SECONDS=${CHAOS_SECONDS:-30}
CHAOS_WORKERS=${CHAOS_WORKERS:-2}
CHAOS_SEED=${CHAOS_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
SETTLE_LIMIT=${CHAOS_SETTLE:-240}
CALL_LIMIT=20 # seconds a CLI command may take before it counts as hung
RANDOM=$CHAOS_SEED
log "seed $CHAOS_SEED, $CHAOS_SECONDS s, $CHAOS_WORKERS workers" \
	"(replay: CHAOS_SEED=$CHAOS_SEED CHAOS_SECONDS=$CHAOS_SECONDS $0)"
T0=$(date +%s)

SITES=(a b c)
INFLOW=(b c)
declare -A BRANCH=([a]=001 [b]=101 [c]=201)
sync_site_init a 昆山 320583
sync_site_init b 南京 320100
sync_site_init c 苏州 320500
for s in "${SITES[@]}"; do sync_site_start "$s"; done

# ---------------------------------------------------------------------------------------------
# One faultproxy per direction: X reaches Y at 127.0.0.1:PX_PORT[X.Y], which forwards to Y.

LINKS=(a.b b.a a.c c.a b.c c.b)
declare -A PX_PORT PX_PID PX_UNTIL
px_start() {
	local l=$1 n=$2 port i
	port=$(sync_random_port) || die "no free port for proxy $l"
	bg "$FAULTPROXY" --listen "127.0.0.1:$port" --to "127.0.0.1:${SITE_PORT[${l#*.}]}" \
		--control "$T/px.$l" --seed "$((CHAOS_SEED * 16 + n))" 2>>"$T/px.$l.log"
	PX_PID[$l]=$BG_PID
	PX_PORT[$l]=$port
	for ((i = 0; i < 100; i++)); do
		px "$l" stats && return 0
		sleep 0.05
	done
	die "faultproxy $l does not answer on $T/px.$l"
}
# px LINK COMMAND: send COMMAND to LINK's proxy (quietly); its exit status.
px() {
	"$FAULTPROXY" --control "$T/px.$1" --send "$2" >/dev/null 2>&1
}
n=0
for l in "${LINKS[@]}"; do
	px_start "$l" "$n"
	n=$((n + 1))
done
for l in "${LINKS[@]}"; do
	x=${l%.*} y=${l#*.}
	assert_exit 0 ld "$x" peer add "${SITE_NAME[$y]}" --id "${SITE_ID[$y]}" \
		--address "127.0.0.1:${PX_PORT[$l]}" || die "$x could not pin $y"
done
for l in "${LINKS[@]}"; do
	assert_wait 15 "${l%.*} shows ${l#*.} live" peer_is "${l%.*}" "${l#*.}" live ||
		show_status "${l%.*}"
done
for s in "${SITES[@]}"; do
	assert_exit 0 ld "$s" branch add "${BRANCH[$s]}" --name "支部${BRANCH[$s]}" ||
		die "branch add at $s failed"
done

# ---------------------------------------------------------------------------------------------
# The workers. Each keeps its members' stage in memory: 0 new, 1 added at A, 2 registered out,
# 3 certificate issued, 4 checked in. A command that fails in a way that leaves its outcome
# unknown (daemon killed, unavailable, hung) marks the member dirty: before his next step the
# worker reads back where he is. Acknowledged writes go to $T/ledger.W, one a line:
#   added IDNO | member IDNO SITE | cert IDNO NUMBER SITE | checkin IDNO SITE
#   attend IDNO SITE MEETING | dues IDNO SITE RECEIPT FROM TO
# Every command's exit code goes to $T/calls.W ("KIND RC"), hangs also to $T/hangs.

# wcall SITE ARGS...: liudong at SITE, given CALL_LIMIT s; WRC exit code, WOUT stdout.
# shellcheck disable=SC2317 # run through bg
wcall() {
	local site=$1
	shift
	WOUT=$(LIUDONG_SOCKET=${SITE_DIR[$site]}/liudongd.sock timeout "$CALL_LIMIT" "$LIUDONG" "$@" \
		2>"$T/.werr.$W")
	WRC=$?
	echo "$WKIND $WRC" >>"$T/calls.$W"
	if [ "$WRC" = 124 ]; then
		echo "worker $W: hung for $CALL_LIMIT s at $site: $*" >>"$T/hangs"
	elif grep -qE 'AddressSanitizer|runtime error:' "$T/.werr.$W"; then
		cat "$T/.werr.$W" >>"$T/hangs"
	fi
}

# jfield NAME: the string field NAME of the JSON in WOUT (empty if absent or not a string).
# shellcheck disable=SC2317
jfield() {
	if [[ $WOUT =~ \"$1\":\ *\"([^\"]*)\" ]]; then
		printf '%s' "${BASH_REMATCH[1]}"
	fi
}

# month N: the Nth month from 2026-03 (N from 0), YYYY-MM.
# shellcheck disable=SC2317
month() {
	local n=$(($1 + 2))
	printf '%04d-%02d' $((2026 + n / 12)) $((n % 12 + 1))
}

# shellcheck disable=SC2317 # run through bg
chaos_worker() {
	W=$1
	RANDOM=$2
	local -a ids births sexes stage inflow certno token nextm dirty
	local -A attended meetings
	local nmem=0 i r k site id from to ledger=$T/ledger.$W pool
	: >"$ledger"
	: >"$T/calls.$W"
	mapfile -t pool < <(gen_members 2000 $((W * 10000)))
	while [ ! -e "$T/stop" ]; do
		r=$((RANDOM % 100))
		if { [ "$r" -lt 15 ] || [ "$nmem" = 0 ]; } && [ "$nmem" -lt "${#pool[@]}" ]; then
			read -r id from to <<<"${pool[$nmem]}"
			ids[nmem]=$id births[nmem]=$from sexes[nmem]=$to stage[nmem]=0
			inflow[nmem]=${INFLOW[$((RANDOM % 2))]} nextm[nmem]=0 dirty[nmem]=0
			i=$nmem
			nmem=$((nmem + 1))
		elif [ "$r" -lt 20 ]; then
			site=${INFLOW[$((RANDOM % 2))]}
			WKIND=meeting
			wcall "$site" --json meeting add --branch "${BRANCH[$site]}" --kind group \
				--topic "学习$W"
			[ "$WRC" = 0 ] && meetings[$site]+=" $(jfield meeting)"
			continue
		else
			i=$((RANDOM % nmem))
		fi
		id=${ids[i]}
		site=${inflow[i]}
		# Read back where a dirty member is.
		if [ "${dirty[i]}" = 1 ] && [ "${stage[i]}" -le 2 ]; then
			WKIND=readback
			wcall a --json member show "$id"
			case $WRC in
			4) stage[i]=0 dirty[i]=0 ;;
			0)
				dirty[i]=0
				case $(jfield state) in
				home) stage[i]=1 ;;
				away | checked-in)
					certno[i]=$(jfield certificate)
					if [ -z "${certno[i]}" ]; then
						stage[i]=2
					else
						wcall a cert token "${certno[i]}"
						if [ "$WRC" = 0 ]; then
							token[i]=$WOUT stage[i]=3 dirty[i]=1
						else
							dirty[i]=1
						fi
					fi
					;;
				*) echo "worker $W: $id in state $(jfield state) at A" >>"$T/hangs" ;;
				esac
				;;
			esac
			[ "${dirty[i]}" = 1 ] && [ "${stage[i]}" -le 2 ] && continue
		fi
		if [ "${dirty[i]}" = 1 ] && [ "${stage[i]}" = 3 ]; then
			WKIND=readback
			wcall "$site" --json member show "$id"
			[ "$WRC" = 0 ] || continue
			dirty[i]=0
			[ "$(jfield state)" = checked-in ] && stage[i]=4
		fi
		case ${stage[i]} in
		0)
			WKIND=add
			wcall a member add --id "$id" --name 流动党员 --sex "${sexes[i]}" \
				--birth "${births[i]}" --joined "$((${births[i]:0:4} + 20))-07-01" \
				--kind full --branch 001 --dues-category salaried --income 3000
			case $WRC in
			0) echo "added $id" >>"$ledger" && stage[i]=1 ;;
			*) dirty[i]=1 ;;
			esac
			;;
		1)
			WKIND=register
			wcall a outflow register "$id" --to "${SITE_NAME[$site]}" \
				--place "${SITE_NAME[$site]}市" --reason work --from 2026-03-01
			case $WRC in
			0) echo "member $id $site" >>"$ledger" && stage[i]=2 ;;
			*) dirty[i]=1 ;;
			esac
			;;
		2)
			WKIND=cert
			wcall a --json cert issue "$id"
			if [ "$WRC" = 0 ]; then
				certno[i]=$(jfield number) token[i]=$(jfield token) stage[i]=3
				echo "cert $id ${certno[i]} $site" >>"$ledger"
			else
				dirty[i]=1
			fi
			;;
		3)
			WKIND=checkin
			wcall "$site" checkin "${token[i]}" --branch "${BRANCH[$site]}" --contact 联系人
			case $WRC in
			0) echo "checkin $id $site" >>"$ledger" && stage[i]=4 ;;
			4) ;; # the certificate has not reached the inflow site yet
			*) dirty[i]=1 ;;
			esac
			;;
		4)
			if [ $((RANDOM % 2)) = 0 ]; then
				local -a mlist
				read -r -a mlist <<<"${meetings[$site]:-}"
				[ "${#mlist[@]}" = 0 ] && continue
				local m=${mlist[$((RANDOM % ${#mlist[@]}))]}
				[ -n "${attended[$i.$m]:-}" ] && continue
				WKIND=attend
				wcall "$site" meeting attend "$m" "$id"
				case $WRC in
				0) echo "attend $id $site $m" >>"$ledger" && attended[$i.$m]=1 ;;
				5) attended[$i.$m]=1 ;; # recorded by a call whose answer was lost
				esac
			else
				k=$((1 + RANDOM % 3))
				from=$(month "${nextm[i]}")
				to=$(month $((nextm[i] + k - 1)))
				WKIND=dues
				wcall "$site" --json dues pay "$id" --from "$from" --to "$to" --amount $((15 * k))
				case $WRC in
				0)
					echo "dues $id $site $(jfield receipt) $from $to" >>"$ledger"
					nextm[i]=$((nextm[i] + k))
					;;
				5) nextm[i]=$((nextm[i] + k)) ;; # paid by a call whose answer was lost
				esac
			fi
			;;
		esac
	done
}

# ---------------------------------------------------------------------------------------------
# The nemesis

declare -A FAULTS
KILLS=0
FAULTS_TOTAL=0
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# fault LINK COMMAND MS: COMMAND on LINK's proxy, cleared after MS milliseconds.
fault() {
	local l=$1 cmd=$2 ms=$3
	[ -n "${PX_UNTIL[$l]:-}" ] && return 0
	px "$l" "$cmd" || return 0
	PX_UNTIL[$l]=$(($(now_ms) + ms))
	FAULTS[${cmd%% *}]=$((${FAULTS[${cmd%% *}]:-0} + 1))
	FAULTS_TOTAL=$((FAULTS_TOTAL + 1))
}
expire_faults() {
	local l now
	now=$(now_ms)
	for l in "${!PX_UNTIL[@]}"; do
		if [ "${PX_UNTIL[$l]}" -le "$now" ]; then
			px "$l" clear
			unset "PX_UNTIL[$l]"
		fi
	done
}
# prob LO HI: a probability from LO/100 to HI/100.
prob() { printf '0.%02d' $(($1 + RANDOM % ($2 - $1 + 1))); }

: >"$T/hangs"
rm -f "$T/stop"
WORKER_PIDS=()
for ((w = 0; w < CHAOS_WORKERS; w++)); do
	bg chaos_worker "$w" "$((CHAOS_SEED + 1000 * (w + 1)))"
	WORKER_PIDS+=("$BG_PID")
done

log "chaos for $CHAOS_SECONDS s"
END=$(($(date +%s) + CHAOS_SECONDS))
while [ "$(date +%s)" -lt "$END" ]; do
	expire_faults
	l=${LINKS[$((RANDOM % ${#LINKS[@]}))]}
	rev=${l#*.}.${l%.*}
	r=$((RANDOM % 100))
	if [ "$r" -lt 25 ]; then
		ms=$((1000 + RANDOM % 5000))
		fault "$l" "partition on" "$ms"
		[ $((RANDOM % 2)) = 0 ] && fault "$rev" "partition on" "$ms"
	elif [ "$r" -lt 38 ]; then
		fault "$l" "corrupt $(prob 5 50)" $((500 + RANDOM % 3000))
	elif [ "$r" -lt 52 ]; then
		fault "$l" "cut $(prob 10 60)" $((500 + RANDOM % 3000))
	elif [ "$r" -lt 62 ]; then
		fault "$l" "drop $(prob 5 30)" $((500 + RANDOM % 3000))
	elif [ "$r" -lt 75 ]; then
		fault "$l" "delay $((20 + RANDOM % 500))" $((500 + RANDOM % 4000))
	elif [ "$r" -lt 87 ]; then
		s=${SITES[$((RANDOM % 3))]}
		site_kill "$s"
		KILLS=$((KILLS + 1))
		sleep "$((RANDOM % 2)).$((RANDOM % 10))"
		sync_site_restart "$s"
	fi
	sleep "0.$((1 + RANDOM % 5))"
done
touch "$T/stop"
for pid in "${WORKER_PIDS[@]}"; do bg_wait "$pid"; done

# ---------------------------------------------------------------------------------------------
# Heal

log "healing: faults cleared, every daemon up"
for l in "${LINKS[@]}"; do
	px "$l" clear || fail "faultproxy $l does not answer (crashed?)"
	kill -0 "${PX_PID[$l]}" 2>/dev/null || fail "faultproxy $l is no longer running"
done
for s in "${SITES[@]}"; do
	[ -n "${SITE_PID[$s]:-}" ] || sync_site_restart "$s"
done
# all_settled: every site shows every peer live with lag 0.
all_settled() {
	local s out
	for s in "${SITES[@]}"; do
		out=$(ld "$s" --json status 2>/dev/null) || return 1
		printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
ok = len(d["peers"]) == 2 and all(p["state"] == "live" and p["lag"] == 0 for p in d["peers"])
sys.exit(0 if ok else 1)' || return 1
	done
}
T_HEAL=$(date +%s)
if wait_for "$SETTLE_LIMIT" all_settled; then
	pass
	log "settled $WAITED s after healing"
else
	fail "the sites did not settle (every peer live, lag 0) within $SETTLE_LIMIT s of healing"
	for s in "${SITES[@]}"; do show_status "$s"; done
fi

# ---------------------------------------------------------------------------------------------
# The invariants

cat "$T"/ledger.* >"$T/ledger"
if [ -s "$T/hangs" ]; then
	fail "workers saw commands hang or misbehave:"
	head -n 10 "$T/hangs" | sed 's/^/    /'
fi
declare -A SOCK_ARGS
for s in "${SITES[@]}"; do SOCK_ARGS[$s]=${SITE_DIR[$s]}/liudongd.sock; done
if out=$(python3 - "$T/ledger" "$LIUDONG" "${SOCK_ARGS[a]}" "${SOCK_ARGS[b]}" "${SOCK_ARGS[c]}" \
	"${SITE_NAME[a]}" "${SITE_NAME[b]}" "${SITE_NAME[c]}" <<'PYEOF'
import collections, json, os, subprocess, sys

ledger, cli = sys.argv[1], sys.argv[2]
sock = dict(zip("abc", sys.argv[3:6]))
name = dict(zip("abc", sys.argv[6:9]))
bad = []

def ld(site, *args):
    env = dict(os.environ, LIUDONG_SOCKET=sock[site])
    p = subprocess.run([cli, "--json"] + list(args), env=env, capture_output=True, text=True,
                       timeout=30)
    if p.returncode != 0:
        return p.returncode, p.stderr.strip()
    return 0, json.loads(p.stdout)

def check(cond, what):
    if not cond:
        bad.append(what)

rows = [l.split() for l in open(ledger) if l.strip()]
counts = collections.Counter(r[0] for r in rows)
# A member's inflow site: from any acknowledged write that names it (his registration may have
# been written by a call whose answer was lost).
at = {"member": 2, "cert": 3, "checkin": 2, "attend": 2, "dues": 2}
inflow = {r[1]: r[at[r[0]]] for r in rows if r[0] in at}
members = {r[1] for r in rows if r[0] == "added"} | set(inflow)

# Every member acknowledged at A is there; every one registered out is at his inflow site.
shows = {}
for m in sorted(members):
    rc, a = ld("a", "member", "show", m)
    check(rc == 0, "member %s (acknowledged at A) is not at A: %s" % (m, a))
    if m not in inflow or rc != 0:
        continue
    s = inflow[m]
    rc, b = ld(s, "member", "show", m)
    check(rc == 0, "member %s registered out to %s is not there: %s" % (m, s, b))
    if rc == 0:
        check(a == b, "member show of %s differs between A and %s:\n      A %s\n      %s %s"
              % (m, s, json.dumps(a, ensure_ascii=False), s, json.dumps(b, ensure_ascii=False)))
        check(a.get("inflow_site") == name[s], "inflow_site of %s at A is %s, not %s"
              % (m, a.get("inflow_site"), name[s]))
    shows[m] = a

# Histories: the inflow site's is A's without A's member.registered; no event, no attendance
# twice.
hist = {}
for m, s in sorted(inflow.items()):
    per = {}
    for site in ("a", s):
        rc, h = ld(site, "history", m)
        check(rc == 0, "history of %s at %s: %s" % (m, site, h))
        per[site] = h["events"] if rc == 0 else []
    # In the order each site applied them: a check-in needs only the signed token, so it may
    # come before the cert.issued event at the inflow site. Compared as sets, each event once.
    ha = [(e["origin"], e["seq"], e["kind"]) for e in per["a"]]
    hb = [(e["origin"], e["seq"], e["kind"]) for e in per[s]]
    for site, h in (("a", ha), (s, hb)):
        twice = [k for k, n in collections.Counter(h).items() if n > 1]
        check(not twice, "events twice in %s's history at %s: %s" % (m, site, twice))
    check(ha[:1] and ha[0][2] == "member.registered" and sorted(ha[1:]) == sorted(hb),
          "history of %s: %s's is not A's without member.registered\n      A %s\n      %s %s"
          % (m, s, ha, s, hb))
    for site in ("a", s):
        att = collections.Counter(e["summary"] for e in per[site] if e["kind"] == "attendance")
        twice = [k for k, n in att.items() if n > 1]
        check(not twice, "attendance twice in %s's history at %s: %s" % (m, site, twice))
    hist[m] = per

# Certificates, check-ins, attendance.
for r in rows:
    if r[0] == "cert":
        m, number, s = r[1:4]
        for site in ("a", s):
            rc, c = ld(site, "cert", "show", number)
            check(rc == 0, "certificate %s of %s is not at %s: %s" % (number, m, site, c))
    elif r[0] == "checkin":
        m, s = r[1:3]
        for site in ("a", s):
            evs = hist.get(m, {}).get(site, [])
            n = sum(1 for e in evs if e["kind"] == "checkin" and e["origin"] == name[s])
            check(n == 1, "check-in of %s at %s: %d checkin events at %s" % (m, s, n, site))
    elif r[0] == "attend":
        m, s, meeting = r[1:4]
        for site in ("a", s):
            evs = hist.get(m, {}).get(site, [])
            n = sum(1 for e in evs if e["kind"] == "attendance" and meeting in e["summary"])
            check(n == 1, "attendance of %s at meeting %s: %d events at %s" % (m, meeting, n, site))

# Dues: every acknowledged receipt at both sites, paid; no receipt twice, no month twice; the
# same dues list at A and at the inflow site.
receipts_total = 0
acked = collections.defaultdict(set)
for r in rows:
    if r[0] == "dues":
        acked[r[1]].add(r[3])
for m, s in sorted(inflow.items()):
    lists = {}
    for site in ("a", s):
        rc, d = ld(site, "dues", "list", m)
        check(rc == 0, "dues list of %s at %s: %s" % (m, site, d))
        lists[site] = d["receipts"] if rc == 0 else []
        nums = collections.Counter(x["receipt"] for x in lists[site])
        twice = [k for k, n in nums.items() if n > 1]
        check(not twice, "receipts twice in %s's dues list at %s: %s" % (m, site, twice))
        paid = {x["receipt"]: x for x in lists[site] if x["status"] == "paid"}
        for rn in acked[m]:
            check(rn in paid, "receipt %s of %s (acknowledged at %s) is not paid at %s"
                  % (rn, m, s, site))
        months = collections.Counter()
        for x in paid.values():
            for month in x["months"]:
                months[month] += 1
        twice = sorted(k for k, n in months.items() if n > 1)
        check(not twice, "months paid twice for %s at %s: %s" % (m, site, twice))
    key = lambda x: x["receipt"]
    check(sorted(lists["a"], key=key) == sorted(lists[s], key=key),
          "dues list of %s differs between A and %s:\n      A %s\n      %s %s"
          % (m, s, lists["a"], s, lists[s]))
    receipts_total += len(lists["a"])

# Every site: verify, no conflicts, nothing quarantined.
heads = {}
for site in "abc":
    rc, v = ld(site, "verify")
    check(rc == 0 and v.get("ok") is True, "verify at %s: %s" % (site, v))
    rc, c = ld(site, "conflicts")
    check(rc == 0 and not c.get("conflicts"), "conflicts at %s: %s" % (site, c))
    rc, st = ld(site, "status")
    for p in st.get("peers", []) if rc == 0 else []:
        check(p["quarantined"] == 0, "at %s, %d events of %s quarantined (last error: %s)"
              % (site, p["quarantined"], p["name"], p.get("last_error")))
    rc, si = ld(site, "site")
    heads[site] = si["head_seq"] if rc == 0 else "?"

for b in bad[:30]:
    print("FAIL: " + b)
if len(bad) > 30:
    print("FAIL: ... and %d more" % (len(bad) - 30))
print("acknowledged: %d members added, %d registered out, %d certificates, %d check-ins, "
      "%d attendances, %d dues receipts; %d receipts in the books; events (head seq) A %s B %s C %s"
      % (counts["added"], counts["member"], counts["cert"], counts["checkin"], counts["attend"],
         counts["dues"], receipts_total, heads["a"], heads["b"], heads["c"]))
sys.exit(1 if bad else 0)
PYEOF
); then
	pass
	log "$out"
else
	FAILURES=$((FAILURES + 1))
	printf '%s\n' "$out"
fi

# ---------------------------------------------------------------------------------------------
# Figures

CALLS=$(cat "$T"/calls.* | wc -l)
CALLS_OK=$(cat "$T"/calls.* | awk '$2 == 0' | wc -l)
PXSTATS=$(for l in "${LINKS[@]}"; do "$FAULTPROXY" --control "$T/px.$l" --send stats; done |
	python3 -c '
import sys, collections
t = collections.Counter()
for line in sys.stdin:
    for kv in line.split("|")[0].split()[1:]:
        k, v = kv.split("=")
        t[k] += int(v)
print("proxies: %d connections, %d refused (partitioned), %d chunks, %d bytes; %d dropped, %d cut, %d corrupted, %d delayed"
      % (t["accepted"], t["refused"], t["chunks"], t["bytes"], t["dropped"], t["cut"], t["corrupted"], t["delayed"]))')
FSUM=""
for k in partition corrupt cut drop delay; do FSUM+="$k ${FAULTS[$k]:-0}, "; done
log "commands: $CALLS, $CALLS_OK acknowledged"
log "faults switched on: $FAULTS_TOTAL (${FSUM}kill -9 $KILLS)"
log "$PXSTATS"
log "seed $CHAOS_SEED: $(($(date +%s) - T0)) s in all ($(($(date +%s) - T_HEAL)) s from healing to the end of the checks)"
finish
