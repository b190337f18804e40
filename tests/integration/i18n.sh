#!/usr/bin/env bash
# i18n.sh: Chinese through gettext (issue 13, acceptance 2). Under LC_ALL=zh_CN.UTF-8 the CLI's
# labels, its own errors and the daemon's (an unknown member: exit 4) are Chinese, enum values are
# shown in Chinese and accepted in Chinese (stored as the English word), `history` summaries are
# Chinese sentences (their enum words Chinese too), and a table with names of 2 and 4 Chinese
# characters and of Latin letters has its columns aligned by display width; under LC_ALL=C the
# same is English; --json stays English whatever the locale.
. "$(dirname "$0")/lib.sh"

if ! locale -a 2>/dev/null | grep -qix 'zh_CN.utf-\?8'; then
	echo "$TEST_NAME: FAIL: the locale zh_CN.UTF-8 is not installed; run scripts/deps (as root)" >&2
	exit 1
fi

ZH=(env LC_ALL=zh_CN.UTF-8)
EN=(env LC_ALL=C)
zh() { "${ZH[@]}" LIUDONG_SOCKET="${SITE_DIR[a]}/liudongd.sock" "$LIUDONG" "$@"; }
en() { "${EN[@]}" LIUDONG_SOCKET="${SITE_DIR[a]}/liudongd.sock" "$LIUDONG" "$@"; }

# aligned: every line of $OUT (a table) has its columns start at the same display column as the
# header's (East Asian wide characters count 2); columns are separated by two spaces or more.
aligned() {
	printf '%s\n' "$OUT" | python3 -c '
import re, sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
lines = [l for l in sys.stdin.read().split("\n") if l.strip()]
starts = []
for l in lines:
    cols = [width(l[:m.start()]) for m in re.finditer(r"(?:^|(?<=  ))\S", l)]
    starts.append(cols)
bad = [l for l, c in zip(lines, starts) if c != starts[0][:len(c)] or len(c) < 3]
if len(lines) < 2 or bad:
    print("not aligned by display width:", *(bad or lines), sep="\n  ")
    sys.exit(1)
'
}

site_init a 昆山 320583
site_start a
assert_exit 0 ld a branch add 001 --name 第一支部

ID2=$(make_idno 320583 19800229 017)
ID4=$(make_idno 320583 19850315 024)
IDL=$(make_idno 110105 19900101 031)
UNKNOWN=$(make_idno 320583 19700101 019)

log "enum words in Chinese: accepted, stored as the English word"
assert_exit 0 zh member add --id "$ID2" --name 张三 --sex 男 --birth 1980-02-29 --joined 2000-01-01 \
	--kind 正式党员 --branch 001 --dues-category 离退休 --income 3000
assert_exit 0 en member add --id "$ID4" --name 欧阳娜娜 --sex 女 --birth 1985-03-15 \
	--joined 2010-07-01 --kind 预备党员 --branch 001 --dues-category student
assert_exit 0 en member add --id "$IDL" --name "Alice Wang" --sex M --birth 1990-01-01 \
	--joined 2012-07-01 --kind full --branch 001 --dues-category farmer --dues 0.5
assert_exit 0 zh member show "$ID2" --json && assert_json &&
	assert_eq "$(jget "$OUT" 'd["sex"] + " " + d["kind"] + " " + d["dues_category"]')" \
		"M full retired" "the stored words"
assert_exit 0 en member show "$ID4" --json &&
	assert_eq "$(jget "$OUT" 'd["sex"] + " " + d["kind"]')" "F probationary" "the stored words"
assert_exit 0 zh meeting add --branch 001 --kind 主题党日 --topic 学习 --date 2026-01-27 --json &&
	assert_eq "$(jget "$OUT" 'd["kind"]')" "theme-day" "a meeting of kind 主题党日"
# A word of another enum is refused, in Chinese, by the daemon.
assert_exit 3 zh meeting add --branch 001 --kind 务工 --topic 学习 --date 2026-01-27 &&
	assert_contains "$ERR" "不是以下之一" "a Chinese refusal of --kind 务工"

# A command of the CLI alone (no daemon) takes them too, and its -h lists them.
assert_exit 0 en dues calc --category 离退休 --income 3000 --json &&
	assert_eq "$(jget "$OUT" 'd["category"], d["monthly_fen"]')" '["retired", 1500]' "dues calc --category 离退休"
