#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Memory the user chooses, through px-launch: --memory for the pipeline and
# memory= on one element, what --stats shows each pool got, a fallback's
# WARNING, require's refusal, file pools (there while running, gone after a
# clean stop), and the sentences for bad choices.
#
# With "huge" as argument, the part that needs reserved huge pages: it
# reserves them (root), checks 2 MiB pools and the per-element override,
# and gives them back; 77 when this machine cannot reserve any. Both
# modes change or depend on the system's huge page pool: CTest runs them
# alone (RUN_SERIAL).
set -uo pipefail
: "${PX_BUILD_DIR:?}"
launch=$PX_BUILD_DIR/tools/px-launch
tmp=$(mktemp -d)
# shellcheck source=lib_it.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_it.sh"


nr=/proc/sys/vm/nr_hugepages
old_nr=$(cat $nr 2>/dev/null || echo 0)
restore() {
	[[ $(id -u) == 0 && -w $nr ]] && echo "$old_nr" >$nr
	rm -rf "$tmp"
}
trap restore EXIT
free_pages() { awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo; }

# The pages column of POOL's row in px-launch --stats output TEXT.
pages_of() { awk -v p="$2" '$1 == p { print $8 }' <<<"$1"; }
memory_of() { awk -v p="$2" '$1 == p { print $7 }' <<<"$1"; }

src="fakesrc num-buffers=200 size=64K"

if [[ ${1:-} == huge ]]; then
	# 1024 x 64 KiB = 64 MiB per fakesrc pool, two pools at most at once.
	want=$((old_nr + 80))
	if [[ $(id -u) != 0 ]] || ! echo "$want" >$nr 2>/dev/null ||
	   (($(free_pages) < 66)); then
		skip "cannot reserve 2 MiB huge pages here (needs root and free memory)"
	fi
	out=$("$launch" --stats --memory hugetlb $src ! fakesink 2>&1)
	expect "--memory hugetlb runs" "$out" "EOS after"
	[[ $(pages_of "$out" fakesrc0.pool) == 2m ]] &&
		pass "--memory hugetlb: the pool has 2 MiB pages" ||
		fail "--memory hugetlb: pages '$(pages_of "$out" fakesrc0.pool)': $out"
	[[ $out != *WARNING* ]] && pass "no fallback warning with pages reserved" ||
		fail "a warning with pages reserved: $out"
	out=$("$launch" --stats --memory hugetlb,require $src ! fakesink 2>&1)
	[[ $(pages_of "$out" fakesrc0.pool) == 2m ]] &&
		pass "--memory hugetlb,require gets them" ||
		fail "--memory hugetlb,require: $out"
	out=$("$launch" --stats --memory hugetlb \
		fakesrc name=a num-buffers=50 size=64K ! fakesink \
		fakesrc name=b num-buffers=50 size=64K memory=heap ! fakesink 2>&1)
	[[ $(pages_of "$out" a.pool) == 2m && $(memory_of "$out" b.pool) == heap &&
	   $(pages_of "$out" b.pool) == 4k ]] &&
		pass "memory=heap on one element overrides --memory hugetlb" ||
		fail "override: $out"
	out=$("$launch" --stats fakesrc num-buffers=50 size=64K memory=hugetlb \
		! fakesink 2>&1)
	[[ $(pages_of "$out" fakesrc0.pool) == 2m ]] &&
		pass "memory=hugetlb on an element alone" ||
		fail "memory=hugetlb on an element: $out"
	verdict "huge page"
fi

# ---- without reserved pages: fall back, or refuse --------------------------
if [[ $(id -u) == 0 && -w $nr ]]; then
	echo 0 >$nr
fi
if (($(free_pages) > 0)); then
	echo "note: $(free_pages) huge pages are free and cannot be taken away" \
		"(not root): the fallback cases are left out"
else
	out=$("$launch" --stats --memory hugetlb $src ! fakesink 2>&1)
	rc=$?
	[[ $rc == 0 ]] && pass "--memory hugetlb without pages still runs" ||
		fail "--memory hugetlb without pages: exit $rc: $out"
	expect "the fallback is one WARNING naming the pool" "$out" \
		"WARNING from fakesrc0: fakesrc0: pool fakesrc0.pool (1024 x 64 KiB = 64.0 MiB) asked for 2 MiB huge pages and got"
	expect "the WARNING says why" "$out" "not enough free huge pages are reserved"
	# (Not root: a second WARNING may say the pool is over RLIMIT_MEMLOCK.)
	[[ $(grep -c "WARNING.*asked for 2 MiB huge pages" <<<"$out") == 1 ]] &&
		pass "one WARNING" || fail "not one WARNING: $out"
	p=$(pages_of "$out" fakesrc0.pool)
	[[ $p == thp || $p == 4k ]] && pass "--stats shows what it got ($p)" ||
		fail "--stats pages '$p': $out"
	out=$("$launch" --memory hugetlb,require $src ! fakesink 2>&1)
	rc=$?
	[[ $rc == 1 ]] && pass "hugetlb,require without pages exits 1" ||
		fail "hugetlb,require: exit $rc: $out"
	expect "require's sentence names element, pool, size and reason" "$out" \
		"ERROR from fakesrc0: cannot create pool fakesrc0.pool (1024 x 64 KiB = 64.0 MiB) in 2 MiB huge pages (memory=hugetlb,require): not enough free huge pages are reserved"
	out=$("$launch" $src memory=hugetlb,require ! fakesink 2>&1)
	[[ $? == 1 && $out == *"memory=hugetlb,require"* ]] &&
		pass "memory=hugetlb,require on the element refuses too" ||
		fail "element require: $out"
