#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# px-launch --metrics: during a run, curl's GET /metrics parses with the
# Prometheus client library's own parser (Debian python3-prometheus-client,
# run by /usr/bin/python3), follows the exposition conventions (one HELP
# and TYPE per name, _total counters, histogram buckets ending in +Inf
# equal to _count) and its counters grow between two scrapes; other paths
# and methods get 404 and 405; a bad address is a usage error naming it.
# Waits read what px-launch prints or poll the server, never a sleep.
set -uo pipefail
: "${PX_BUILD_DIR:?}" "${PX_SOURCE_DIR:?}"
launch=$PX_BUILD_DIR/tools/px-launch
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; kill $(jobs -p) 2>/dev/null' EXIT
# shellcheck source=lib_it.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_it.sh"

command -v curl >/dev/null || skip "curl is not installed (.ci/deps installs it)"
"$py" -c 'import prometheus_client.parser' 2>/dev/null ||
	skip "python3-prometheus-client is not installed for $py (.ci/deps installs it)"

# ---- a bad address ------------------------------------------------------------
out=$("$launch" --metrics nowhere fakesrc num-buffers=1 ! fakesink 2>&1)
rc=$?
[[ $rc == 2 ]] && pass "--metrics without a port: usage error" ||
	fail "--metrics nowhere: exit $rc: $out"
expect "... naming the address" "$out" "--metrics nowhere:"

# ---- a running pipeline --------------------------------------------------------
# An endless source at 5,000 buffers/s across a queue, every buffer stamped.
export PX_LATENCY=sinks/1
SRC_READY="metrics at http://" start_src --metrics 127.0.0.1:0 \
	fakesrc num-buffers=-1 rate=5000 name=src ! queue name=q ! \
	fakesink name=sink
url=${SRC_LINE##*metrics at }
[[ $url == http://127.0.0.1:*/metrics ]] && pass "px-launch says where: $url" ||
	{ fail "no metrics URL: $(cat "$tmp/src.log")"; verdict metrics; }

# The value of the series NAME{...LABELS...} in file F.
value() {
	sed -n "s/^$2{\\(.*\\)$3\\(.*\\)} \\([0-9.e+-]*\\)\$/\\3/p" "$1" | head -1
}

# Scrape until the sink has buffers and a latency sample: the source needs
# its first ticks (polling the server is the wait; bounded).
for ((i = 0; i < 2000; i++)); do
	curl -sf "$url" -o "$tmp/m1" || break
	n=$(value "$tmp/m1" px_latency_seconds_count 'element="sink"')
	[[ -n $n && $n != 0 ]] && break
done
head1=$(curl -sfI "$url")
expect "200 with the exposition's content type" "$head1" \
	"Content-Type: text/plain; version=0.0.4"

cat >"$tmp/check.py" <<'EOF'
import sys
from prometheus_client.parser import text_string_to_metric_families

text = open(sys.argv[1]).read()
types = {}
for line in text.splitlines():
    if line.startswith("# TYPE "):
        _, _, name, kind = line.split(" ", 3)
        if name in types:
            sys.exit("TYPE given twice for " + name)
        types[name] = kind
fams = {f.name: f for f in text_string_to_metric_families(text)}
need = {"px_pad_buffers": "counter", "px_pad_bytes": "counter",
        "px_element_work_calls": "counter", "px_link_level_items": "gauge",
        "px_pool_loans": "counter", "px_reactor_loop_turns": "counter",
        "px_reactor_sleep_seconds": "counter",
        "px_pipeline_cross_node_links": "gauge",
        "px_latency_seconds": "histogram"}
for name, kind in need.items():
    if name not in fams:
        sys.exit("missing family " + name)
    if fams[name].type != kind:
        sys.exit("%s is %s, not %s" % (name, fams[name].type, kind))
for name, kind in types.items():
    if kind == "counter" and not name.endswith("_total"):
        sys.exit("counter without _total: " + name)
sink = {}
for s in fams["px_latency_seconds"].samples:
    if s.labels.get("element") != "sink":
        continue
    sink.setdefault(s.name, []).append(s)
buckets = sink["px_latency_seconds_bucket"]
if buckets[-1].labels["le"] != "+Inf":
    sys.exit("last bucket is not +Inf")
counts = [b.value for b in buckets]
if counts != sorted(counts):
    sys.exit("buckets are not cumulative")
if counts[-1] != sink["px_latency_seconds_count"][0].value:
    sys.exit("+Inf bucket %s != _count %s" %
             (counts[-1], sink["px_latency_seconds_count"][0].value))
if counts[-1] <= 0:
    sys.exit("no latency samples")
for s in fams["px_pad_buffers"].samples:
    if s.labels["pipeline"] == "" or s.labels["element"] == "":
        sys.exit("series without labels: %s" % (s,))
print("parsed %d families" % len(fams))
EOF
out=$("$py" "$tmp/check.py" "$tmp/m1" 2>&1) && pass "prometheus_client parses it: $out" ||
	fail "exposition check: $out"

# Counters grow: scrape until the sink's buffer count moved on (bounded).
b1=$(value "$tmp/m1" px_pad_buffers_total 'element="sink",pad="sink"')
b2=$b1
for ((i = 0; i < 2000 && b2 == b1; i++)); do
	curl -sf "$url" -o "$tmp/m2" || break
	b2=$(value "$tmp/m2" px_pad_buffers_total 'element="sink",pad="sink"')
done
[[ -n $b1 && -n $b2 ]] && ((b2 > b1)) &&
	pass "the sink's buffer counter grows ($b1 -> $b2)" ||
	fail "counter did not grow: '$b1' -> '$b2'"

code=$(curl -s -o /dev/null -w '%{http_code}' "${url%/metrics}/nope")
[[ $code == 404 ]] && pass "another path: 404" || fail "/nope gave $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url")
[[ $code == 405 ]] && pass "POST: 405" || fail "POST gave $code"

kill -TERM "$SRC_PID"
finish_src
[[ $SRC_RC == 0 ]] && pass "SIGTERM ends the run with EOS" ||
	fail "exit $SRC_RC: $SRC_ERR"
curl -s "$url" -o /dev/null && fail "still serving after the run" ||
	pass "the server is gone with px-launch"
verdict metrics
