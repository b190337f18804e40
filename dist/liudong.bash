# bash completion for liudong (installed as share/bash-completion/completions/liudong).
#
# The words come from the command itself: `liudong __complete WORD... CUR` prints the commands,
# options and enumeration words (reasons, kinds, dues categories, outcomes...) that may stand at
# CUR, read from its own command table, so they are always those of the installed version.
# `--option=VALUE` is completed too (bash splits it at '=').
_liudong() {
	local cur=${COMP_WORDS[COMP_CWORD]} words=() i out
	[ "$cur" = "=" ] && cur=
	for ((i = 1; i < COMP_CWORD; i++)); do
		[ "${COMP_WORDS[i]}" = "=" ] || words+=("${COMP_WORDS[i]}")
	done
	COMPREPLY=()
	out=$("${COMP_WORDS[0]}" __complete "${words[@]}" "$cur" 2>/dev/null) || return 0
	if [ "$out" = "::files" ]; then
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	elif [ -n "$out" ]; then
		mapfile -t COMPREPLY <<<"$out"
	fi
	return 0
}
complete -F _liudong liudong
