# SPDX-License-Identifier: MIT
# Shared by the it_*.sh scripts (sourced, not run): the pass/fail tally,
# expect, skip, and the end-of-script verdict.
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
# The verdict: exit 1 after any failure, else say WHAT passed.
verdict() {
	((failures == 0)) || { echo "$failures failure(s)"; exit 1; }
	echo "all $1 checks passed"
	exit 0
}
