# sync_lib.sh: helpers of the peer-sync integration tests (sync_*.sh), on top of lib.sh. Source
# both, lib.sh first:
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/sync_lib.sh"
#
# Sites listen on 127.0.0.1 on a random port below the kernel's ephemeral range (so that no
# outgoing connection of a daemon can take a port a restarted site needs); a port that turns out
# to be taken when the daemon starts is replaced by another (sync_site_start). Pin peers only
# after every site has started: their addresses are final then.

# ---------------------------------------------------------------------------------------------
# Ports

_SYNC_PORT_LO=20000
_SYNC_PORT_HI=40000
if read -r _eph_lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null &&
	[ "$_eph_lo" -gt $((_SYNC_PORT_LO + 1000)) ] && [ "$_eph_lo" -lt "$_SYNC_PORT_HI" ]; then
	_SYNC_PORT_HI=$_eph_lo
fi
declare -A _SYNC_PORT_USED

# sync_random_port: a port in [_SYNC_PORT_LO, _SYNC_PORT_HI) that nothing listens on right now
# and that this test has not handed out yet.
sync_random_port() {
	local i p
	for ((i = 0; i < 100; i++)); do
		p=$((_SYNC_PORT_LO + (RANDOM * 32768 + RANDOM) % (_SYNC_PORT_HI - _SYNC_PORT_LO)))
		[ -n "${_SYNC_PORT_USED[$p]:-}" ] && continue
		if python3 -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.close()' "$p" 2>/dev/null; then
			_SYNC_PORT_USED[$p]=1
			echo "$p"
			return 0
		fi
	done
	return 1
}

# ---------------------------------------------------------------------------------------------
# Sites

# sync_site_init KEY NAME CODE: like lib.sh's site_init, on a random port (see above).
sync_site_init() {
	local key=$1 name=$2 code=$3 port
	port=$(sync_random_port) || die "no free port in $_SYNC_PORT_LO..$_SYNC_PORT_HI"
	run "$LIUDONGD" init "$T/$key" --name "$name" --code "$code" --listen "127.0.0.1:$port"
	[ "$RC" = 0 ] || {
		_show_last
		die "liudongd init $key failed (exit $RC)"
	}
	SITE_DIR[$key]=$T/$key
	SITE_ID[$key]=$OUT
	SITE_PORT[$key]=$port
	SITE_NAME[$key]=$name
}

# _sync_try_start KEY: start KEY's daemon (log appended to $T/KEY.log) and wait until its socket
# answers. Returns 0 when it does, 2 if it exited because its port was taken, 1 on any other early
# exit (the log is shown), and dies if it neither answers nor exits within 15 s.
_sync_try_start() {
	local key=$1 i rc from
	from=1
	[ -f "$T/$key.log" ] && from=$(($(wc -c <"$T/$key.log") + 1))
	"${LIUDONGD_RUN[@]}" -c "${SITE_DIR[$key]}/liudongd.conf" 2>>"$T/$key.log" &
	SITE_PID[$key]=$!
	for ((i = 0; i < 150; i++)); do
		if ! kill -0 "${SITE_PID[$key]}" 2>/dev/null; then
			wait "${SITE_PID[$key]}"
			rc=$?
			SITE_PID[$key]=
			if tail -c "+$from" "$T/$key.log" | grep -q 'address already in use'; then
				return 2
			fi
			sed 's/^/    /' "$T/$key.log"
			fail "liudongd for $key exited with $rc at start"
			return 1
		fi
		if [ -S "${SITE_DIR[$key]}/liudongd.sock" ] && ld "$key" site >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	sed 's/^/    /' "$T/$key.log"
	die "liudongd for $key did not answer on its socket within 15 s"
}

# sync_site_start KEY: start KEY's daemon for the first time; if its port is taken, move the site
# to another random port (its liudongd.conf is rewritten) and try again, up to 5 times.
sync_site_start() {
	local key=$1 attempt port
	for ((attempt = 0; attempt < 5; attempt++)); do
		_sync_try_start "$key"
		case $? in
		0) return 0 ;;
		1) die "liudongd for $key did not start" ;;
		esac
		port=$(sync_random_port) || die "no free port in $_SYNC_PORT_LO..$_SYNC_PORT_HI"
		log "port ${SITE_PORT[$key]} of $key is taken; moving it to $port"
		sed -i "s/^listen = .*/listen = 127.0.0.1:$port/" "${SITE_DIR[$key]}/liudongd.conf"
		SITE_PORT[$key]=$port
	done
	die "liudongd for $key: no free port after 5 attempts"
}

