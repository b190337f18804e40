#!/usr/bin/env bash
# export_import.sh: registers out and in (issue 6, acceptance 3).
#
# 1. A (昆山, 320583; branches 001 and 002; peer 南京 pinned, never started) has members at home,
#    away (one with employer "甲,乙公司", one with quotes in place and employer) and returned.
#    `export members --out FILE` writes CSV: the BOM (EF BB BF), CRLF line ends only, the header
#    of CLI.md's register columns then state,inflow,certificate,dues, RFC 4180 quoting, Chinese
#    text intact, full identity numbers (audited: export.members in `audit`). Without --out it
#    prints the same bytes.
# 2. `import members FILE` into an empty site C (same branch codes, a peer named 南京 pinned)
#    registers every row: `member list --json` at C gives what A's gives (id, name, sex, branch,
#    state; inflow site and place of the away members); the member exported as returned comes
#    back at home. C's own export has the same register columns as A's.
# 3. A register of 1,000 rows with one bad row (line 517: a wrong check character) imports
#    nothing at an empty site E: exit 3, "liudong: FILE, line 517: ..." then "liudong: 1 bad row(s)
#    in FILE (listed above); nothing was imported" on stderr, nothing on stdout, member list still
#    empty and the log's head unchanged. Two bad rows are both named. The corrected file imports
#    all 1,000.
# 4. `export ... --format json` prints one JSON object; `export certs|dues|attendance` of an empty
#    site is a header line (BOM, CRLF) and nothing else, and {"certs": []} etc. in JSON.
# 5. Rows that do not fit the header are bad rows, not guessed at: at E (the 1,000 in), a register
#    with a row of 16 fields (the header names 17) and one of 18 (an 18th field "extra") among good
#    rows imports nothing: exit 3, both lines named with both counts, E's members and head
#    unchanged. A row with place (another, with employer) but `to` empty is refused the same way,
#    its line and column named, not imported as a member at home. The same register with every
#    row made whole imports: the member with `to` is away with his place, the others at home
#    (one of them with fixed_place "no", which says nothing without `to`).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"

# Sites: B (南京) is only pinned, never started; A and C pin it as 南京.
sync_site_init a 昆山 320583
sync_site_init b 南京 320100
sync_site_init c 昆山 320583
sync_site_init e 昆山 320583
sync_site_start a
sync_site_start c
sync_site_start e
for s in a c e; do
	sync_pin "$s" b
	assert_exit 0 ld "$s" branch add 001 --name 第一支部 || die "branch add 001 at $s failed"
	assert_exit 0 ld "$s" branch add 002 --name 第二支部 || die "branch add 002 at $s failed"
done

# ---------------------------------------------------------------------------------------------
log "members at A: at home, away, returned"
ID_H1=$(make_idno 320583 19700115 011)
ID_H2=$(make_idno 320583 19881130 022)
ID_H3=$(make_idno 320583 19950228 033)
ID_A1=$(make_idno 320583 19800505 041)
ID_A2=$(make_idno 320583 19820606 052)
ID_A3=$(make_idno 320583 19900707 063)
ID_R1=$(make_idno 320583 19750808 072)
IDS=("$ID_H1" "$ID_H2" "$ID_H3" "$ID_A1" "$ID_A2" "$ID_A3" "$ID_R1")

m_add() {
	assert_exit 0 ld a member add "$@" || die "member add at A failed"
}
m_add --id "$ID_H1" --name 张建国 --sex M --birth 1970-01-15 --joined 1992-07-01 --kind full \
	--branch 001 --dues-category retired --income 4200 --phone 13800000011
m_add --id "$ID_H2" --name 欧阳丽娜 --sex F --birth 1988-11-30 --joined 2010-06-01 \
	--kind probationary --branch 002 --dues-category salaried --income 8000.50
m_add --id "$ID_H3" --name 买买提·艾力 --sex M --birth 1995-02-28 --joined 2016-05-04 --kind full \
	--branch 001 --dues-category farmer --dues 0.50