fi

# ---- the other kinds -----------------------------------------------------------
out=$("$launch" --stats --memory memfd $src ! fakesink 2>&1)
[[ $(memory_of "$out" fakesrc0.pool) == memfd ]] && pass "--memory memfd" ||
	fail "--memory memfd: $out"
out=$("$launch" --stats --memory heap $src ! fakesink 2>&1)
[[ $(memory_of "$out" fakesrc0.pool) == heap &&
   $(pages_of "$out" fakesrc0.pool) == 4k ]] && pass "--memory heap" ||
	fail "--memory heap: $out"
thp_mode=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)
out=$("$launch" --stats --memory thp $src ! fakesink 2>&1)
if [[ $thp_mode == *"[never]"* || -z $thp_mode ]]; then
	[[ $(pages_of "$out" fakesrc0.pool) == 4k && $out == *WARNING* ]] &&
		pass "--memory thp with THP off: 4k and a WARNING" ||
		fail "--memory thp, THP off: $out"
else
	[[ $(pages_of "$out" fakesrc0.pool) == thp ]] &&
		pass "--memory thp gets transparent huge pages" ||
		fail "--memory thp: $out"
fi

# file:DIR: the pool is a file there while the pipeline runs, removed after
# a clean stop. -v's state lines say when it plays; --control ends it.
mkdir "$tmp/pools"
fifo=$tmp/ctl
mkfifo "$tmp/log"
"$launch" -v --stats --memory "file:$tmp/pools" --control "$fifo" \
	fakesrc rate=1000 size=4K ! fakesink >"$tmp/file.out" 2>"$tmp/log" &
pid=$!
exec 3<"$tmp/log"
while read -r line <&3; do
	[[ $line == *"PAUSED -> PLAYING"* ]] && break
done
cat <&3 >"$tmp/file.err" &
f=$(ls "$tmp/pools")
[[ $f == pipeline0.fakesrc0.pool.$pid.pxpool ]] &&
	pass "the pool file is in DIR while running ($f)" ||
	fail "pool file: '$f'"
if [[ -n $f ]]; then
	magic=$(head -c 8 "$tmp/pools/$f")
	[[ $magic == PXSEGMNT ]] && pass "it is a Parallax segment (header PXSEGMNT)" ||
		fail "file header '$magic'"
fi
echo eos >"$fifo"
wait $pid
rc=$?
[[ $rc == 0 ]] && pass "file pool run ends at EOS" ||
	fail "exit $rc: $(cat "$tmp/file.out" "$tmp/file.err")"
exec 3<&-
[[ -z $(ls "$tmp/pools") ]] && pass "a clean stop removes the pool file" ||
	fail "left behind: $(ls "$tmp/pools")"
out=$(cat "$tmp/file.out")
[[ $(memory_of "$out" fakesrc0.pool) == file ]] && pass "--stats says file" ||
	fail "--stats for file: $out"

# A crash leaves the file behind, for inspection: SIGKILL once it plays.
mkfifo "$tmp/log2"
"$launch" -v --memory "file:$tmp/pools" fakesrc rate=1000 size=4K \
	filltype=pattern ! fakesink >/dev/null 2>"$tmp/log2" &
pid=$!
exec 4<"$tmp/log2"
while read -r line <&4; do
	[[ $line == *"PAUSED -> PLAYING"* ]] && break
done
kill -KILL $pid
wait $pid 2>/dev/null
exec 4<&-
f=$tmp/pools/pipeline0.fakesrc0.pool.$pid.pxpool
[[ -f $f && $(head -c 8 "$f") == PXSEGMNT ]] &&
	pass "after SIGKILL the pool file stays, a segment to inspect" ||
	fail "after SIGKILL: $(ls -l "$tmp/pools")"

# node=N binds the pools there (the stats say so); a node that does not
# exist is named as such.
out=$("$launch" --stats --memory heap,node=0 $src ! fakesink 2>&1)
[[ $(awk '$1 == "fakesrc0.pool" { print $9 }' <<<"$out") == 0 ]] &&
	pass "node=0: the pool is bound to node 0" || fail "node=0: $out"
out=$("$launch" --memory heap,node=4095 $src ! fakesink 2>&1)
expect "node=4095 is refused by name" "$out" \
	"(memory=heap,node=4095): no such NUMA node on this machine"

# ---- bad choices ---------------------------------------------------------------
out=$("$launch" --memory hugtlb $src ! fakesink 2>&1)
[[ $? == 2 ]] && pass "an unknown kind is a usage error" || fail "hugtlb: $out"
expect "it names the word and the kinds" "$out" \
	"unknown memory kind 'hugtlb' (one of auto, heap, thp, memfd, hugetlb, hugetlb-1g, file:DIR)"
out=$("$launch" --memory file:relative $src ! fakesink 2>&1)
expect "file: needs an absolute directory" "$out" "must be an absolute path"
out=$("$launch" --memory hugetlb,fast $src ! fakesink 2>&1)
expect "an unknown option is named" "$out" "unknown memory option 'fast'"
out=$("$launch" $src memroy=heap ! fakesink 2>&1)
expect "a misspelt memory= is suggested" "$out" "did you mean 'memory'?"
out=$("$launch" $src memory=big ! fakesink 2>&1)
expect "memory= errors name the element" "$out" \
	"property 'memory' of fakesrc0: unknown memory kind 'big'"
out=$("$launch" --memory "file:$tmp/nope" $src ! fakesink 2>&1)
expect "a missing directory is named with the pool" "$out" \
	"cannot create pool fakesrc0.pool (1024 x 64 KiB = 64.0 MiB) in file $tmp/nope/"

verdict memory
