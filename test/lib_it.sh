# SPDX-License-Identifier: MIT
# Shared by the it_*.sh scripts (sourced, not run): the pass/fail tally,
# expect, the end-of-script verdict, and the io_uring skip.
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
# expect NAME TEXT NEEDLE: TEXT contains NEEDLE
expect() {
	if [[ $2 == *"$3"* ]]; then pass "$1"; else fail "$1: no '$3' in: $2"; fi
}
# Exit 77 when the kernel has io_uring switched off (sysctl).
skip_without_uring() {
	if [[ -r /proc/sys/kernel/io_uring_disabled &&
	      $(cat /proc/sys/kernel/io_uring_disabled) != 0 ]]; then
		echo "SKIP: io_uring is disabled on this kernel"
		exit 77
	fi
}
# The verdict: exit 1 after any failure, else say WHAT passed.
verdict() {
	((failures == 0)) || { echo "$failures failure(s)"; exit 1; }
	echo "all $1 checks passed"
	exit 0
}
