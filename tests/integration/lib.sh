# lib.sh: shared helpers of the integration tests. Source it first thing:
#
#   . "$(dirname "$0")/lib.sh"
#
# It sets LIUDONG and LIUDONGD (from the environment meson passes, else ../../build), makes a
# private temporary directory $T, and installs a trap that, whatever happens, stops every daemon
# and background process the test started (SIGTERM, then SIGKILL) and removes $T. Daemons listen
# only on unix sockets inside $T and on 127.0.0.1.
#
# Assertions do not stop the test: each failure is printed (with the command, its exit code,
# stdout and stderr) and counted, and `finish` exits 1 if there was any. `die` stops at once.
# Assertions that check behaviour known to be broken carry a comment `BUG:` in the test.

set -u
set -o pipefail

# The tests start python3 hundreds of times (jget, make_idno, ...). The first python3 on PATH
# may be a version manager's shim (pyenv's takes 0.34 s to start, Debian's python3 0.03 s):
# Debian's own is used when it is there; scripts/deps installs it.
if [ -x /usr/bin/python3 ]; then
	python3() { /usr/bin/python3 "$@"; }
fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TEST_NAME=$(basename "$0" .sh)

LIUDONG=${LIUDONG:-$HERE/../../build/client/liudong}
LIUDONGD=${LIUDONGD:-$HERE/../../build/server/liudongd}
for _bin in "$LIUDONG" "$LIUDONGD"; do
	if [ ! -x "$_bin" ]; then
		echo "$TEST_NAME: $_bin is not an executable; build first (ninja -C build) or set" \
			"LIUDONG and LIUDONGD" >&2
		exit 1
	fi
done
LIUDONG=$(cd "$(dirname "$LIUDONG")" && pwd)/$(basename "$LIUDONG")
LIUDONGD=$(cd "$(dirname "$LIUDONGD")" && pwd)/$(basename "$LIUDONGD")
# LIUDONGD_RUN: how the tests start a daemon (liudongd -c ...): under LIUDONGD_WRAPPER if set (split
# on spaces), for a memcheck run by hand, one log per daemon (outside $T, which is removed):
#   mkdir -p /tmp/vg && LIUDONGD_WRAPPER='valgrind --leak-check=full
#     --errors-for-leak-kinds=definite --log-file=/tmp/vg/%p.log' meson test -C build sync_basic
# The daemons are slower then: tests that time things may fail; the logs are what counts.
read -ra LIUDONGD_RUN <<<"${LIUDONGD_WRAPPER:-}"
LIUDONGD_RUN+=("$LIUDONGD")

