#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Integration test of px-inspect and px-launch as a user runs them: element
# listing and details, suggestions, launch strings to EOS with --stats-json
# checked by python3, error messages with line:column and caret, exit
# codes, Ctrl-C, graph output, --control (replacing a running element), a
# file copy and a TCP copy.
set -uo pipefail

build=${PX_BUILD_DIR:?PX_BUILD_DIR must point at the build tree}
inspect=$build/tools/px-inspect
launch=$build/tools/px-launch
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=lib_it.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_it.sh"

for t in "$inspect" "$launch"; do
	[[ -x $t ]] || { echo "SKIP: $t not built"; exit 77; }
done
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }

# expect_contains NAME TEXT NEEDLE...
expect_contains() {
	local name=$1 text=$2
	shift 2
	for needle in "$@"; do
		if [[ $text != *"$needle"* ]]; then
			fail "$name: output lacks '$needle'"
			printf '%s\n' "$text" | sed 's/^/    | /'
			return
		fi
	done
	pass "$name"
}

# run_launch NAME EXPECTED_STATUS ARGS... -> sets $out (stdout+stderr)
run_launch() {
	local name=$1 want=$2 st
	shift 2
	out=$(timeout 60 "$launch" "$@" 2>&1)
	st=$?
	if [[ $st -ne $want ]]; then
		fail "$name: exit status $st, expected $want"
		printf '%s\n' "$out" | sed 's/^/    | /'
		return 1
	fi
	return 0
}

# ---- px-inspect ----------------------------------------------------------
out=$("$inspect" 2>&1) || fail "px-inspect exits non-zero"
expect_contains "px-inspect lists elements" "$out" "fakesrc" "fakesink" \
	"tee" "queue" "elements"
out=$("$inspect" fakesrc 2>&1) || fail "px-inspect fakesrc exits non-zero"
expect_contains "px-inspect fakesrc" "$out" "Pad templates:" "SRC 'src'" \
	"presence: always" "num-buffers" "default -1"
out=$("$inspect" queue 2>&1)
expect_contains "px-inspect queue enum nicks" "$out" "leaky" "enum"
out=$("$inspect" fakesrcc 2>&1)
st=$?
[[ $st -ne 0 ]] || fail "px-inspect fakesrcc exits 0"
expect_contains "px-inspect suggests" "$out" \
	"no element or plugin 'fakesrcc' (did you mean 'fakesrc'?)"
out=$("$inspect" --version 2>&1)
expect_contains "px-inspect --version" "$out" "px-inspect "
out=$("$inspect" --features 2>&1)
expect_contains "px-inspect --features" "$out" "io_uring" "read_fixed"

# ---- px-launch runs to EOS -----------------------------------------------
# check_stats FILE EXPECTED: every sink took EXPECTED buffers; no pool copied.
check_stats() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
want = int(sys.argv[2])
sinks = [e for e in doc["elements"] if e["factory"].endswith("sink")]
assert sinks, "no sink in the stats"
for e in sinks:
    assert e["buffers_in"] == want, f'{e["name"]}: {e["buffers_in"]} buffers, expected {want}'
for p in doc["pools"]:
    assert p["bytes_copied"] == 0, f'pool {p["name"]} copied {p["bytes_copied"]} bytes'
    assert p["loans"] >= 1, f'pool {p["name"]} lent nothing'
for key in ("seconds", "elements", "pools"):
    assert key in doc, key
for e in doc["elements"]:
    for key in ("name", "factory", "buffers_in", "buffers_out", "bytes_in", "bytes_out"):
        assert key in e, key
EOF
}