assert_exit 0 en dues calc --help && assert_contains "$OUT" "retired (离退休" "dues calc -h"

# A client without the CLI's help: the daemon itself turns the Chinese word into the English one,
# and speaks the language asked for; nonsense in the language is English.
CTL_RAW=${CTL_RAW:-$HERE/../../build/tests/integration/ctl_raw}
SOCK=${SITE_DIR[a]}/liudongd.sock
assert_exit 0 "$CTL_RAW" "$SOCK" tester meeting.add branch=001 kind=支委会 topic=学习 date=2026-01-27 &&
	assert_contains "$OUT" '"kind":"committee"' "the daemon's own reading of kind=支委会"
assert_exit 4 env CTL_RAW_LANG=zh_CN.GB18030 "$CTL_RAW" "$SOCK" tester member.show "arg=$UNKNOWN" &&
	assert_contains "$OUT" "本站点没有身份证号为" "a request in zh_CN"
for lang in fr_FR ../../../tmp/x C zh_CN_is_not_a_language_name "$(printf 'zh\x01CN')"; do
	assert_exit 4 env CTL_RAW_LANG="$lang" "$CTL_RAW" "$SOCK" tester member.show "arg=$UNKNOWN" &&
		assert_contains "$OUT" "no member with identity number" "a request in '$lang'"
done

log "under zh_CN.UTF-8: Chinese labels, values and messages"
assert_exit 0 zh member show "$ID2" &&
	assert_contains "$OUT" "身份证号" "a Chinese label" &&
	assert_contains "$OUT" "缴费类别" "a Chinese label" &&
	assert_contains "$OUT" "离退休" "a Chinese value" &&
	assert_not_contains "$OUT" "dues_category" "labels under zh_CN"
assert_exit 4 zh member show "$UNKNOWN" &&
	assert_contains "$ERR" "本站点没有身份证号为" "the daemon's error for an unknown member"
assert_exit 2 zh nosuch && assert_contains "$ERR" "未知命令" "the CLI's own error"
# A refusal by a rule names his state in Chinese too.
assert_exit 5 zh cert issue "$ID2" && assert_contains "$ERR" "状态 未外出" "a state in a refusal"
assert_exit 5 en cert issue "$ID2" && assert_contains "$ERR" "(state home)" "a state under C"
# A refusal about a member says 该党员 (this member), never 他 (he): she may be a woman.
assert_exit 5 zh probation decide "$ID2" --result full &&
	assert_contains "$ERR" "该党员是正式党员" "a refusal about a member under zh_CN"
assert_exit 0 zh status &&
	assert_not_contains "$OUT" "(none)" "status under zh_CN"
assert_exit 0 zh outflow register --help &&
	assert_contains "$OUT" "用法" "-h in Chinese" &&
	assert_contains "$OUT" "work (务工)" "-h lists the enum words in both forms"
# A reminder of the daemon's rules (her probation ended in 2011), and its English under C.
assert_exit 0 zh due && assert_contains "$OUT" "预备期于 2011-07-01 届满" "a reminder in Chinese" &&
	assert_contains "$OUT" "提醒：" "a heading in Chinese" &&
	assert_contains "$OUT" "预备期满" "a reminder's kind in Chinese" &&
	assert_not_contains "$OUT" "probation  " "a reminder's kind in Chinese (not the English word)"
assert_exit 0 en due && assert_contains "$OUT" "probation ends on 2011-07-01" "a reminder under C"
log "a table with names of 2, 4 and Latin letters, aligned by display width"
assert_exit 0 zh member list &&
	assert_contains "$OUT" "欧阳娜娜" "the table" && assert_contains "$OUT" "Alice Wang" "the table" &&
	assert_contains "$OUT" "姓名" "the table's Chinese header"
if aligned >"$T/why"; then pass; else fail "member list under zh_CN: $(cat "$T/why")"; fi
# A person's name is 姓名; a branch's, a site's, a peer's is not.
assert_exit 0 zh branch list &&
	assert_contains "$OUT" "支部名称" "branch list's name column" &&
	assert_not_contains "$OUT" "姓名" "branch list's name column"
assert_exit 0 zh site && assert_contains "$OUT" "名称" "site's name" &&
	assert_not_contains "$OUT" "姓名" "site's name"
