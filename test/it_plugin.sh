#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Plugins from outside the tree: install Parallax into a scratch prefix,
# build examples/plugin against it with pkg-config (its own Makefile), and
# run its element from the installed px-launch, found on PX_PLUGIN_PATH and
# in the installed plugin folder. Then the refusals, each with its reason:
# a plugin built for a newer ABI, a file that is not a shared object, a .so
# without an entry point, an element name two plugins offer.
set -uo pipefail
: "${PX_BUILD_DIR:?}" "${PX_SOURCE_DIR:?}"
tmp=$(mktemp -d)
# The ABI the library under test has, from its own header.
abi_major=$(sed -n 's/^#define PX_ABI_MAJOR \([0-9]*\)$/\1/p' "$PX_SOURCE_DIR/engine/px_plugin.h")
abi_minor=$(sed -n 's/^#define PX_ABI_MINOR \([0-9]*\)$/\1/p' "$PX_SOURCE_DIR/engine/px_plugin.h")
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=lib_it.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_it.sh"


px=$tmp/px
cmake --install "$PX_BUILD_DIR" --prefix "$px" >/dev/null || exit 1
export PKG_CONFIG_PATH="$px/lib/pkgconfig:$px/lib/x86_64-linux-gnu/pkgconfig"
libdir=$(pkg-config --variable=libdir parallax)
plugindir=$(pkg-config --variable=plugindir parallax)
export LD_LIBRARY_PATH=$libdir
launch=$px/bin/px-launch
inspect=$px/bin/px-inspect
[[ -d $plugindir ]] && pass "the plugin folder $plugindir is installed" ||
	fail "no plugin folder $plugindir"

# ---- the example plugin, built as its README says ---------------------------
cp -r "$PX_SOURCE_DIR/examples/plugin" "$tmp/xor"
if make -C "$tmp/xor" >"$tmp/make.log" 2>&1; then
	pass "examples/plugin builds against the installed tree"
else
	fail "examples/plugin does not build:"; sed 's/^/    | /' "$tmp/make.log"
	exit 1
fi
mkdir "$tmp/path"
cp "$tmp/xor/libpxxor.so" "$tmp/path/"

# fakesink's CRC32C of what it got, from px-launch -v
crc() { "$@" 2>&1 | sed -n 's/.*checksum crc32c=\(0x[0-9a-f]*\).*/\1/p'; }
src="fakesrc num-buffers=2000 filltype=pattern size=3000"
plain=$(crc "$launch" -v $src ! fakesink checksum=true)
twice=$(PX_PLUGIN_PATH=$tmp/path crc "$launch" -v $src ! xor mask=0x5a \
	! queue ! xor mask=0x5a ! fakesink checksum=true)
once=$(PX_PLUGIN_PATH=$tmp/path crc "$launch" -v $src ! xor \
	! fakesink checksum=true)
[[ -n $plain && $plain == "$twice" ]] &&
	pass "xor twice gives back the bytes ($twice)" ||
	fail "xor twice: '$twice', the source: '$plain'"
[[ -n $once && $once != "$plain" ]] && pass "xor once changes them" ||
	fail "xor once: '$once' (source '$plain')"
out=$(PX_PLUGIN_PATH=$tmp/path "$inspect" xor 2>&1)
expect "px-inspect xor names its plugin" "$out" "Plugin: xor 1.0 ($tmp/path/libpxxor.so)"
out=$(PX_PLUGIN_PATH=$tmp/path "$inspect" --plugins 2>&1)
st=$?
expect "px-inspect --plugins" "$out" "xor 1.0  ($tmp/path/libpxxor.so)"
((st == 0)) && pass "--plugins exits 0 when all loaded" || fail "--plugins exit $st"

# Installed into the plugin folder: found without PX_PLUGIN_PATH.
make -C "$tmp/xor" install >/dev/null 2>&1 || fail "make install"
out=$(crc "$launch" -v $src ! xor ! xor ! fakesink checksum=true)
[[ $out == "$plain" ]] && pass "found in the installed plugin folder" ||
	fail "from the plugin folder: '$out'"
rm -f "$plugindir/libpxxor.so"

# ---- refusals -----------------------------------------------------------------
mkdir "$tmp/bad"
cc_plugin() { # NAME SOURCE
	printf '%s\n' "$2" >"$tmp/$1.c"
	# shellcheck disable=SC2046
	cc -std=gnu11 -fPIC -shared -o "$tmp/bad/$1.so" "$tmp/$1.c" \
		$(pkg-config --cflags --libs parallax) || fail "cc $1"
}
cc_plugin future '#include <parallax/px_plugin.h>
static const struct px_element_class future = { .name = "future-elem" };
static const struct px_element_class *const classes[] = { &future, NULL };
const struct px_plugin_desc *px_plugin_entry(void);
const struct px_plugin_desc *px_plugin_entry(void)
{
	static const struct px_plugin_desc d = {
		.abi_major = PX_ABI_MAJOR, .abi_minor = PX_ABI_MINOR + 1,
		.class_size = sizeof(struct px_element_class),
		.prop_spec_size = sizeof(struct px_prop_spec),
		.pad_template_size = sizeof(struct px_pad_template),
		.name = "future", .version = "9", .classes = classes };
	return &d;
}'
cc_plugin noentry 'int px_not_a_plugin(void); int px_not_a_plugin(void) { return 1; }'
cc_plugin twin '#include <parallax/px_plugin.h>
static const struct px_element_class xor2 = { .name = "xor",
	.description = "a second xor" };
static const struct px_element_class *const classes[] = { &xor2, NULL };
PX_PLUGIN_DEFINE(.name = "twin", .version = "1", .classes = classes);'
echo "not an ELF file" >"$tmp/bad/broken.so"
path=$tmp/path:$tmp/bad

out=$(PX_PLUGIN_PATH=$path "$launch" fakesrc ! future-elem ! fakesink 2>&1)
expect "a newer ABI is refused, both versions named" "$out" \
	"plugin future ($tmp/bad/future.so) offers it but did not load: built for Parallax ABI $abi_major.$((abi_minor + 1)); this libparallax"
expect "... and the library's ABI" "$out" "has ABI $abi_major.$abi_minor"
out=$(PX_PLUGIN_PATH=$path "$inspect" --plugins 2>&1)
st=$?
((st == 1)) && pass "--plugins exits 1 when one did not load" ||
	fail "--plugins exit $st"
expect "a broken .so: the loader's reason" "$out" "$tmp/bad/broken.so: file too short"
expect "a .so without an entry point" "$out" \
	"not a Parallax plugin: it has no px_plugin_entry()"
expect "an element two plugins offer" "$out" \
	"its element 'xor' is already provided by plugin xor ($tmp/path/libpxxor.so)"
expect "the good one still loads" "$out" "xor 1.0  ($tmp/path/libpxxor.so)"
out=$(PX_PLUGIN_PATH=$path "$launch" fakesrc ! nosuch ! fakesink 2>&1)
expect "an unknown element names the files that did not load" "$out" \
	"plugin file $tmp/bad/broken.so did not load"
# Nothing is remembered: fixed, it loads on the next run.
rm "$tmp/bad/"*.so
out=$(PX_PLUGIN_PATH=$path "$inspect" --plugins 2>&1)
# (the nats plugin is installed beside xor when libnats was found)
expect "no blacklist: the next run starts afresh" "$out" " found, 0 not loaded"
expect "... xor among them" "$out" "xor 1.0  ($tmp/path/libpxxor.so)"

verdict plugin
