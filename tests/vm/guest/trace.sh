# pinbounce trace as a CI gate: it runs the command under the observers,
# its figures match the workload, and its exit status tells a passing run
# from a failed expectation and from a failed command.  Its report is
# valid pinbounce/1 and says what failed.
. "$PB_REPO/tests/vm/lib.sh"

both_disks 64
cleanup "$PB detach"
PAGES=16
ROUNDS=3

# run STATUS REPORT TRACE-ARGS...: pinbounce trace, expecting STATUS.
run() {
	local want=$1 report=$2 status=0
	shift 2
	rm -f "$report"
	"$PB" trace --json "$report" "$@" > "$WORK/out" 2> "$WORK/err" || status=$?
	cat "$WORK/err"
	[ "$status" = "$want" ] || fail "trace $*: exit status $status, expected $want"
	python3 "$REPO/tests/schema-check.py" --command trace "$report" ||
		fail "trace $*: the report is not valid pinbounce/1"
	echo "ok: trace $*: status $status, report valid"
}

# metric REPORT NAME
metric() { json "j['metrics']['$2']" < "$1"; }

writer=("$BIN/pinwrite" -p $PAGES -r $ROUNDS "/dev/$sd")

# Passing: the kernel bounces the stable-write disk's pinned pages.
run 0 "$WORK/pass.json" -d "$sd" --expect "pinned_pages == $((PAGES * ROUNDS))" \
	--expect "bounced_pages_kernel == $((PAGES * ROUNDS))" --expect 'passthrough_bios == 0' \
	--expect 'bounce_p99_us < 1000000' --expect 'write_bounced_count >= 1' -- "${writer[@]}"
grep -q '^pinwrite: rounds=3 ' "$WORK/out" || fail "the command's output did not reach stdout"
expect "report: result" pass "$(json "j['result']" < "$WORK/pass.json")"
expect "report: bounced pages" $((PAGES * ROUNDS)) "$(metric "$WORK/pass.json" bounced_pages)"
expect "report: bounce samples = bounced bios" "$(metric "$WORK/pass.json" bounced_bios)" \
	"$(metric "$WORK/pass.json" bounce_count)"
expect "report: expectations passed" 5 \
	"$(json "sum(e['passed'] for e in j['expectations'])" < "$WORK/pass.json")"

# Failing expectation: status 124, named with the value seen.
run 124 "$WORK/expect.json" -d "$sd" --expect 'pinned_pages > 0' --expect 'bounced_pages == 0' \
	-- "${writer[@]}"
grep -q "expectation failed: bounced_pages == 0 (bounced_pages is $((PAGES * ROUNDS)))" \
	"$WORK/err" || fail "the failed expectation is not named with its value"
expect "report: result" expectation_failed "$(json "j['result']" < "$WORK/expect.json")"
expect "report: the failed one" "bounced_pages == 0" \
	"$(json "[e['expect'] for e in j['expectations'] if not e['passed']][0]" < "$WORK/expect.json")"

# A policy decides: passthrough on the stable-write disk.
"$PB" -j policy load - <<< "rule keep dev $sd action passthrough" > /dev/null
run 0 "$WORK/policy.json" -d "$sd" --expect 'bounced_pages == 0' \
	--expect "passthrough_pages_policy == $((PAGES * ROUNDS))" -- "${writer[@]}"
"$PB" policy clear

# -d: the other disk saw nothing of it.
run 124 "$WORK/other.json" -d "$nb" --expect 'pinned_bios > 0' -- "${writer[@]}"
expect "-d $nb: pinned pages" 0 "$(metric "$WORK/other.json" pinned_pages)"

# Failing command: its status, even when the expectations hold; killed: 128+N.
run 4 "$WORK/cmd.json" --expect 'pinned_bios == 0' -- sh -c 'exit 4'
expect "report: result" command_failed "$(json "j['result']" < "$WORK/cmd.json")"
expect "report: exit status" 4 "$(json "j['exit_status']" < "$WORK/cmd.json")"
run 137 "$WORK/kill.json" -- sh -c 'kill -KILL $$'
expect "report: signal" 9 "$(json "j['signal']" < "$WORK/kill.json")"