# --json stays English, machine-stable: keys, values and the error.
assert_exit 4 zh member show "$UNKNOWN" --json &&
	assert_contains "$ERR" "no member with identity number" "--json's error under zh_CN"

log "the service side's words in Chinese too: a request's kind, status and trail"
assert_exit 0 zh --operator 王 request open --kind 组织关系转接 --text 转组织关系 --member "$ID2"
REQ=$(jget "$(ld a --json request list)" 'd["requests"][0]["request"]')
assert_eq "$(jget "$(ld a --json request show "$REQ")" 'd["kind"]')" transfer "the kind as stored"
assert_exit 0 zh request show "$REQ" &&
	assert_contains "$OUT" "组织关系转接" "a request's kind under zh_CN" &&
	assert_contains "$OUT" "未办结" "a request's status under zh_CN" &&
	assert_contains "$OUT" "受理" "a trail's step under zh_CN"
# The service side's refusals are translated as the domain core's are.
assert_exit 0 ld a request close "$REQ" --result 已转
assert_exit 5 zh request close "$REQ" --result 再办一次 &&
	assert_contains "$ERR" "已经办结" "a refusal of the service side under zh_CN" &&
	assert_not_contains "$ERR" "closed already" "a refusal of the service side under zh_CN"

log "history: each event's summary in the language asked for, its enum words too"
# A table wraps a long summary: Chinese between two characters, English between words. unwrapped
# prints $OUT without the breaks: with no space at all (zh), or with one space for each run (en).
unwrapped() {
	if [ "$1" = zh ]; then
		printf '%s' "$OUT" | tr -d ' \n'
	else
		printf '%s' "$OUT" | tr -s ' \n' ' '
	fi
}
assert_exit 0 en meeting add --branch 001 --kind theme-day --topic 学习 --date 2026-01-27 --json &&
	MEETING=$(jget "$OUT" 'd["meeting"]')
assert_exit 0 en meeting attend "$MEETING" "$ID2"
assert_exit 0 zh history "$ID2" &&
	assert_contains "$(unwrapped zh)" "张三，正式党员，所在支部001，缴费类别离退休，每月党费15.00元" \
		"member.registered's summary under zh_CN" &&
	assert_contains "$(unwrapped zh)" "参加$MEETING（主题党日，第一支部：学习）" \
		"attendance's summary under zh_CN" &&
	assert_not_contains "$(unwrapped en)" "member of branch" "the English summary under zh_CN" &&
	assert_not_contains "$(unwrapped en)" "attended" "the English summary under zh_CN" &&
	assert_contains "$OUT" "党员登记" "an event's kind under zh_CN" &&
	assert_not_contains "$OUT" "member.registered" "an event's kind under zh_CN (not its name)"
assert_exit 0 en history "$ID2" &&
	assert_contains "$(unwrapped en)" "张三, full member of branch 001, retired, dues 15.00 yuan" \
		"member.registered's summary under C" &&
	assert_contains "$(unwrapped en)" "attended $MEETING (theme-day, " \
		"attendance's summary under C" &&
	assert_not_contains "$OUT" "所在支部" "a Chinese summary under C"

log "under C: English"
assert_exit 0 en member show "$ID2" &&
	assert_contains "$OUT" "dues_category" "an English label" &&
	assert_contains "$OUT" "retired" "an English value" &&
	assert_not_contains "$OUT" "身份证号" "labels under C"
assert_exit 4 en member show "$UNKNOWN" &&
	assert_contains "$ERR" "no member with identity number" "the daemon's error under C"
assert_exit 2 en nosuch && assert_contains "$ERR" "unknown command" "the CLI's error under C"
assert_exit 0 en member list && assert_contains "$OUT" "name" "the table's English header"
if aligned >"$T/why"; then pass; else fail "member list under C: $(cat "$T/why")"; fi
# A language with no catalog (LANGUAGE=fr wins over zh_CN): English, silently, both sides.
assert_exit 4 env LC_ALL=zh_CN.UTF-8 LANGUAGE=fr LIUDONG_SOCKET="${SITE_DIR[a]}/liudongd.sock" \
	"$LIUDONG" member show "$UNKNOWN" &&
	assert_contains "$ERR" "no member with identity number" "an unknown language"

finish