m_add --id "$ID_A1" --name 李明 --sex M --birth 1980-05-05 --joined 2001-07-01 --kind full \
	--branch 001 --dues-category salaried --income 3000 --phone 13900000041
m_add --id "$ID_A2" --name 王芳 --sex F --birth 1982-06-06 --joined 2004-07-01 --kind full \
	--branch 002 --dues-category self-employed --income 12000 --phone 13700000052
m_add --id "$ID_A3" --name 刘洋 --sex M --birth 1990-07-07 --joined 2012-07-01 --kind full \
	--branch 001 --dues-category student
m_add --id "$ID_R1" --name 陈静 --sex F --birth 1975-08-08 --joined 1998-07-01 --kind full \
	--branch 002 --dues-category salaried --income 5000

assert_exit 0 ld a outflow register "$ID_A1" --to 南京 --place 南京市玄武区 --reason work \
	--from 2026-02-01 --until 2026-12-31 --fixed-place --employer '甲,乙公司' ||
	die "outflow register A1 failed"
assert_exit 0 ld a outflow register "$ID_A2" --to 南京 --place '南京市鼓楼区"江苏路"' \
	--reason business --from 2025-10-15 --employer '他说"好",就去' ||
	die "outflow register A2 failed"
assert_exit 0 ld a outflow register "$ID_A3" --to 南京 --place 南京大学 --reason study \
	--from 2025-09-01 || die "outflow register A3 failed"
assert_exit 0 ld a outflow register "$ID_R1" --to 南京 --place 南京市江宁区 --reason residence \
	--from 2025-03-01 || die "outflow register R1 failed"
assert_exit 0 ld a return "$ID_R1" --summary 按时参加组织生活 --date 2026-03-01 || die "return of R1 failed"

# ---------------------------------------------------------------------------------------------
log "export members as CSV from A"
REGISTER_HEADER='id,name,sex,birth,joined,kind,branch,dues_category,income,phone,to,place,reason,from,until,fixed_place,employer'
assert_exit 0 ld a export members --out "$T/a.csv" || die "export members at A failed"
assert_eq "$OUT" "" "stdout of export --out"
[ -f "$T/a.csv" ] || die "export --out wrote no file"
[ -e "$T/a.csv.part" ] && fail "export left its temporary file a.csv.part behind"
assert_eq "$(head -c 3 "$T/a.csv" | od -An -tx1 | tr -d ' \n')" efbbbf "the first three bytes (BOM)"

# csv_check FILE: checks of the CSV format, printed as "ok" or the reasons, one a line.
csv_check() {
	python3 - "$1" <<'PYEOF'
import sys
raw = open(sys.argv[1], "rb").read()
bad = []
if not raw.endswith(b"\r\n"):
    bad.append("the file does not end with CRLF")
lf, crlf = raw.count(b"\n"), raw.count(b"\r\n")
if lf != crlf:
    bad.append("%d line feed(s) without a carriage return before them" % (lf - crlf))
if raw.count(b"\r") != crlf:
    bad.append("%d carriage return(s) not followed by a line feed" % (raw.count(b"\r") - crlf))
try:
    raw.decode("utf-8")
except UnicodeDecodeError as e:
    bad.append("not UTF-8: %s" % e)
print("\n".join(bad) if bad else "ok")
PYEOF
}
assert_eq "$(csv_check "$T/a.csv")" ok "the CSV format of a.csv"
HEADER=$(head -n 1 "$T/a.csv" | tr -d '\r' | tail -c +4)
assert_eq "$HEADER" "$REGISTER_HEADER,state,inflow,certificate,dues" "the header of export members"
# RFC 4180: a field with a comma or a quote is quoted, quotes doubled.
assert_contains "$(cat "$T/a.csv")" ',"甲,乙公司"' "a.csv (the employer with a comma, quoted)"
assert_contains "$(cat "$T/a.csv")" ',"南京市鼓楼区""江苏路""",' "a.csv (the place with quotes, quoted)"
assert_contains "$(cat "$T/a.csv")" ',"他说""好"",就去"' "a.csv (the employer with quotes and a comma)"
assert_contains "$(cat "$T/a.csv")" "$ID_A1,李明,M,1980-05-05," "a.csv (A1's row: full number, Chinese name)"
assert_contains "$(cat "$T/a.csv")" "$ID_H3,买买提·艾力,M," "a.csv (H3's row)"

