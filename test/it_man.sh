#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The man pages render without a warning, and each program's --help and its
# man page name the same options: every option --help prints is documented
# in the page's OPTIONS section, and every option documented there is one
# that --help prints.
set -uo pipefail

build=${PX_BUILD_DIR:?PX_BUILD_DIR must point at the build tree}
src=${PX_SOURCE_DIR:?PX_SOURCE_DIR must point at the source tree}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

command -v man >/dev/null || { echo "SKIP: man is not installed (man-db)"; exit 77; }

# Options (-x and --long) named in TEXT, one per line, sorted.
options() {
	grep -oE '(^|[^[:alnum:]-])--?[[:alpha:]][[:alnum:]-]*' |
		sed -E 's/^[^-]*//' | sort -u
}

# The OPTIONS section of a man page source, with roff's \- made plain.
man_options() {
	sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$1" | sed 's/\\-/-/g' |
		grep -E '^\.(TP|B|BR|BI|IR)|^\.B ' | options
}

declare -A prog=(
	[px-launch]=$build/tools/px-launch
	[px-inspect]=$build/tools/px-inspect
	[px-bench]=$build/bench/px-bench
)

for page in px-launch px-inspect px-bench; do
	file=$src/docs/man/$page.1
	if [[ ! -f $file ]]; then
		fail "$file is missing"
		continue
	fi
	MANWIDTH=80 man -l --warnings -E UTF-8 "$file" >"$tmp/out" 2>"$tmp/err"
	if [[ -s $tmp/err ]]; then
		fail "$page.1 renders with warnings: $(head -3 "$tmp/err")"
	elif ! grep -q '^NAME' "$tmp/out"; then
		fail "$page.1 rendered no NAME section"
	else
		pass "$page.1 renders without warnings"
	fi

	exe=${prog[$page]}
	if [[ ! -x $exe ]]; then
		echo "note: $exe not built; its --help is not compared"
		continue
	fi
	"$exe" --help >"$tmp/help" 2>&1
	# The help's option lines start with spaces then a dash.
	grep -E '^[[:space:]]+-' "$tmp/help" | options >"$tmp/help.opts"
	man_options "$file" >"$tmp/man.opts"
	missing=$(comm -23 "$tmp/help.opts" "$tmp/man.opts" | tr '\n' ' ')
	extra=$(comm -13 "$tmp/help.opts" "$tmp/man.opts" | tr '\n' ' ')
	if [[ -n $missing ]]; then
		fail "$page --help has options its man page does not: $missing"
	elif [[ -n $extra ]]; then
		fail "$page.1 documents options --help does not print: $extra"
	elif [[ ! -s $tmp/help.opts ]]; then
		fail "$page --help printed no options (the parse is broken)"
	else
		pass "$page --help and $page.1 agree ($(tr '\n' ' ' <"$tmp/help.opts"))"
	fi
done

((failures == 0)) || { echo "$failures failure(s)"; exit 1; }
echo "man pages render and match --help"
