#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Where io_uring cannot run: inside test/no_uring (io_uring_* fail with
# EPERM, as under Docker's default seccomp profile), px-launch copies a
# file and carries a stream over TCP on the epoll backend, and -v says
# epoll and why. PX_BACKEND=io_uring there is an error naming the reason,
# not a fallback; PX_BACKEND with a wrong value is an error naming it.
# Outside the filter, PX_BACKEND=epoll is obeyed and said. Waits read the
# lines the other side prints, never a sleep.
set -uo pipefail
: "${PX_BUILD_DIR:?}" "${PX_SOURCE_DIR:?}"
launch=$PX_BUILD_DIR/tools/px-launch
inspect=$PX_BUILD_DIR/tools/px-inspect
jail=$PX_BUILD_DIR/test/no_uring
# This test chooses the backend itself, whatever the pass around it set.
unset PX_BACKEND
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; kill $(jobs -p) 2>/dev/null' EXIT
# shellcheck source=lib_it.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_it.sh"

why="io_uring is unavailable: io_uring_setup failed with EPERM (a seccomp filter"
head -c $((3 * 1024 * 1024 + 11)) /dev/urandom >"$tmp/in.bin"

# ---- a file copy inside the filter -------------------------------------------
out=$("$jail" "$launch" -v filesrc location="$tmp/in.bin" ! \
	filesink location="$tmp/out.bin" 2>&1)
[[ $? == 0 ]] && pass "file copy runs inside the seccomp filter" ||
	fail "file copy in the filter: $out"
cmp -s "$tmp/in.bin" "$tmp/out.bin" && pass "the copy is identical" ||
	fail "out.bin differs"
expect "-v names the backend and why" "$out" "reactor backend epoll ($why"
expect "the pipeline says it on its bus (INFO)" "$out" \
	"INFO from pipeline0: pipeline0: reactors run on epoll ($why"
out=$("$jail" "$inspect" --features 2>&1)
expect "px-inspect --features names it" "$out" "reactor backend: epoll ($why"

# ---- TCP inside the filter: tcpsrc server <- tcpsink client ------------------
SRC_WRAP=$jail start_src tcpsrc mode=server port=0 ! \
	filesink location="$tmp/tcp.bin"
if [[ -z $SRC_PORT ]]; then
	fail "tcpsrc never listened: $(cat "$tmp/src.log")"
else
	out=$("$jail" "$launch" filesrc location="$tmp/in.bin" ! \
		tcpsink port="$SRC_PORT" 2>&1)
	[[ $? == 0 ]] && pass "tcpsink sends inside the filter" ||
		fail "tcpsink in the filter: $out"
fi
finish_src
[[ $SRC_RC == 0 ]] && pass "tcpsrc reaches EOS inside the filter" ||
	fail "tcpsrc exit $SRC_RC: $SRC_ERR"
cmp -s "$tmp/in.bin" "$tmp/tcp.bin" &&
	pass "the stream arrives identical over TCP" || fail "tcp.bin differs"

# ---- forcing ------------------------------------------------------------------
out=$(PX_BACKEND=io_uring "$jail" "$launch" fakesrc num-buffers=1 ! fakesink 2>&1)
rc=$?
[[ $rc != 0 ]] && pass "PX_BACKEND=io_uring where it cannot run fails" ||
	fail "PX_BACKEND=io_uring in the filter ran: $out"
expect "... naming why" "$out" \
	"PX_BACKEND=io_uring, but io_uring is unavailable: io_uring_setup failed with EPERM"
out=$(PX_BACKEND=kqueue "$launch" fakesrc num-buffers=1 ! fakesink 2>&1)
[[ $? != 0 ]] && pass "an unknown PX_BACKEND fails" || fail "PX_BACKEND=kqueue ran"
expect "... naming the value" "$out" "PX_BACKEND=kqueue names no backend"
out=$(PX_BACKEND=epoll "$launch" -v fakesrc num-buffers=1 ! fakesink 2>&1)
expect "PX_BACKEND=epoll is obeyed and said" "$out" \
	"reactor backend epoll (forced by PX_BACKEND=epoll)"

verdict "backend"
