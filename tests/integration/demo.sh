#!/usr/bin/env bash
# demo.sh: scripts/demo, the narrated tour (issue 13), runs to its end with this build's programs;
# piped, it writes no escape code (bold only on a terminal); on a terminal (a pty) its headings
# are bold; every step is narrated; it leaves no daemon behind.
. "$(dirname "$0")/lib.sh"

DEMO=$HERE/../../scripts/demo
export LIUDONG LIUDONGD

log "piped: plain text"
assert_exit 0 env TMPDIR="$T" timeout 60 "$DEMO"
assert_eq "$(printf '%s' "$OUT" | tr -d -c '\033' | wc -c)" 0 "escape codes in the piped tour"
for step in "Each organization department runs its own site" "[昆山]\$ liudong member add" \
	"[南京]\$ liudong checkin" "[昆山]\$ liudong history" "She comes home" "revoke_reason  returned" "stopped"; do
	assert_contains "$OUT" "$step" "the tour"
done
assert_contains "$(printf '%s' "$OUT" | grep -A3 'liudong status')" "live" "the tour's status"
[ -z "$(ls -A "$T" | grep '^tmp\.')" ] || fail "the tour left its directory behind: $(ls "$T")"

log "on a terminal: bold headings"
assert_exit 0 env TMPDIR="$T" timeout 60 python3 -c '
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        b = os.read(fd, 65536)
    except OSError:
        break
    if not b:
        break
    out += b
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
sys.exit(os.waitstatus_to_exitcode(status))' "$DEMO" &&
	assert_contains "$OUT" $'\033[1m[昆山]$ liudong member add' "the tour on a terminal"

finish
