#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# natssink and natssrc against a real nats-server (JetStream, file storage)
# that this script starts on a port the server picks and stops:
# - a round trip of PX_NATS_BUFFERS (default 1,000,000) 4 KiB buffers,
#   publisher and subscriber running at once, count, bytes and order
#   checked, the subscriber ended by the publisher's EOS;
# - natssrc without a publisher runs until it is interrupted;
# - the server killed (SIGKILL) and restarted mid-stream: nothing lost,
#   nothing stored or delivered twice;
# - the subscriber killed (SIGKILL) mid-stream and started again: nothing
#   lost; what the first run had not acknowledged (at most the consumer's
#   MaxAckPending, twice natssrc's pool) comes again, nothing else does;
# - errors that name the element and the server.
# Every wait reads a line the other side prints, or polls a condition
# with a deadline; none is a sleep that synchronises. Every px-launch runs
# under timeout(1) with SIGINT: one that hangs (a lost acknowledgement,
# say) prints its counters on the interrupt and exits 124, which fails its
# step and names it, long before CTest's limit ends the whole script.
set -uo pipefail
: "${PX_BUILD_DIR:?}" "${PX_SOURCE_DIR:?}"
launch=$PX_BUILD_DIR/tools/px-launch
chunks="/usr/bin/python3 $PX_SOURCE_DIR/test/nats_chunks.py"
tmp=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
# shellcheck source=lib_it.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_it.sh"

command -v nats-server >/dev/null || skip "no nats-server (apt install nats-server)"
[[ -e $PX_BUILD_DIR/parallax-0/libpxnats.so ]] ||
	skip "the nats plugin was not built (no libnats: apt install libnats-dev)"
[[ -x /usr/bin/python3 ]] || { echo "FAIL: /usr/bin/python3 is missing"; exit 1; }
N=${PX_NATS_BUFFERS:-1000000}
# within LIMIT_S: the words that run a command interrupted after LIMIT_S
# seconds (then exit 124); px LIMIT_S ARGS...: px-launch ARGS so. The round
# trip gets the longest: 1,000,000 buffers take ~60 s on a loaded 2-CPU
# machine.
within() { echo "timeout -s INT -k 10 $1"; }
px() {
	local limit=$1
	shift
	$(within "$limit") "$launch" "$@"
}

# start_nats [PORT]: nats-server with JetStream on $tmp/store, on PORT or
# one it picks; waits for "Server is ready"; sets NATS_PID, NATS_PORT, URL.
start_nats() {
	rm -f "$tmp/nats.fifo"
	mkfifo "$tmp/nats.fifo"
	nats-server -js -sd "$tmp/store" -a 127.0.0.1 -p "${1:--1}" \
		2>"$tmp/nats.fifo" &
	NATS_PID=$!
	exec 6<"$tmp/nats.fifo"
	local line
	while read -r line <&6; do
		echo "$line" >>"$tmp/nats.log"
		[[ $line == *"Listening for client connections on"* ]] &&
			NATS_PORT=${line##*:}
		[[ $line == *"Server is ready"* ]] && break
	done
	cat <&6 >>"$tmp/nats.log" &
	exec 6<&-
	URL=nats://127.0.0.1:$NATS_PORT
}
stop_nats() { # SIGNAL
	kill "-$1" "$NATS_PID" 2>/dev/null
	wait "$NATS_PID" 2>/dev/null
}
# until_true DEADLINE_S CMD...: poll CMD every 20 ms until it succeeds.
until_true() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS < end)) || return 1
		sleep 0.02
	done
}
size_at_least() { [[ -e $1 ]] && (($(stat -c %s "$1") >= $2)); }
# The value of KEY=VALUE in TEXT (the counters natssrc/natssink post).
field() { sed -n "s/.*$2 .*\b$1=\([0-9]*\).*/\1/p" <<<"$3" | tail -n 1; }

start_nats
[[ -n ${NATS_PORT:-} ]] && pass "nats-server started on port $NATS_PORT" ||
	{ fail "nats-server did not start: $(cat "$tmp/nats.log")"; verdict nats; }

# ---- round trip -------------------------------------------------------------------
# The publisher creates the stream (its INFO line), then the subscriber
# starts while it publishes.
src="fakesrc num-buffers=$N size=4096 filltype=pattern-span"
want=$(px 300 -v $src ! fakesink checksum=true 2>&1 |
	sed -n 's/.*\(checksum crc32c=.*\)/\1/p')