n=0
while IFS='|' read -r want pipeline; do
	[[ -z $want || $want == \#* ]] && continue
	n=$((n + 1))
	json=$tmp/stats$n.json
	# shellcheck disable=SC2086 # several argv words, as users type them
	if run_launch "pipeline $n" 0 --stats-json "$json" $pipeline; then
		if err=$(check_stats "$json" "$want" 2>&1); then
			pass "pipeline $n: $pipeline"
		else
			fail "pipeline $n ($pipeline): ${err##*$'\n'}"
		fi
	fi
done <<'EOF'
# buffers-per-sink | pipeline (argv words, split by the shell)
100000|fakesrc num-buffers=100000 size=64 ! fakesink
100000|fakesrc num-buffers=100000 size=64 ! tee name=t ! fakesink t. ! queue ! fakesink
20000|fakesrc num-buffers=20000 ! application/x-rec ! identity ! queue ! fakesink
5000|t. ! queue ! fakesink  fakesrc num-buffers=5000 size=256 ! tee name=t ! fakesink  t. ! fakesink
3000|fakesrc num-buffers=2000 ! funnel name=f ! fakesink  fakesrc num-buffers=1000 ! f.
1000|fakesrc num-buffers=1000 ! capsfilter caps=application/x-rec ! queue max-size-buffers=4 ! fakesink
EOF

# The pipeline as one argument, --stats table, EOS line.
run_launch "one-argument pipeline with --stats" 0 --stats \
	"fakesrc num-buffers=1000 size=64 ! tee name=t ! fakesink  t. ! queue ! fakesink" &&
	expect_contains "--stats table" "$out" "EOS after" "element" "factory" \
		"buffers-in" "fakesrc0" "pool" "bytes-copied"

# -q (gst-launch's): a run that ends well prints nothing but warnings (as
# a user without locked memory gets one); an error still prints.
run_launch "-q" 0 -q fakesrc num-buffers=10 ! fakesink &&
	{ [[ -z $(grep -v '^px-launch: WARNING from ' <<<"$out") ]] &&
		pass "-q prints nothing but warnings" ||
		fail "-q printed: $out"; }
run_launch "-q error" 1 -q filesrc location=/nonexistent/x ! fakesink &&
	expect_contains "-q still prints errors" "$out" "ERROR from filesrc0"

# -v shows bus messages.
run_launch "-v" 0 -v fakesrc num-buffers=10 ! fakesink &&
	expect_contains "-v prints state changes and EOS" "$out" \
		"state READY -> PAUSED" "PLAYING" "EOS"

# --dot and --json describe the graph.
run_launch "--dot/--json" 0 --dot "$tmp/g.dot" --json "$tmp/g.json" \
	fakesrc num-buffers=10 ! tee name=t ! fakesink t. ! queue ! fakesink &&
	{
		expect_contains "--dot" "$(cat "$tmp/g.dot")" "digraph" "fakesrc0"
		if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' \
			"$tmp/g.json" 2>/dev/null; then
			pass "--json is JSON"
		else
			fail "--json is not valid JSON"
		fi
	}

# On a terminal, long runs show a one-line progress on stderr.
# (script(1) is in bsdutils, which every Debian system has.)
out=$(timeout 60 script -qec "'$launch' fakesrc num-buffers=30000 rate=20000 ! fakesink" /dev/null 2>&1)
expect_contains "progress line on a terminal" "$out" "buffers/s" "EOS after"

# ---- errors: messages, positions, exit codes -------------------------------
run_launch "bad property" 2 fakesrc num-bufers=10 ! fakesink &&
	expect_contains "bad property message" "$out" \
		"px-launch: 1:9: unknown property 'num-bufers'" \
		"did you mean 'num-buffers'?" \
		"  fakesrc num-bufers=10 ! fakesink" "          ^~~~~~~~~~"
run_launch "unknown element" 2 "fakesrcc ! fakesink" &&
	expect_contains "unknown element message" "$out" \
		"1:1: unknown element 'fakesrcc' (did you mean 'fakesrc'?)"
run_launch "unknown reference" 2 "fakesrc ! t.  fakesrc ! fakesink" &&
	expect_contains "unknown reference message" "$out" \
		"1:11: no element named 't' (names so far: fakesrc0"
run_launch "bad value" 2 fakesrc num-buffers=ten ! fakesink &&
	expect_contains "bad value message" "$out" "1:21:" "num-buffers"
run_launch "syntax error" 2 'fakesrc name="abc ! fakesink' &&
	expect_contains "syntax error message" "$out" \
		"1:14: unterminated quoted value"
run_launch "multi-line position" 2 $'fakesrc\n  ! fakesink\n  ! ! fakesink' &&
	expect_contains "multi-line message" "$out" "3:3: '!' must be followed"
run_launch "runtime error" 1 fakesrc num-buffers=100 ! identity error-after=5 ! fakesink &&
	expect_contains "runtime error message" "$out" "px-launch: ERROR from identity0:"
run_launch "usage" 2 && expect_contains "usage text" "$out" "usage: px-launch"
run_launch "unknown option" 2 --bogus fakesrc ! fakesink
run_launch "--help" 0 --help && expect_contains "--help" "$out" "--stats-json"

# ---- Ctrl-C sends EOS, the run ends cleanly --------------------------------
# until_line FILE TEXT: wait (at most 30 s) until FILE holds TEXT, looking
# again every 20 ms: a bounded poll on what px-launch prints, not a sleep.
until_line() {
	for ((n = 0; n < 1500; n++)); do
		grep -qF -- "$2" "$1" && return 0
		sleep 0.02
	done
	echo "  ($1 never showed '$2')"
	return 1
}

"$launch" -v --stats-json "$tmp/int.json" fakesrc num-buffers=-1 size=64 ! \
	queue ! fakesink >"$tmp/int.out" 2>&1 &
pid=$!
until_line "$tmp/int.out" "-> PLAYING"
kill -INT "$pid"
# EOS should end the run at once; a stalled pipeline gets a second ^C.
for ((i = 0; i < 200; i++)); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
	echo "  (no EOS 20 s after Ctrl-C: the pipeline stalled; interrupting again)"
	kill -INT "$pid"
fi
wait "$pid"
st=$?
if [[ $st -eq 0 ]] && grep -q "EOS after" "$tmp/int.out"; then
	if python3 - "$tmp/int.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
src = [e for e in doc["elements"] if e["factory"] == "fakesrc"][0]
sink = [e for e in doc["elements"] if e["factory"] == "fakesink"][0]
assert src["buffers_out"] > 0 and sink["buffers_in"] == src["buffers_out"], (src, sink)
EOF
	then
		pass "Ctrl-C: EOS, exit 0, every buffer reached the sink"
	else
		fail "Ctrl-C: sink did not get every buffer"
	fi
else
	fail "Ctrl-C: exit status $st"
	sed 's/^/    | /' "$tmp/int.out"
fi

# A second Ctrl-C stops at once (exit 130), even with EOS still on its way.
"$launch" -v fakesrc num-buffers=-1 ! identity sleep-time=5s ! fakesink \
	>"$tmp/int2.out" 2>&1 &
pid=$!
until_line "$tmp/int2.out" "-> PLAYING" # -v below
kill -INT "$pid"
until_line "$tmp/int2.out" "interrupt: sending EOS"
kill -INT "$pid"
wait "$pid"
st=$?
if [[ $st -eq 130 ]] && grep -q "stopping now" "$tmp/int2.out"; then
	pass "second Ctrl-C stops at once"
else
	fail "second Ctrl-C: exit status $st"
	sed 's/^/    | /' "$tmp/int2.out"
fi

# ---- files -------------------------------------------------------------------
head -c 3000000 /dev/urandom >"$tmp/in put.bin"
run_launch "file copy" 0 --stats-json "$tmp/file.json" \
	filesrc location="$tmp/in put.bin" ! queue ! \
	filesink location="$tmp/out put.bin" &&
	if cmp -s "$tmp/in put.bin" "$tmp/out put.bin"; then
		pass "file copy (argv words with spaces) is identical"
	else
		fail "file copy differs"
	fi
if python3 - "$tmp/file.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
sink = [e for e in doc["elements"] if e["factory"] == "filesink"][0]
assert sink["bytes_in"] == 3000000, sink
for p in doc["pools"]:
    assert p["bytes_copied"] == 0, p
EOF
then
	pass "file copy stats: every byte reached filesink, nothing copied"
else
	fail "file copy stats"
fi
run_launch "bad filesrc property" 2 \
	"filesrc blocksze=4096 location=x ! fakesink" &&
	expect_contains "filesrc suggestion" "$out" "1:9:" "blocksze" \
		"did you mean"
run_launch "missing input file" 1 filesrc location="$tmp/nope" ! fakesink

# ---- TCP: two px-launch processes ------------------------------------------------
# wait_listen PORT PID: until a socket listens on PORT (status 0), or PID
# (the server) has ended or 10 s passed (status 1: try another port).
wait_listen() {
	local i
	for ((i = 0; i < 1000; i++)); do
		tcp_state_on "$1" 0A && return 0
		gone "$2" && return 1
		sleep 0.01
	done
	return 1
}
head -c 2000000 /dev/urandom >"$tmp/tcp-in.bin"
# A random port may be taken: try a few.
for _ in 1 2 3; do
	port=$((20000 + RANDOM % 20000))
	"$launch" tcpsrc mode=server port=$port ! \
		filesink location="$tmp/tcp-out.bin" >"$tmp/srv.out" 2>&1 &
	spid=$!
	wait_listen "$port" "$spid" && break
	kill "$spid" 2>/dev/null
	wait "$spid"
	spid=
done
if [[ -n $spid ]]; then
	run_launch "tcp client" 0 filesrc location="$tmp/tcp-in.bin" ! \
		tcpsink port=$port
	wait "$spid"
	st=$?
	if [[ $st -eq 0 ]] && cmp -s "$tmp/tcp-in.bin" "$tmp/tcp-out.bin"; then
		pass "TCP: filesrc ! tcpsink -> tcpsrc ! filesink is identical"
	else
		fail "TCP copy: server exit $st or files differ"
		sed 's/^/    | /' "$tmp/srv.out"
	fi
else
	fail "TCP: the server never listened (last port $port)"
	sed 's/^/    | /' "$tmp/srv.out"
fi

# ---- SIGTERM while a server waits for a client -----------------------------------
# tcpsrc stops waiting for a client and ends its stream: EOS, exit 0. (When
# EOS cannot arrive, px-launch stops after its grace time with 143:
# it_signals.sh.) The test waits for PLAYING on px-launch's -v output (the
# signal handler is in place by then).
mkfifo "$tmp/term.err"
"$launch" -v tcpsrc mode=server port=0 ! fakesink 2>"$tmp/term.err" &
term_pid=$!
exec {term_fd}<"$tmp/term.err"
playing=no
while IFS= read -r -t 30 line <&$term_fd; do
	echo "$line" >>"$tmp/term.log"
	[[ $line == *"PAUSED -> PLAYING"* ]] && { playing=yes; break; }
done
if [[ $playing == yes ]]; then
	kill -TERM $term_pid
	cat <&$term_fd >>"$tmp/term.log" &
	term_cat=$!
	if timeout 30 tail --pid=$term_pid -f /dev/null; then
		wait $term_pid
		st=$?
		wait $term_cat # the log is whole once cat saw the pipe close
		(( st == 0 )) && pass "SIGTERM during a server wait ends it with EOS (exit 0)" ||
			fail "SIGTERM during a server wait: exit $st"
		expect_contains "SIGTERM sends EOS, and EOS arrives" "$(cat "$tmp/term.log")" \
			"SIGTERM: sen" "end of stream reached at every sink" # sending, or sent
	else
		kill -9 $term_pid 2>/dev/null
		fail "SIGTERM: px-launch still runs 30 s later"
	fi
else
	kill -9 $term_pid 2>/dev/null
	fail "SIGTERM test: the server never reached PLAYING: $(cat "$tmp/term.log")"
fi
exec {term_fd}<&-

# ---- --control: replace a running element, then EOS ---------------------------
# The FIFO exists first, so each write waits for px-launch to open it.
mkfifo "$tmp/ctl"
"$launch" --control "$tmp/ctl" --stats-json "$tmp/ctl.json" \
	fakesrc num-buffers=-1 ! identity name=x ! fakesink \
	>"$tmp/ctl.out" 2>"$tmp/ctl.err" &
ctl_pid=$!
{
	for i in 1 2 3 4 5; do echo "replace x identity"; done
	echo "replace x capsfilter caps=application/x-a"
	echo "replace x fakesink"
	echo "replace x identity error-after=oops"
	echo "frobnicate"
	echo "eos"
} >"$tmp/ctl"
if timeout 60 tail --pid=$ctl_pid -f /dev/null; then
	wait $ctl_pid
	st=$?
	err=$(cat "$tmp/ctl.err")
	(( st == 0 )) && pass "--control: EOS by command, exit 0" ||
		fail "--control: exit $st: $err"
	n=$(grep -c "control: replaced x with" "$tmp/ctl.err")
	(( n == 6 )) && pass "--control: six replacements" ||
		fail "--control: $n replacements: $err"
	expect_contains "--control refusals say why" "$err" \
		"replace x failed: cannot replace x with fakesink: it has 1 input and 0 output pads" \
		"replace x failed: value 'oops' for property 'error-after' of x is not" \
		"unknown command 'frobnicate'"
	# Every buffer the source made reached the sink.
	if python3 - "$tmp/ctl.json" <<'PY'
import json, sys
d = {e["name"]: e for e in json.load(open(sys.argv[1]))["elements"]}
made, got = d["fakesrc0"]["buffers_out"], d["fakesink0"]["buffers_in"]
assert made == got and made > 0, (made, got)
assert d["x"]["factory"] == "capsfilter", d["x"]
PY
	then
		pass "--control: the sink got every buffer, x is the last replacement"
	else
		fail "--control: stats do not add up"
	fi
	[[ ! -e $tmp/ctl || -p $tmp/ctl ]] && pass "--control keeps a FIFO it did not make" ||
		fail "--control: the FIFO changed"
else
	kill -9 $ctl_pid 2>/dev/null
	fail "--control: px-launch did not end after 'eos'"
fi

if [[ $failures -ne 0 ]]; then
	echo "$failures check(s) failed"
	exit 1
fi
echo "all px-inspect and px-launch checks passed"
