#!/usr/bin/env bash
# cli_output.sh: what the CLI prints for people, with realistic data at two sites (issue 13).
#  - every table command (status, peer list, branch list, member list and find, history, due,
#    conflicts, dues list, meeting list, log, audit...) fits 100 display columns (a Chinese
#    character takes 2), under C and under zh_CN; a long cell wraps in its column; status PEER
#    shows the fields the status table leaves out;
#  - months are an array in every command's JSON, a range in the table;
#  - a token pasted with its newline (LF or CR LF) is the token; `lapse decide --outcome maybe`
#    points at `liudong lapse decide --help`; a meeting not on the 27th is a `note:` saying what
#    was recorded, exit 0; `member add -h` lists the dues categories; `peer add` without
#    --address pins a peer that dials us;
#  - no pager and no progress bytes when piped; on a terminal (a pty), a list longer than the
#    terminal goes through $PAGER, a short one or a record (member show) does not, and export
#    shows progress on stderr;
#  - on a terminal, tables and records fit its width: 80 columns on a terminal of 80, and a place
#    that wraps in 100 columns stays on one line on a terminal of 160.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"
. "$(dirname "$0")/cert_lib.sh"

cert_two_sites

# widest FILE: the widest line of FILE in display columns (East Asian wide characters count 2).
widest() {
	python3 - "$1" <<'PYEOF'
import sys, unicodedata
w = 0
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    w = max(w, sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line))
print(w)
PYEOF
}

# assert_fits WHAT CMD...: CMD succeeds and no line of its output is over 100 columns.
assert_fits() {
	local what=$1 w
	shift
	assert_exit 0 "$@" || return 1
	printf '%s\n' "$OUT" >"$T/.fits"
	w=$(widest "$T/.fits")
	if [ "$w" -gt 100 ]; then
		fail "$what is $w columns wide, over 100:"
		sed 's/^/    /' "$T/.fits" | head -20
		return 1
	fi
	pass
}

# assert_json_error_in_list: the last run's stdout is one JSON object holding members (those that
# came) and the error, code 6, whose message is the line on stderr.
assert_json_error_in_list() {
	local why
	why=$(OUT="$OUT" ERR="$ERR" python3 -c '
import json, os
lines = os.environ["OUT"].splitlines()
try:
    d = json.loads(os.environ["OUT"])
except ValueError as e:
    print("stdout is not one JSON object: %s" % e); raise SystemExit
if len(lines) != 1:
    print("stdout holds %d lines" % len(lines))
elif not d.get("members"):
    print("no members before the error")
elif d.get("error", {}).get("code") != 6:
    print("error is %r" % d.get("error"))
elif "liudong: " + d["error"]["message"] != os.environ["ERR"]:
    print("error.message is not the line on stderr")
')
	if [ -n "$why" ]; then
		fail_run "a --json list cut short: $why"
	else
		pass
	fi
}

log "realistic data: names of 2, 3 and 4 characters and Latin letters, long places and topics"
names=(王芳 欧阳建国 Zhang-Wei-Long-Latin-Name 李秀英 司马相如)
places=(南京市江宁区秣陵街道将军大道与双龙大道交叉口东南侧科技园三期十二号楼
	南京市玄武区 "南京市 雨花台区 软件大道 101 号" 南京市鼓楼区中山北路 南京市栖霞区仙林大学城文苑路九号)
IDS=()
for i in "${!names[@]}"; do
	id=$(make_idno 110105 "198$i-0$((i + 1))-1$i" "$((101 + 2 * i))")
	IDS+=("$id")
	assert_exit 0 ld a member add --id "$id" --name "${names[$i]}" --sex M --birth "198$i-0$((i + 1))-1$i" \
		--joined 2010-07-01 --kind full --branch 001 --dues-category salaried --income 8500 \
		--phone 1380013800$i || die "member add $id"
	assert_exit 0 ld a outflow register "$id" --to 南京 --place "${places[$i]}" --reason work \
		--from 2026-03-01 --employer 南京某某科技股份有限公司软件研发中心第三事业部 ||
		die "outflow register $id"
done
ID=${IDS[0]}
cert_issue a "$ID"
wait_for 10 cert_known b "$CERT_NUMBER" || die "B does not know $CERT_NUMBER"

log "a token pasted with its newline, LF or CR LF, is the token"
assert_exit 0 ld b cert verify "$CERT_TOKEN"$'\n'
assert_exit 0 ld b cert verify "$CERT_TOKEN"$'\r\n'
assert_exit 0 ld b checkin "$CERT_TOKEN"$'\r\n' --branch 101 --contact 张联系人 ||
	die "check-in with a pasted token"
assert_exit 0 ld a member show "${IDS[1]}"$'\n'

log "a meeting not on the 27th: a note that says what was recorded"
assert_exit 0 ld b --json meeting add --branch 101 --kind theme-day --date 2026-03-26 \
	--topic "学习贯彻党的二十大精神专题组织生活会暨流动党员年度民主评议党员大会" &&
	MEETING=$(jget "$OUT" 'd["meeting"]')
assert_eq "$(printf '%s\n' "$ERR" | grep -c '')" 1 "stderr lines of a meeting on the 26th"
case $ERR in
"liudong: note: meeting $MEETING recorded on 2026-03-26"*) pass ;;
*) fail "the meeting's warning is not a note saying what was recorded: $ERR" ;;
esac
assert_exit 0 ld b meeting attend "$MEETING" "$ID"
assert_exit 0 ld b meeting add --branch 101 --kind lecture --topic 党课 --date 2026-04-27 &&
	assert_eq "$ERR" "" "stderr of a meeting on the 27th"

