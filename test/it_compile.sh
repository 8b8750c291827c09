#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What the compiler promises, proved by compiling probes with a module's own
# flags (taken from the build's compile_commands.json):
# 1. The module directions (docs/architecture.md, "Modules"): a module may
#    include what it may use and fails to compile when it includes anything
#    from a layer above, or another module's internals. Each check pairs a
#    header the module may include (which must compile, or the probe itself
#    is broken) with headers it may not.
# 2. The element API's type checks (px_element.h): a read-only property spec
#    naming a plain field instead of a px_stat_* one does not compile.
# 3. Typed pipelines (px_typed.h): a stage linked to one of another record
#    type does not compile, and the diagnostic names both types.
set -uo pipefail

build=${PX_BUILD_DIR:?PX_BUILD_DIR must point at the build tree}
src=${PX_SOURCE_DIR:?PX_SOURCE_DIR must point at the source tree}
db=$build/compile_commands.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

[[ -f $db ]] || { echo "SKIP: $db not written (CMAKE_EXPORT_COMPILE_COMMANDS)"; exit 77; }

# The compiler command line of SOURCE (relative to the tree), as a bash array.
command_of() {
	python3 - "$db" "$src/$1" <<'EOF'
import json, shlex, sys
for e in json.load(open(sys.argv[1])):
    if e["file"] == sys.argv[2]:
        args = e.get("arguments") or shlex.split(e["command"])
        print(e["directory"])
        for a in args:
            print(a)
        break
EOF
}

# Compile the C text BODY with SOURCE's flags; 0 when it builds.
probe_text() {
	local source=$1 body=$2 dir out=() skip=0
	mapfile -t lines < <(command_of "$source")
	((${#lines[@]})) || { echo "no compile command for $source"; return 2; }
	dir=${lines[0]}
	printf '%s\n' "$body" >"$tmp/probe.c"
	for a in "${lines[@]:1}"; do
		if ((skip)); then skip=0; continue; fi
		case $a in
		-o) skip=1 ;;
		-c) ;;
		*"$source") ;;
		*) out+=("$a") ;;
		esac
	done
	# LC_ALL=C: plain quotes in diagnostics, whatever the caller's locale.
	(cd "$dir" && LC_ALL=C "${out[@]}" -fsyntax-only -c "$tmp/probe.c") \
		2>"$tmp/err"
}

# A probe that includes HEADER with SOURCE's flags.
probe() {
	probe_text "$1" "$(printf '#include "%s"\nint px_layer_probe;' "$2")"
}

# MODULE SOURCE ALLOWED FORBIDDEN...
check() {
	local mod=$1 source=$2 ok=$3 h
	shift 3
	if probe "$source" "$ok"; then
		pass "$mod may include $ok"
	else
		fail "$mod cannot include $ok, which it may: $(head -1 "$tmp/err")"
		return
	fi
	for h in "$@"; do
		if probe "$source" "$h"; then
			fail "$mod compiles with #include \"$h\", which it may not"
		elif grep -q "$h: No such file" "$tmp/err"; then
			pass "$mod refused $h"
		else
			fail "$mod: $h failed for another reason: $(head -1 "$tmp/err")"
		fi
	done
}

check mem mem/buf.c px_base.h px_ring.h px_element.h reactor_int.h
check mem mem/segment.c px_segment_int.h px_caps.h ipc_int.h
check ring ring/ring.c px_base.h px_pool.h px_element.h
check engine engine/element.c px_pool_int.h px_appsink.h elements_int.h \
	ipc_int.h
check elements elements/identity.c px_element.h reactor_int.h link_int.h \
	px_pool_int.h ipc_int.h
check ipc ipc/ipc_api.c link_int.h elements_int.h builtin_int.h

# A stat spec over FIELD_TYPE (the spec macro KIND) compiles or not.
stat_probe() {
	probe_text elements/identity.c "#include <stddef.h>
#include \"px_element.h\"
struct st { $1 n; };
static const struct px_prop_spec specs[] = {
	PX_PROP_STAT_$2_SPEC(\"n\", PX_PROP_$3, struct st, n, \"probe\"),
};
const struct px_prop_spec *px_stat_probe = specs;"
}
for kind in "U64 UINT64 px_stat_u64 uint64_t" "I64 INT px_stat_i64 int64_t"; do
	read -r k t good plain <<<"$kind"
	if stat_probe "$good" "$k" "$t"; then
		pass "PX_PROP_STAT_${k}_SPEC over a $good field compiles"
	else
		fail "PX_PROP_STAT_${k}_SPEC over $good: $(head -3 "$tmp/err")"
	fi
	if stat_probe "$plain" "$k" "$t"; then
		fail "PX_PROP_STAT_${k}_SPEC over a plain $plain field compiles"
	elif grep -q "incompatible pointer" "$tmp/err"; then
		pass "PX_PROP_STAT_${k}_SPEC refuses a plain $plain field"
	else
		fail "stat probe over $plain failed for another reason: $(head -1 "$tmp/err")"
	fi
done

# 3. Typed pipelines (px_typed.h): each test/compile_fail/*.c names on its
# second line the diagnostic it must fail with ("expect: compiles" for the
# one that must build), compiled with an example program's flags.
for probe_file in "$src"/test/compile_fail/*.c; do
	name=${probe_file##*/}
	want=$(sed -n '2s|^// expect: ||p' "$probe_file")
	[[ -n $want ]] || { fail "$name: no '// expect:' line"; continue; }
	body="$(printf '#include "%s/test/compile_fail/typed_records.h"\n' "$src")
$(grep -v '#include "typed_records.h"' "$probe_file")"
	if probe_text examples/typed_pipeline.c "$body"; then
		[[ $want == compiles ]] && pass "$name compiles" ||
			fail "$name compiles; it must fail with: $want"
	elif [[ $want == compiles ]]; then
		fail "$name does not compile: $(head -3 "$tmp/err")"
	elif grep -qF -- "$want" "$tmp/err"; then
		pass "$name refused: $want"
	else
		fail "$name failed for another reason: $(grep -m1 error "$tmp/err")"
	fi
done

((failures == 0)) || { echo "$failures failure(s)"; exit 1; }
echo "all module directions and API type checks hold"