# The rows as a reader sees them (python's csv module, RFC 4180, with the BOM stripped).
# csv_rows FILE: JSON {idno: {column: value}}.
csv_rows() {
	python3 - "$1" <<'PYEOF'
import csv, io, json, sys
text = open(sys.argv[1], encoding="utf-8-sig", newline="").read()
rows = list(csv.DictReader(io.StringIO(text, newline="")))
print(json.dumps({r["id"]: r for r in rows}, ensure_ascii=False, sort_keys=True))
PYEOF
}
ROWS_A=$(csv_rows "$T/a.csv")
assert_eq "$(jget "$ROWS_A" 'len(d)')" 7 "rows in a.csv"
assert_eq "$(jget "$ROWS_A" "sorted(d) == sorted('${IDS[*]}'.split())")" true \
	"a.csv holds the full identity number of every member"
assert_eq "$(jget "$ROWS_A" "d['$ID_H2']['name'] + '|' + d['$ID_H2']['kind'] + '|' + d['$ID_H2']['income'] + '|' + d['$ID_H2']['state']")" \
	"欧阳丽娜|probationary|8000.50|home" "H2's row"
assert_eq "$(jget "$ROWS_A" "d['$ID_H3']['dues_category'] + '|' + d['$ID_H3']['dues']")" "farmer|0.50" "H3's row"
assert_eq "$(jget "$ROWS_A" "'|'.join(d['$ID_A1'][k] for k in ('to', 'place', 'reason', 'from', 'until', 'fixed_place', 'employer', 'state', 'inflow'))")" \
	"南京|南京市玄武区|work|2026-02-01|2026-12-31|yes|甲,乙公司|away|南京" "A1's row (away)"
assert_eq "$(jget "$ROWS_A" "'|'.join(d['$ID_A2'][k] for k in ('place', 'reason', 'employer', 'phone', 'fixed_place'))")" \
	'南京市鼓楼区"江苏路"|business|他说"好",就去|13700000052|no' "A2's row (quotes read back)"
assert_eq "$(jget "$ROWS_A" "'|'.join(d['$ID_R1'][k] for k in ('to', 'place', 'from', 'state'))")" \
	"|||returned" "R1's row (returned: no outflow columns)"

# Full identity numbers are audited.
assert_exit 0 ld a --json audit
assert_contains "$(jget "$OUT" '[e["action"] for e in d["entries"]]')" export.members \
	"the audit at A after export members"

ld a export members >"$T/a-stdout.csv" 2>/dev/null
if cmp -s "$T/a-stdout.csv" "$T/a.csv"; then pass; else fail "export members to stdout is not byte for byte the --out file"; fi

# ---------------------------------------------------------------------------------------------
log "export --format json"
assert_exit 0 ld a export members --format json
assert_json
assert_eq "$(jget "$OUT" 'list(d)')" '["members"]' "the keys of export members --format json"
assert_eq "$(jget "$OUT" 'len(d["members"])')" 7 "rows of export members --format json"
assert_eq "$(jget "$OUT" "[r for r in d['members'] if r['id'] == '$ID_A1'][0]['employer']")" "甲,乙公司" \
	"A1's employer in JSON"
assert_exit 0 ld a --json export members
assert_json
assert_exit 0 ld a export members --format json --out "$T/a.json"
assert_eq "$(is_one_json_object "$(cat "$T/a.json")" 2>&1 && echo ok)" ok "a.json is one JSON object"