log "dues: months an array in every command's JSON, a range in the table"
assert_exit 0 ld b --json dues pay "$ID" --from 2026-03 --to 2026-05 --amount 12 &&
	assert_eq "$(jget "$OUT" 'd["months"]')" '["2026-03", "2026-04", "2026-05"]' "dues pay months"
case $ERR in
"liudong: note: receipt "*) pass ;;
*) fail "an amount below the dues is not a note saying what was recorded: $ERR" ;;
esac
assert_exit 0 ld b dues pay "$ID" --from 2026-06 --amount 80
assert_exit 0 ld b --json dues list "$ID" &&
	assert_eq "$(jget "$OUT" '[r["months"] for r in d["receipts"]]')" \
		'[["2026-03", "2026-04", "2026-05"], ["2026-06"]]' "dues list months"
assert_exit 0 ld b dues list "$ID" && assert_contains "$OUT" "2026-03..2026-05" "dues list table"
assert_exit 0 ld a --json dues exempt "${IDS[1]}" --monthly 0 --approved-by 组织部 --reason 困难 \
	--from 2026-01 --to 2026-02 &&
	assert_eq "$(jget "$OUT" 'd["months"]')" '["2026-01", "2026-02"]' "dues exempt months"

log "advice names the command as typed"
assert_exit 0 ld a lapse open "${IDS[2]}" --grounds 失联六个月
assert_exit 3 ld a lapse decide "${IDS[2]}" --outcome maybe &&
	assert_contains "$ERR" "liudong lapse decide --help" "lapse decide --outcome maybe" &&
	assert_not_contains "$ERR" "lapse.decide" "lapse decide --outcome maybe"

log "member add -h lists the dues categories"
assert_exit 0 ld a member add -h &&
	for c in salaried annual-salary self-employed retired farmer student unemployed hardship; do
		assert_contains "$OUT" "$c" "member add -h"
	done

log "peer add without --address pins a peer that dials us"
port=$(sync_random_port)
run "$LIUDONGD" init "$T/c" --name 苏州 --code 320500 --listen "127.0.0.1:$port"
assert_exit 0 ld a peer add 苏州 --id "$OUT"
assert_exit 0 ld a --json peer list &&
	assert_eq "$(jget "$OUT" '[p["address"] for p in d["peers"] if p["name"] == "苏州"]')" '[""]' \
		"the address of a peer pinned without one"