# sync_site_restart KEY: start KEY's daemon again on the same port (its peers have pinned that
# address); a port still taken is retried for 10 s.
sync_site_restart() {
	local key=$1 i
	for ((i = 0; i < 20; i++)); do
		_sync_try_start "$key"
		case $? in
		0) return 0 ;;
		1) die "liudongd for $key did not start again" ;;
		esac
		sleep 0.5
	done
	die "liudongd for $key: port ${SITE_PORT[$key]} still taken after 10 s"
}

# sync_pin KEY PEERKEY: KEY pins PEERKEY (peer named by PEERKEY's site name, its id and address).
sync_pin() {
	local key=$1 peer=$2
	assert_exit 0 ld "$key" peer add "${SITE_NAME[$peer]}" --id "${SITE_ID[$peer]}" \
		--address "127.0.0.1:${SITE_PORT[$peer]}" || die "$key could not pin $peer"
}

# sync_pin_both K1 K2: the two sites pin each other.
sync_pin_both() {
	sync_pin "$1" "$2"
	sync_pin "$2" "$1"
}

# ---------------------------------------------------------------------------------------------
# Waiting and reading status

# shellcheck disable=SC2034 # WAITED is for the tests
# wait_for SECONDS CMD...: run CMD every 0.05 s until it succeeds (0) or SECONDS have passed (1).
# WAITED is set to the seconds it took (two decimals).
wait_for() {
	local limit=$1 start now
	shift
	start=$(date +%s%N)
	while :; do
		if "$@"; then
			now=$(date +%s%N)
			WAITED=$(printf '%d.%02d' $(((now - start) / 1000000000)) $((((now - start) / 10000000) % 100)))
			return 0
		fi
		now=$(date +%s%N)
		if [ $((now - start)) -ge $((limit * 1000000000)) ]; then
			WAITED=$limit
			return 1
		fi
		sleep 0.05
	done
}

# peer_status KEY PEERKEY: KEY's status entry for PEERKEY as one JSON object ({} if missing; a
# failing `status` gives {"error": ...}).
peer_status() {
	local key=$1 peer=$2 out
	if ! out=$(ld "$key" --json status 2>&1); then
		printf '{"error": %s}\n' "$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')"
		return 0
	fi
	printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
m = [p for p in d.get("peers", []) if p.get("name") == sys.argv[1]]
print(json.dumps(m[0] if m else {}, ensure_ascii=False))' "${SITE_NAME[$peer]}" 2>&1
}

# peer_field KEY PEERKEY FIELD: one field of peer_status (strings bare, others as JSON).
peer_field() {
	jget "$(peer_status "$1" "$2")" "d.get(\"$3\")"
}

# head_seq KEY: KEY's head seq (from `liudong site`).
head_seq() {
	jget "$(ld "$1" --json site)" 'd["head_seq"]'
}

# peer_is KEY PEERKEY STATE: KEY's status shows PEERKEY in STATE.
peer_is() {
	[ "$(peer_field "$1" "$2" state)" = "$3" ]
}

# peer_caught_up KEY PEERKEY: at KEY, PEERKEY is live and lag is 0 (it has acknowledged every
# event of KEY's that concerns it).
peer_caught_up() {
	local st
	st=$(peer_status "$1" "$2")
	[ "$(jget "$st" 'd.get("state")')" = live ] && [ "$(jget "$st" 'd.get("lag")')" = 0 ]
}

# peer_acked_head KEY PEERKEY: at KEY, PEERKEY is live, lag 0, and its acked_seq is KEY's head
# (for when KEY's last event concerns PEERKEY).
peer_acked_head() {
	peer_caught_up "$1" "$2" && [ "$(peer_field "$1" "$2" acked_seq)" = "$(head_seq "$1")" ]
}

# applied_all KEY PEERKEY: KEY has applied PEERKEY's log up to PEERKEY's head (for when PEERKEY's
# last event concerns KEY).
applied_all() {
	[ "$(peer_field "$1" "$2" applied_seq)" = "$(head_seq "$2")" ]
}

# show_status KEY: print KEY's status (for failure messages).
show_status() {
	printf '    status at %s: %s\n' "$1" "$(ld "$1" --json status 2>&1 | head -c 2000)"
}

