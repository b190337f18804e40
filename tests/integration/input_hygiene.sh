#!/usr/bin/env bash
# input_hygiene.sh: what people type, as the site accepts it (issue 11, Input hygiene).
#
# 1. Names (member, branch), places, employers and addresses are trimmed; empty ones and ones
#    holding a TAB, a newline, a bidirectional control (U+202E) or a zero-width character
#    (U+200B, U+FEFF) are refused (exit 3), at the command line and in `import members`.
# 2. Phone numbers: a mobile number (11 digits, 1[3-9]...) or a landline with its area code
#    (025-84561234), optionally after +86; "1" or "12345" is refused (exit 3) saying so.
# 3. --operator: 1 to 64 characters; '' and 5,000 bytes are refused (exit 3) by the CLI, and by
#    the daemon itself when a client sends them on the socket (ctl_raw); nothing reaches the audit.
# 4. A 100 KB argument is quoted cut to 80 characters with "…": the error line stays short and
#    keeps its advice (the CLI's own messages and the daemon's).
# 5. The other free texts staff type: check-in's --contact, a certificate review's --result, a
#    conflict's --note and a peer's name are refused (exit 3, the error naming it) empty or
#    holding a TAB, a newline, a bidirectional control or a zero-width character; nothing is
#    written (the peer is not added).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"

CTL_RAW=${CTL_RAW:-$HERE/../../build/tests/integration/ctl_raw}

sync_site_init a 昆山 320583
sync_site_init b 南京 320100
sync_site_init c 昆山 320583
sync_site_start a
sync_site_start c
sync_pin a b
assert_exit 0 ld a branch add 001 --name 第一支部 || die "branch add failed"
assert_exit 0 ld c branch add 001 --name 第一支部 || die "branch add at C failed"

ID=$(make_idno 320583 19800101 011)
args() { # ID NAME: the options of a member add, in the array a
	a=(--id "$1" --name "$2" --sex M --birth "${1:6:4}-${1:10:2}-${1:12:2}" --joined 2000-01-01
		--kind full --branch 001 --dues-category student)
}
members() {
	jget "$(ld a --json member list)" 'len(d["members"])'
}

# ---------------------------------------------------------------------------------------------
log "names: trimmed; refused when empty or holding control, bidi or zero-width characters"
for bad in "" "   " "　" $'张\t三' $'张\n三' $'张\u202e三' $'\u202e' $'张\u200b三' $'\ufeff张三' \
	$'张\u2066三' $'张\u200e三'; do
	args "$ID" "$bad"
	assert_exit 3 ld a member add "${a[@]}" &&
		assert_contains "$ERR" "--name" "the refusal of name $(printf '%q' "$bad")"
done
assert_eq "$(members)" 0 "members after the refused names"
# What is wrong is said: a control character is no locale's fault, bytes not UTF-8 are.
args "$ID" $'张\a三'
assert_exit 3 ld a member add "${a[@]}" &&
	assert_contains "$ERR" "--name holds a control character" "the refusal of a name with a BEL"
args "$ID" $'\xd5\xc5\xc8\xfd'
assert_exit 3 ld a member add "${a[@]}" &&
	assert_contains "$ERR" "--name is not UTF-8 text: set a UTF-8 locale" "the refusal of a name in GBK"
args "$ID" "  张三　"
assert_exit 0 ld a member add "${a[@]}" || die "member add with spaces around the name failed"
assert_eq "$(jget "$(ld a --json member show "$ID")" 'd["name"]')" 张三 "the name, trimmed"
assert_exit 3 ld a member update "$ID" --name $'李\u202e四'
assert_exit 3 ld a branch add 002 --name $'第二\u200b支部'
assert_exit 3 ld a branch add 002 --name ' '
assert_exit 0 ld a branch add 002 --name ' 第二支部 '
assert_eq "$(jget "$(ld a --json branch list)" '[b["name"] for b in d["branches"] if b["code"] == "002"][0]')" \
	第二支部 "the branch name, trimmed"
assert_exit 3 ld a outflow register "$ID" --to 南京 --place $'南京\t市' --reason work --from 2026-02-01
assert_exit 3 ld a outflow register "$ID" --to 南京 --place 南京市 --reason work --from 2026-02-01 \
	--employer $'\u202e公司'
assert_exit 3 ld a contact "$ID" --address $'鼓楼\u200d区'

# ---------------------------------------------------------------------------------------------
log "phone numbers"
for bad in 1 12345 1380000000 138000000001 12800000000 025-1234 abc 0251234 +8612345; do
	assert_exit 3 ld a member update "$ID" --phone "$bad" &&
		assert_contains "$ERR" "025-84561234" "the refusal of phone $bad (says the expected form)"