SRC_READY="created stream RT"
SRC_WRAP=$(within 300) start_src $src ! natssink url="$URL" \
	stream=RT subject=rt.data
sub=$(px 300 -v natssrc url="$URL" stream=RT durable=rt ! \
	fakesink checksum=true 2>&1)
sub_rc=$?
finish_src
[[ $SRC_RC == 0 ]] && pass "the publisher ends at EOS" ||
	fail "publisher exit $SRC_RC: $SRC_ERR"
[[ $sub_rc == 0 ]] && pass "the subscriber ends at the publisher's EOS" ||
	fail "subscriber exit $sub_rc: $sub"
expect "$N buffers, every byte in order (fakesink's CRC32C)" "$sub" "$want"
expect "... no buffer out of order" "$sub" "out-of-order=0"
expect "... none delivered twice" "$sub" "duplicates=0"
pub_acked=$(field acked natssink "$SRC_ERR")
[[ $pub_acked == $((N + 1)) ]] && pass "every publish acknowledged ($pub_acked with EOS)" ||
	fail "natssink acked '$pub_acked', want $((N + 1)): $SRC_ERR"

# ---- no publisher: runs until stopped ----------------------------------------------
# Durable rt is past the EOS: nothing ends this run but the interrupt.
SRC_READY="PAUSED -> PLAYING"
start_src natssrc url="$URL" stream=RT durable=rt ! fakesink checksum=true
kill -INT "$SRC_PID"
finish_src
[[ $SRC_RC == 0 ]] && pass "natssrc without a publisher stops on interrupt" ||
	fail "exit $SRC_RC: $SRC_ERR"
expect "... and only then" "$SRC_ERR" "interrupt: sen"
expect "... having pushed nothing" "$SRC_ERR" "buffers=0 bytes=0"

# ---- the server killed and restarted mid-stream ----------------------------------
F=30000
$chunks make $F "$tmp/in.bin"
SRC_READY="created stream KS"
# identity paces the publisher (100 us a buffer) so that the server dies
# while it publishes.
SRC_WRAP=$(within 120) start_src filesrc location="$tmp/in.bin" \
	blocksize=4096 ! \
	identity sleep-time=100us ! \
	natssink url="$URL" stream=KS subject=ks.data max-inflight=64
# The subscriber writes what it gets; the server dies once a third is in.
px 120 -v natssrc url="$URL" stream=KS durable=ks ack-wait=2s ! \
	filesink location="$tmp/ks.bin" >"$tmp/ks.log" 2>&1 &
ks_pid=$!
until_true 60 size_at_least "$tmp/ks.bin" $((F / 3 * 4096)) ||
	fail "the subscriber got no third of the stream"
stop_nats KILL
start_nats "$NATS_PORT"
finish_src
wait "$ks_pid"
ks_rc=$?
[[ $SRC_RC == 0 ]] && pass "the publisher outlives a killed server" ||
	fail "publisher exit $SRC_RC: $SRC_ERR"
expect "... with a WARNING while it was gone" "$SRC_ERR" "unreachable: waiting for it to return"
[[ $ks_rc == 0 ]] && pass "the subscriber outlives it and ends at EOS" ||
	fail "subscriber exit $ks_rc: $(cat "$tmp/ks.log")"
out=$($chunks check $F "$tmp/ks.bin" 2>&1)
expect "server killed: nothing lost" "$out" "distinct=$F missing=0"
expect "... nothing delivered twice" "$out" "repeated=0"
echo "   (resent by natssink: $(field resent natssink "$SRC_ERR"), stored already: $(field duplicates natssink "$SRC_ERR"); $(grep -o 'redelivered=[0-9]* duplicates=[0-9]* out-of-order=[0-9]*' "$tmp/ks.log"); $out)"

# ---- the subscriber killed and started again -----------------------------------------
SRC_READY="created stream KC"
SRC_WRAP=$(within 120) start_src filesrc location="$tmp/in.bin" \
	blocksize=4096 ! \
	natssink url="$URL" stream=KC subject=kc.data
finish_src
[[ $SRC_RC == 0 ]] && pass "published $F chunks for the subscriber test" ||
	fail "publisher exit $SRC_RC: $SRC_ERR"
