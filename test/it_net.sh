#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# netsink and netsrc on loopback: a file crosses byte-identical between two
# px-launch processes, and to and from a foreign peer written only from
# docs/net.md's table (test/net_peer.py: DATA, EOS and CRC32C); a frame of
# a kind it does not know is skipped; corrupt, truncated, oversized,
# wrong-version and wrong-magic frames end the run with exit 1 and a
# sentence naming the peer and the frame's byte offset. Ports are free ones
# picked by the kernel (port=0); every wait reads a line the other side
# prints, never a sleep.
set -uo pipefail
: "${PX_BUILD_DIR:?}" "${PX_SOURCE_DIR:?}"
launch=$PX_BUILD_DIR/tools/px-launch
peer="/usr/bin/python3 $PX_SOURCE_DIR/test/net_peer.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; kill $(jobs -p) 2>/dev/null' EXIT
# shellcheck source=lib_it.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_it.sh"

[[ -x /usr/bin/python3 ]] || { echo "FAIL: /usr/bin/python3 is missing"; exit 1; }

head -c $((2 * 1024 * 1024 + 7)) /dev/urandom >"$tmp/in.bin"

# ---- Parallax to Parallax ------------------------------------------------------
start_src netsrc port=0 ! filesink location="$tmp/px.bin"
out=$("$launch" filesrc location="$tmp/in.bin" ! netsink port="$SRC_PORT" 2>&1)
[[ $? == 0 ]] && pass "netsink ends at EOS" || fail "netsink: $out"
finish_src
[[ $SRC_RC == 0 ]] && pass "netsrc ends at EOS" || fail "netsrc exit $SRC_RC: $SRC_ERR"
cmp -s "$tmp/in.bin" "$tmp/px.bin" && pass "the file crosses byte-identical" ||
	fail "px.bin differs"

# ---- caps cross in the HELLO: a contradicting filter downstream refuses ------
start_src netsrc port=0 ! application/x-b ! fakesink
out=$("$launch" fakesrc num-buffers=10 ! application/x-a ! netsink port="$SRC_PORT" 2>&1)
finish_src
[[ $SRC_RC == 1 ]] && pass "caps that contradict the receiving side fail it" ||
	fail "caps x-a into x-b: exit $SRC_RC: $SRC_ERR"
expect "the error names both caps" "$SRC_ERR" \
	"netsrc0:src: caps application/x-a do not fit the link to fakesink0:sink, whose caps are application/x-b"
start_src netsrc port=0 ! application/x-a ! fakesink
out=$("$launch" fakesrc num-buffers=10 ! "application/x-a, n=(int)3" ! netsink port="$SRC_PORT" 2>&1)
finish_src
[[ $SRC_RC == 0 ]] && pass "caps that fit cross" || fail "caps x-a: exit $SRC_RC: $SRC_ERR"

# ---- a foreign sender ------------------------------------------------------------
start_src netsrc port=0 ! filesink location="$tmp/foreign.bin"
$peer send "$SRC_PORT" "$tmp/in.bin" --block 50000 --unknown 3 >"$tmp/peer.out"
finish_src
[[ $SRC_RC == 0 ]] && pass "netsrc takes a foreign sender's DATA and EOS" ||
	fail "foreign sender: exit $SRC_RC: $SRC_ERR"
cmp -s "$tmp/in.bin" "$tmp/foreign.bin" &&
	pass "its bytes arrive identical (a kind-7 frame skipped)" ||
	fail "foreign.bin differs"

# ---- a foreign receiver ----------------------------------------------------------
# It never sends HELLO: netsink waits a second for one, then treats it as
# plain and stops keeping frames. With a 2-slot pool upstream, the frames
# kept while it waits are all the slots there are: that wait must still
# end (it once hung there, waiting for a full queue that never came).
foreign_recv() { # NAME SRC-PROPERTIES...
	local name=$1 prc frames word port
	shift
	rm -f "$tmp/peer.fifo" "$tmp/to_foreign.bin"
	mkfifo "$tmp/peer.fifo"
	$peer recv "$tmp/to_foreign.bin" >"$tmp/peer.fifo" &
	peer_pid=$!
	exec 6<"$tmp/peer.fifo"
	read -r word port <&6
	out=$(timeout 60 "$launch" filesrc location="$tmp/in.bin" "$@" ! netsink port="$port" 2>&1)
	[[ $? == 0 ]] && pass "$name: netsink sends to a foreign receiver" ||
		fail "$name: netsink: $out"
	read -r word frames <&6
	wait $peer_pid
	prc=$?
	exec 6<&-
	[[ $prc == 0 ]] && pass "$name: the foreign receiver checked every CRC ($frames frames: HELLO, DATA, EOS)" ||
		fail "$name: foreign receiver exit $prc"
	cmp -s "$tmp/in.bin" "$tmp/to_foreign.bin" && pass "$name: and wrote the file identical" ||
		fail "$name: to_foreign.bin differs"
}
foreign_recv "default pool" blocksize=65536
foreign_recv "2-slot pool" blocksize=65536 pool-slots=2

