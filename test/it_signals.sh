#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Ctrl-C (SIGINT) and SIGTERM reach px-launch in every state a run can be
# in, and each ends it the documented way with nothing lost that came
# before: exit 0 with EOS where EOS can arrive, 130 after a second Ctrl-C,
# 143 after SIGTERM's grace time, and what a sink wrote is a byte-exact
# prefix of what its source read.
#
#   starting    an element's start() blocks (filesrc opening a FIFO with no
#               writer yet): the signal waits, EOS follows the start
#   waiting     a server with no client yet (tcpsrc, netsrc), a client
#               still trying to connect (netsrc mode=client)
#   streaming   a pipe or a TCP stream whose sender is connected but quiet
#   stalled     the sink blocked on a full FIFO: EOS cannot arrive; a
#               second Ctrl-C (130) or SIGTERM's grace time (143) ends it
#
# Every wait is for a condition (a line px-launch prints, a thread's kernel
# wait channel, a byte count), bounded; none is a sleep.
set -uo pipefail
: "${PX_BUILD_DIR:?}" "${PX_SOURCE_DIR:?}"
launch=$PX_BUILD_DIR/tools/px-launch
tmp=$(mktemp -d)
trap 'exec 6>&- 7>&- 8>&- 2>/dev/null; kill -9 $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
# shellcheck source=lib_it.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_it.sh"

head -c $((1024 * 1024)) /dev/urandom >"$tmp/in.bin"

has_line() { grep -qF -- "$2" "$1"; }
# A thread of PID waits in the kernel at wait channel $2.
in_kernel_wait() { grep -qx -- "$2" /proc/"$1"/task/*/wchan 2>/dev/null; }
# SIGINT is pending for PID (blocked until the pipeline plays).
int_pending() {
	local m
	m=$(sed -n 's/^ShdPnd:\t*//p' /proc/"$1"/status)
	(((0x$m & 0x2) != 0))
}
# is_prefix OUT IN: OUT's bytes are the first bytes of IN.
is_prefix() { cmp -s "$1" <(head -c "$(stat -c %s "$1")" "$2"); }
# ends PID NAME: PID ends within 30 s; else it is killed, and that fails.
ends() { until_ok "$2: the run to end" gone "$1" || kill -9 "$1"; }
# finish PID NAME STATUS LOG: the run ended with STATUS; says so.
finish() {
	local st
	ends "$1" "$2"
	wait "$1"
	st=$?
	if [[ $st == "$3" ]]; then
		pass "$2: exit $3"
	else
		fail "$2: exit $st, not $3"
		sed 's/^/    | /' "$4"
	fi
}

# ---- starting: start() blocks, the signal waits for it ---------------------------
mkfifo "$tmp/start.fifo"
"$launch" -v filesrc location="$tmp/start.fifo" ! \
	filesink location="$tmp/start.out" >"$tmp/start.log" 2>&1 &
pid=$!
# filesrc's start() opens the FIFO, which blocks until a writer comes.
until_ok "filesrc blocked opening its FIFO" in_kernel_wait $pid wait_for_partner
kill -INT $pid
until_ok "SIGINT pending while the pipeline starts" int_pending $pid
exec 6>"$tmp/start.fifo" # the open completes; the writer stays open
head -c 65536 "$tmp/in.bin" >&6
finish $pid "Ctrl-C during start: EOS once started" 0 "$tmp/start.log"
exec 6>&-
# "sending EOS", or "sent EOS" when EOS came before px-launch said it
expect "... says it sends EOS" "$(cat "$tmp/start.log")" "interrupt: sen"
is_prefix "$tmp/start.out" "$tmp/in.bin" &&
	pass "... the sink wrote a prefix of what was written" ||
	fail "start.out is not a prefix of the input"

# ---- waiting for a peer ---------------------------------------------------------
# wait_for_peer NAME READY-TEXT ELEMENT...: ELEMENT waits for a peer; Ctrl-C
# ends the run with EOS.
wait_for_peer() {
	local name=$1 ready=$2
	shift 2
	rm -f "$tmp/wait.log"
	"$launch" -v "$@" ! fakesink >"$tmp/wait.log" 2>&1 &
	pid=$!
	until_ok "$name: '$ready'" has_line "$tmp/wait.log" "$ready" || return
	kill -INT $pid
	finish $pid "Ctrl-C while $name waits: EOS" 0 "$tmp/wait.log"
	expect "... EOS reached the sink" "$(cat "$tmp/wait.log")" \
		"end of stream reached at every sink"
}
wait_for_peer "tcpsrc, a server with no client yet," "listening on" \
	tcpsrc mode=server port=0
wait_for_peer "netsrc, a server with no sender yet," "listening on" \
	netsrc port=0