done
for good in 13800000000 19912345678 +8613800000000 "+86 13800000000" 025-84561234 010-1234567 \
	0512-12345678 02584561234; do
	assert_exit 0 ld a member update "$ID" --phone "$good"
done
assert_exit 3 ld a contact "$ID" --phone 1
assert_exit 3 ld a outflow register "$ID" --to 南京 --place 南京市 --reason work --from 2026-02-01 --phone 1

# ---------------------------------------------------------------------------------------------
log "import: the same checks"
printf '%s\r\n' 'id,name,sex,birth,joined,kind,branch,dues_category,income,phone,to,place,reason,from,until,fixed_place,employer' \
	"$(make_idno 320583 19810101 021),王五,M,1981-01-01,2001-01-01,full,001,student,,,,,,,,," \
	"$(make_idno 320583 19820101 031),$(printf '赵\u202e六'),M,1982-01-01,2002-01-01,full,001,student,,,,,,,,," \
	"$(make_idno 320583 19830101 041),钱七,M,1983-01-01,2003-01-01,full,001,student,,1,,,,,,," >"$T/bad.csv"
run ld c import members "$T/bad.csv"
assert_eq "$RC" 3 "import with a bidi name and a bad phone"
assert_contains "$ERR" "bad.csv, line 3: name" "the refusal of line 3 (the name)"
assert_contains "$ERR" "bad.csv, line 4: phone" "the refusal of line 4 (the phone)"
assert_eq "$(jget "$(ld c --json member list)" 'len(d["members"])')" 0 "members at C after the refused import"
printf '%s\r\n' 'id,name,sex,birth,joined,kind,branch,dues_category,income,phone,to,place,reason,from,until,fixed_place,employer' \
	"$(make_idno 320583 19810101 021), 王五 ,M,1981-01-01,2001-01-01,full,001,student,,025-84561234,,,,,,," >"$T/good.csv"
assert_exit 0 ld c import members "$T/good.csv"
assert_eq "$(jget "$(ld c --json member show "$(make_idno 320583 19810101 021)")" 'd["name"]')" 王五 \
	"an imported name, trimmed"

log "import: a file that is not CSV says where and why, and imports nothing"
header='id,name,sex,birth,joined,kind,branch,dues_category,income,phone,to,place,reason,from,until,fixed_place,employer'
row="$(make_idno 320583 19840101 051),孙八,M,1984-01-01,2004-01-01,full,001,student,,,,,,,,,"
printf '%s\r\n' "$header" "$row" "$(make_idno 320583 19850101 061),\"周九,M" >"$T/open.csv"
printf '%s\r\n' "$header" "$row" "$(make_idno 320583 19850101 061),\"周\"九,M,1985-01-01" >"$T/after.csv"
printf '%s\r\n' "$header" "$row" "$(python3 -c 'print("x," * 1100)')" >"$T/wide.csv"
# Text that is not UTF-8 (a name typed in GBK), a control character (BEL): the line is named. A
# file of a megabyte and more is checked beside its hash, on another thread: the same.
printf '%s\r\n' "$header" "$row" "$(make_idno 320583 19850101 061),$(printf '\xd6\xdc')九,M" >"$T/gbk.csv"
printf '%s\r\n' "$header" "$row" "$(make_idno 320583 19850101 061),周$(printf '\a')九,M" >"$T/bel.csv"
python3 - "$T/big.csv" "$header" "$row" <<'PY'
import sys
path, header, row = sys.argv[1:]
with open(path, "wb") as f:
    f.write((header + "\r\n" + row + "\r\n").encode())
    f.write(("y," * 60 + "\r\n").encode() * 10997)  # lines 3 to 10999: 1.3 MB
    f.write(b"\xd6\xdc,M\r\n")  # line 11000
PY
for f in open:"a quoted field is not closed" \
	after:"text follows a field's closing quote (a quote inside a field is written twice)" \
	wide:"the line has more than 1024 fields" \
	gbk:"not UTF-8 text, or a control character" bel:"not UTF-8 text, or a control character"; do
	run ld c import members "$T/${f%%:*}.csv"
	assert_eq "$RC" 3 "exit code of ${f%%:*}.csv"
	assert_contains "$ERR" "${f%%:*}.csv, line 3: ${f#*:}" "why ${f%%:*}.csv is refused"
	assert_contains "$ERR" "nothing was imported" "${f%%:*}.csv: nothing imported"
done
run ld c import members "$T/big.csv"
assert_eq "$RC" 3 "exit code of big.csv"
assert_contains "$ERR" "big.csv, line 11000: not UTF-8 text" "big.csv's fault at its line"
assert_exit 4 ld c member show "$(make_idno 320583 19840101 051)"

