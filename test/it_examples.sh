#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs every example program built in $PX_BUILD_DIR/examples; each must exit 0.
set -uo pipefail

dir=${PX_BUILD_DIR:?PX_BUILD_DIR is not set}/examples
if [[ ! -d $dir ]]; then
	echo "it_examples: $dir does not exist (PX_BUILD_EXAMPLES=OFF?)" >&2
	exit 77
fi

mapfile -t progs < <(find "$dir" -maxdepth 1 -type f -executable | sort)
if ((${#progs[@]} == 0)); then
	echo "it_examples: no example programs in $dir" >&2
	exit 77
fi

fail=0
for prog in "${progs[@]}"; do
	name=${prog##*/}
	out=$(mktemp)
	if timeout 120 "$prog" >"$out" 2>&1; then
		echo "ok   $name"
	else
		rc=$?
		echo "FAIL $name (exit $rc)"
		sed 's/^/     | /' "$out"
		fail=1
	fi
	rm -f "$out"
done
exit $fail
