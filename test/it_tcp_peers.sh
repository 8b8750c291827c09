#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tcpsrc and tcpsink against programs no one here wrote (socat, OpenBSD nc):
# bytes checked end to end with checksums in both directions and both roles,
# and a peer that drops the connection mid-stream (RST) reported as an error.
set -uo pipefail

build=${PX_BUILD_DIR:?PX_BUILD_DIR is not set}
launch=$build/tools/px-launch
# shellcheck source=lib_it.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_it.sh"
[[ -x $launch ]] || { echo "it_tcp_peers: no $launch" >&2; exit 77; }
# Both peers, or none of it (.ci/deps installs them, and CI's PX_REQUIRE
# names "peers": there a missing one fails instead of skipping).
command -v socat >/dev/null || skip "socat is not installed (tcp peers)"
[[ $(nc -h 2>&1) == *-N* ]] ||
	skip "OpenBSD nc (netcat-openbsd) is not installed (tcp peers)"

tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT


head -c $((32 << 20)) /dev/urandom >"$tmp/in.bin"
head -c 65537 /dev/urandom >"$tmp/small.bin"
sum() { cksum <"$1" | cut -d' ' -f1,2; }

# A free loopback port (bound then released; good enough on a test box).
free_port() {
	local p
	for p in $(shuf -i 20000-60000 -n 20); do
		if ! (exec 3<>/dev/tcp/127.0.0.1/"$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	echo 45678
}

# Start px-launch LAUNCH... in the background (log in $tmp/px.log) and wait
# until its tcpsrc/tcpsink listens; sets $pxpid and $port.
start_server() {
	: >"$tmp/px.log"
	"$launch" -v "$@" >"$tmp/px.log" 2>&1 &
	pxpid=$!
	pids+=("$pxpid")
	port=
	for _ in $(seq 100); do
		port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$tmp/px.log" |
		       head -1 | cut -d: -f2)
		[[ -n $port ]] && return 0
		sleep 0.05
	done
	echo "px-launch did not start listening:" >&2
	cat "$tmp/px.log" >&2
	return 1
}

# Wait for px-launch (at most 30 s); its exit status.
wait_px() {
	local rc
	for _ in $(seq 300); do
		kill -0 "$pxpid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pxpid" 2>/dev/null
	wait "$pxpid"
	rc=$?
	return $rc
}

for f in in.bin small.bin; do
	# socat sends to tcpsrc (server).
	start_server tcpsrc mode=server port=0 ! filesink location="$tmp/out.bin" || { fail "socat -> tcpsrc: start"; continue; }
	timeout 30 socat -u "FILE:$tmp/$f" "TCP:127.0.0.1:$port"
	if wait_px && [[ $(sum "$tmp/out.bin") == $(sum "$tmp/$f") ]]; then
		pass "socat -> tcpsrc mode=server ($f)"
	else
		fail "socat -> tcpsrc mode=server ($f)"; cat "$tmp/px.log"
	fi

	# tcpsink (client) sends to socat.
	port=$(free_port)
	timeout 30 socat -u "TCP-LISTEN:$port,reuseaddr,bind=127.0.0.1" "OPEN:$tmp/out2.bin,creat,trunc" &
	sp=$!; pids+=("$sp")
	# socat listens (not probed by connecting: it accepts only once)
	until_ok "socat listening on $port" tcp_state_on "$port" 0A
	if timeout 30 "$launch" filesrc location="$tmp/$f" ! tcpsink port="$port" >"$tmp/px.log" 2>&1 &&
	   wait "$sp" && [[ $(sum "$tmp/out2.bin") == $(sum "$tmp/$f") ]]; then
		pass "tcpsink -> socat ($f)"
	else
		fail "tcpsink -> socat ($f)"; cat "$tmp/px.log"
	fi

	# nc connects to tcpsink (server) and receives.
	start_server filesrc location="$tmp/$f" ! tcpsink mode=server port=0 || { fail "tcpsink server: start"; continue; }
	timeout 30 nc -d 127.0.0.1 "$port" >"$tmp/out3.bin"
	if wait_px && [[ $(sum "$tmp/out3.bin") == $(sum "$tmp/$f") ]]; then
		pass "tcpsink mode=server -> nc ($f)"
	else
		fail "tcpsink mode=server -> nc ($f)"; cat "$tmp/px.log"
	fi
	# nc sends to tcpsrc (server).
	start_server tcpsrc mode=server port=0 ! filesink location="$tmp/out4.bin" || { fail "nc -> tcpsrc: start"; continue; }
	timeout 30 nc -N 127.0.0.1 "$port" <"$tmp/$f"
	if wait_px && [[ $(sum "$tmp/out4.bin") == $(sum "$tmp/$f") ]]; then
		pass "nc -> tcpsrc mode=server ($f)"
	else
		fail "nc -> tcpsrc mode=server ($f)"; cat "$tmp/px.log"
	fi
done

# A sender killed mid-stream with SO_LINGER 0 resets the connection:
# tcpsrc must report an error naming the peer, not a clean EOS.
start_server tcpsrc mode=server port=0 ! fakesink || fail "reset: start"
socat -u /dev/zero "TCP:127.0.0.1:$port,linger=0" 2>/dev/null &
sp=$!; pids+=("$sp")
until_ok "socat connected to tcpsrc" tcp_state_on "$port" 01
kill -9 "$sp"
wait "$sp" 2>/dev/null
wait_px; rc=$?
if ((rc == 1)) && grep -q 'connection reset by 127.0.0.1:' "$tmp/px.log"; then
	pass "socat killed mid-stream -> tcpsrc ERROR"
else
	fail "socat killed mid-stream -> tcpsrc (exit $rc)"; cat "$tmp/px.log"
fi

# A receiver killed mid-stream: tcpsink reports the lost connection.
port=$(free_port)
socat -u "TCP-LISTEN:$port,reuseaddr,bind=127.0.0.1,linger=0" /dev/null &
sp=$!; pids+=("$sp")
until_ok "socat listening on $port" tcp_state_on "$port" 0A
"$launch" fakesrc num-buffers=-1 size=64K ! tcpsink port="$port" >"$tmp/px.log" 2>&1 &
pxpid=$!; pids+=("$pxpid")
# Mid-stream: connected, and fakesrc never ends.
until_ok "tcpsink connected to socat" tcp_state_on "$port" 01
kill -9 "$sp" 2>/dev/null
wait_px; rc=$?
if ((rc == 1)) && grep -q "connection to 127.0.0.1:$port lost after" "$tmp/px.log"; then
	pass "socat killed mid-stream -> tcpsink ERROR"
else
	fail "socat killed mid-stream -> tcpsink (exit $rc)"; cat "$tmp/px.log"
fi
verdict "tcpsrc/tcpsink against socat and nc"