# Unix socket paths are limited to 107 bytes: keep the directory short.
_tmpbase=${TMPDIR:-/tmp}
[ ${#_tmpbase} -gt 40 ] && _tmpbase=/tmp
T=$(mktemp -d "$_tmpbase/ldit-$TEST_NAME.XXXXXX") || {
	echo "$TEST_NAME: mktemp -d failed" >&2
	exit 1
}

# Keep the tests independent of the caller's settings.
unset LIUDONG_SOCKET
export USER=${USER:-tester}
export LC_ALL=C.UTF-8
# The translations of the build tree (po/LANG/LC_MESSAGES/liudong.mo beside client/): i18n.h.
LIUDONG_LOCALEDIR=${LIUDONG_LOCALEDIR:-$(cd "$(dirname "$LIUDONG")/.." && pwd)/po}
export LIUDONG_LOCALEDIR
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=0}

FAILURES=0
CHECKS=0
# shellcheck disable=SC2034 # SITE_ID, SITE_PORT and SITE_NAME are for the tests
declare -A SITE_DIR SITE_PID SITE_ID SITE_PORT SITE_NAME
BG_PIDS=()

# ---------------------------------------------------------------------------------------------
# Reporting

log() { printf '%s: %s\n' "$TEST_NAME" "$*"; }

# Print what the last `run` saw.
_show_last() {
	printf '    command: %s\n' "$LAST_CMD"
	printf '    exit:    %s\n' "$RC"
	printf '    stdout:  %s\n' "$(printf '%s' "$OUT" | head -c 2000 | sed '2,$s/^/             /')"
	printf '    stderr:  %s\n' "$(printf '%s' "$ERR" | head -c 2000 | sed '2,$s/^/             /')"
}

# fail MESSAGE: count a failed check and say what was wrong.
fail() {
	FAILURES=$((FAILURES + 1))
	printf 'FAIL: %s\n' "$*"
}

# fail_run MESSAGE: a failed check about the last `run`; shows its command and output, and says
# so if a daemon that should be running has died (its log is shown at the end).
fail_run() {
	fail "$*"
	_show_last
	local key
	for key in "${!SITE_PID[@]}"; do
		if [ -n "${SITE_PID[$key]}" ] && ! kill -0 "${SITE_PID[$key]}" 2>/dev/null; then
			printf '    note: liudongd for %s is no longer running; see %s.log below\n' "$key" "$key"
		fi
	done
}

pass() {
	CHECKS=$((CHECKS + 1))
}

die() {
	FAILURES=$((FAILURES + 1))
	printf 'FATAL: %s\n' "$*"
	exit 1
}

# ---------------------------------------------------------------------------------------------
# Running commands

# run CMD...: run CMD, keep its exit code in RC, stdout in OUT, stderr in ERR.
run() {
	LAST_CMD=$(printf '%q ' "$@")
	"$@" >"$T/.out" 2>"$T/.err"
	RC=$?
	OUT=$(cat "$T/.out")
	ERR=$(cat "$T/.err")
	if grep -qE 'AddressSanitizer|LeakSanitizer|ThreadSanitizer|runtime error:' "$T/.err"; then
		fail_run "sanitizer report from $1"
	fi
	return 0
}

# ld SITE ARGS...: the liudong command against SITE's daemon.
ld() {
	local site=$1
	shift
	LIUDONG_SOCKET=${SITE_DIR[$site]}/liudongd.sock "$LIUDONG" "$@"
}

# _is_liudong CMD...: CMD runs the liudong command (directly, through ld, or through env).
_is_liudong() {
	[ "$1" = ld ] && return 0
	while [ "$1" = env ] || [[ $1 == *=* ]]; do
		shift
	done
	[ "$1" = "$LIUDONG" ] || [ "$(basename "$1")" = liudong ]
}

# assert_exit CODE CMD...: run CMD (see run) and check its exit code. For a nonzero CODE, also
# checks the error is exactly one line on stderr starting "liudong: " and stdout is empty.
assert_exit() {
	local want=$1
	shift
	run "$@"
	if [ "$RC" != "$want" ]; then
		fail_run "expected exit $want, got $RC"
		return 1
	fi
	if [ "$want" != 0 ] && _is_liudong "$@"; then
		if _has_json "$@"; then
			assert_json_error || return 1
		else
			assert_error_line || return 1
		fi
	fi
	pass
	return 0
}

# _has_json ARGS...: --json is among ARGS.
_has_json() {
	local a
	for a in "$@"; do
		[ "$a" = --json ] && return 0
	done
	return 1
}

# assert_json_error: the last run (with --json) failed as the contract says: one line on stderr
# starting "liudong: ", and on stdout exactly one JSON object {"error": {"code": RC, "message":
# that line without "liudong: "}}.
assert_json_error() {
	local lines
	lines=$(printf '%s\n' "$ERR" | grep -c '')
	if [ -z "$ERR" ] || [ "$lines" != 1 ] || [[ $ERR != "liudong: "* ]]; then
		fail_run "a --json error must still be one line on stderr starting 'liudong: '"
		return 1
	fi
	local why
	why=$(OUT="$OUT" ERR="$ERR" RC="$RC" python3 -c '
import json, os
out, err, rc = os.environ["OUT"], os.environ["ERR"], int(os.environ["RC"])
lines = out.splitlines()
if len(lines) != 1:
    print("stdout holds %d lines, not one JSON object" % len(lines)); raise SystemExit
try:
    d = json.loads(lines[0])
except ValueError as e:
    print("stdout is not JSON: %s" % e); raise SystemExit
e = d.get("error") if isinstance(d, dict) else None
if not isinstance(e, dict):
    print("no \"error\" object on stdout")
elif e.get("code") != rc:
    print("error.code is %r, the exit code %d" % (e.get("code"), rc))
elif "liudong: " + str(e.get("message")) != err:
    print("error.message is not the line on stderr: %r" % e.get("message"))
')
	if [ -n "$why" ]; then
		fail_run "--json error: $why"
		return 1
	fi
	return 0
}

# assert_exit_oneof "CODE..." CMD...: like assert_exit, for when more than one code is right.
assert_exit_oneof() {
	local want=" $1 "
	shift
	run "$@"
	if [[ $want != *" $RC "* ]]; then
		fail_run "expected exit one of$want, got $RC"
		return 1
	fi
	if [ "$RC" != 0 ] && _is_liudong "$@"; then
		if _has_json "$@"; then
			assert_json_error || return 1
		else
			assert_error_line || return 1
		fi
	fi
	pass
	return 0
}

# assert_error_line: the last run's stderr is exactly one line starting "liudong: ", stdout empty.
assert_error_line() {
	local lines
	lines=$(printf '%s\n' "$ERR" | grep -c '')
	if [ -z "$ERR" ] || [ "$lines" != 1 ]; then
		fail_run "an error must be exactly one line on stderr; got $([ -z "$ERR" ] && echo 0 || echo "$lines")"
		return 1
	fi
	case $ERR in
	"liudong: "*) ;;
	*)
		fail_run "an error line must start with 'liudong: '"
		return 1
		;;
	esac
	if [ -n "$OUT" ]; then
		fail_run "a failed command must print nothing on stdout"
		return 1
	fi
	return 0
}

