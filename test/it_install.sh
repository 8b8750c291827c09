#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install into a scratch prefix, then build an outside program against it,
# once with pkg-config and once with find_package(Parallax).
set -euo pipefail
: "${PX_BUILD_DIR:?}" "${PX_SOURCE_DIR:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cmake --install "$PX_BUILD_DIR" --prefix "$tmp/px" >/dev/null
test -f "$tmp/px/include/parallax/parallax.h"
if ls "$tmp/px/include/parallax/"*_int.h >/dev/null 2>&1; then
  echo "internal headers were installed" >&2; exit 1
fi
for page in px-launch px-inspect px-bench; do
  test -f "$tmp/px/share/man/man1/$page.1" ||
    { echo "man page $page.1 not installed" >&2; exit 1; }
done

cat > "$tmp/consumer.c" <<'C'
#include <parallax/parallax.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
	printf("parallax %s\n", px_version());
	return strcmp(px_version(), PX_VERSION_STRING) != 0;
}
C
export PKG_CONFIG_PATH="$tmp/px/lib/pkgconfig:$tmp/px/lib/x86_64-linux-gnu/pkgconfig"
# shellcheck disable=SC2046
cc -std=gnu11 -Wall -Werror -I"$tmp/px/include" "$tmp/consumer.c" -o "$tmp/consumer" \
   $(pkg-config --cflags --libs parallax)
LD_LIBRARY_PATH="$(pkg-config --variable=libdir parallax)" "$tmp/consumer"

# The same with the static library; its private dependencies (as the .pc
# names them) stay shared libraries.
deps=$(pkg-config --print-requires-private parallax | awk '{print $1}')
# shellcheck disable=SC2046,SC2086
cc -std=gnu11 "$tmp/consumer.c" -o "$tmp/consumer_static" \
   $(pkg-config --cflags parallax) "$(pkg-config --variable=libdir parallax)/libparallax.a" \
   $(pkg-config --libs $deps) -lpthread -lm
"$tmp/consumer_static"

mkdir "$tmp/cm"
cat > "$tmp/cm/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.25)
project(consumer C)
find_package(Parallax REQUIRED)
add_executable(consumer ../consumer.c)
target_link_libraries(consumer PRIVATE Parallax::parallax)
CM
cmake -S "$tmp/cm" -B "$tmp/cm/build" -DCMAKE_PREFIX_PATH="$tmp/px" >/dev/null
cmake --build "$tmp/cm/build" >/dev/null
"$tmp/cm/build/consumer"
echo "install test: pkg-config, static and find_package consumers all ran"
