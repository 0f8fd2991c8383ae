# The observers count what the kernel's tracepoints saw and what the
# workload did: pinned pages known in advance, bounces by the kernel and by
# a policy, pass-throughs, per cgroup, two writers at once; the histograms
# hold one sample per bio.  Every document is valid pinbounce/1.
. "$PB_REPO/tests/vm/lib.sh"

both_disks 64
cleanup "$PB detach"
ROUNDS=3
PAGES=16

# devno DISK: the device as the tracepoints print it, "MAJ,MIN".
devno() { tr ':' ',' < "/sys/class/block/$1/dev"; }

# start CMD...: run pinbounce CMD -j until stop, its output in $WORK/CMD.json.
start() {
	"$PB" -j "$@" > "$WORK/$1.json" 2> "$WORK/$1.err" &
	pids+=($!)
}

stop_all() {
	local p
	kill -TERM "${pids[@]}"
	for p in "${pids[@]}"; do
		wait "$p" || fail "pinbounce exited with $? ($(cat "$WORK"/*.err))"
	done
}

# total DISK FIELD [DECIDER]: a counter of DISK from the stats report.
total() {
	json "next((d['total']['$2']$([ -n "${3:-}" ] && echo "['$3']") for d in j['devices'] if d['device'] == '$1'), 0)" < "$WORK/stats.json"
}

# hcount DISK KIND: samples in DISK's histogram KIND from the hist report.
hcount() {
	json "next((d['histograms']['$2']['count'] for d in j['devices'] if d['device'] == '$1'), 0)" < "$WORK/hist.json"
}

# cg_total DISK CGROUP FIELD: a counter of DISK's row for CGROUP.
cg_total() {
	json "sum(c['total']['$3'] for d in j['devices'] if d['device'] == '$1' for c in d['cgroups'] if c['cgroup'] == '$2')" < "$WORK/stats.json"
}

# Writeback is charged to the cgroup that dirtied the pages: a writer in each.
mkdir -p /sys/fs/cgroup/obs/a /sys/fs/cgroup/obs/b
cleanup "rmdir /sys/fs/cgroup/obs/a /sys/fs/cgroup/obs/b /sys/fs/cgroup/obs"
for cg in "" obs; do
	echo "+memory +io" > "/sys/fs/cgroup/$cg/cgroup.subtree_control"
done

"$PB" -j policy load - <<< "rule nb dev $nb action bounce" > /dev/null
pids=()
start stats
start hist
wait_observers 2 "${pids[@]}"
PB_TRACE_MORE=block_bio_queue
trace_start
in_cgroup obs/a "$BIN/pinwrite" -p $PAGES -r $ROUNDS "/dev/$sd" > /dev/null &
a=$!
in_cgroup obs/b "$BIN/pinwrite" -p $PAGES -r $ROUNDS "/dev/$nb" > /dev/null &
b=$!
wait $a
wait $b
sync
sleep 1	# the last completions
trace_stop
stop_all
cat "$WORK/stats.json" "$WORK/hist.json"

for disk in "$sd" "$nb"; do
	d=$(devno "$disk")
	n=$(decisions "^.* $d ")
	expect "$disk: pinned bios = decisions traced" "$n" "$(total "$disk" pinned_bios)"
	expect "$disk: pinned pages = pages pinned x rounds" $((PAGES * ROUNDS)) \
		"$(total "$disk" pinned_pages)"
	expect_gt "$disk: candidate bios" $((n - 1)) "$(total "$disk" candidate_bios)"
	bounced=$(decisions "^.* $d .*action=bounce")
	expect "$disk: bounce histogram: one sample per bounced bio" "$bounced" \
		"$(hcount "$disk" bounce)"
	expect "$disk: bounced-write histogram: one sample per bounced bio" "$bounced" \
		"$(hcount "$disk" write_bounced)"
	# writes, and the empty flushes of fsync (rwbs "FWS")
	writes=$(grep ' block_bio_queue: ' "$WORK/trace" | grep -cE "^.* $d F?W" || true)
	expect "$disk: write histograms: one sample per write bio queued" "$writes" \
		"$(($(hcount "$disk" write) + $(hcount "$disk" write_bounced)))"
done
expect "$sd: bounced by the kernel" "$(decisions "^.* $(devno "$sd") .*action=bounce by=default")" \
	"$(total "$sd" bounced_bios kernel)"
expect "$sd: bounced pages" $((PAGES * ROUNDS)) "$(total "$sd" bounced_pages kernel)"
expect "$nb: bounced by the policy" "$(decisions "^.* $(devno "$nb") .*action=bounce by=prog")" \
	"$(total "$nb" bounced_bios policy)"
expect "$nb: bounced bytes" $((PAGES * ROUNDS * 4096)) "$(total "$nb" bounced_bytes policy)"
expect "$nb: passed through" 0 "$(total "$nb" passthrough_bios kernel)"
expect "$sd: pinned pages of cgroup /obs/a" $((PAGES * ROUNDS)) \
	"$(cg_total "$sd" /obs/a pinned_pages)"
expect "$nb: pinned pages of cgroup /obs/b" $((PAGES * ROUNDS)) \
	"$(cg_total "$nb" /obs/b pinned_pages)"
expect "$sd: pinned pages of cgroup /obs/b" 0 "$(cg_total "$sd" /obs/b pinned_pages)"
expect "updates dropped" 0 "$(json 'sum(j["dropped_updates"].values())' < "$WORK/stats.json")"
python3 "$REPO/tests/schema-check.py" --command stats "$WORK/stats.json" ||
	fail "stats -j is not valid pinbounce/1"
python3 "$REPO/tests/schema-check.py" --command hist "$WORK/hist.json" ||
	fail "hist -j is not valid pinbounce/1"
echo "ok: stats -j and hist -j are valid pinbounce/1"

# The text view: biolatency's layout, a histogram a kind, with its summary.
"$PB" hist -d "$sd" > "$WORK/hist.txt" 2>&1 &
pids=($!)
wait_observers 1 "${pids[@]}"
"$BIN/pinwrite" -p $PAGES -r $ROUNDS "/dev/$sd" > /dev/null
stop_all
cat "$WORK/hist.txt"
for what in "$sd: bounce (allocation and copy), per bio" "usecs               : count" \
	"count $((PAGES * ROUNDS)), mean"; do
	grep -qF "$what" "$WORK/hist.txt" || fail "hist: no '$what' in its text"
done
grep -q "$nb" "$WORK/hist.txt" && fail "hist -d $sd shows $nb"
echo "ok: hist -d $sd: text histograms"

# Writers on one CPU, preempting each other inside the policy program:
# every pinned bio of the policy's disk is still decided by the policy,
# none skipped by the trampoline's recursion guard (kernel-patch/0006).
trace_start
for i in 1 2 3; do
	taskset -c 0 "$BIN/pinwrite" -p 4 -t "${PB_PREEMPT_SECONDS:-6}" "/dev/$nb" > /dev/null &
	pids[i]=$!
done
wait "${pids[@]}"
trace_stop
misses=$(bpftool prog show name pb_policy | sed -n 's/.*recursion_misses \([0-9]*\).*/\1/p')
expect "policy program: recursion misses" 0 "${misses:-0}"
expect_gt "$nb: decisions by the policy, 3 writers" 0 \
	"$(decisions "^.* $(devno "$nb") .*by=prog")"
expect "$nb: decisions left to the kernel, 3 writers" 0 \
	"$(decisions "^.* $(devno "$nb") .*by=default")"
