#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# No payload copied in user space, counted from outside: copy_shim.so
# (LD_PRELOAD) counts the bytes memcpy, memmove and mempcpy move in each
# px-launch process, so a copy that the pools' bytes_copied counter would
# not see shows up here. First the counter must see a 1 MiB memcpy; then a
# file tee (filesrc ! tee ! filesink, and a queued filesink), netsink ->
# netsrc and tcpsink -> tcpsrc over loopback, 64 MiB + 7 bytes each, must
# move under 0.1% of the payload in user-space copies, and deliver it
# byte-identical. (it_ipc.sh does the same across processes.)
set -uo pipefail
: "${PX_BUILD_DIR:?}" "${PX_SOURCE_DIR:?}"
launch=$PX_BUILD_DIR/tools/px-launch
shim=$PX_BUILD_DIR/test/copy_shim.so
probe=$PX_BUILD_DIR/test/copy_probe
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
# shellcheck source=lib_it.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_it.sh"

# Under AddressSanitizer the shim cannot be preloaded (ASan must come
# first); the plain build counts (see it_ipc.sh for the ldd detail).
if [[ $(ldd "$launch") == *libasan* ]]; then
	echo "SKIP: copy counting is not combined with AddressSanitizer"
	exit 77
fi
payload=$((64 * 1024 * 1024 + 7))
head -c "$payload" /dev/urandom >"$tmp/in.bin"
pre=(env LD_PRELOAD="$shim" PX_COPY_SHIM_OUT="$tmp/copies.txt")

"${pre[@]}" "$probe" 1048576
read -r _ seen _ <"$tmp/copies.txt"
((seen >= 1048576)) && pass "copy counter sees a 1 MiB memcpy ($seen bytes)" ||
	fail "copy counter saw $seen bytes of a 1 MiB memcpy"

# copies NAME PROCESSES: each of the px-launch lines in copies.txt moved
# under 0.1% of the payload, and there were PROCESSES of them.
copies() {
	local pid bytes calls prog n=0
	while read -r pid bytes calls prog; do
		[[ $prog == */px-launch ]] || continue
		n=$((n + 1))
		((bytes * 1000 < payload)) &&
			pass "$1: px-launch $pid copied $bytes bytes in $calls calls (< 0.1%)" ||
			fail "$1: px-launch $pid copied $bytes bytes in $calls calls: a payload copy"
	done <"$tmp/copies.txt"
	((n == $2)) || fail "$1: copy counts of $2 px-launch processes expected, got $n"
	rm -f "$tmp/copies.txt"
}

# ---- a file tee in one process --------------------------------------------------
# 1 MiB blocks: each buffer's 64-byte item is copied through memcpy on its
# way (about 64 bytes a buffer: 0.1% of 64 KiB blocks, so 64 KiB blocks
# would sit on the line; 0.006% of 1 MiB ones), and no payload byte is.
rm -f "$tmp/copies.txt"
"${pre[@]}" "$launch" filesrc location="$tmp/in.bin" blocksize=1048576 ! \
	tee name=t ! \
	filesink location="$tmp/a.bin" t. ! queue ! filesink location="$tmp/b.bin" \
	>"$tmp/tee.log" 2>&1 || fail "tee: $(cat "$tmp/tee.log")"
cmp -s "$tmp/in.bin" "$tmp/a.bin" && cmp -s "$tmp/in.bin" "$tmp/b.bin" &&
	pass "tee: both copies byte-identical" || fail "tee: a file differs"
copies tee 1

# ---- across a TCP connection: STRM frames, and plain TCP ------------------------
for pair in "netsrc port=0|netsink" "tcpsrc mode=server port=0|tcpsink"; do
	rx=${pair%|*} tx=${pair#*|}
	rm -f "$tmp/out.bin" "$tmp/src.log" "$tmp/copies.txt"
	SRC_WRAP="${pre[*]}"
	# shellcheck disable=SC2086
	start_src $rx ! filesink location="$tmp/out.bin"
	unset SRC_WRAP
	[[ -n $SRC_PORT ]] || { fail "$rx never listened"; continue; }
	"${pre[@]}" "$launch" filesrc location="$tmp/in.bin" ! \
		$tx port="$SRC_PORT" >"$tmp/tx.log" 2>&1 ||
		fail "$tx: $(cat "$tmp/tx.log")"
	ends=0
	until_ok "${rx%% *} to end" gone "$SRC_PID" && ends=1
	((ends)) || kill -9 "$SRC_PID"
	finish_src
	cmp -s "$tmp/in.bin" "$tmp/out.bin" &&
		pass "$tx -> ${rx%% *}: byte-identical" ||
		fail "$tx -> ${rx%% *}: out.bin differs ($SRC_ERR)"
	copies "$tx -> ${rx%% *}" 2
done

verdict "zero-copy"
