# shellcheck shell=bash
# daily_lib.sh: helpers of the daily-work integration tests (daily_*.sh), on top of lib.sh,
# sync_lib.sh and cert_lib.sh. Source all four, in this order:
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/sync_lib.sh"
#   . "$(dirname "$0")/cert_lib.sh"
#   . "$(dirname "$0")/daily_lib.sh"
#
# The sites are those of cert_two_sites: A (昆山, 320583, outflow, branch 001) and B (南京, 320100,
# inflow, branch 101), pinned both ways. Dates the daemon fills in itself are today in
# Asia/Shanghai: TODAY.

# shellcheck disable=SC2034 # TODAY is for the tests
TODAY=$(TZ=Asia/Shanghai date +%F)

# ---------------------------------------------------------------------------------------------
# Members

# daily_checked_in IDNO BIRTH SEX NAME: member add at A, registered out to B, certificate issued
# at A (CERT_NUMBER, CERT_TOKEN), and checked in at B (branch 101); dies if any step fails.
daily_checked_in() {
	local id=$1
	cert_member_out a b "$id" "$2" "$3" "$4"
	cert_checkin "$id"
	wait_for 5 member_state_is a "$id" checked-in || {
		show_status b
		die "A does not see $id checked in 5 s after B checked him in"
	}
}

# ---------------------------------------------------------------------------------------------
# Views of a member at one site, normalized for comparing

# daily_show KEY IDNO: `member show --json` at KEY as JSON with sorted keys, or a line starting
# "ERROR" if it failed.
daily_show() {
	local out
	out=$(ld "$1" --json member show "$2" 2>&1) || {
		printf 'ERROR %s\n' "$out"
		return 0
	}
	printf '%s' "$out" | python3 -c '
import json, sys
print(json.dumps(json.load(sys.stdin), sort_keys=True, ensure_ascii=False))' 2>&1
}

# daily_hist KEY IDNO: the member's history at KEY as a JSON list of [origin, seq, kind], oldest
# first, or a line starting "ERROR".
daily_hist() {
	local out
	out=$(ld "$1" --json history "$2" 2>&1) || {
		printf 'ERROR %s\n' "$out"
		return 0
	}
	printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(json.dumps([[e["origin"], e["seq"], e["kind"]] for e in d["events"]], ensure_ascii=False))' 2>&1
}

# daily_field SHOW FIELD: one field of a daily_show output (strings bare, others as JSON).
daily_field() {
	jget "$1" "d.get(\"$2\")"
}

# _daily_in_sync IDNO N: A's history of IDNO has N events; B's is A's without the first one (the
# member.registered, which stays at A: B learns of him from the outflow registration); member
# show is the same at both. Leaves what it saw (as daily_show and daily_hist print it) in
# DS_SHOW_A, DS_SHOW_B, DS_HIST_A, DS_HIST_B. One python run for all of it, so that a poll is fast.
_daily_in_sync() {
	local id=$1 n=$2 s
	for s in a b; do
		ld "$s" --json history "$id" >"$T/.ds.hist.$s" 2>&1 || echo "ERROR" >>"$T/.ds.hist.$s"
		ld "$s" --json member show "$id" >"$T/.ds.show.$s" 2>&1 || echo "ERROR" >>"$T/.ds.show.$s"
	done
	python3 - "$T" "$n" <<'PYEOF'
import json, sys
t, n = sys.argv[1], int(sys.argv[2])
def load(name, conv):
    text = open("%s/.ds.%s" % (t, name)).read()
    try:
        return conv(json.loads(text))
    except (ValueError, KeyError, TypeError):
        return "ERROR " + text.strip().replace("\n", " ")
hist = lambda d: [[e["origin"], e["seq"], e["kind"]] for e in d["events"]]
show = lambda d: d
res = {k: load(k, hist if k.startswith("hist") else show)
       for k in ("hist.a", "hist.b", "show.a", "show.b")}
for k, v in res.items():
    open("%s/.ds.%s.norm" % (t, k), "w").write(
        v if isinstance(v, str) else json.dumps(v, sort_keys=True, ensure_ascii=False))
ok = (not any(isinstance(v, str) for v in res.values())
      and res["show.a"] == res["show.b"]
      and len(res["hist.a"]) == n and res["hist.a"][1:] == res["hist.b"])
sys.exit(0 if ok else 1)
PYEOF
	s=$?
	DS_HIST_A=$(cat "$T/.ds.hist.a.norm")
	DS_HIST_B=$(cat "$T/.ds.hist.b.norm")
	DS_SHOW_A=$(cat "$T/.ds.show.a.norm")
	DS_SHOW_B=$(cat "$T/.ds.show.b.norm")
	return "$s"
}