# -d a whole disk counts what is written to its partitions; -d a partition
# counts only itself.  Bios carry the partition's device number.
echo ',32M' | sfdisk -q "/dev/$sd" > /dev/null
for ((i = 0; i < 50; i++)); do [ -b "/dev/${sd}1" ] && break; sleep 0.1; done
part_writer=("$BIN/pinwrite" -p $PAGES -r $ROUNDS "/dev/${sd}1")
run 0 "$WORK/disk.json" -d "$sd" --expect "pinned_pages == $((PAGES * ROUNDS))" \
	-- "${part_writer[@]}"
expect "-d $sd: the partition's device listed" "${sd}1" \
	"$(json "' '.join(d['device'] for d in j['devices'])" < "$WORK/disk.json")"
run 0 "$WORK/part.json" -d "${sd}1" --expect "pinned_pages == $((PAGES * ROUNDS))" \
	-- "${part_writer[@]}"
run 124 "$WORK/other-part.json" -d "$nb" --expect 'pinned_pages > 0' -- "${part_writer[@]}"

# --cgroup: only the writes charged to trace's own cgroup (writeback is
# charged to the cgroup that dirtied the pages, an inode to one cgroup at a
# time: null_blk's, written first from tcg/mine), not those of a writer
# elsewhere (on sda, whose inode the root cgroup's writes own) at the same
# time; histograms, kept by disk, unavailable.
mkdir -p /sys/fs/cgroup/tcg/mine /sys/fs/cgroup/tcg/other
cleanup "rmdir /sys/fs/cgroup/tcg/mine /sys/fs/cgroup/tcg/other /sys/fs/cgroup/tcg"
for cg in "" tcg; do
	echo "+memory +io" > "/sys/fs/cgroup/$cg/cgroup.subtree_control"
done
# (not in_cgroup in the background: $! would be the subshell, not pinwrite)
bash -c 'echo $$ > /sys/fs/cgroup/tcg/other/cgroup.procs && exec "$@"' sh \
	"$BIN/pinwrite" -p $PAGES -r 400 "/dev/$sd" > /dev/null &
other=$!
cleanup "kill $other 2> /dev/null || true"
sleep 1
status=0
in_cgroup tcg/mine "$PB" trace --cgroup --json "$WORK/cg.json" \
	--expect "pinned_pages == $((PAGES * ROUNDS))" -- \
	"$BIN/pinwrite" -p $PAGES -r $ROUNDS "/dev/$nb" > "$WORK/out" 2> "$WORK/err" || status=$?
kill -0 "$other" 2> /dev/null || fail "--cgroup: the other writer was not writing all along"
kill "$other"
wait "$other" 2> /dev/null || true
cat "$WORK/err"
[ "$status" = 0 ] || fail "trace --cgroup: exit status $status, expected 0"
python3 "$REPO/tests/schema-check.py" --command trace "$WORK/cg.json" ||
	fail "trace --cgroup: the report is not valid pinbounce/1"
expect "--cgroup: the cgroup counted" /tcg/mine "$(json "j['cgroup']['path']" < "$WORK/cg.json")"
expect "--cgroup: only its own pinned pages, $nb's" "$nb" \
	"$(json "' '.join(d['device'] for d in j['devices'] if d['total']['pinned_pages'])" \
	   < "$WORK/cg.json")"
expect "--cgroup: histograms unavailable" None "$(metric "$WORK/cg.json" write_count)"
status=0
"$PB" trace --cgroup -- true > /dev/null 2> "$WORK/err" || status=$?
expect "--cgroup from the root cgroup: refused, status 125" 125 "$status"
grep -q "cannot be told apart from the machine's" "$WORK/err" ||
	fail "--cgroup from the root cgroup: $(cat "$WORK/err")"

# The observers are gone afterwards.
if bpftool prog show name pb_decided > /dev/null 2>&1 &&
   [ -n "$(bpftool prog show name pb_decided)" ]; then
	fail "trace left its observers attached"
fi
echo "ok: nothing left attached"
