#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# PX_DEBUG: lines appear for the categories and levels asked, in the
# documented shape, and vanish when it is unset; last rule wins, '*' as a
# prefix, level names, PX_DEBUG_FILE, and a malformed item said once.
set -uo pipefail
: "${PX_BUILD_DIR:?}" "${PX_SOURCE_DIR:?}"
launch=$PX_BUILD_DIR/tools/px-launch
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=lib_it.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_it.sh"

head -c $((5 * 65536 + 100)) /dev/urandom >"$tmp/in.bin"
copy=(filesrc location="$tmp/in.bin" ! filesink location="$tmp/out.bin")
# A debug line: time, thread id, reactor, level, category, element, place.
line_re='^[0-9]+:[0-9]{2}:[0-9]{2}\.[0-9]{9} [0-9]+ [^ ]+ (ERROR|WARNING|FIXME|INFO|DEBUG|LOG|TRACE) [^ ]+ [^ ]+ [a-z_]+\.c:[0-9]+: '

# Lines of category CAT in TEXT.
count() { grep -Ec "^[^ ]+ [0-9]+ [^ ]+ [A-Z]+ $1 " <<<"$2"; }

out=$(env -u PX_DEBUG "$launch" "${copy[@]}" 2>&1)
[[ $(grep -Ec "$line_re" <<<"$out") == 0 ]] &&
	pass "PX_DEBUG unset: no debug lines" || fail "lines without PX_DEBUG: $out"

out=$(PX_DEBUG='*:4' "$launch" "${copy[@]}" 2>&1)
n=$(grep -Ec "$line_re" <<<"$out")
((n >= 10)) && pass "*:4 gives $n lines in the documented shape" ||
	fail "*:4: $n lines: $out"
expect "... the state changes" "$out" "INFO pipeline - pipeline_state.c"
expect "... NULL to READY" "$out" "pipeline0: NULL -> READY"
expect "... each start() with its reactor" "$out" \
	"px-r0 INFO element filesrc0 pipeline_state.c"
expect "... the pool the source got" "$out" "pool filesrc0.pool: "
[[ $(count filesrc "$out") == 0 ]] && pass "... but no LOG lines at 4" ||
	fail "LOG lines at level 4: $out"
cmp -s "$tmp/in.bin" "$tmp/out.bin" && pass "the copy is whole" ||
	fail "copy differs"

out=$(PX_DEBUG='filesrc:log' "$launch" "${copy[@]}" 2>&1)
expect "filesrc:log shows each read" "$out" "LOG filesrc filesrc0 filesrc.c"
expect "... the first at 0" "$out" "read at 0: 65536"
[[ $(count pipeline "$out") == 0 && $(count filesink "$out") == 0 ]] &&
	pass "... and nothing of other categories" || fail "other lines: $out"

out=$(PX_DEBUG='file*:6,filesink:0' "$launch" "${copy[@]}" 2>&1)
n=$(count filesrc "$out")
((n > 0)) && [[ $(count filesink "$out") == 0 ]] &&
	pass "a prefix rule, then a later rule turns filesink off" ||
	fail "file*:6,filesink:0: $out"

out=$(PX_DEBUG='pipeline:4' PX_DEBUG_FILE="$tmp/log" "$launch" "${copy[@]}" 2>&1)
[[ $(count pipeline "$out") == 0 && $(count pipeline "$(cat "$tmp/log")") == 6 ]] &&
	pass "PX_DEBUG_FILE gets the 6 state changes, stderr none" ||
	fail "PX_DEBUG_FILE: stderr: $out; file: $(cat "$tmp/log")"

out=$(PX_DEBUG='pipeline:4,bogus:x' "$launch" "${copy[@]}" 2>&1)
expect "a malformed item is named" "$out" "PX_DEBUG: cannot read 'bogus:x'"
[[ $(count pipeline "$out") == 6 ]] && pass "... and the rest still apply" ||
	fail "rules after a bad item: $out"
verdict debug