# daily_diff_shows SHOW_A SHOW_B: print the fields in which two member shows differ.
daily_diff_shows() {
	python3 - "$1" "$2" <<'PYEOF'
import json, sys
def load(t):
    try:
        return json.loads(t)
    except ValueError:
        return {"<not JSON>": t}
a, b = load(sys.argv[1]), load(sys.argv[2])
for k in sorted(set(a) | set(b)):
    if a.get(k, "<absent>") != b.get(k, "<absent>"):
        print("    %s: A %s, B %s" % (k, json.dumps(a.get(k, "<absent>"), ensure_ascii=False),
                                     json.dumps(b.get(k, "<absent>"), ensure_ascii=False)))
PYEOF
}

# daily_step WHAT IDNO N ORIGIN KIND: after a step that must add exactly one event about IDNO:
# waits up to 3 s for both sites to agree (see _daily_in_sync) with N events in A's history, the
# last one of kind KIND written by ORIGIN (a site name). Counts a failure saying what differed.
# Leaves the member show in DS_SHOW_A and DS_SHOW_B for more checks.
daily_step() {
	local what=$1 id=$2 n=$3 origin=$4 kind=$5
	if ! wait_for 3 _daily_in_sync "$id" "$n"; then
		fail "$what: the two sites do not agree on the member within 3 s (A's history should have $n events)"
		printf '    history at A: %s\n    history at B: %s\n' "$DS_HIST_A" "$DS_HIST_B"
		if [ "$DS_SHOW_A" != "$DS_SHOW_B" ]; then
			printf '    member show differs:\n'
			daily_diff_shows "$DS_SHOW_A" "$DS_SHOW_B"
		fi
		show_status a
		show_status b
		return 1
	fi
	pass
	log "$what: in sync after ${WAITED} s"
	assert_eq "$(jget "$DS_HIST_A" 'd[-1][0]')" "$origin" "$what: the site that wrote the new event"
	assert_eq "$(jget "$DS_HIST_A" 'd[-1][2]')" "$kind" "$what: the kind of the new event"
	return 0
}

# daily_hist_len KEY IDNO: how many events KEY's history of IDNO holds.
daily_hist_len() {
	jget "$(daily_hist "$1" "$2")" 'len(d)'
}

# ---------------------------------------------------------------------------------------------
# Dues and conflicts

# daily_receipt_at KEY IDNO RECEIPT STATUS: KEY's dues list of IDNO has RECEIPT with STATUS.
daily_receipt_at() {
	local out
	out=$(ld "$1" --json dues list "$2" 2>/dev/null) || return 1
	[ "$(jget "$out" '[r["status"] for r in d["receipts"] if r["receipt"] == "'"$3"'"]')" = "[\"$4\"]" ]
}

# daily_receipts KEY IDNO: KEY's dues list of IDNO as sorted JSON (for comparing two sites).
daily_receipts() {
	local out
	out=$(ld "$1" --json dues list "$2" 2>&1) || {
		printf 'ERROR %s\n' "$out"
		return 0
	}
	printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(json.dumps(sorted(d["receipts"], key=lambda r: r["receipt"]), sort_keys=True, ensure_ascii=False))'
}

# daily_conflicts KEY: KEY's conflicts as JSON (or a line starting ERROR).
daily_conflicts() {
	ld "$1" --json conflicts 2>&1 || printf 'ERROR\n'
}

# daily_double_payment_at KEY MASKED R1 R2: KEY's conflicts hold exactly one entry, a
# dues.double-payment of member MASKED naming receipts R1 and R2.
daily_double_payment_at() {
	local out
	out=$(ld "$1" --json conflicts 2>/dev/null) || return 1
	[ "$(jget "$out" '[(c["kind"], c["member"], sorted(c["events"])) for c in d["conflicts"]]')" = \
		"$(jget "[\"$2\", \"$3\", \"$4\"]" '[("dues.double-payment", d[0], sorted(d[1:]))]')" ]
}

# daily_no_conflicts KEY: KEY's conflicts list is empty.
daily_no_conflicts() {
	local out
	out=$(ld "$1" --json conflicts 2>/dev/null) || return 1
	[ "$(jget "$out" 'len(d["conflicts"])')" = 0 ]
}

# daily_agree IDNO: both sites agree on the member: B's history is A's without its first event
# (member.registered), and member show is the same at both.
daily_agree() {
	[ "$(jget "$(daily_hist a "$1")" 'd[1:]')" = "$(jget "$(daily_hist b "$1")" 'd')" ] &&
		[ "$(daily_show a "$1")" = "$(daily_show b "$1")" ]
}

# daily_field_is KEY IDNO FIELD VALUE: member show at KEY has FIELD = VALUE ("null" for none).
daily_field_is() {
	local out
	out=$(ld "$1" --json member show "$2" 2>/dev/null) && [ "$(jget "$out" "d.get(\"$3\")")" = "$4" ]
}

# daily_last_kind_is KEY IDNO KIND: the newest event of KEY's history of IDNO is of kind KIND.
daily_last_kind_is() {
	[ "$(jget "$(daily_hist "$1" "$2")" 'd[-1][2] if d else None')" = "$3" ]
}
