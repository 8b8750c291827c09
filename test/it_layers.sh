#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The module directions hold at build time (docs/architecture.md, "Modules"):
# a file compiled with a module's own flags, taken from the build's
# compile_commands.json, may include what that module may use and fails to
# compile when it includes anything from a layer above, or another module's
# internals. Each pair is a header the module may include (which must
# compile, or the probe itself is broken) and headers it may not.
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

# Compile a probe that includes HEADER with SOURCE's flags; 0 when it builds.
probe() {
	local source=$1 header=$2 dir out=() skip=0
	mapfile -t lines < <(command_of "$source")
	((${#lines[@]})) || { echo "no compile command for $source"; return 2; }
	dir=${lines[0]}
	printf '#include "%s"\nint px_layer_probe;\n' "$header" >"$tmp/probe.c"
	for a in "${lines[@]:1}"; do
		if ((skip)); then skip=0; continue; fi
		case $a in
		-o) skip=1 ;;
		-c) ;;
		*"$source") ;;
		*) out+=("$a") ;;
		esac
	done
	(cd "$dir" && "${out[@]}" -fsyntax-only -c "$tmp/probe.c") 2>"$tmp/err"
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

((failures == 0)) || { echo "$failures failure(s)"; exit 1; }
echo "all module directions hold"
