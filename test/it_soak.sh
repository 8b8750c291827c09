#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Soak: every multi-reactor shape - a queue, a tee with two queued
# branches, a funnel fed from two reactors - run SOAK_RUNS times (default
# 100 each; set it to 2000 for the long run) beside two busy loops, each run
# under a watchdog. A run that hangs (the watchdog fires), fails, or whose
# sinks did not get every buffer is a failure, with the run's output kept.
set -uo pipefail
: "${PX_BUILD_DIR:?}" "${PX_SOURCE_DIR:?}"
launch=$PX_BUILD_DIR/tools/px-launch
runs=${SOAK_RUNS:-100}
tmp=$(mktemp -d)
load=()
trap 'kill "${load[@]}" 2>/dev/null; rm -rf "$tmp"' EXIT
# shellcheck source=lib_it.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_it.sh"

# Background load: two loops that never sleep, one per core here.
for _ in 1 2; do
	(while :; do :; done) &
	load+=($!)
done

n=20000
declare -A shapes=(
	[queue]="fakesrc num-buffers=$n size=4K ! queue ! fakesink"
	[tee]="fakesrc num-buffers=$n size=4K ! tee name=t ! queue ! fakesink t. ! queue ! fakesink"
	[funnel]="fakesrc num-buffers=$n size=4K ! queue ! funnel name=f ! fakesink fakesrc num-buffers=$n size=4K ! queue ! f."
)
# Buffers each shape's every fakesink must report.
declare -A want=([queue]=$n [tee]=$n [funnel]=$((2 * n)))

for shape in queue tee funnel; do
	hung=0 bad=0
	for ((i = 1; i <= runs; i++)); do
		# shellcheck disable=SC2086
		timeout -k 5 60 "$launch" --stats-json "$tmp/stats.json" \
			${shapes[$shape]} >"$tmp/out" 2>&1
		rc=$?
		if ((rc == 124 || rc == 137)); then
			hung=$((hung + 1))
			cp "$tmp/out" "$tmp/hung-$shape-$i"
			fail "$shape run $i hung (watchdog, 60 s): $(tail -3 "$tmp/out")"
			continue
		fi
		counts=$(grep -o '"factory":"fakesink","buffers_in":[0-9]*' \
			"$tmp/stats.json" 2>/dev/null | grep -o '[0-9]*$' | sort -u)
		if ((rc != 0)) || [[ $counts != "${want[$shape]}" ]]; then
			bad=$((bad + 1))
			fail "$shape run $i: exit $rc, sinks got '${counts//$'\n'/ }' of ${want[$shape]}: $(tail -3 "$tmp/out")"
		fi
	done
	((hung + bad == 0)) && pass "$shape: $runs runs beside two busy loops, no hang, every buffer delivered"
done
verdict soak