# ---------------------------------------------------------------------------------------------
log "export certs, dues and attendance of an empty site: a header line"
for what in certs dues attendance; do
	assert_exit 0 ld e export "$what" --out "$T/e-$what.csv" || continue
	assert_eq "$(head -c 3 "$T/e-$what.csv" | od -An -tx1 | tr -d ' \n')" efbbbf "the BOM of export $what"
	assert_eq "$(csv_check "$T/e-$what.csv")" ok "the CSV format of export $what"
	assert_eq "$(grep -c '' "$T/e-$what.csv")" 1 "lines in export $what of an empty site"
	line=$(tail -c +4 "$T/e-$what.csv" | tr -d '\r\n')
	if [[ $line =~ ^[a-z_]+(,[a-z_]+)+$ ]]; then pass; else fail "export $what: the header '$line' is not a list of column names"; fi
	assert_exit 0 ld e export "$what" --format json
	assert_json
	assert_eq "$(jget "$OUT" "d == {'$what': []}")" true "export $what --format json of an empty site ($OUT)"
done
# Also at A, which has members but no certificates, receipts or attendance.
assert_exit 0 ld a export certs
assert_eq "$(printf '%s' "$OUT" | grep -c '')" 1 "lines in export certs at A (no certificates)"

# ---------------------------------------------------------------------------------------------
log "import A's export into the empty site C"
assert_exit 0 ld c --json member list
assert_eq "$(jget "$OUT" 'len(d["members"])')" 0 "members at C before the import"
assert_exit 0 ld c --json import members "$T/a.csv" || die "import of A's export at C failed"
assert_json
assert_eq "$(jget "$OUT" 'd.get("imported")')" 7 "imported"
assert_eq "$(jget "$OUT" 'd.get("registered_out")')" 3 "registered_out (A1, A2, A3; R1 returned)"

# list_view SITE: member list --json at SITE reduced to {masked id: [name, sex, branch, state,
# inflow_site, place]}; a returned member counts as at home, without inflow site and place.
list_view() {
	ld "$1" --json member list | python3 -c '
import json, sys
d = json.load(sys.stdin)
out = {}
for m in d["members"]:
    state, inflow, place = m.get("state"), m.get("inflow_site") or "", m.get("place") or ""
    if state == "returned":
        state, inflow, place = "home", "", ""
    out[m["id"]] = [m.get("name"), m.get("sex"), m.get("branch"), state, inflow, place]
print(json.dumps(out, ensure_ascii=False, sort_keys=True))'
}
VIEW_A=$(list_view a)
VIEW_C=$(list_view c)
assert_eq "$(jget "$VIEW_C" 'len(d)')" 7 "members at C after the import"
assert_eq "$VIEW_C" "$VIEW_A" "member list at C (id, name, sex, branch, state, inflow site, place) against A's"
assert_exit 0 ld c --json member show "$ID_R1"
assert_eq "$(jget "$OUT" 'd["state"]')" home "R1 (exported as returned) at C"
assert_exit 0 ld c --json member show "$ID_A2"
assert_eq "$(jget "$OUT" 'd["state"] + "|" + d["place"]')" 'away|南京市鼓楼区"江苏路"' "A2 at C"

log "C's export has the register columns of A's"
assert_exit 0 ld c export members --out "$T/c.csv" || die "export members at C failed"
ROWS_C=$(csv_rows "$T/c.csv")
DIFF=$(python3 - "$ROWS_A" "$ROWS_C" "$REGISTER_HEADER" <<'PYEOF'
import json, sys
a, c, cols = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3].split(",")
diffs = []
for idno in sorted(set(a) | set(c)):
    if idno not in a or idno not in c:
        diffs.append("%s only at %s" % (idno[:6] + "********" + idno[14:17] + "*", "A" if idno in a else "C"))
        continue
    for k in cols + ["state", "inflow", "dues"]:
        want = a[idno].get(k)
        if k == "state" and want == "returned":
            want = "home"
        if k == "inflow" and a[idno].get("state") == "returned":
            want = ""
        if c[idno].get(k) != want:
            diffs.append("%s %s: A %r, C %r" % (idno[:6] + "********" + idno[14:17] + "*", k, want, c[idno].get(k)))
