#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# netsink and netsrc between two hosts: two network namespaces joined by a
# veth pair (made here as root, removed at the end; 77 without root or
# namespaces). A file crosses byte-identical; then a proxy on the sending
# host resets the connection three times mid-stream and the file still
# arrives byte-identical, in order.
set -uo pipefail
: "${PX_BUILD_DIR:?}" "${PX_SOURCE_DIR:?}"
# shellcheck source=lib_it.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_it.sh"
launch=$PX_BUILD_DIR/tools/px-launch
[[ $(id -u) == 0 ]] || skip "network namespaces need root"
command -v ip >/dev/null || { echo "FAIL: ip (iproute2) is missing (.ci/deps)"; exit 1; }

a=pxa$$ b=pxb$$
tmp=$(mktemp -d)
cleanup() {
	kill $(jobs -p) 2>/dev/null
	ip netns del "$a" 2>/dev/null
	ip netns del "$b" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
if ! ip netns add "$a" 2>"$tmp/err" || ! ip netns add "$b" 2>>"$tmp/err"; then
	skip "cannot make network namespaces here (root): $(cat "$tmp/err")"
fi
ip link add "v$a" netns "$a" type veth peer name "v$b" netns "$b" || exit 1
ip -n "$a" addr add 10.77.0.1/24 dev "v$a"
ip -n "$b" addr add 10.77.0.2/24 dev "v$b"
for ns in "$a" "$b"; do
	ip -n "$ns" link set lo up
done
ip -n "$a" link set "v$a" up
ip -n "$b" link set "v$b" up

head -c $((64 * 1024 * 1024 + 7)) /dev/urandom >"$tmp/in.bin"

# netsrc on host B; sets PORT once it listens, RX_PID.
start_rx() {
	rm -f "$tmp/rx.fifo"
	mkfifo "$tmp/rx.fifo"
	ip netns exec "$b" "$launch" -v netsrc host=10.77.0.2 port=0 ! \
		filesink location="$1" 2>"$tmp/rx.fifo" &
	RX_PID=$!
	exec 5<"$tmp/rx.fifo"
	PORT=
	while read -r line <&5; do
		if [[ $line == *"listening on 10.77.0.2:"* ]]; then
			PORT=${line##*:}
			break
		fi
	done
	cat <&5 >"$tmp/rx.err" &
	RX_CAT=$!
}
finish_rx() {
	wait "$RX_PID"
	RX_RC=$?
	exec 5<&-
	wait "$RX_CAT"
}

start_rx "$tmp/out1.bin"
out=$(ip netns exec "$a" "$launch" -v filesrc location="$tmp/in.bin" ! \
	netsink host=10.77.0.2 port="$PORT" 2>&1)
rc=$?
((rc == 0)) && pass "host A sends over the veth" || {
	fail "sender: $out"
	kill "$RX_PID" 2>/dev/null # it would wait for a sender
}
# A veth pair has no NIC behind it: zerocopy=auto copies (SENDMSG_ZC only
# loses there; test_net_elements.zerocopy_nic covers a NIC).
[[ $out != *"with SENDMSG_ZC"* ]] &&
	pass "... copying, not SENDMSG_ZC, over a veth pair" ||
	fail "zerocopy=auto used SENDMSG_ZC over a veth pair: $out"
finish_rx
[[ $RX_RC == 0 ]] && pass "host B receives to EOS" || fail "receiver: $RX_RC: $(cat "$tmp/rx.err")"
cmp -s "$tmp/in.bin" "$tmp/out1.bin" && pass "64 MiB cross byte-identical" ||
	fail "out1.bin differs"

start_rx "$tmp/out2.bin"
rm -f "$tmp/px.fifo"
mkfifo "$tmp/px.fifo"
ip netns exec "$a" /usr/bin/python3 "$PX_SOURCE_DIR/test/net_proxy.py" \
	"10.77.0.2:$PORT" 15000000 3 >"$tmp/px.fifo" &
proxy_pid=$!
exec 6<"$tmp/px.fifo"
read -r word pport <&6
# zerocopy=on (the proxy is on loopback): resets hit sends whose slots
# the kernel still holds. Without SENDMSG_ZC (io_uring refused, as in
# CI's seccomp pass) netsink would refuse zerocopy=on: copy then.
zc=on
"$PX_BUILD_DIR/tools/px-inspect" --features | grep -Eq 'sendmsg_zc +yes' ||
	zc=off
echo "  (zerocopy=$zc through the resets)"
out=$(ip netns exec "$a" "$launch" filesrc location="$tmp/in.bin" ! \
	netsink host=127.0.0.1 port="$pport" zerocopy=$zc 2>&1)
rc=$?
((rc == 0)) || kill "$RX_PID" 2>/dev/null # it would wait for a sender
finish_rx
kill "$proxy_pid" 2>/dev/null
wait "$proxy_pid" 2>/dev/null
exec 6<&-
[[ $rc == 0 && $RX_RC == 0 ]] && pass "both reach EOS through 3 resets" ||
	fail "through resets: sender $rc ($out), receiver $RX_RC ($(cat "$tmp/rx.err"))"
[[ $(grep -c "reconnecting" <<<"$out") -ge 3 ]] && pass "each reset was seen" ||
	fail "warnings: $out"
cmp -s "$tmp/in.bin" "$tmp/out2.bin" &&
	pass "and the file arrives byte-identical, in order" || fail "out2.bin differs"

verdict "two-host"
