#!/bin/bash
# The bash completion (completions/efa-verify), sourced into a bash of its
# own as bash-completion would load it: the completion function is called
# with COMP_WORDS and COMP_CWORD set as bash sets them, and COMPREPLY is
# what the user would be offered. Each command's options are held to what
# its --help lists, so the two cannot drift.
. "$top_srcdir/tests/lib.sh"

COMPL=$top_srcdir/completions/efa-verify
check "the completion script is there" test -f "$COMPL"

# complete WORD... : what is offered for the last word (the one being
# typed; "" for a new one), one per line, sorted.
complete_words() {
	bash --norc --noprofile -c '
		. "$1" || exit 1
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_efa_verify efa-verify "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort
	' completion "$COMPL" efa-verify "$@"
}
offers() { complete_words "$@" | tr '\n' ' ' | sed 's/ $//'; }

is "registered for efa-verify" \
	"$(bash --norc --noprofile -c '. "$1"; complete -p efa-verify' _ "$COMPL")" "complete -F _efa_verify efa-verify"
is "a new word: the commands" "$(offers '')" "check flush report snapshot top"
is "a command's start" "$(offers ch)" "check"
is "an option before the command: the global ones" "$(offers -)" "--config --help --node --version -N -V -c -h"
is "after -c FILE: the commands" "$(offers -c /etc/x.yaml '')" "check flush report snapshot top"
is "after --config=FILE: the commands" "$(offers --config = /etc/x.yaml '')" "check flush report snapshot top"
is "after -N NODE and -c FILE: the commands" "$(offers -N n1 -c x.yaml s)" "snapshot"
is "check's options, and the global ones after the command" "$(offers check --)" \
	"--cached --config --help --json --node --root --type"
is "check --c: --cached and --config" "$(offers check --c)" "--cached --config"
is "report's options" "$(offers report 5 --)" \
	"--config --help --json --local --node --partition --since --timeout --top --until --user"
is "report --since: a time to give, nothing offered" "$(offers report --since '')" ""
is "report --user: the users" "$(offers report --since 7d --user roo)" "root"
is "report --since WHEN --t: the options again" "$(offers report --since 7d --t)" "--timeout --top"
is "a command after the global options" "$(offers -c x.yaml -N n1 top --i)" "--interval"
is "an option's value is not the command" "$(offers --node check --)" "--config --help --node --version"
is "a number to give: nothing offered" "$(offers top --interval '')" ""
is "a job id to give: nothing offered" "$(offers flush --job '')" ""
is "after the command, a word that is not an option: nothing" "$(offers check x)" ""

mkdir -p "$EV_TMP/conf dir"
touch "$EV_TMP/conf dir/a.yaml" "$EV_TMP/conf dir/b.yaml" "$EV_TMP/other"
is "-c: file names" "$(offers -c "$EV_TMP/conf dir/")" "$EV_TMP/conf dir/a.yaml $EV_TMP/conf dir/b.yaml"
is "-c after the command: file names" "$(offers check -c "$EV_TMP/conf dir/a")" "$EV_TMP/conf dir/a.yaml"
is "--config=: file names" "$(offers report --config = "$EV_TMP/oth")" "$EV_TMP/other"
mkdir -p "$EV_TMP/images/rootfs"
touch "$EV_TMP/images/rootfs.tar"
is "check --root: directories only" "$(offers check --root "$EV_TMP/images/r")" "$EV_TMP/images/rootfs"
is "--config= with nothing yet: the files here" \
	"$(cd "$EV_TMP/conf dir" && offers check --config = | tr ' ' '\n' | sort | tr '\n' ' ')" "a.yaml b.yaml "

# Each command's options as its --help lists them, against what is offered
# after it (less the global ones and --help, which every command takes).
for cmd in check snapshot report flush top; do
	want=$("$EV_CLI" "$cmd" --help | grep -E '^(Usage: | +)efa-verify |^ +--' | grep -Eo -- '--[a-z][a-z-]*' |
		sort -u | grep -vx -e --help | tr '\n' ' ')
	got=$(complete_words "$cmd" -- | grep -vx -e --help -e --config -e --node | tr '\n' ' ')
	is "$cmd: the options its --help lists" "$got" "$want"
done
is "the commands efa-verify --help lists" "$(offers '')" \
	"$("$EV_CLI" --help | sed -n '/^Commands:/,/^$/p' | grep -Eo '^  [a-z]+' | sort | tr -d ' ' | tr '\n' ' ' | sed 's/ $//')"

done_testing