# ---------------------------------------------------------------------------------------------
log "--operator: 1 to 64 characters, at the CLI and at the daemon"
audit_rows() {
	jget "$(ld a --json audit)" 'len(d["entries"])'
}
before=$(audit_rows)
LONG_OP=$(head -c 5000 /dev/zero | tr '\0' o)
assert_exit 3 ld a --operator '' member show "$ID" --reveal
assert_exit 3 ld a --operator "$LONG_OP" member show "$ID" --reveal
assert_exit 3 ld a --operator $'张\t三' member show "$ID" --reveal
assert_exit 3 ld a --operator '   ' member show "$ID" --reveal
assert_exit 0 ld a --operator "$(head -c 64 /dev/zero | tr '\0' o)" member show "$ID"
assert_exit 0 ld a --operator 审计员甲 member show "$ID"
SOCK=${SITE_DIR[a]}/liudongd.sock
for op in "" "$LONG_OP" $'a\u202eb' "-"; do
	run "$CTL_RAW" "$SOCK" "$op" member.show "arg=$ID" reveal=
	assert_eq "$RC" 3 "the daemon, for a request whose operator is $(printf '%q' "${op:0:20}") (${#op} bytes)"
	assert_contains "$OUT" "--operator" "the daemon's refusal of operator $(printf '%q' "${op:0:20}")"
done
run "$CTL_RAW" "$SOCK" 审计员乙 member.show "arg=$ID"
assert_eq "$RC" 0 "the daemon, for a good operator"
assert_eq "$(audit_rows)" "$before" "audit rows after the refused operators"

# ---------------------------------------------------------------------------------------------
log "long arguments are cut to 80 characters in messages"
BIG=$(head -c 100000 /dev/zero | tr '\0' a)
short_error() { # WHAT ADVICE: the last error is short, cut with "…", and keeps ADVICE
	if [ "${#ERR}" -le 400 ]; then pass; else fail "the error of $1 is ${#ERR} characters long"; fi
	assert_contains "$ERR" "${BIG:0:80}…" "the error of $1 (the argument cut at 80 with …)"
	assert_not_contains "$ERR" "${BIG:0:81}" "the error of $1 (nothing past 80 characters)"
	assert_contains "$ERR" "$2" "the error of $1 (its advice)"
}
assert_exit 3 ld a branch add "$BIG" --name 第三支部 && short_error "branch add (daemon)" "must be 1 to 32"
assert_exit 2 ld a member show "$ID" "$BIG" && short_error "an extra argument (CLI)" "see liudong member show --help"
assert_exit 2 ld a "$BIG" && short_error "an unknown command (CLI)" "see liudong --help"
assert_exit 2 ld a member show "--$BIG" && short_error "an unknown option (CLI)" "see liudong member show --help"
assert_exit 3 ld a member update "$ID" --phone "$BIG" && short_error "member update --phone (daemon)" "025-84561234"
# Characters, not bytes: 100 Chinese characters are cut after the 80th, whole.
ZH=$(python3 -c 'print("张" * 100)')
assert_exit 3 ld a member update "$ID" --phone "$ZH" &&
	assert_contains "$ERR" "$(python3 -c 'print("张" * 80)')…" "a Chinese argument cut at 80 characters"

# ---------------------------------------------------------------------------------------------
log "check-in contact, review result, conflict note and peer name: one line of text"
for bad in "" $'张\t三' $'张\n三' $'张\u202e三' $'张\u200b三' $'\ufeff张三'; do
	q=$(printf '%q' "$bad")
	assert_exit 3 ld a checkin 0000 --branch 001 --contact "$bad" &&
		assert_contains "$ERR" "--contact" "the refusal of contact $q"
	assert_exit 3 ld a cert review 320583-2026-C000001 --result "$bad" &&
		assert_contains "$ERR" "--result" "the refusal of review result $q"
	assert_exit 3 ld a conflicts resolve Q1 --note "$bad" &&
		assert_contains "$ERR" "--note" "the refusal of conflict note $q"
	# (a newline in an argument the CLI refuses itself, before the daemon's own check)
	assert_exit 3 ld a peer add "$bad" --id "${SITE_ID[b]}" --address "127.0.0.1:${SITE_PORT[b]}" &&
		[[ "$bad" == *$'\n'* ]] || assert_contains "$ERR" "peer name" "the refusal of peer name $q"
done
assert_eq "$(jget "$(ld a --json peer list)" 'len(d["peers"])')" 1 "peers after the refused names"
# Good texts pass these checks and meet the next ones (no such token, certificate or conflict).
run ld a checkin LD1:0000 --branch 001 --contact 张联系人
assert_not_contains "$ERR" "--contact" "a good contact"
assert_contains "$ERR" "token" "a good contact, then the token refused"
assert_exit 4 ld a conflicts resolve Q999 --note 已核实

finish