log "every table fits 100 columns"
sleep 1 # the last events reach A
for loc in C.UTF-8 zh_CN.UTF-8; do
	for s in a b; do
		export LC_ALL=$loc
		assert_fits "status at $s ($loc)" ld $s status
		assert_fits "peer list at $s ($loc)" ld $s peer list
		assert_fits "branch list at $s ($loc)" ld $s branch list
		assert_fits "member list at $s ($loc)" ld $s member list
		assert_fits "member find at $s ($loc)" ld $s member find 南京
		assert_fits "member show at $s ($loc)" ld $s member show "$ID"
		assert_fits "history at $s ($loc)" ld $s history "$ID"
		assert_fits "due at $s ($loc)" ld $s due --as-of 2026-12-01
		assert_fits "conflicts at $s ($loc)" ld $s conflicts
		assert_fits "dues list at $s ($loc)" ld $s dues list "$ID"
		assert_fits "log at $s ($loc)" ld $s log
		assert_fits "audit at $s ($loc)" ld $s audit
		assert_fits "stats at $s ($loc)" ld $s stats --as-of 2026-12-01
		assert_fits "site at $s ($loc)" ld $s site
	done
	assert_fits "meeting list at b ($loc)" ld b meeting list
	assert_fits "cert show at a ($loc)" ld a cert show "$CERT_NUMBER"
done
export LC_ALL=C.UTF-8
# What the status table leaves out is in the detail view.
assert_exit 0 ld a status 南京 && assert_contains "$OUT" "acked_seq" "status 南京" &&
	assert_contains "$OUT" "${SITE_ID[b]}" "status 南京"
assert_exit 0 ld a --json status 南京 && assert_eq "$(jget "$OUT" 'd["name"]')" 南京 "status 南京 --json"
assert_exit 4 ld a status 上海
# A long cell wraps inside its column: the place of member find is whole, over two lines.
assert_exit 0 ld b member find 秣陵街道 &&
	assert_contains "$(printf '%s' "$OUT" | tr -d ' \n')" "${places[0]}" "the wrapped place"

log "piped: no pager, no progress"
printf '#!/bin/sh\necho paged >%s/paged\ncat\n' "$T" >"$T/pager.sh"
chmod +x "$T/pager.sh"
PAGER=$T/pager.sh LIUDONG_PAGE_ROWS=2 assert_exit 0 ld a member list &&
	assert_contains "$OUT" "${names[1]}" "member list piped"
PAGER=$T/pager.sh assert_exit 0 ld a log
[ -e "$T/paged" ] && fail "the pager ran with stdout piped"
assert_exit 0 env LIUDONG_PAGE_ROWS=2 "$LIUDONG" -s "${SITE_DIR[a]}/liudongd.sock" export members \
	--out "$T/m.csv" && assert_eq "$ERR" "" "stderr of an export, piped"