# ---- a dropped connection: cut, resumed, byte-identical -----------------------
# Frames of 64 KiB (filesrc's default) and of 3 MB: netsrc receives a
# payload of 256 KiB or more under a raised SO_RCVLOWAT, in pieces when it
# is larger than the mark's 1 MiB cap, and the proxy cuts some mid-payload.
cut_resume() { # MIB CUT_BYTES CUTS SRC-PROPERTIES...
	local mib=$1 cut=$2 cuts=$3 rc out what
	shift 3
	what="$mib MiB${*:+ $*}"
	head -c $((mib * 1024 * 1024 + 7)) /dev/urandom >"$tmp/big.bin"
	start_src netsrc port=0 ! filesink location="$tmp/resumed.bin"
	rm -f "$tmp/proxy.fifo"
	mkfifo "$tmp/proxy.fifo"
	/usr/bin/python3 "$PX_SOURCE_DIR/test/net_proxy.py" "$SRC_PORT" "$cut" "$cuts" \
		>"$tmp/proxy.fifo" &
	proxy_pid=$!
	exec 7<"$tmp/proxy.fifo"
	read -r word pport <&7
	out=$("$launch" filesrc location="$tmp/big.bin" "$@" ! netsink port="$pport" 2>&1)
	rc=$?
	finish_src
	kill "$proxy_pid" 2>/dev/null # it waits for the next client
	wait "$proxy_pid" 2>/dev/null
	[[ $rc == 0 ]] && pass "$what: netsink reaches EOS through $cuts cuts" ||
		fail "$what: netsink through cuts: exit $rc: $out"
	[[ $SRC_RC == 0 ]] && pass "$what: netsrc reaches EOS through $cuts cuts" ||
		fail "$what: netsrc through cuts: exit $SRC_RC: $SRC_ERR"
	[[ $(grep -c "reconnecting" <<<"$out") -ge $cuts ]] &&
		pass "$what: netsink says each loss (WARNING ... reconnecting)" ||
		fail "$what: netsink's warnings: $out"
	cmp -s "$tmp/big.bin" "$tmp/resumed.bin" &&
		pass "$what: byte-identical: no loss, no repeat, in order" ||
		fail "$what: resumed.bin differs from big.bin"
	exec 7<&-
	rm -f "$tmp/big.bin" "$tmp/resumed.bin"
}
cut_resume 256 40000000 5
cut_resume 64 10000001 3 blocksize=3000007

# ---- a side killed outright (SIGKILL) mid-stream ----------------------------------
# The sender reads a FIFO the test fills with 1 MiB and keeps open, so the
# stream is mid-way and quiet when one side is killed; the other side waits
# reconnect-timeout (1 s here) for it to come back, then fails naming it,
# and what was delivered before is intact.
head -c $((1024 * 1024)) /dev/urandom >"$tmp/mib.bin"
for victim in netsink netsrc; do
	rm -f "$tmp/killed.out" "$tmp/kill.fifo" "$tmp/src.log"
	mkfifo "$tmp/kill.fifo"
	exec 8<>"$tmp/kill.fifo"
	start_src netsrc port=0 reconnect-timeout=1s ! filesink location="$tmp/killed.out"
	"$launch" filesrc location="$tmp/kill.fifo" blocksize=65536 ! \
		netsink port="$SRC_PORT" reconnect-timeout=1s >"$tmp/sink.log" 2>&1 &
	sink_pid=$!
	cat "$tmp/mib.bin" >&8
	if ! until_ok "killed $victim: 1 MiB to arrive" \
		size_is "$tmp/killed.out" $((1024 * 1024)); then
		kill -9 "$sink_pid" "$SRC_PID"
	elif [[ $victim == netsink ]]; then
		kill -9 "$sink_pid"
		finish_src
		[[ $SRC_RC == 1 ]] && pass "a killed sender: netsrc exits 1 after reconnect-timeout" ||
			fail "a killed sender: netsrc exit $SRC_RC: $SRC_ERR"
		expect "... it names the sender and the timeout" "$SRC_ERR" \
			"netsrc0: gave up on 127.0.0.1:"
		expect "... and says it was lost first" "$SRC_ERR" "WARNING"
		cmp -s "$tmp/killed.out" "$tmp/mib.bin" &&
			pass "... every byte delivered before is in the file" ||
			fail "killed sender: killed.out differs from what was sent"
	else
		kill -9 "$SRC_PID"
		finish_src
		wait "$sink_pid"
		rc=$?
		[[ $rc == 1 ]] && pass "a killed receiver: netsink exits 1 after reconnect-timeout" ||
			fail "a killed receiver: netsink exit $rc: $(cat "$tmp/sink.log")"
		expect "... it names the receiver and the timeout" "$(cat "$tmp/sink.log")" \
			"netsink0: gave up on 127.0.0.1:$SRC_PORT after"
	fi
	wait "$sink_pid" 2>/dev/null
	exec 8>&-
done

# ---- bad frames: exit 1, the peer and the byte offset ----------------------------
bad() { # NAME FAULT NEEDLE
	start_src netsrc port=0 ! fakesink
	$peer send "$SRC_PORT" "$tmp/in.bin" --block 50000 --fault "$2" \
		>"$tmp/peer.out" 2>/dev/null
	finish_src
	local off
	off=$(sed -n 's/^offset //p' "$tmp/peer.out")
	[[ $SRC_RC == 1 ]] && pass "$1: exit 1" || fail "$1: exit $SRC_RC: $SRC_ERR"
	expect "$1: names the peer and the offset" "$SRC_ERR" \
		"from 127.0.0.1:"
	expect "$1: at the frame's byte offset ($off)" "$SRC_ERR" \
		"at byte offset $off: "
	expect "$1: says what is wrong" "$SRC_ERR" "$3"
	expect "$1: names the frame (${2#*:})" "$SRC_ERR" "frame ${2#*:} from"
}
bad "a corrupt payload" crc:3 "CRC32C 0x"
bad "a truncated frame" truncate:4 "the peer closed the connection"
bad "an oversized frame" oversize:2 "over max-frame-size 16777216"
bad "a wrong version" version:2 "version 2, not 1"
bad "a wrong magic" magic:5 "bad magic 58 54 52 4d"

verdict net
