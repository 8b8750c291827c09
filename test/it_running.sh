#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# px-inspect --running: a running px-launch is listed (pid, pipeline,
# PLAYING); looking inside shows a live tee with both branches' links and
# their levels, rates that move, latency; --json is the stats JSON; another
# user cannot read it; the socket goes with the process. The wait for the
# run is the PLAYING line px-launch -v prints, never a sleep.
set -uo pipefail
: "${PX_BUILD_DIR:?}" "${PX_SOURCE_DIR:?}"
launch=$PX_BUILD_DIR/tools/px-launch
inspect=$PX_BUILD_DIR/tools/px-inspect
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; kill $(jobs -p) 2>/dev/null' EXIT
# shellcheck source=lib_it.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_it.sh"

SRC_READY="state PAUSED -> PLAYING" start_src fakesrc num-buffers=-1 \
	rate=2000 ! tee name=t ! queue name=qa ! fakesink name=a \
	t. ! queue name=qb max-size-buffers=64 ! fakesink name=b
[[ -n $SRC_LINE ]] && pass "px-launch plays" ||
	{ fail "no PLAYING: $(cat "$tmp/src.log")"; verdict running; }

out=$("$inspect" --running 2>&1)
expect "--running lists it" "$out" "$SRC_PID "
[[ $out =~ $SRC_PID\ +pipeline0\ +PLAYING ]] &&
	pass "... with its pipeline and state" || fail "listing: $out"

out=$("$inspect" --running "$SRC_PID" 2>&1)
rc=$?
[[ $rc == 0 ]] && pass "--running PID" || fail "exit $rc: $out"
expect "... names the process and pipeline" "$out" \
	"process $SRC_PID: pipeline pipeline0, PLAYING"
[[ $out =~ t:src_0\ +qa:sink\ +local\ +[0-9]+\ +16 ]] &&
	pass "... the tee's first branch link with its level" ||
	fail "no t:src_0 -> qa:sink row: $out"
[[ $out =~ t:src_1\ +qb:sink\ +local\ +[0-9]+\ +16 ]] &&
	pass "... the second branch's" || fail "no t:src_1 -> qb:sink row: $out"
[[ $out =~ qb:src\ +b:sink\ +reactor\ +[0-9]+\ +64 ]] &&
	pass "... the queue's link to its sink, capacity 64" ||
	fail "no qb:src -> b:sink row: $out"
[[ $out =~ (^|$'\n')b\ +sink\ +sink\ +[0-9]+\ +([0-9]+) ]] &&
	((BASH_REMATCH[2] > 0)) &&
	pass "... sink b receives (${BASH_REMATCH[2]} buffers/s)" ||
	fail "no rate for b: $out"
expect "... and latency per sink" "$out" "p99.9 us"

out=$("$inspect" --running "$SRC_PID" --json 2>&1)
python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d["elements"]) == 6, d' \
	<<<"$out" && pass "--json is the stats JSON" || fail "--json: $out"

# Another user: the folder is 0700 and the socket 0600 (curl, a system
# program, since nobody may not reach this build tree).
if [[ $(id -u) == 0 ]] && command -v curl >/dev/null; then
	sock=$(ls -d /tmp/parallax-0/"$SRC_PID".sock 2>/dev/null ||
		ls -d "${XDG_RUNTIME_DIR:-/nonexistent}/parallax/$SRC_PID.sock")
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
		curl -s --unix-socket "$sock" http://px/info 2>&1)
	rc=$?
	[[ $rc != 0 && -z $out ]] &&
		pass "another user cannot read the socket (curl exit $rc)" ||
		fail "nobody read $sock: exit $rc: $out"
	out=$(curl -s --unix-socket "$sock" http://px/info 2>&1)
	expect "... which its owner reads" "$out" "\"pid\":$SRC_PID"
fi

out=$("$inspect" --running 12x 2>&1)
[[ $? == 2 && $out == *"12x: not a process id"* ]] &&
	pass "a bad PID is a usage error" || fail "--running 12x: $out"

kill -TERM "$SRC_PID"
finish_src
[[ $SRC_RC == 0 ]] && pass "SIGTERM ends it" || fail "exit $SRC_RC: $SRC_ERR"
out=$("$inspect" --running 2>&1)
[[ $out != *"$SRC_PID "* ]] && pass "gone from the list once it ended" ||
	fail "still listed: $out"
verdict running