# A client whose server is not there: the port of a socket that listens on
# nothing (bound, then closed) refuses, and netsrc tries again and again.
closed_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
wait_for_peer "netsrc, a client still connecting," "-> PLAYING" \
	netsrc mode=client port="$closed_port"

# ---- streaming: the sender is connected but sends nothing more ------------------
# From a pipe: filesrc has a read in flight that nothing answers.
mkfifo "$tmp/pipe.fifo"
exec 6<>"$tmp/pipe.fifo" # opened both ways: no EOF when px-launch reads
"$launch" -v filesrc location="$tmp/pipe.fifo" blocksize=65536 ! \
	filesink location="$tmp/pipe.out" >"$tmp/pipe.log" 2>&1 &
pid=$!
cat "$tmp/in.bin" >&6
until_ok "1 MiB through the pipe" size_is "$tmp/pipe.out" $((1024 * 1024))
kill -INT $pid
finish $pid "Ctrl-C while filesrc reads a quiet pipe: EOS" 0 "$tmp/pipe.log"
exec 6>&-
cmp -s "$tmp/pipe.out" "$tmp/in.bin" &&
	pass "... every byte that came through the pipe is in the file" ||
	fail "pipe.out differs from what went into the pipe"

# Over TCP: netsrc with netsink connected, whose source (a pipe) is quiet.
for recv in netsrc tcpsrc; do
	if [[ $recv == netsrc ]]; then send="netsink"; srv="netsrc port=0"
	else send="tcpsink"; srv="tcpsrc mode=server port=0"; fi
	rm -f "$tmp/src.log" "$tmp/tcp.out"
	# shellcheck disable=SC2086
	start_src $srv ! filesink location="$tmp/tcp.out"
	[[ -n $SRC_PORT ]] || { fail "$recv never listened"; continue; }
	rm -f "$tmp/tcp.fifo"
	mkfifo "$tmp/tcp.fifo"
	exec 7<>"$tmp/tcp.fifo"
	"$launch" filesrc location="$tmp/tcp.fifo" blocksize=65536 ! \
		$send port="$SRC_PORT" >"$tmp/send.log" 2>&1 &
	spid=$!
	cat "$tmp/in.bin" >&7
	until_ok "1 MiB through $send -> $recv" size_is "$tmp/tcp.out" $((1024 * 1024))
	kill -INT $SRC_PID
	ends $SRC_PID "Ctrl-C on $recv"
	finish_src
	[[ $SRC_RC == 0 ]] && pass "Ctrl-C on $recv with a quiet sender connected: EOS, exit 0" ||
		fail "Ctrl-C on $recv: exit $SRC_RC: $SRC_ERR"
	cmp -s "$tmp/tcp.out" "$tmp/in.bin" &&
		pass "... every byte sent is in the file" ||
		fail "$recv: tcp.out differs from what was sent"
	kill -9 $spid 2>/dev/null
	wait $spid 2>/dev/null
	exec 7>&-
done

# ---- stalled: the sink cannot write, EOS cannot arrive ----------------------------
# stalled SIGNAL... : filesink writes into a FIFO the test holds open and
# does not read; once the FIFO is full, send the signals.
# The bytes waiting in the FIFO on fd 8.
pipe_bytes() {
	/usr/bin/python3 -c 'import array, fcntl, termios
a = array.array("i", [0]); fcntl.ioctl(0, termios.FIONREAD, a); print(a[0])' <&8
}
pipe_full() { [[ $(pipe_bytes) -ge 65536 ]]; }
stalled() {
	rm -f "$tmp/full.fifo" "$tmp/full.log"
	mkfifo "$tmp/full.fifo"
	exec 8<>"$tmp/full.fifo"
	"$launch" -v filesrc location="$tmp/in.bin" blocksize=4096 ! \
		filesink location="$tmp/full.fifo" >"$tmp/full.log" 2>&1 &
	pid=$!
	until_ok "the sink's FIFO full" pipe_full
	kill -"$1" $pid
	until_ok "px-launch sending EOS" has_line "$tmp/full.log" "sending EOS"
	[[ $# -gt 1 ]] && kill -"$2" $pid
}
stalled INT INT
finish $pid "a second Ctrl-C while EOS cannot arrive" 130 "$tmp/full.log"
expect "... says it stops now" "$(cat "$tmp/full.log")" "stopping now"
n=$(pipe_bytes)
head -c "$n" <&8 >"$tmp/full.out"
[[ $n -gt 0 ]] && is_prefix "$tmp/full.out" "$tmp/in.bin" &&
	pass "... the $n bytes written before are the file's first bytes" ||
	fail "what reached the FIFO ($n bytes) is not a prefix of the input"
exec 8>&-

stalled TERM
finish $pid "SIGTERM while EOS cannot arrive: stops after its grace time" \
	143 "$tmp/full.log"
expect "... says why" "$(cat "$tmp/full.log")" "EOS did not arrive within 2 s"
exec 8>&-

verdict "signal"
