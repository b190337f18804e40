#!/usr/bin/env bash
# install.sh: issue 13, acceptance 1. `meson install --destdir` from the build directory puts in
# place the two programs, the man pages liudong(1), liudongd(8) and liudongd.conf(5), the systemd
# unit and its system user, the sample config and the bash completion. Each man page renders with
# `man --warnings -l` without a warning; liudong(1) names the commands and liudongd.conf(5) every
# [rules] key a new config lists; `systemd-analyze verify` accepts the unit (its Documentation=
# found among the installed pages) and `systemd-analyze security` rates it well hardened;
# systemd-sysusers makes the user from the installed file. The installed sample config runs a
# site. The installed completion offers subcommands, options and enum words.
. "$(dirname "$0")/lib.sh"

BUILD=$(cd "$(dirname "$LIUDONG")/.." && pwd)
[ -f "$BUILD/meson-info/meson-info.json" ] || die "$BUILD is not a meson build directory"
DEST=$T/dest
run meson install -C "$BUILD" --no-rebuild --quiet --destdir "$DEST"
assert_eq "$RC" 0 "meson install's exit status" || {
	_show_last
	die "meson install failed"
}

# The prefix, as installed under DEST (…/bin/liudongd).
BIN=$(find "$DEST" -path '*/bin/liudongd' -type f | head -1)
[ -n "$BIN" ] || die "no bin/liudongd under $DEST"
P=$(dirname "$(dirname "$BIN")")
PREFIX=${P#"$DEST"}
log "installed under prefix $PREFIX"

for f in bin/liudong bin/liudongd share/man/man1/liudong.1 share/man/man8/liudongd.8 \
	share/man/man5/liudongd.conf.5 lib/systemd/system/liudongd.service \
	lib/sysusers.d/liudong.conf share/doc/liudong/liudongd.conf.sample \
	share/bash-completion/completions/liudong; do
	if [ -s "$P/$f" ]; then pass; else fail "$PREFIX/$f is not installed"; fi
done
for f in bin/liudong bin/liudongd; do
	if [ -x "$P/$f" ]; then pass; else fail "$PREFIX/$f is not executable"; fi
done
assert_exit 0 "$P/bin/liudongd" --version
assert_exit 0 "$P/bin/liudong" --version

log "man pages"
for page in man1/liudong.1 man8/liudongd.8 man5/liudongd.conf.5; do
	run env LC_ALL=C.UTF-8 MANWIDTH=100 man --warnings -l "$P/share/man/$page"
	assert_eq "$RC" 0 "man -l $page: exit status" || _show_last
	assert_eq "$ERR" "" "man --warnings -l $page: warnings"
	assert_contains "$OUT" "NAME" "$page as rendered"
	assert_contains "$OUT" "SEE ALSO" "$page as rendered"
	eval "PAGE_${page//[^a-z0-9]/_}=\$OUT"
done
# shellcheck disable=SC2154 # set by eval above
MAN1=$PAGE_man1_liudong_1 MAN5=$PAGE_man5_liudongd_conf_5 MAN8=$PAGE_man8_liudongd_8
for words in "peer remove NAME [--force]" "outflow register IDNO" "--dues-category CATEGORY" \
	"lapse decide IDNO --outcome cleared|correction|suspension|removal" "dues exempt" \
	"EXIT STATUS" "LIUDONG_SOCKET"; do
	assert_contains "$MAN1" "$words" "liudong(1)"
done
for words in SIGHUP SIGTERM socket_group "/run/liudong/liudongd.sock" "liudongd init"; do
	assert_contains "$MAN8" "$words" "liudongd(8)"
done
# Every key a new config names is in liudongd.conf(5): [site] and [rules], as liudongd init writes.
run "$LIUDONGD" init "$T/site" --name 昆山 --code 320583 --listen 127.0.0.1:1
assert_eq "$RC" 0 "liudongd init" || _show_last
KEYS=$(sed -n 's/^#\{0,1\} *\([a-z_]*\) = .*/\1/p' "$T/site/liudongd.conf" | sort -u)
[ "$(printf '%s\n' "$KEYS" | grep -c '')" -ge 20 ] || fail "too few keys found in a new config: $KEYS"
for key in $KEYS id address level map_size_initial; do
	assert_contains "$MAN5" "$key" "liudongd.conf(5)"
done

log "the systemd unit"
UNIT=$P/lib/systemd/system/liudongd.service
for line in "ExecStart=$PREFIX/bin/liudongd -c /var/lib/liudong/liudongd.conf" \
	'ExecReload=/bin/kill -HUP $MAINPID' User=liudong StateDirectory=liudong \
	RuntimeDirectory=liudong ProtectSystem=strict NoNewPrivileges=yes; do
	if grep -qxF -- "$line" "$UNIT"; then pass; else fail "the unit has no line '$line'"; fi
done
if grep -qE '@[a-z_]+@' "$UNIT"; then fail "a placeholder is left in the unit"; else pass; fi
# verify checks that ExecStart's program exists: point it at the copy under DEST.
mkdir -p "$T/unit"
sed "s|^ExecStart=$PREFIX/bin/liudongd|ExecStart=$P/bin/liudongd|" "$UNIT" >"$T/unit/liudongd.service"
run env MANPATH="$P/share/man" systemd-analyze verify "$T/unit/liudongd.service"
assert_eq "$RC" 0 "systemd-analyze verify: exit status" || _show_last
assert_eq "$OUT$ERR" "" "systemd-analyze verify: what it says"
run systemd-analyze security --offline=yes "$T/unit/liudongd.service"
EXPOSURE=$(printf '%s\n' "$OUT" | sed -n 's/.*Overall exposure level for liudongd.service: \([0-9.]*\).*/\1/p')
log "systemd-analyze security: exposure $EXPOSURE"
if [ -n "$EXPOSURE" ] && python3 -c "import sys; sys.exit(float('$EXPOSURE') > 2.5)"; then
	pass
else
	fail "systemd-analyze security rates the unit's exposure '$EXPOSURE' (want at most 2.5)"
fi
mkdir -p "$T/sysroot/etc"
run systemd-sysusers --root="$T/sysroot" "$P/lib/sysusers.d/liudong.conf"
assert_eq "$RC" 0 "systemd-sysusers: exit status" || _show_last
assert_contains "$(cat "$T/sysroot/etc/passwd" 2>/dev/null)" "liudong:x:" "the passwd systemd-sysusers made"
assert_contains "$(cat "$T/sysroot/etc/group" 2>/dev/null)" "liudong:x:" "the group systemd-sysusers made"

log "the sample config runs a site (its paths put in a test directory)"
SAMPLE=$P/share/doc/liudong/liudongd.conf.sample
sed -e "s|^socket = .*|socket = $T/site/liudongd.sock|" -e "s|^socket_group = .*|socket_group = $(id -gn)|" \
	-e "s|^listen = .*|listen = 127.0.0.1:$(free_port)|" "$SAMPLE" >"$T/site/liudongd.conf"
assert_eq "$(diff "$SAMPLE" "$T/site/liudongd.conf" | grep -c '^>')" 3 "lines changed in the sample"
SITE_DIR[s]=$T/site
site_start s
assert_exit 0 ld s --json site
assert_eq "$(jget "$OUT" 'd["name"]')" 昆山 "the sample site's name"
assert_eq "$(stat -c '%G %a' "$T/site/liudongd.sock")" "$(id -gn) 660" "the socket's group and mode"
site_stop s

log "bash completion"
# complete WORDS...: the installed completion's answer for the command line WORDS (the last is the
# word being completed), with the installed liudong first on PATH; one word a line.
complete_words() {
	PATH="$P/bin:$PATH" bash -c '
		. "$1"; shift
		COMP_WORDS=(liudong "$@"); COMP_CWORD=$#
		_liudong
		printf "%s\n" "${COMPREPLY[@]}"' _ "$P/share/bash-completion/completions/liudong" "$@"
}
# expect WANT WORDS...: the completion of WORDS is exactly WANT (space separated, in order).
expect() {
	local want=$1
	shift
	assert_eq "$(complete_words "$@" | tr '\n' ' ' | sed 's/ $//')" "$want" "completion of 'liudong $*'"
}
TOP=$(complete_words "")
for w in peer member outflow cert checkin meeting dues lapse export import status verify; do
	assert_contains "$TOP" "$w" "completion of 'liudong '"
done
expect "peer" pe
expect "add remove list resync" peer ""
expect "--force" peer remove 南京 --f
expect "work business residence study other" outflow register X --reason ""
expect "study" outflow register X --to 南京 --reason = st
expect "salaried annual-salary self-employed retired farmer student unemployed hardship" \
	member add --dues-category ""
expect "full probationary" member add --kind ""
expect "branch-meeting committee group lecture theme-day life-meeting appraisal" meeting add --kind ""
expect "cleared correction suspension removal" lapse decide X --outcome ""
expect "lost returned transferred lapsed void" cert revoke N --reason ""
expect "full extend cancel" probation decide X --result ""
expect "home away checked-in departed returned transferred removed" member list --state ""
expect "members certs dues attendance" export ""
expect "csv json" export members --format ""
expect "--json" --js
expect "--reveal" member show X --rev
expect "resolve" conflicts ""

finish