# A slow sink (queue of 16, then filesink fsync=true) so that the kill
# finds buffers in the pipeline. Not under px(): the kill must reach
# px-launch itself.
"$launch" -v natssrc url="$URL" stream=KC durable=kc ack-wait=1s pool-slots=64 ! \
	queue ! filesink location="$tmp/kc1.bin" fsync=true >"$tmp/kc1.log" 2>&1 &
kc_pid=$!
until_true 60 size_at_least "$tmp/kc1.bin" $((F / 3 * 4096)) ||
	fail "the first subscriber got no third of the stream"
kill -9 "$kc_pid"
wait "$kc_pid" 2>/dev/null
out=$(px 120 -v natssrc url="$URL" stream=KC durable=kc ack-wait=1s ! \
	filesink location="$tmp/kc2.bin" 2>&1)
[[ $? == 0 ]] && pass "the second subscriber resumes the durable and ends at EOS" ||
	fail "second subscriber: $out"
res=$($chunks check $F "$tmp/kc1.bin" "$tmp/kc2.bin" 2>&1)
expect "subscriber killed: nothing lost" "$res" "distinct=$F missing=0"
expect "... the first run wrote nothing twice" "$res" "kc1.bin: chunks="
again=$(sed -n 's/.* repeated=\([0-9]*\) in-order.*/\1/p' <<<"$res")
# The server never has more than the consumer's MaxAckPending (natssrc
# makes it twice its pool) delivered and unacknowledged.
[[ -n $again ]] && ((again <= 128)) &&
	pass "only what the killed run had not acknowledged came again ($again, at most 128)" ||
	fail "repeated '$again' > 128: $res"
grep -q "kc1.bin: chunks=[0-9]* repeated=0" <<<"$res" &&
	grep -q "kc2.bin: chunks=[0-9]* repeated=0" <<<"$res" &&
	pass "neither run pushed a chunk twice" || fail "a run repeated: $res"

# ---- caps cross; a short stream ends without waiting for redelivery --------------
# ack-wait=1h: natssrc must see its last buffers released by itself (a
# missed release would leave EOS waiting for a redelivery, an hour away).
out=$(px 120 fakesrc num-buffers=10 ! application/x-a,n=1 ! \
	natssink url="$URL" stream=CP subject=cp.data 2>&1)
[[ $? == 0 ]] && pass "10 buffers with caps published" || fail "caps publish: $out"
for mode in on-release on-receive; do
	out=$(px 120 -v natssrc url="$URL" stream=CP durable="c$mode" \
		ack="$mode" ack-wait=1h ! application/x-a ! fakesink 2>&1)
	[[ $? == 0 ]] && pass "ack=$mode: a short stream ends at its EOS" ||
		fail "ack=$mode: $out"
	expect "... all 10 buffers" "$out" "received=10 "
done
out=$(px 120 natssrc url="$URL" stream=CP durable=cx ! application/x-b ! \
	fakesink 2>&1)
[[ $? == 1 ]] && pass "caps cross: a contradicting filter downstream refuses" ||
	fail "x-a into x-b ran: $out"
expect "... naming both caps" "$out" \
	"natssrc0:src: caps application/x-a, n=(int)1 do not fit the link to fakesink0:sink, whose caps are application/x-b"

# ---- errors that name the element and the server ----------------------------------
out=$(px 120 natssrc url="$URL" stream=NOPE ! fakesink 2>&1)
[[ $? == 1 ]] && pass "a missing stream fails natssrc" || fail "stream=NOPE ran"
expect "... naming the element, the stream and the server" "$out" \
	"natssrc0: stream NOPE on $URL: "
out=$(px 120 fakesrc num-buffers=1 ! natssink url="$URL" stream=NOPE \
	create-stream=false 2>&1)
[[ $? == 1 ]] && pass "create-stream=false with no stream fails natssink" ||
	fail "natssink stream=NOPE ran"
expect "... and says why" "$out" "(create-stream=false)"
stop_nats TERM
out=$(px 120 fakesrc num-buffers=1 ! natssink url="$URL" \
	disconnect-timeout=300ms 2>&1)
[[ $? == 1 ]] && pass "no server: natssink fails after disconnect-timeout" ||
	fail "natssink ran without a server"
expect "... naming the server and the time" "$out" \
	"natssink0: NATS server $URL unreachable for"

verdict nats