# assert_wait SECONDS WHAT CMD...: wait_for, and count a failure saying WHAT if it times out.
assert_wait() {
	local limit=$1 what=$2
	shift 2
	if wait_for "$limit" "$@"; then
		pass
		return 0
	fi
	fail "$what (not within $limit s)"
	return 1
}

# ---------------------------------------------------------------------------------------------
# Logs

# log_json KEY FILE: KEY's whole event log (log --json --limit 1000000) into FILE.
log_json() {
	ld "$1" --json log --limit 1000000 >"$2"
}

# log_count_about KEY IDNO: how many entries of KEY's log are about IDNO (masked in the log).
log_count_about() {
	ld "$1" --json log --limit 1000000 | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(1 for e in d["entries"] if e.get("member") == sys.argv[1]))' "$(mask "$2")"
}

# ---------------------------------------------------------------------------------------------
# Members

# gen_members N [START]: N distinct valid identity numbers of area 320583, one line each:
# "IDNO BIRTH SEX". Members START..START+N-1 of one fixed sequence (so two calls with
# non-overlapping ranges give distinct numbers); sequence numbers 100..999, so the masked form
# (last four characters) seldom repeats.
gen_members() {
	python3 - "$1" "${2:-0}" <<'EOF'
import sys, datetime
n, start = int(sys.argv[1]), int(sys.argv[2])
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
C = "10X98765432"
for i in range(start, start + n):
    birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=(i // 900) * 7 + 3)
    seq = 100 + i % 900
    body = "320583" + birth.strftime("%Y%m%d") + "%03d" % seq
    print(body + C[sum(int(c) * w for c, w in zip(body, W)) % 11], birth.isoformat(),
          "M" if seq % 2 else "F")
EOF
}

# add_member KEY IDNO BIRTH SEX [NAME]: member add at KEY, branch 001.
add_member() {
	ld "$1" member add --id "$2" --name "${5:-流动党员}" --sex "$4" --birth "$3" \
		--joined "$((${3:0:4} + 20))-07-01" \
		--kind full --branch 001 --dues-category salaried --income 3000
}

# register_out KEY IDNO PEERKEY [PLACE] [FROM]: outflow register at KEY to PEERKEY.
register_out() {
	ld "$1" outflow register "$2" --to "${SITE_NAME[$3]}" --place "${4:-${SITE_NAME[$3]}}" \
		--reason work --from "${5:-2026-03-01}"
}

# _sync_writer KEY PEERKEY FILE ERRFILE: for every line "IDNO BIRTH SEX" of FILE, member add and
# (with PEERKEY not empty) outflow register to PEERKEY at KEY. Failures go to ERRFILE, one line
# each: "IDNO command exit: message".
# shellcheck disable=SC2317 # run through bg
_sync_writer() {
	local key=$1 peer=$2 file=$3 errf=$4 id birth sex rc msg
	: >"$errf"
	while read -r id birth sex; do
		msg=$(add_member "$key" "$id" "$birth" "$sex" 2>&1 >/dev/null)
		rc=$?
		if [ "$rc" != 0 ]; then
			echo "$id member-add $rc: $msg" >>"$errf"
			continue
		fi
		[ -n "$peer" ] || continue
		msg=$(register_out "$key" "$id" "$peer" 2>&1 >/dev/null)
		rc=$?
		[ "$rc" = 0 ] || echo "$id outflow-register $rc: $msg" >>"$errf"
	done <"$file"
}

# start_writers KEY PEERKEY FILE WORKERS: split FILE into WORKERS parts and run _sync_writer on
# each in the background; their pids in WRITER_PIDS, their error files $T/writer.W.err.
start_writers() {
	local key=$1 peer=$2 file=$3 n=$4 w
	WRITER_PIDS=()
	for ((w = 0; w < n; w++)); do
		awk -v n="$n" -v w="$w" 'NR % n == w' "$file" >"$T/writer.$w.in"
		bg _sync_writer "$key" "$peer" "$T/writer.$w.in" "$T/writer.$w.err"
		WRITER_PIDS+=("$BG_PID")
	done
}

# _import_writer KEY ERRFILE CSV...: `import members` each CSV at KEY in turn; failures go to
# ERRFILE, one line each: "CSV import exit: message".
# shellcheck disable=SC2317 # run through bg
_import_writer() {
	local key=$1 errf=$2 csv rc msg
	shift 2
	: >"$errf"
	for csv in "$@"; do
		msg=$(ld "$key" import members "$csv" 2>&1 >/dev/null)
		rc=$?
		[ "$rc" = 0 ] || echo "$csv import $rc: $msg" >>"$errf"
	done
}

# start_import_writers KEY PEERKEY FILE WORKERS ROWS: the members of FILE (lines "IDNO BIRTH
# SEX", as gen_members prints them) registered out to PEERKEY at KEY by WORKERS writers in
# parallel, each importing registers of ROWS members one after another: one event per member
# (outflow.registered, carrying him), ROWS members to a commit, in a fraction of the time of
# start_writers' two commands per member. Their pids in WRITER_PIDS, their error files
# $T/writer.W.err (see wait_writers).
start_import_writers() {
	local key=$1 peer=$2 file=$3 n=$4 rows=$5 w
	WRITER_PIDS=()
	rm -f "$T"/import.*.csv
	awk -v rows="$rows" -v n="$n" -v to="${SITE_NAME[$peer]}" -v dir="$T" '
		BEGIN {
			hdr = "id,name,sex,birth,joined,kind,branch,dues_category,income,phone,to,place," \
			      "reason,from,until,fixed_place,employer"
		}
		{
			i = NR - 1
			f = sprintf("%s/import.%d.%06d.csv", dir, i % n, int(i / (n * rows)))
			if (f != last[i % n]) {
				if (last[i % n] != "")
					close(last[i % n])
				print hdr > f
				last[i % n] = f
			}
			printf "%s,流动党员,%s,%s,%d-07-01,full,001,salaried,3000,,%s,%s,work,2026-03-01,,no,\n",
			       $1, $3, $2, substr($2, 1, 4) + 20, to, to > f
		}' "$file"
	for ((w = 0; w < n; w++)); do
		bg _import_writer "$key" "$T/writer.$w.err" "$T"/import."$w".*.csv
		WRITER_PIDS+=("$BG_PID")
	done
}

# wait_writers: wait for the writers of start_writers; fails (with their first errors) if any
# command of theirs failed. Returns 1 then.
wait_writers() {
	local pid w errs=0 n=${#WRITER_PIDS[@]}
	for pid in "${WRITER_PIDS[@]}"; do
		bg_wait "$pid"
	done
	for ((w = 0; w < n; w++)); do
		if [ -s "$T/writer.$w.err" ]; then
			errs=$((errs + $(wc -l <"$T/writer.$w.err")))
			fail "writer $w: $(wc -l <"$T/writer.$w.err") command(s) failed, first ones:"
			head -n 5 "$T/writer.$w.err" | sed 's/^/    /'
		fi
	done
	WRITER_PIDS=()
	[ "$errs" = 0 ] && pass
	[ "$errs" = 0 ]
}

# compare_outflow_logs A_LOG B_LOG ORIGIN: A_LOG and B_LOG are `log --json` of the outflow site
# A and of its peer B, which knows A by the name ORIGIN. Succeeds if B's log holds exactly A's
# outflow.registered events (by origin_seq), each once, and nothing else; otherwise prints what is
# missing, doubled or extra. Prints a one-line summary either way.
compare_outflow_logs() {
	python3 - "$1" "$2" "$3" <<'PYEOF'
import collections, json, sys
a = json.load(open(sys.argv[1]))["entries"]
b = json.load(open(sys.argv[2]))["entries"]
origin = sys.argv[3]
want = [e["origin_seq"] for e in a if e["kind"] == "outflow.registered"]
wset = set(want)
got = collections.Counter(e["origin_seq"] for e in b if e["origin"] == origin)
missing = sorted(s for s in wset if s not in got)
twice = sorted(s for s, n in got.items() if n > 1)
extra = sorted(s for s in got if s not in wset)
other = [e for e in b if e["origin"] != origin or e["kind"] != "outflow.registered"]
print("A's log: %d entries, %d outflow.registered; B's log: %d entries, %d distinct from A"
      % (len(a), len(want), len(b), len(got)))
bad = False
for what, l in (("missing at B", missing), ("more than once at B", twice),
                ("at B but not an outflow.registered of A", extra),
                ("entries at B of another origin or kind", other)):
    if l:
        bad = True
        print("%s: %d, first: %s" % (what, len(l), l[:10]))
seqs = [e["seq"] for e in b]
if seqs != list(range(1, len(b) + 1)):
    bad = True
    print("B's local seqs are not 1..%d in order" % len(b))
sys.exit(1 if bad else 0)
PYEOF
}
