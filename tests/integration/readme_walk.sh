#!/usr/bin/env bash
# readme_walk.sh: the README's walk with two sites runs as it is written (issue 13). The code
# blocks that follow a `<!-- walk -->` line in README.md are taken verbatim, joined in order into
# one bash script run with `set -e` (any command that fails stops it), with this build's liudong
# and liudongd first on PATH and TMPDIR inside the test's directory; so README and test cannot
# drift apart. Then what the walk printed must show the member checked in at 南京 as seen at 北京,
# his dues and attendance in 北京's history, and 南京 live in 北京's status.
#
# The build block (`<!-- walk: build -->`) is checked for syntax here; it runs as written (in a
# fresh clone of this repository's HEAD, a full build) only with LIUDONG_WALK_BUILD=1, being slow.
# The walk listens on 127.0.0.1:7701 and 7702: if either is taken, the test is skipped (exit 77).
. "$(dirname "$0")/lib.sh"

README=$HERE/../../README.md
[ -f "$README" ] || die "no README.md at $README"

# blocks MARKER: the code blocks after each line MARKER, joined.
blocks() {
	python3 - "$README" "$1" <<'PYEOF'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
marker, out, i = sys.argv[2], [], 0
while i < len(lines):
    if lines[i].strip() == marker:
        i += 1
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i >= len(lines) or not lines[i].startswith("```"):
            sys.exit("README.md: %s is not followed by a code block (line %d)" % (marker, i + 1))
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            out.append(lines[i])
            i += 1
    i += 1
print("\n".join(out))
PYEOF
}

for port in 7701 7702; do
	if ! python3 -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))' "$port" 2>/dev/null; then
		log "127.0.0.1:$port is taken: the README's walk cannot run here; skipped"
		trap - EXIT
		rm -rf "$T"
		exit 77
	fi
done

log "the README's walk blocks"
blocks '<!-- walk: build -->' >"$T/build.sh" || die "cannot read the build block"
blocks '<!-- walk -->' >"$T/walk.sh" || die "cannot read the walk blocks"
[ "$(grep -c . "$T/build.sh")" -ge 2 ] || die "README.md has no build block: $(cat "$T/build.sh")"
[ "$(grep -c . "$T/walk.sh")" -ge 20 ] || die "README.md's walk is too short: $(cat "$T/walk.sh")"
assert_exit 0 bash -n "$T/build.sh"
assert_exit 0 bash -n "$T/walk.sh"
# Nothing a newcomer would have to fill in.
assert_not_contains "$(cat "$T/build.sh" "$T/walk.sh")" "<" "the walk (a placeholder like <ID>)"

if [ "${LIUDONG_WALK_BUILD:-}" = 1 ]; then
	log "the build block, in a fresh clone"
	assert_exit 0 git clone -q "$HERE/../.." "$T/clone" || die "git clone failed"
	assert_exit 0 bash -ec "cd '$T/clone' && $(cat "$T/build.sh") && command -v liudong liudongd" ||
		die "the README's build block failed"
	bindirs=$T/clone/build/server:$T/clone/build/client
else
	bindirs=$(dirname "$LIUDONGD"):$(dirname "$LIUDONG")
fi

log "the walk, as written"
mkdir -p "$T/tmp"
# The daemons the walk starts are its jobs: whatever happens, they stop with it.
{
	echo 'set -e'
	echo "trap 'kill \$(jobs -p) 2>/dev/null || true' EXIT"
	cat "$T/walk.sh"
} >"$T/run.sh"
run env PATH="$bindirs:$PATH" TMPDIR="$T/tmp" timeout 120 bash "$T/run.sh"
cp "$T"/tmp/*/*.log "$T"/ 2>/dev/null # the daemons' logs: the sanitizer and privacy checks
if [ "$RC" != 0 ]; then
	fail_run "the README's walk failed (exit $RC)"
else
	pass
fi
walk_out=$OUT
assert_contains "$walk_out" "checked-in" "the member as 北京 shows him"
assert_contains "$walk_out" "dues.paid" "北京's history of the member"
assert_contains "$walk_out" "attendance" "北京's history of the member"
assert_contains "$walk_out" "南京  live" "北京's status"
assert_contains "$walk_out" "LD1:" "the token the walk printed"
assert_contains "$walk_out" "张组织员" "the request's handler at 北京"
assert_contains "$walk_out" "handover" "the request's trail at 北京"
# On stderr, notes at most (a meeting not on the 27th), never an error.
assert_eq "$(printf '%s\n' "$ERR" | grep -v '^liudong: note: ' | grep -c .)" 0 "lines on the walk's stderr but notes"

finish