print("\n".join(diffs))
PYEOF
)
assert_eq "$DIFF" "" "differences between A's export and C's (register columns, state, inflow, dues)"
# Importing the same file again is done already (the import's id is the file's SHA-256): a
# note, nothing written. Another file with the same members refuses every row (they exist).
HEAD_C=$(jget "$(ld c --json site)" 'd["head_seq"]')
run ld c import members "$T/a.csv"
assert_eq "$RC" 0 "exit code of importing A's export a second time at C"
assert_eq "$ERR" "liudong: note: a.csv was imported already (7 members); nothing was imported again" \
	"stderr of importing the same file twice"
assert_eq "$(jget "$(ld c --json site)" 'd["head_seq"]')" "$HEAD_C" "C's head after importing the same file twice"
{ cat "$T/a.csv"; printf '\r\n'; } >"$T/a-again.csv"
run ld c import members "$T/a-again.csv"
assert_eq "$RC" 3 "exit code of importing the same members from another file at C"
assert_eq "$(printf '%s\n' "$ERR" | grep -c 'is registered already')" 7 \
	"rows named on stderr as registered already (the second import)"
assert_eq "$(printf '%s\n' "$ERR" | tail -n 1)" \
	"liudong: 7 bad row(s) in a-again.csv (listed above); nothing was imported" "the last error line (the second import)"
assert_eq "$(jget "$(ld c --json site)" 'd["head_seq"]')" "$HEAD_C" "C's head after importing the same members twice"

# ---------------------------------------------------------------------------------------------
log "a register of 1,000 rows with one bad row (line 517) imports nothing"
# gen_register FILE BADLINES: 1000 valid rows after the header (file lines 2..1001), every fourth
# registered out to 南京; the rows on the file lines in BADLINES (comma-separated "LINE:WHAT",
# WHAT one of check, date) are spoiled: a wrong check character, or a birth date that does not
# exist (and the identity number made for it).
gen_register() {
	python3 - "$1" "$2" "$REGISTER_HEADER" <<'PYEOF'
import datetime, sys
path, bad, header = sys.argv[1], sys.argv[2], sys.argv[3]
bad = dict(x.split(":") for x in bad.split(",") if x)
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
C = "10X98765432"
out = ["\ufeff" + header]
for i in range(1000):
    line = i + 2
    birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=i * 11)
    seq = 100 + i % 900
    body = "110105" + birth.strftime("%Y%m%d") + "%03d" % seq
    check = C[sum(int(c) * w for c, w in zip(body, W)) % 11]
    idno = body + check
    sex = "M" if seq % 2 else "F"
    birth_text = birth.isoformat()
    what = bad.get(str(line))
    if what == "check":
        idno = body + C[(C.index(check) + 1) % 11]
    elif what == "date":
        body = "110105" + "19610231" + "%03d" % seq
        idno = body + C[sum(int(c) * w for c, w in zip(body, W)) % 11]
        birth_text = "1961-02-31"
    joined = "%d-07-01" % (birth.year + 20)
    row = [idno, "成员%04d" % i, sex, birth_text, joined, "full", "001", "salaried", "3500.00",
           "1380000%04d" % i]
    if i % 4 == 0:
        row += ["南京", "南京市第%d区" % (i % 7), "work", "2026-0%d-01" % (1 + i % 9), "", "yes" if i % 8 == 0 else "no", "某公司"]
    else:
        row += [""] * 7
    out.append(",".join(row))
open(path, "w", encoding="utf-8", newline="").write("\r\n".join(out) + "\r\n")
PYEOF
}
gen_register "$T/r1000-bad.csv" 517:check
gen_register "$T/r1000-bad2.csv" 517:check,900:date
gen_register "$T/r1000.csv" ""
assert_eq "$(grep -c '' "$T/r1000-bad.csv")" 1001 "lines in the generated register"
HEAD_E=$(jget "$(ld e --json site)" 'd["head_seq"]')

