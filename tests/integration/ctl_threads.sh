#!/usr/bin/env bash
# ctl_threads.sh: control connections owned by the daemon's control threads (issue 12, "Reads on
# every core"): each connection lives on one `ld-ctl` thread, which answers lookups itself and
# sends everything else through the loop thread. What a user notices stays the same:
#   1. many clients at once (more than there are threads: connections are spread over all of
#      them) each get the right answer;
#   2. on one connection, a lookup, a write, a `loop` command, a refused write and an unknown
#      command written at once are each answered, in the order sent, and the write is there;
#   3. a client that goes away with requests unanswered (lookups pipelined, a write in flight)
#      leaves the daemon well: the write is committed, the next clients are answered;
#   4. SIGHUP while lookups run on every thread (each thread takes the reloaded rules): every
#      lookup is answered (TSan build: no race reported);
#   5. SIGTERM with idle connections open on every thread: the daemon exits 0 promptly (ASan and
#      TSan builds: no report in the log).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"

[ -x "${HOSTILE_CLIENT:-}" ] || die "HOSTILE_CLIENT must name the hostile_client program"

site_init a 昆山 320583
site_start a
SOCK=${SITE_DIR[a]}/liudongd.sock
assert_exit 0 ld a branch add 001 --name 第一支部 || die "branch add failed"
N=12
add_members a $N

# frames REQUEST...: the hex of framed ctl.proto Requests, each given as COMMAND[,KEY=VALUE...]
# (KEY "arg" for positionals), one after the other.
frames() {
	python3 - "$@" <<'PYEOF'
import sys
def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])
def field(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data
out = b""
for spec in sys.argv[1:]:
    command, *params = spec.split(",")
    body = bytes([0x08, 0x01]) + field(2, command.encode()) + field(3, b"t")
    for p in params:
        k, v = p.split("=", 1)
        body += field(4, field(1, k.encode()) + field(2, v.encode()))
    out += len(body).to_bytes(4, "big") + body
print(out.hex())
PYEOF
}

# --- 1. many clients at once -------------------------------------------------------------------
log "40 clients at once, spread over the control threads"
: >"$T/many.err"
pids=()
for i in $(seq 1 40); do
	n=$((i % N + 1))
	id=$(make_idno 320583 "$(printf '1976-05-%02d' "$n")" $((2 * n + 1)))
	(
		out=$("$LIUDONG" -s "$SOCK" --json member show "$id" 2>&1) || echo "failed $i: $out"
		python3 -c 'import json, sys; d = json.loads(sys.argv[1]); sys.exit(d["name"] != sys.argv[2])' \
			"$out" "成员$n" 2>/dev/null || echo "wrong answer $i (成员$n): $out"
	) >>"$T/many.err" 2>&1 &
	pids+=($!)
done
wait "${pids[@]}"
assert_eq "$(cat "$T/many.err")" "" "failures among 40 clients at once"

# --- 2. a lookup, a write, a loop command... on one connection ----------------------------------
log "lookup, write, loop command, refused write, unknown command on one connection"
HEX=$(frames site "branch.add,arg=002,name=第二支部" status "branch.add,arg=002,name=又一个" \
	no.such "branch.list")
run "$HOSTILE_CLIENT" --unix "$SOCK" --send "$HEX" --half-close --timeout 10
REPLIES=$(printf '%s\n' "$OUT" | sed -n 's/^reply status=\([0-9]*\).*/\1/p' | tr '\n' ' ')
assert_eq "$REPLIES" "0 0 0 5 2 0 " "the statuses of six requests written at once, in order"
assert_contains "$OUT" "end eof" "the connection closed by the daemon once all were answered"
assert_exit 0 ld a --json branch list
assert_contains "$OUT" "第二支部"
assert_not_contains "$OUT" "又一个"

# --- 3. a client that goes away with requests unanswered -------------------------------------------
log "clients gone with requests unanswered"
LOTS=$(frames $(for _ in $(seq 1 300); do echo site; done))
python3 - "$SOCK" "$LOTS" "$(frames "branch.add,arg=003,name=第三支部")" <<'PYEOF'
import socket, sys
for hexdata in sys.argv[2:]:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.sendall(bytes.fromhex(hexdata))
    s.close()  # nothing read: the answers go to a closed socket
PYEOF
for _ in $(seq 1 50); do
	run "$LIUDONG" -s "$SOCK" --json branch list
	[[ $OUT == *第三支部* ]] && break
	sleep 0.1
done
assert_contains "$OUT" "第三支部" "the write of a client that went away, committed"
assert_exit 0 timeout 20 "$LIUDONG" -s "$SOCK" site
assert_contains "$OUT" "昆山"
if kill -0 "${SITE_PID[a]}" 2>/dev/null; then
	pass
else
	fail "liudongd is gone after clients left with requests unanswered"
fi

# --- 4. SIGHUP while lookups run -------------------------------------------------------------------
log "SIGHUP while four clients look members up"
: >"$T/hup.err"
looker() {
	local i
	for ((i = 0; i < 25; i++)); do
		"$LIUDONG" -s "$SOCK" member show "$ID1" >/dev/null 2>>"$T/hup.err" ||
			echo "failed: member show" >>"$T/hup.err"
	done
}
ID1=$(make_idno 320583 1976-05-01 3)
pids=()
for _ in 1 2 3 4; do
	looker &
	pids+=($!)
done
for _ in $(seq 1 20); do
	kill -HUP "${SITE_PID[a]}"
	sleep 0.02
done
wait "${pids[@]}"
assert_eq "$(cat "$T/hup.err")" "" "failures of lookups while SIGHUP reloads the rules"
assert_contains "$(cat "$T/a.log")" "SIGHUP: peers and rules reloaded"

# --- 5. SIGTERM with idle connections on every thread ------------------------------------------
log "SIGTERM with 50 idle connections open"
bg "$HOSTILE_CLIENT" --unix "$SOCK" --idle 50 --hold 30 >"$T/idle.out"
IDLE_PID=$BG_PID
wait_for 20 grep -q '^open 50 ' "$T/idle.out" || die "hostile_client did not open 50 connections"
assert_exit 0 "$LIUDONG" -s "$SOCK" site
site_stop a
assert_eq "$STOP_RC" 0 "liudongd's exit status after SIGTERM with idle connections open"
kill "$IDLE_PID" 2>/dev/null
bg_wait "$IDLE_PID"

finish