# assert_contains TEXT NEEDLE [WHAT]
assert_contains() {
	if [[ $1 != *"$2"* ]]; then
		fail "${3:-output} does not contain '$2'"
		printf '    it was: %s\n' "$(printf '%s' "$1" | head -c 2000 | sed '2,$s/^/            /')"
		return 1
	fi
	pass
}

# assert_not_contains TEXT NEEDLE [WHAT]
assert_not_contains() {
	if [[ $1 == *"$2"* ]]; then
		fail "${3:-output} contains '$2' and must not"
		printf '    it was: %s\n' "$(printf '%s' "$1" | head -c 2000 | sed '2,$s/^/            /')"
		return 1
	fi
	pass
}

# assert_eq GOT WANT WHAT
assert_eq() {
	if [ "$1" != "$2" ]; then
		fail "${3:-value}: expected '$2', got '$1'"
		return 1
	fi
	pass
}

# ---------------------------------------------------------------------------------------------
# JSON (python3: every Debian machine that builds liudong has it)

# is_one_json_object TEXT: TEXT is exactly one JSON object (nothing before or after it).
is_one_json_object() {
	printf '%s' "$1" | python3 -c '
import json, sys
try:
    v = json.load(sys.stdin)
except ValueError as e:
    sys.exit("not one JSON value: %s" % e)
if not isinstance(v, dict):
    sys.exit("a JSON %s, not an object" % type(v).__name__)
'
}

# assert_json: the last run printed exactly one JSON object on stdout.
assert_json() {
	local why
	if ! why=$(is_one_json_object "$OUT" 2>&1); then
		fail_run "--json must print exactly one JSON object: $why"
		return 1
	fi
	pass
}