run ld e import members "$T/r1000-bad.csv"
assert_eq "$RC" 3 "exit code of import with a bad row"
assert_eq "$OUT" "" "stdout of import with a bad row"
if [ "$(printf '%s\n' "$ERR" | grep -c '')" = 2 ]; then pass; else fail_run "import with one bad row: expected 2 lines on stderr"; fi
assert_contains "$(printf '%s\n' "$ERR" | sed -n 1p)" "liudong: r1000-bad.csv, line 517: " "the first error line"
assert_contains "$(printf '%s\n' "$ERR" | sed -n 1p)" "check" "the reason of line 517 (a wrong check character)"
assert_eq "$(printf '%s\n' "$ERR" | tail -n 1)" \
	"liudong: 1 bad row(s) in r1000-bad.csv (listed above); nothing was imported" "the last error line"
assert_exit 0 ld e --json member list
assert_eq "$(jget "$OUT" 'len(d["members"])')" 0 "members at E after the refused import"
assert_eq "$(jget "$(ld e --json site)" 'd["head_seq"]')" "$HEAD_E" "E's head after the refused import"

run ld e import members "$T/r1000-bad2.csv"
assert_eq "$RC" 3 "exit code of import with two bad rows"
assert_eq "$OUT" "" "stdout of import with two bad rows"
assert_eq "$(printf '%s\n' "$ERR" | grep -c '')" 3 "lines on stderr of import with two bad rows"
assert_contains "$ERR" "liudong: r1000-bad2.csv, line 517: " "stderr of import with two bad rows"
assert_contains "$ERR" "liudong: r1000-bad2.csv, line 900: " "stderr of import with two bad rows"
assert_eq "$(printf '%s\n' "$ERR" | tail -n 1)" \
	"liudong: 2 bad row(s) in r1000-bad2.csv (listed above); nothing was imported" "the last error line"
assert_eq "$(jget "$(ld e --json member list)" 'len(d["members"])')" 0 "members at E after the second refused import"

log "the corrected register imports all 1,000 rows"
assert_exit 0 ld e --json import members "$T/r1000.csv"
assert_eq "$(jget "$OUT" 'd.get("imported")')" 1000 "imported"
assert_eq "$(jget "$OUT" 'd.get("registered_out")')" 250 "registered_out"
assert_exit 0 ld e --json member list
assert_eq "$(jget "$OUT" 'len(d["members"])')" 1000 "members at E"
assert_eq "$(jget "$OUT" 'len([m for m in d["members"] if m["state"] == "away"])')" 250 "members away at E"

# ---------------------------------------------------------------------------------------------
log "rows that do not fit the header are refused, with every such line named"
ID_S1=$(make_idno 320583 19660101 101)
ID_S2=$(make_idno 320583 19670202 113)
ID_S3=$(make_idno 320583 19680303 125)
ID_S4=$(make_idno 320583 19690404 137)
ID_S5=$(make_idno 320583 19710505 149)
# s_row ID NAME [OUTFLOW]: a register row of a member at home (OUTFLOW: the 7 outflow fields
# instead of 7 empty ones, as one comma-separated string).
s_row() {
	printf '%s,%s,M,%s,1990-07-01,full,001,retired,4800.00,13800000000,%s\r\n' "$1" "$2" \
		"${1:6:4}-${1:10:2}-${1:12:2}" "${3:-,,,,,,}"
}
{
	printf '%s\r\n' "$REGISTER_HEADER"
	s_row "$ID_S1" 周一
	s_row "$ID_S2" 吴二 '南京,南京市秦淮区,work,2026-01-01,,no,某公司'
	s_row "$ID_S3" 郑三 | sed 's/,\r$/\r/'          # line 4: 16 fields, employer left out
	s_row "$ID_S4" 王四
	s_row "$ID_S5" 冯五 | sed 's/\r$/,extra\r/'     # line 6: an 18th field
} >"$T/shape.csv"
HEAD_E=$(jget "$(ld e --json site)" 'd["head_seq"]')
MEMBERS_E=$(jget "$(ld e --json member list)" 'len(d["members"])')
run ld e import members "$T/shape.csv"
assert_eq "$RC" 3 "exit code of import with a short and a long row"
assert_eq "$OUT" "" "stdout of import with a short and a long row"
assert_eq "$(printf '%s\n' "$ERR" | grep -c '')" 3 "lines on stderr of import with a short and a long row"
assert_contains "$ERR" "liudong: shape.csv, line 4: the row has 16 field(s), the header names 17; " \
	"stderr of import with a short row (line 4)"
