#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build each libFuzzer target of test/fuzz with clang (fuzzer, address and
# undefined sanitizers) into BUILD/fuzz, and run it for SECONDS on its
# corpus in test/fuzz/corpus/<name> (new inputs stay in a copy under
# BUILD/fuzz). Exit 1 on a crash, with the input kept there. Targets:
# net_frame (netsrc's frame decoder), launch (the launch-string parser),
# caps (the caps parser), record (the record validator), props (the
# property value parsers: sizes, durations, booleans, integers, memory),
# ipc (what the other side of an IPC channel can make us read: control
# messages, data-ring items, and shared rings it rewrites).
#   test/fuzz/run.sh [SECONDS] [BUILD]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-30}
out=${2:-build}/fuzz
command -v clang >/dev/null || { echo "fuzz: clang is not installed (.ci/deps)"; exit 1; }
mkdir -p "$out"
# (ipc_int.h's control-message buffer is a GNU C union clang warns about)
cflags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
        -Wno-gnu-variable-sized-type-not-at-end
        -Iengine -Iengine/base -Ielements -Imem -Iring -Iipc -Itest)

# name: the sources it needs besides its own
declare -A targets=(
	[net_frame]="elements/net_frame.c engine/crc32c.c"
	[launch]="engine/parse_syntax.c engine/parse_error.c"
	[caps]="engine/caps.c"
	[record]="engine/record.c"
	[props]="engine/prop_text.c engine/memory.c"
	[ipc]="ipc/ipc_wire.c ring/ring.c"
)
for name in "${!targets[@]}"; do
	# shellcheck disable=SC2086
	clang "${cflags[@]}" "test/fuzz/fuzz_$name.c" ${targets[$name]} \
		-lpthread -o "$out/fuzz_$name"
	rm -rf "$out/corpus_$name"
	cp -r "test/fuzz/corpus/$name" "$out/corpus_$name"
	echo "fuzz: $name for ${seconds}s"
	"$out/fuzz_$name" -max_total_time="$seconds" -print_final_stats=1 \
		-artifact_prefix="$out/crash_$name-" "$out/corpus_$name" 2>&1 |
		grep -E "stat::number_of_executed_units|stat::peak_rss|ERROR|crash" ||
		true
	if compgen -G "$out/crash_$name-*" >/dev/null; then
		echo "fuzz: $name crashed; inputs in $out"
		exit 1
	fi
done
