# pinbounce export: /metrics is valid for promtool, and says what the
# kernel's tracepoint saw and the workload did: pinned pages known in
# advance, bounces by a policy rule on one disk and by the kernel on the
# other, bounce-time histograms with one sample per bounced bio, the
# policy's generation and rule hits, the BPF programs' runs.  Then a real
# Prometheus scrapes it and answers queries on it.  The text file too.
. "$PB_REPO/tests/vm/lib.sh"

both_disks 64
cleanup "$PB detach"
ROUNDS=3
PAGES=16
PORT=9435
URL=http://127.0.0.1:$PORT
PROM=http://127.0.0.1:9090
M=$WORK/metrics

# devno DISK: the device as the tracepoint prints it, "MAJ,MIN".
devno() { tr ':' ',' < "/sys/class/block/$1/dev"; }

# msum NAME [LABEL=VALUE]...: the sum of NAME's samples in $M that have all
# these labels, "absent" when there is none.
msum() {
	local name=$1
	shift
	awk -v name="$name" -v want="$*" '
		BEGIN { n = split(want, w, " ") }
		/^#/ { next }
		{
			s = $1
			sub(/\{.*/, "", s)
			if (s != name)
				next
			for (i = 1; i <= n; i++) {
				eq = index(w[i], "=")
				if (!index($1, substr(w[i], 1, eq - 1) "=\"" substr(w[i], eq + 1) "\""))
					next
			}
			t += $2
			found = 1
		}
		END { if (found) printf "%.0f\n", t; else print "absent" }' "$M"
}

# deadline SECONDS: for until_deadline.
deadline() { end=$(($(date +%s) + $1)); }
before_deadline() { [ "$(date +%s)" -lt "$end" ]; }

# Writeback is charged to the cgroup that dirtied the pages.
mkdir -p /sys/fs/cgroup/pbexport
cleanup "rmdir /sys/fs/cgroup/pbexport"
echo "+memory +io" > /sys/fs/cgroup/cgroup.subtree_control

"$PB" -j policy load - <<< "rule nb dev $nb action bounce" > /dev/null
generation=$("$PB" -j status | json 'j["generation"]')

"$PB" export --listen 127.0.0.1:$PORT > "$WORK/export.out" 2> "$WORK/export.err" &
exporter=$!
cleanup "kill -TERM $exporter 2> /dev/null && wait $exporter"
deadline 120
until curl -sf -o /dev/null "$URL/metrics"; do
	kill -0 "$exporter" 2> /dev/null || fail "the exporter died: $(cat "$WORK/export.err")"
	before_deadline || fail "the exporter did not answer in 120 s"
	sleep 0.5
done
echo "ok: the exporter answers on $URL"

trace_start
in_cgroup pbexport "$BIN/pinwrite" -p $PAGES -r $ROUNDS "/dev/$sd" > /dev/null &
a=$!
in_cgroup pbexport "$BIN/pinwrite" -p $PAGES -r $ROUNDS "/dev/$nb" > /dev/null &
b=$!
wait $a
wait $b
sync
sleep 1	# the last completions
trace_stop

curl -s -D "$WORK/headers" -o "$M" "$URL/metrics"
echo "---- $URL/metrics (begin) ----"
cat "$M"
echo "---- $URL/metrics (end) ----"
grep -qi '^content-type: text/plain; version=0.0.4; charset=utf-8' "$WORK/headers" ||
	fail "content type: $(grep -i '^content-type' "$WORK/headers")"
echo "ok: content type text/plain; version=0.0.4"
if ! out=$(promtool check metrics < "$M" 2>&1) || [ -n "$out" ]; then
	fail "promtool check metrics: $out"
fi
echo "ok: promtool check metrics: no problem"

for s in counters bounce write_bounced write; do
	expect "series $s available" 1 "$(msum pinbounce_series_available series=$s)"
done
for disk in "$sd" "$nb"; do
	d=$(devno "$disk")
	n=$(decisions "^.* $d ")
	bounced=$(decisions "^.* $d .*action=bounce")
	expect "$disk: pinned bios = decisions traced" "$n" \
		"$(msum pinbounce_pinned_bios_total device="$disk")"
	expect "$disk: pinned pages = pages x rounds" $((PAGES * ROUNDS)) \
		"$(msum pinbounce_pinned_pages_total device="$disk")"
	expect "$disk: pinned pages of cgroup /pbexport" $((PAGES * ROUNDS)) \
		"$(msum pinbounce_pinned_pages_total device="$disk" cgroup=/pbexport)"
	expect_gt "$disk: candidate bios" $((n - 1)) \
		"$(msum pinbounce_candidate_bios_total device="$disk")"
	expect "$disk: bounce duration _count = bounced bios traced" "$bounced" \
		"$(msum pinbounce_bounce_duration_seconds_count device="$disk")"
	expect "$disk: bounce duration +Inf bucket = _count" "$bounced" \
		"$(msum pinbounce_bounce_duration_seconds_bucket device="$disk" le=+Inf)"
	expect "$disk: bounced write latency _count = bounced bios traced" "$bounced" \
		"$(msum pinbounce_write_latency_seconds_count device="$disk" bounced=true)"
	expect_gt "$disk: other writes timed" 0 \
		"$(msum pinbounce_write_latency_seconds_count device="$disk" bounced=false)"
done
expect "$sd: bounced bios, decided by the kernel" \
	"$(decisions "^.* $(devno "$sd") .*action=bounce by=default")" \
	"$(msum pinbounce_bounced_bios_total device="$sd" decided_by=kernel)"
expect "$sd: bounced pages, decided by the kernel" $((PAGES * ROUNDS)) \
	"$(msum pinbounce_bounced_pages_total device="$sd" decided_by=kernel)"
expect "$sd: bounced pages, decided by the policy" 0 \
	"$(msum pinbounce_bounced_pages_total device="$sd" decided_by=policy)"
expect "$nb: bounced bios, decided by the policy" \
	"$(decisions "^.* $(devno "$nb") .*action=bounce by=prog")" \
	"$(msum pinbounce_bounced_bios_total device="$nb" decided_by=policy)"
expect "$nb: bounced pages, decided by the policy" $((PAGES * ROUNDS)) \
	"$(msum pinbounce_bounced_pages_total device="$nb" decided_by=policy)"
expect "$nb: bounced bytes, decided by the policy" $((PAGES * ROUNDS * 4096)) \
	"$(msum pinbounce_bounced_bytes_total device="$nb" decided_by=policy)"
expect "$nb: bounced pages, decided by the kernel" 0 \
	"$(msum pinbounce_bounced_pages_total device="$nb" decided_by=kernel)"
expect "$nb: passed through" 0 "$(msum pinbounce_passthrough_bios_total device="$nb")"

expect "policy attached" 1 "$(msum pinbounce_policy_attached)"
expect "policy generation = status" "$generation" "$(msum pinbounce_policy_generation)"
expect "rule nb: bounce hits = decisions by the policy" \
	"$(decisions "^.* $(devno "$nb") .*by=prog")" \
	"$(msum pinbounce_policy_rule_hits_total rule=nb action=bounce)"
expect "unmatched bios, left to the kernel = decisions on $sd" \
	"$(decisions "^.* $(devno "$sd") ")" \
	"$(msum pinbounce_policy_unmatched_total action=default)"
# The observers this kernel runs, and the policy program; the census's
# sweep has run counters but is run, not attached.
progs=$(grep '^pinbounce_bpf_program_runs_total{' "$M" | grep -vc 'program="pb_pins_sweep"' || true)
expect "programs attached = programs with run counters but the sweep" "$progs" \
	"$(msum pinbounce_bpf_programs_attached)"
for p in pb_decided pb_write_done pb_policy; do
	grep -q "^pinbounce_bpf_program_runs_total{program=\"$p\"}" "$M" || fail "no counters of $p"
	echo "ok: program $p listed"
done
expect "BPF statistics enabled" 1 "$(msum pinbounce_bpf_stats_enabled)"
expect_gt "pb_decided runs >= decisions" $(($(decisions) - 1)) \
	"$(msum pinbounce_bpf_program_runs_total program=pb_decided)"
expect_gt "pb_policy runs >= decisions" $(($(decisions) - 1)) \
	"$(msum pinbounce_bpf_program_runs_total program=pb_policy)"
expect "updates dropped" 0 "$(msum pinbounce_observer_dropped_updates_total)"
grep -q '^pinbounce_build_info{version="[^"]*",libbpf="v[0-9.]*"} 1$' "$M" ||
	fail "no pinbounce_build_info"
echo "ok: pinbounce_build_info"

# A real Prometheus scrapes the exporter every 2 seconds: a scrape takes
# up to half a second on the debug kernel (KASAN, under TCG), and one that
# times out leaves the series stale at the instant queried.
cat > "$WORK/prometheus.yml" <<YAML
global:
  scrape_interval: 2s
  scrape_timeout: 2s
scrape_configs:
  - job_name: pinbounce
    static_configs:
      - targets: ['127.0.0.1:$PORT']
YAML
promtool check config "$WORK/prometheus.yml" > /dev/null || fail "promtool check config"
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prom" \
	--web.listen-address=127.0.0.1:9090 > "$WORK/prometheus.log" 2>&1 &
prom=$!
cleanup "kill -KILL $prom 2> /dev/null"
cleanup "kill -TERM $prom 2> /dev/null && sleep 2"
deadline 150
until curl -sf -o /dev/null "$PROM/-/ready"; do
	kill -0 "$prom" 2> /dev/null || fail "prometheus died: $(tail -n 20 "$WORK/prometheus.log")"
	before_deadline || fail "prometheus not ready in 150 s: $(tail -n 20 "$WORK/prometheus.log")"
	sleep 1
done
echo "ok: prometheus is ready"

# query PROMQL: the result vector of the instant query, as JSON; "error"
# when Prometheus has no answer.
query() {
	curl -sf -G "$PROM/api/v1/query" --data-urlencode "query=$1" 2> /dev/null |
		json 'json.dumps(j["data"]["result"])' 2> /dev/null || echo error
}

# value PROMQL: the value of the only series of the query, "none" when
# there is not exactly one.
value() {
	local r
	r=$(query "$1")
	[ "$r" != error ] || { echo error; return; }
	echo "$r" | json 'j[0]["value"][1] if len(j) == 1 else "none"'
}

# Two scrapes at least, then the series are there.
deadline 120
until [ "$(value 'sum(count_over_time(up{job="pinbounce"}[5m]))')" -ge 2 ] 2> /dev/null; do
	before_deadline || fail "prometheus scraped less than twice in 120 s"
	sleep 2
done
expect "prometheus: target up" 1 "$(value 'up{job="pinbounce"}')"
for disk in "$sd" "$nb"; do
	expect "prometheus: $disk pinned pages" $((PAGES * ROUNDS)) \
		"$(value "sum(pinbounce_pinned_pages_total{device=\"$disk\"})")"
done
expect "prometheus: $nb bounced pages by the policy" $((PAGES * ROUNDS)) \
	"$(value "pinbounce_bounced_pages_total{device=\"$nb\",decided_by=\"policy\",cgroup=\"/pbexport\"}")"
expect "prometheus: $sd bounced pages by the kernel" $((PAGES * ROUNDS)) \
	"$(value "pinbounce_bounced_pages_total{device=\"$sd\",decided_by=\"kernel\",cgroup=\"/pbexport\"}")"
expect "prometheus: rule nb hits" "$(msum pinbounce_policy_rule_hits_total rule=nb action=bounce)" \
	"$(value 'pinbounce_policy_rule_hits_total{rule="nb",action="bounce"}')"
query 'pinbounce_pinned_pages_total' | json 'json.dumps(j, indent=1)'
for disk in "$sd" "$nb"; do
	p50=$(value "histogram_quantile(0.5, pinbounce_bounce_duration_seconds_bucket{device=\"$disk\"})")
	python3 -c "import math, sys; v = float(sys.argv[1]); sys.exit(not (v > 0 and math.isfinite(v)))" \
		"$p50" 2> /dev/null || fail "prometheus: $disk: bounce p50 is not a number: $p50"
	echo "ok: prometheus: $disk: histogram_quantile(0.5, bounce duration) = $p50 s"
done
p99=$(value "histogram_quantile(0.99, sum by (le) (pinbounce_write_latency_seconds_bucket{device=\"$nb\"}))")
python3 -c "import math, sys; v = float(sys.argv[1]); sys.exit(not (v > 0 and math.isfinite(v)))" \
	"$p99" 2> /dev/null || fail "prometheus: $nb: write p99 is not a number: $p99"
echo "ok: prometheus: $nb: p99 write latency, bounced or not = $p99 s"

# The Grafana dashboard: pinned writes again while Prometheus scrapes, then
# every panel's query (its variables: all instances, a 10 minute rate
# window) returns series, and at least one number (a rate or quantile of
# nothing is NaN).
in_cgroup pbexport "$BIN/pinwrite" -p $PAGES -r $ROUNDS "/dev/$sd" > /dev/null &
a=$!
in_cgroup pbexport "$BIN/pinwrite" -p $PAGES -r $ROUNDS "/dev/$nb" > /dev/null &
b=$!
wait $a
wait $b
sync
sleep 5	# two scrapes after the last completions
n=0
while IFS= read -r q; do
	r=$(query "$q")
	n=$((n + 1))
	echo "$r" | python3 -c 'import json, math, sys
r = json.load(sys.stdin)
sys.exit(not (r and any(math.isfinite(float(s["value"][1])) for s in r)))' 2> /dev/null ||
		fail "dashboard: no data for $q: $r"
	echo "ok: dashboard: $q: $(echo "$r" | json 'len(j)') series"
done < <(python3 -c 'import json, sys
for p in json.load(open(sys.argv[1]))["panels"]:
    for t in p["targets"]:
        print(t["expr"].replace("$instance", ".*").replace("$__rate_interval", "10m"))' \
	"$REPO/dist/grafana/pinbounce.json")
[ "$n" -ge 10 ] || fail "dashboard: only $n queries"
kill -TERM "$prom"
wait "$prom" || true

# The text file, for node_exporter: written whole, nothing left behind.
"$PB" export --textfile "$WORK/pinbounce.prom" --once 2> "$WORK/once.err" ||
	fail "export --textfile --once: $(cat "$WORK/once.err")"
if ! out=$(promtool check metrics < "$WORK/pinbounce.prom" 2>&1) || [ -n "$out" ]; then
	fail "promtool check metrics, text file: $out"
fi
M=$WORK/pinbounce.prom
expect "text file: policy generation" "$generation" "$(msum pinbounce_policy_generation)"
expect "text file: no process_ metrics" 0 "$(grep -c '^process_' "$M" || true)"
expect "text file: no temporary file left" 0 \
	"$(find "$WORK" -name 'pinbounce.prom.tmp.*' | wc -l)"

kill -TERM "$exporter"
status=0
wait "$exporter" || status=$?
expect "exporter: exit status after SIGTERM" 0 "$status"
if grep -qE 'Sanitizer|runtime error:|^Error:' "$WORK/export.err"; then
	cat "$WORK/export.err"
	fail "exporter: errors on stderr"
fi
echo "ok: exporter: nothing on stderr but its notes"
left=1
for ((i = 0; i < 50 && left; i++)); do
	left=$(bpftool prog show name pb_write_done 2> /dev/null | grep -c '^[0-9]' || true)
	[ "$left" = 0 ] || sleep 0.1
done
expect "observers left attached after the exporter exited" 0 "$left"
