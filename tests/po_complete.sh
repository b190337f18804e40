#!/usr/bin/env bash
# po_complete.sh: every message, label and reminder the sources mark for translation has one in
# each po/LANG.po, neither missing nor fuzzy, and each catalog passes msgfmt --check (its printf
# formats match the English ones). The messages are extracted here from every .c file of client/,
# server/ and common/, as they are now (not from po/POTFILES), with po/xgettext-args: a new file
# or a new message is seen without any list being edited. On failure: scripts/po-update, then
# translate what it reports untranslated.
set -u
SRC=${LIUDONG_SOURCE:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$SRC" || exit 1
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
status=0
mapfile -t args <po/xgettext-args
if ! xgettext "${args[@]}" -o "$T/liudong.pot" client/*.c server/*.c common/*.c; then
	echo "po_complete: xgettext failed" >&2
	exit 1
fi
for lang in $(cat po/LINGUAS); do
	if ! msgfmt --check -o /dev/null "po/$lang.po"; then
		echo "po_complete: po/$lang.po does not pass msgfmt --check" >&2
		status=1
	fi
	msgmerge --quiet --no-fuzzy-matching -o "$T/$lang.po" "po/$lang.po" "$T/liudong.pot" ||
		exit 1
	# The messages of the sources with no translation, or a fuzzy one.
	msgattrib --untranslated --no-obsolete "$T/$lang.po" -o "$T/$lang.untranslated"
	msgattrib --only-fuzzy --no-obsolete "$T/$lang.po" -o "$T/$lang.fuzzy"
	for kind in untranslated fuzzy; do
		n=$(grep -c '^msgid ' "$T/$lang.$kind" 2>/dev/null)
		n=${n:-0}
		[ "$n" -gt 0 ] && n=$((n - 1)) # the header
		if [ "$n" -gt 0 ]; then
			echo "po_complete: po/$lang.po: $n $kind message(s); run scripts/po-update and" \
				"translate them:" >&2
			grep -A1 '^msgid ' "$T/$lang.$kind" | grep -v '^msgid ""$' | head -40 >&2
			status=1
		fi
	done
	stats=$(msgfmt --check --statistics -o /dev/null "$T/$lang.po" 2>&1)
	echo "po/$lang.po: $stats"
done
# po/POTFILES (what meson's liudong-pot target reads) names the same files.
if ! diff <(ls client/*.c server/*.c common/*.c | LC_ALL=C sort) po/POTFILES >"$T/potfiles.diff"; then
	echo "po_complete: po/POTFILES is not the list of sources; run scripts/po-update:" >&2
	cat "$T/potfiles.diff" >&2
	status=1
fi
exit $status