log "on a terminal: the pager for a list longer than the terminal, progress for export"
# ptyrun.py ROWS CMD...: run CMD with stdin, stdout and stderr on a pty of ROWS rows (and
# $PTY_COLS columns, 100 if unset); print what it wrote.
cat >"$T/ptyrun.py" <<'PYEOF'
import fcntl, os, pty, struct, sys, termios
rows = int(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    cols = int(os.environ.get("PTY_COLS", "100"))
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    os.execvp(sys.argv[2], sys.argv[2:])
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
sys.exit(os.waitstatus_to_exitcode(status))
PYEOF
printf '#!/bin/sh\nsed "s/^/PAGED:/"\n' >"$T/mark.sh"
chmod +x "$T/mark.sh"
sock=${SITE_DIR[a]}/liudongd.sock
assert_exit 0 env PAGER="$T/mark.sh" LIUDONG_PAGE_ROWS=2 python3 "$T/ptyrun.py" 5 "$LIUDONG" -s "$sock" member list &&
	assert_contains "$OUT" "PAGED:" "member list on a terminal of 5 rows"
assert_exit 0 env PAGER="$T/mark.sh" python3 "$T/ptyrun.py" 5 "$LIUDONG" -s "$sock" audit &&
	assert_contains "$OUT" "PAGED:" "audit on a terminal of 5 rows"
# A record is no list: member show, longer than the terminal, never stops a paste in a pager.
assert_exit 0 env PAGER="$T/mark.sh" python3 "$T/ptyrun.py" 5 "$LIUDONG" -s "$sock" member show "$ID" &&
	assert_not_contains "$OUT" "PAGED:" "member show on a terminal of 5 rows"
assert_exit 0 env PAGER="$T/mark.sh" python3 "$T/ptyrun.py" 200 "$LIUDONG" -s "$sock" member list &&
	assert_not_contains "$OUT" "PAGED:" "member list on a terminal of 200 rows"
assert_exit 0 env PAGER=cat python3 "$T/ptyrun.py" 5 "$LIUDONG" -s "$sock" member list &&
	assert_not_contains "$OUT" "PAGED:" "member list with PAGER=cat" &&
	assert_contains "$OUT" "${names[1]}" "member list with PAGER=cat"
assert_exit 0 env PAGER="$T/mark.sh" python3 "$T/ptyrun.py" 5 "$LIUDONG" -s "$sock" --json member list &&
	assert_not_contains "$OUT" "PAGED:" "member list --json on a terminal"
# The terminal's width: every line of a table or a record fits a terminal of 80 columns; on one of
# 160 the long place that wraps in 100 columns is whole on its line.
for cmd in "member list" "member find 南京" "member show $ID" "history $ID" "log" "audit" "status" \
	"branch list"; do
	# shellcheck disable=SC2086 # the command's words
	assert_exit 0 env PAGER=cat PTY_COLS=80 python3 "$T/ptyrun.py" 200 "$LIUDONG" -s "$sock" $cmd &&
		printf '%s\n' "$OUT" | tr -d '\r' >"$T/.pty" && w=$(widest "$T/.pty") &&
		if [ "$w" -le 80 ]; then pass; else
			fail "$cmd on a terminal of 80 columns is $w wide:"
			sed 's/^/    /' "$T/.pty" | head -20
		fi
done
# A column of words gives way before one of times: on 90 columns the audit's times are whole, its
# details wrap between words (its time, action and member take 73 columns with their gaps).
assert_exit 0 env PAGER=cat PTY_COLS=90 python3 "$T/ptyrun.py" 200 "$LIUDONG" -s "$sock" audit &&
	if printf '%s\n' "$OUT" | grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2} '; then
		pass
	else
		fail "the audit's times are cut on a terminal of 90 columns:"
		printf '%s\n' "$OUT" | head -8 | sed 's/^/    /'
	fi
assert_exit 0 env PAGER=cat PTY_COLS=160 python3 "$T/ptyrun.py" 200 "$LIUDONG" -s "$sock" member find 秣陵街道 &&
	assert_contains "$OUT" "${places[0]}" "the place on one line, on a terminal of 160 columns"
assert_exit 0 env PAGER=cat PTY_COLS=100 python3 "$T/ptyrun.py" 200 "$LIUDONG" -s "$sock" member find 秣陵街道 &&
	assert_not_contains "$OUT" "${places[0]}" "the place wrapped, on a terminal of 100 columns"
assert_exit 0 env LIUDONG_PAGE_ROWS=2 python3 "$T/ptyrun.py" 24 "$LIUDONG" -s "$sock" export members \
	--out "$T/m2.csv" && assert_contains "$OUT" "export members: 5 rows" "export progress on a terminal"
# Piped, an import shows no progress (and on a terminal it would: one request, one line).
members_csv "$T/new.csv" 0
assert_exit 0 ld a import members "$T/new.csv" &&
	assert_eq "$(printf '%s' "$ERR" | tr -d -c '\r\033' | wc -c)" 0 "progress bytes of an import, piped"
assert_exit 0 python3 "$T/ptyrun.py" 24 "$LIUDONG" -s "$sock" export members --out "$T/m3.csv" &&
	assert_contains "$OUT" "export members: 1005 rows" "export progress on a terminal"

log "--json: a list cut short (the daemon stopped between pages) is still one object, with the error"
mkfifo "$T/fifo"
env LIUDONG_PAGE_ROWS=50 LIUDONG_SOCKET="$sock" "$LIUDONG" --json member list >"$T/fifo" 2>"$T/cut.err" &
cutpid=$!
exec 7<"$T/fifo"
sleep 1 # the pipe is full: the CLI waits to write the rows of a page
site_stop a
cat <&7 >"$T/cut.out"
exec 7<&-
wait "$cutpid"
RC=$? OUT=$(cat "$T/cut.out") ERR=$(cat "$T/cut.err") LAST_CMD="liudong --json member list (cut short)"
if [ "$RC" = 6 ]; then
	assert_json_error_in_list
else
	fail_run "expected exit 6 for a list cut short, got $RC"
fi

finish
