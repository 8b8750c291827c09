#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# No payload copied in user space, seen from outside by copy_shim.so
# (LD_PRELOAD) in each px-launch process, two ways:
#  - copies: the bytes memcpy, memmove and mempcpy move, so a copy that the
#    pools' bytes_copied counter would not see shows up;
#  - trail (pointer identity): of the bytes the op API sends out (write,
#    send, sendmsg), those that leave from the very memory an op API read
#    or recv filled. A payload copied by any means leaves from elsewhere.
# First both must be able to fail: the counter sees a 1 MiB memcpy, and
# fakesrc (which fills its slots itself) ! filesink sends nothing from read
# memory. Then a file tee (filesrc ! tee ! filesink, and a queued
# filesink), netsink -> netsrc and tcpsink -> tcpsrc over loopback, 64 MiB
# + 7 bytes each, must move under 0.1% of the payload in user-space
# copies, send every payload byte from where it was read, and deliver it
# byte-identical. (it_ipc.sh counts copies across processes; test_ipc.c
# checks pointer identity there.)
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

# copies NAME PROCESSES TIMES: each of the px-launch lines in copies.txt
# moved under 0.1% of the payload in copies and sent at least TIMES the
# payload from read memory, and there were PROCESSES of them.
copies() {
	local pid bytes calls out from_in prog n=0
	while read -r pid bytes calls out from_in prog; do
		[[ $prog == */px-launch ]] || continue
		n=$((n + 1))
		((bytes * 1000 < payload)) &&
			pass "$1: px-launch $pid copied $bytes bytes in $calls calls (< 0.1%)" ||
			fail "$1: px-launch $pid copied $bytes bytes in $calls calls: a payload copy"
		((from_in >= $3 * payload)) &&
			pass "$1: px-launch $pid sent $from_in of $out bytes from the memory they were read into" ||
			fail "$1: px-launch $pid sent only $from_in of $out bytes from read memory ($3 x $payload expected)"
	done <"$tmp/copies.txt"
	((n == $2)) || fail "$1: copy counts of $2 px-launch processes expected, got $n"
	rm -f "$tmp/copies.txt"
}

# The trail must be able to fail: fakesrc writes its slots itself.
rm -f "$tmp/copies.txt"
"${pre[@]}" "$launch" fakesrc num-buffers=64 sizetype=fixed sizemax=65536 \
	filltype=zero ! filesink location="$tmp/fake.bin" >"$tmp/fake.log" 2>&1 ||
	fail "fakesrc: $(cat "$tmp/fake.log")"
read -r _ _ _ out from_in _ <"$tmp/copies.txt"
((out == 64 * 65536 && from_in == 0)) &&
	pass "trail: fakesrc ! filesink sent none of its $out bytes from read memory" ||
	fail "trail: fakesrc ! filesink sent $from_in of $out bytes from read memory"
rm -f "$tmp/copies.txt"

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
copies tee 1 2

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
	copies "$tx -> ${rx%% *}" 2 1
done

verdict "zero-copy"