# jget JSON EXPR: evaluate the python expression EXPR with d = the parsed JSON. Strings print
# bare, everything else as JSON (true, null, 3, [...]).
jget() {
	printf '%s' "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
try:
    v = eval(sys.argv[1], {"d": d, "len": len})
except Exception as e:
    v = "<%s: %s>" % (type(e).__name__, e)
print(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
' "$2" 2>&1
}

# ---------------------------------------------------------------------------------------------
# Identity numbers (GB 11643-1999)

# idno_check 17DIGITS: the ISO 7064 MOD 11-2 check character.
idno_check() {
	local s=$1 sum=0 i
	local -a weights=(7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2) map=(1 0 X 9 8 7 6 5 4 3 2)
	for ((i = 0; i < 17; i++)); do
		sum=$((sum + ${s:i:1} * ${weights[i]}))
	done
	printf '%s\n' "${map[sum % 11]}"
}

# make_idno AREA BIRTH SEQ: an 18-character number; BIRTH YYYYMMDD or YYYY-MM-DD, SEQ 1..999.
# Every number made is kept in $T/.idnos for the canary (idno_leaks) run at the end of the test.
make_idno() {
	local area=$1 birth=${2//-/} seq id
	seq=$(printf '%03d' "$((10#$3))")
	local body=$area$birth$seq
	id=$body$(idno_check "$body")
	printf '%s\n' "$id" >>"$T/.idnos"
	printf '%s\n' "$id"
}

# add_members SITE N: members 成员1..成员N of branch 001 at SITE (area 320583), born 1976-05-NN;
# member n's number is make_idno 320583 1976-05-NN 2n+1.
add_members() {
	local site=$1 n birth
	for n in $(seq 1 "$2"); do
		birth=$(printf '1976-05-%02d' "$n")
		ld "$site" member add --id "$(make_idno 320583 "$birth" $((2 * n + 1)))" \
			--name "成员$n" --sex M --birth "$birth" --joined 2001-07-01 --kind full \
			--branch 001 --dues-category retired --income 4800 >/dev/null ||
			die "member add $n at $site failed"
	done
}

# idno_leaks FILE...: the privacy canary. Prints (masked) every full identity number found in
# FILEs: each number make_idno made, wherever it stands, and any other 18-character token shaped
# like one (a real birth date, a right check character), as numbers made by a test's own python
# are. Returns 1 if there was any.
idno_leaks() {
	python3 - "$T/.idnos" "$@" <<'PYEOF'
import re, sys
try:
    known = set(open(sys.argv[1]).read().upper().split())
except OSError:
    known = set()
W, C = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], "10X98765432"
def shaped(s):
    return (C[sum(int(c) * w for c, w in zip(s, W)) % 11] == s[17] and 1900 <= int(s[6:10]) <= 2100
            and 1 <= int(s[10:12]) <= 12 and 1 <= int(s[12:14]) <= 31)
windows = re.compile(r"(?=([0-9]{17}[0-9X]))")
alone = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
bad = 0
import os
for path in sys.argv[2:]:
    if not os.path.isfile(path):
        continue
    with open(path, errors="replace") as f:
        for no, line in enumerate(f, 1):
            up = line.upper()
            found = {w for w in windows.findall(up) if w in known}
            found |= {m.upper() for m in alone.findall(line) if shaped(m.upper())}
            for n in sorted(found):
                print("%s:%d: a full identity number (%s) in the log" % (path, no, n[:6] + "********" + n[14:17] + "*"))
                bad += 1
sys.exit(1 if bad else 0)
PYEOF
}

# sex_of_seq SEQ: M for an odd sequence number, F for an even one.
sex_of_seq() {
	if ((10#$1 % 2)); then echo M; else echo F; fi
}

# mask IDNO: the masked form the CLI shows (110105********002*: area code and sequence digits).
mask() {
	printf '%s********%s*\n' "${1:0:6}" "${1:14:3}"
}

# members_csv FILE K: 1,000 members for one `liudong import members` into FILE, full members of
# branch 001 (retired, income 4800), area 110105; block K of birth dates (from 1940-01-01 plus
# 1,000 K days: distinct from every other block, and no make_idno number of another area).
members_csv() {
	python3 - "$1" "$2" <<'PYEOF'
import datetime, sys
path, k = sys.argv[1], int(sys.argv[2])
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
C = "10X98765432"
out = ["id,name,sex,birth,joined,kind,branch,dues_category,income,phone,to,place,reason,from,"
       "until,fixed_place,employer"]
for i in range(1000):
    birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=k * 1000 + i)
    seq = 100 + (i * 7 + k) % 900
    body = "110105" + birth.strftime("%Y%m%d") + "%03d" % seq
    idno = body + C[sum(int(c) * w for c, w in zip(body, W)) % 11]
    out.append(",".join([idno, "导入%d-%04d" % (k, i), "M" if seq % 2 else "F", birth.isoformat(),
                         "%d-07-01" % (birth.year + 20), "full", "001", "retired", "4800.00",
                         "1380000%04d" % i] + [""] * 7))
open(path, "w", encoding="utf-8").write("\n".join(out) + "\n")
PYEOF
}

# ---------------------------------------------------------------------------------------------
# Sites and daemons

# free_port: a TCP port on 127.0.0.1 nothing listens on right now.
free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# site_init KEY NAME CODE: `liudongd init` a site in $T/KEY listening on a free 127.0.0.1 port;
# keeps its directory, id and port in SITE_DIR[KEY], SITE_ID[KEY], SITE_PORT[KEY].
site_init() {
	local key=$1 name=$2 code=$3 port
	port=$(free_port)
	run "$LIUDONGD" init "$T/$key" --name "$name" --code "$code" --listen "127.0.0.1:$port"
	[ "$RC" = 0 ] || {
		_show_last
		die "liudongd init $key failed (exit $RC)"
	}
	SITE_DIR[$key]=$T/$key
	# shellcheck disable=SC2034
	SITE_ID[$key]=$OUT
	# shellcheck disable=SC2034
	SITE_PORT[$key]=$port
	# shellcheck disable=SC2034
	SITE_NAME[$key]=$name
}

# site_start KEY: start KEY's daemon in the background (log: $T/KEY.log) and wait until its
# socket answers `liudong site`. Dies if it does not within 15 seconds.
site_start() {
	local key=$1 i
	"${LIUDONGD_RUN[@]}" -c "${SITE_DIR[$key]}/liudongd.conf" 2>>"$T/$key.log" &
	SITE_PID[$key]=$!
	for ((i = 0; i < 150; i++)); do
		if ! kill -0 "${SITE_PID[$key]}" 2>/dev/null; then
			wait "${SITE_PID[$key]}"
			local rc=$?
			SITE_PID[$key]=
			sed 's/^/    /' "$T/$key.log"
			die "liudongd for $key exited with $rc at start"
		fi
		if [ -S "${SITE_DIR[$key]}/liudongd.sock" ] && ld "$key" site >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	sed 's/^/    /' "$T/$key.log"
	die "liudongd for $key did not answer on its socket within 15 s"
}

# site_stop KEY: SIGTERM, wait up to 20 s; sets STOP_RC to the daemon's exit status (or
# "timeout" after which it was killed).
site_stop() {
	local key=$1 pid=${SITE_PID[$1]:-} i
	STOP_RC=
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 200; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		STOP_RC=timeout
	else
		wait "$pid"
		STOP_RC=$?
	fi
	SITE_PID[$key]=
}

# site_kill KEY: kill -9 KEY's daemon, as a crash would.
site_kill() {
	local key=$1 pid=${SITE_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	SITE_PID[$key]=
}

# bg CMD...: run CMD in the background (its pid in BG_PID); the trap kills it if it is still
# there at the end, unless it was collected with bg_wait.
bg() {
	"$@" &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# bg_wait PID: wait for a process started with bg; its exit status is bg_wait's. Forgets PID, so
# the trap never signals a process that might reuse the number.
bg_wait() {
	local pid=$1 rc p keep=()
	wait "$pid"
	rc=$?
	for p in "${BG_PIDS[@]}"; do
		[ "$p" = "$pid" ] || keep+=("$p")
	done
	BG_PIDS=("${keep[@]}")
	return "$rc"
}

# ---------------------------------------------------------------------------------------------
# The end

_cleanup() {
	local status=$? key pid
	trap - EXIT INT TERM HUP
	for pid in "${BG_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for key in "${!SITE_PID[@]}"; do
		[ -n "${SITE_PID[$key]}" ] || continue
		# A daemon the test left running must still be alive, and stop cleanly.
		site_stop "$key"
		if [ "$STOP_RC" = timeout ]; then
			fail "liudongd for $key did not stop within 20 s of SIGTERM (killed)"
			status=1
		elif [ "$STOP_RC" != 0 ]; then
			fail "liudongd for $key exited with status $STOP_RC (crashed before the end, or failed to stop)"
			status=1
		fi
	done
	for pid in "${BG_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	# A sanitizer report in any daemon log fails the test.
	local logf
	for logf in "$T"/*.log; do
		[ -f "$logf" ] || continue
		if grep -qE 'AddressSanitizer|LeakSanitizer|ThreadSanitizer|runtime error:' "$logf"; then
			fail "sanitizer report in $(basename "$logf"):"
			sed 's/^/    /' "$logf" | head -60
			status=1
		fi
	done
	# The privacy canary: no full identity number in any daemon log.
	local leaks
	if ! leaks=$(idno_leaks "$T"/*.log 2>&1); then
		fail "full identity numbers in the daemon logs (personal data must stay out of logs):"
		printf '%s\n' "$leaks" | sed 's/^/    /' | head -20
		status=1
	fi
	if [ "$status" != 0 ] || [ "$FAILURES" != 0 ]; then
		for logf in "$T"/*.log; do
			[ -f "$logf" ] || continue
			echo "--- last lines of $(basename "$logf"):"
			tail -n 30 "$logf" | sed 's/^/    /'
		done
	fi
	rm -rf "$T"
	exit "$status"
}
trap _cleanup EXIT
trap 'echo "$TEST_NAME: interrupted"; exit 130' INT TERM HUP

# finish: end the test: exit 0 if every check passed, 1 if any failed.
finish() {
	if [ "$FAILURES" -ne 0 ]; then
		log "$FAILURES check(s) FAILED, $CHECKS passed"
		exit 1
	fi
	log "all $CHECKS checks passed"
	exit 0
}