assert_contains "$ERR" "liudong: shape.csv, line 6: the row has 18 field(s), the header names 17; " \
	"stderr of import with a long row (line 6)"
assert_eq "$(printf '%s\n' "$ERR" | tail -n 1)" \
	"liudong: 2 bad row(s) in shape.csv (listed above); nothing was imported" "the last error line (short and long rows)"
assert_eq "$(jget "$(ld e --json member list)" 'len(d["members"])')" "$MEMBERS_E" \
	"members at E after the import with a short and a long row"
assert_eq "$(jget "$(ld e --json site)" 'd["head_seq"]')" "$HEAD_E" "E's head after the import with a short and a long row"
assert_exit 4 ld e member show "$ID_S1"

log "outflow columns without to are refused, not dropped"
{
	printf '%s\r\n' "$REGISTER_HEADER"
	s_row "$ID_S1" 周一
	s_row "$ID_S2" 吴二 ',南京市秦淮区,,,,,'      # line 3: place, to empty
	s_row "$ID_S3" 郑三
	s_row "$ID_S4" 王四 ',,,,,,某公司'             # line 5: employer, to empty
} >"$T/noto.csv"
run ld e import members "$T/noto.csv"
assert_eq "$RC" 3 "exit code of import with place but no to"
assert_eq "$(printf '%s\n' "$ERR" | grep -c '')" 3 "lines on stderr of import with place but no to"
assert_contains "$ERR" "liudong: noto.csv, line 3: place is given but to is empty; fill to (the inflow site)" \
	"stderr of import with place but no to (line 3)"
assert_contains "$ERR" "liudong: noto.csv, line 5: employer is given but to is empty; " \
	"stderr of import with employer but no to (line 5)"
assert_eq "$(printf '%s\n' "$ERR" | tail -n 1)" \
	"liudong: 2 bad row(s) in noto.csv (listed above); nothing was imported" "the last error line (no to)"
assert_eq "$(jget "$(ld e --json site)" 'd["head_seq"]')" "$HEAD_E" "E's head after the import with place but no to"
assert_exit 4 ld e member show "$ID_S2"

log "the same register, every row made whole, imports"
{
	printf '%s\r\n' "$REGISTER_HEADER"
	s_row "$ID_S1" 周一
	s_row "$ID_S2" 吴二 '南京,南京市秦淮区,work,2026-01-01,,no,某公司'
	s_row "$ID_S3" 郑三
	s_row "$ID_S4" 王四 ',,,,,no,'                  # fixed_place "no" alone says nothing
	s_row "$ID_S5" 冯五
} >"$T/whole.csv"
assert_exit 0 ld e --json import members "$T/whole.csv"
assert_eq "$(jget "$OUT" 'd.get("imported")')" 5 "imported (the whole register)"
assert_eq "$(jget "$OUT" 'd.get("registered_out")')" 1 "registered_out (the whole register)"
assert_exit 0 ld e --json member show "$ID_S2"
assert_eq "$(jget "$OUT" 'd["state"] + "|" + d["place"]')" "away|南京市秦淮区" "S2 at E (registered out)"
assert_exit 0 ld e --json member show "$ID_S4"
assert_eq "$(jget "$OUT" 'd["state"]')" home "S4 at E"
assert_eq "$(jget "$(ld e --json member list)" 'len(d["members"])')" "$((MEMBERS_E + 5))" "members at E after the whole register"

finish
