#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# USDT probes: libparallax carries the probes docs/observability.md lists
# (ELF notes, read with readelf), bpftrace lists them, and, attached, they
# fire with the arguments the docs give: work_begin per element name,
# push/pull counts that add up to the buffers, state changes in order.
# bpftrace needs root; its BEGIN line (printed once every probe is
# attached) is the wait, never a sleep.
set -uo pipefail
: "${PX_BUILD_DIR:?}" "${PX_SOURCE_DIR:?}"
launch=$PX_BUILD_DIR/tools/px-launch
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; kill $(jobs -p) 2>/dev/null' EXIT
# shellcheck source=lib_it.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_it.sh"

lib=$(readlink -f "$PX_BUILD_DIR/libparallax.so")
probes=(work_begin work_end push pull op_submit op_complete pool_exhausted
	state_change)

grep -q '^PX_HAVE_SDT:INTERNAL=1' "$PX_BUILD_DIR/CMakeCache.txt" ||
	skip "built without <sys/sdt.h> (systemtap-sdt-dev; .ci/deps installs it): no probes"
notes=$(readelf -n "$lib")
for p in "${probes[@]}"; do
	expect "ELF note for probe $p" "$notes" "Name: $p"
done

[[ $(id -u) == 0 ]] || skip "attaching bpftrace needs root"
command -v bpftrace >/dev/null ||
	skip "bpftrace is not installed (.ci/deps installs it)"

list=$(bpftrace -l "usdt:$lib:*" 2>&1)
for p in "${probes[@]}"; do
	expect "bpftrace -l lists $p" "$list" "usdt:$lib:parallax:$p"
done

# Attach by file (every process that maps the library), run a pipeline.
mkfifo "$tmp/bt.fifo"
src=trace_src_$$
sink=trace_sink_$$
bpftrace -e "
BEGIN { printf(\"ready\\n\"); }
usdt:$lib:parallax:work_begin /str(uptr(arg0)) == \"$sink\"/ { @work = count(); }
usdt:$lib:parallax:push /str(uptr(arg0)) == \"$src\"/ { @pushed = sum(arg2); }
usdt:$lib:parallax:pull /str(uptr(arg0)) == \"$sink\"/ { @pulled = sum(arg2); }
usdt:$lib:parallax:state_change { @n[pid] = @n[pid] + 1; @state[pid, @n[pid]] = arg1 * 10 + arg2; }
" >"$tmp/bt.fifo" 2>&1 &
bt=$!
exec 5<"$tmp/bt.fifo"
ready=
while read -r line <&5; do
	echo "$line" >>"$tmp/bt.log"
	[[ $line == ready ]] && { ready=1; break; }
done
cat <&5 >>"$tmp/bt.log" &
cat_pid=$!
[[ -n $ready ]] && pass "bpftrace attached" ||
	{ fail "bpftrace did not attach: $(cat "$tmp/bt.log")"; verdict trace; }

"$launch" fakesrc name="$src" num-buffers=1000 ! fakesink name="$sink" \
	>"$tmp/run.out" 2>&1 &
run=$!
wait "$run" || fail "the traced pipeline: $(cat "$tmp/run.out")"
kill -INT "$bt"
wait "$bt"
wait "$cat_pid"
exec 5<&-
log=$(cat "$tmp/bt.log")
# The source pushes 1000 buffers and EOS; the sink pulls those and the
# CAPS event the engine sends ahead of the first buffer.
expect "push counts the items the source pushed" "$log" "@pushed: 1001"
expect "pull counts the items the sink pulled" "$log" "@pulled: 1002"
[[ $log =~ @work:\ ([0-9]+) ]] && ((BASH_REMATCH[1] > 0)) &&
	pass "work_begin fired for the sink (${BASH_REMATCH[1]} calls)" ||
	fail "no work_begin for the sink: $log"
# NULL=1 READY=2 PAUSED=3 PLAYING=4, up then down. The transitions are
# kept in a map, @state[pid, n] = from*10 + to, not printed as they come:
# bpftrace prints its maps from the kernel when it stops, but may stop
# before it has read the last printf events out of the perf buffer.
states=$(sed -n "s/^@state\[$run, \([0-9]*\)\]: \([0-9]*\)$/\1 \2/p" <<<"$log" |
	sort -n | awk '{ printf "%d->%d ", int($2 / 10), $2 % 10 }')
[[ $states == "0->1 1->2 2->3 3->2 2->1 1->0 " ]] &&
	pass "state_change in order: $states" ||
	fail "state changes of px-launch ($run): '$states' in: $log"
verdict trace
