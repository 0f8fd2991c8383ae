# The observers count what the kernel's tracepoint saw and what the workload
# did: pinned pages known in advance, bounces by the kernel and by a policy,
# pass-throughs, two writers at once.
. "$PB_REPO/tests/vm/lib.sh"

both_disks 64
cleanup "$PB detach"
ROUNDS=3
PAGES=16

# devno DISK: the device as the tracepoint prints it, "MAJ,MIN".
devno() { tr ':' ',' < "/sys/class/block/$1/dev"; }

start_stats() {
	"$PB" -j stats > "$WORK/stats.json" 2> "$WORK/stats.err" &
	stats_pid=$!
	for ((i = 0; i < 300; i++)); do
		bpftool prog show name pb_decided > /dev/null 2>&1 && return 0
		kill -0 "$stats_pid" 2> /dev/null || break
		sleep 0.1
	done
	cat "$WORK/stats.json" "$WORK/stats.err"
	fail "the observers did not attach"
}

stop_stats() {
	kill -TERM "$stats_pid"
	wait "$stats_pid" || fail "pinbounce stats exited with $?"
}

# total DISK FIELD [DECIDER]: a counter of DISK from the stats report.
total() {
	json "next((d['total']['$2']$([ -n "${3:-}" ] && echo "['$3']") for d in j['devices'] if d['device'] == '$1'), 0)" < "$WORK/stats.json"
}

"$PB" -j policy load - <<< "rule nb dev $nb action bounce" > /dev/null
start_stats
trace_start
"$BIN/pinwrite" -p $PAGES -r $ROUNDS "/dev/$sd" > /dev/null &
a=$!
"$BIN/pinwrite" -p $PAGES -r $ROUNDS "/dev/$nb" > /dev/null &
b=$!
wait $a
wait $b
trace_stop
stop_stats
cat "$WORK/stats.json"

for disk in "$sd" "$nb"; do
	d=$(devno "$disk")
	n=$(decisions "^.* $d ")
	expect "$disk: pinned bios = decisions traced" "$n" "$(total "$disk" pinned_bios)"
	expect "$disk: pinned pages = pages pinned x rounds" $((PAGES * ROUNDS)) \
		"$(total "$disk" pinned_pages)"
	expect_gt "$disk: candidate bios" $((n - 1)) "$(total "$disk" candidate_bios)"
done
expect "$sd: bounced by the kernel" "$(decisions "^.* $(devno "$sd") .*action=bounce by=default")" \
	"$(total "$sd" bounced_bios kernel)"
expect "$sd: bounced pages" $((PAGES * ROUNDS)) "$(total "$sd" bounced_pages kernel)"
expect "$nb: bounced by the policy" "$(decisions "^.* $(devno "$nb") .*action=bounce by=prog")" \
	"$(total "$nb" bounced_bios policy)"
expect "$nb: bounced bytes" $((PAGES * ROUNDS * 4096)) "$(total "$nb" bounced_bytes policy)"
expect "$nb: passed through" 0 "$(total "$nb" passthrough_bios kernel)"
