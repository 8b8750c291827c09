# SPDX-License-Identifier: MIT
# Shared by the it_*.sh scripts (sourced, not run): the pass/fail tally,
# expect, skip, starting a px-launch server, and the end-of-script verdict.
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
# expect NAME TEXT NEEDLE: TEXT contains NEEDLE
expect() {
	if [[ $2 == *"$3"* ]]; then pass "$1"; else fail "$1: no '$3' in: $2"; fi
}
# skip REASON: exit 77, unless PX_REQUIRE (what CI knows this machine has,
# "io_uring,root") names a word of REASON: then the missing feature fails.
skip() {
	local w req=${PX_REQUIRE:-}
	for w in ${req//,/ }; do
		if [[ $1 == *"$w"* ]]; then
			echo "FAIL: would skip ($1), but PX_REQUIRE says this machine has $w"
			exit 1
		fi
	done
	echo "SKIP: $1"
	exit 77
}
# start_src ARGS...: run "$launch -v ARGS" in the background (prefixed by
# $SRC_WRAP when set, e.g. test/no_uring) and wait for the line a server
# element prints once it listens ("listening on 127.0.0.1:P", or the text
# in $SRC_READY); sets SRC_PID, SRC_LINE (that line) and SRC_PORT (empty
# if it never came). Needs $launch and $tmp. Its stderr goes on to
# $tmp/src.err; finish_src waits for it and sets SRC_RC and SRC_ERR.
start_src() {
	rm -f "$tmp/src.fifo"
	mkfifo "$tmp/src.fifo"
	${SRC_WRAP:-} "$launch" -v "$@" 2>"$tmp/src.fifo" &
	SRC_PID=$!
	exec 5<"$tmp/src.fifo"
	SRC_PORT=
	SRC_LINE=
	while read -r line <&5; do
		echo "$line" >>"$tmp/src.log"
		if [[ $line == *"${SRC_READY:-listening on 127.0.0.1:}"* ]]; then
			SRC_LINE=$line
			SRC_PORT=${line##*:}
			break
		fi
	done
	cat <&5 >"$tmp/src.err" &
	SRC_CAT=$!
}
finish_src() {
	wait "$SRC_PID"
	SRC_RC=$?
	exec 5<&-
	wait "$SRC_CAT"
	SRC_ERR=$(cat "$tmp/src.err")
}
# until_ok DESCRIPTION COMMAND...: run COMMAND every 10 ms until it
# succeeds, for at most 30 s (a bounded poll on a condition, not a sleep);
# after 30 s a failure naming DESCRIPTION, and status 1.
until_ok() {
	local what=$1 n
	shift
	for ((n = 0; n < 3000; n++)); do
		"$@" && return 0
		sleep 0.01
	done
	fail "waited 30 s for: $what"
	return 1
}
# tcp_state_on PORT STATE: a TCP socket whose local or remote port is PORT
# is in STATE, as /proc/net/tcp writes it (0A listening, 01 established).
# A predicate for until_ok: ask the kernel instead of sleeping a guess.
tcp_state_on() {
	local hex
	hex=$(printf ':%04X' "$1")
	awk -v p="$hex" -v s="$2" '
		FNR > 1 && $4 == s && (substr($2, length($2) - 4) == p ||
				       substr($3, length($3) - 4) == p) { f = 1 }
		END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
# gone PID: the process has ended.
gone() { ! kill -0 "$1" 2>/dev/null; }
# size_is FILE BYTES: FILE exists and holds at least BYTES.
size_is() { [[ -f $1 && $(stat -c %s "$1") -ge $2 ]]; }
# The verdict: exit 1 after any failure, else say WHAT passed.
verdict() {
	((failures == 0)) || { echo "$failures failure(s)"; exit 1; }
	echo "all $1 checks passed"
	exit 0
}
