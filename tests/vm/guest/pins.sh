# Am I exposed?  pinbounce pins (the census of page-cache pages pinned
# for DMA) and the exposure counters (pinned pages written back as they
# were), on the patched kernel and on stock 6.1: make check runs both.
#
# - The census names the process that pinned the fixture's pages, the
#   file, the disk and the page count exactly, and forgets them once they
#   are unpinned; pages pinned before it started join it when they are
#   written back, named by the file and a process that maps it.
# - Exposure: the pages pinwrite pins and writes back on the raw T10-PI
#   disk, counted from the disk's own sector count (/sys/block/X/stat).
#   Stock: every one is exposed.  Patched: the same figure as the
#   pinned-bounce tracepoint, 0 bounced by default, all with pinned pages
#   forced to pass through; and trace --expect exposed_pages==0 fails only
#   when they were.
# - Whole bios: the pinned large folios of a file written back, a bvec
#   spanning several pages (bvecs_get shows it): the census meets every
#   page pinned before it started, and the exposure counters count each
#   once.
. "$PB_REPO/tests/vm/lib.sh"

both_disks 320
if stock_kernel; then
	kernel=stock
else
	kernel=patched
fi
echo "kernel: $kernel"
# Exposure: pinned pages written back to the raw T10-PI disk, against what
# the disk counted written while they were pinned (whole pages: 8 sectors
# each), up to "pinwrite: kept"; unpinned then, re-dirtied by the unpin,
# they are written again as the device is closed, no longer pinned.  MODE:
# default (the kernel's choice) or passthrough (forced by BPF).
exposure() {
	local mode=$1 s0 s1 cmd tr
	cmd=("$BIN/pinwrite" -p 16 -r 3 -K 2 "/dev/$sd")
	[ "$mode" = default ] || cmd=("$REPO/build/pinforce" passthrough -- "${cmd[@]}")
	s0=$(sectors "$sd")
	[ "$kernel" = stock ] || trace_start
	"$PB" trace -d "$sd" --json "$WORK/t.json" --expect 'exposed_pages == 0' -- \
		"${cmd[@]}" > "$WORK/out" 2> "$WORK/trace.err" &
	tr=$!
	wait_kept "$tr" "exposure, $mode"
	s1=$(sectors "$sd")
	rc=0
	wait "$tr" || rc=$?
	[ "$kernel" = stock ] || trace_stop
	written=$(((s1 - s0) / 8))
	exposed=$(json "j['metrics']['exposed_pages']" < "$WORK/t.json")
	pinned_wb=$(json "j['metrics']['pinned_wb_pages']" < "$WORK/t.json")
	echo "exposure, $mode: $written pages written, exposed_pages=$exposed pinned_wb_pages=$pinned_wb, trace exit $rc"
	expect_ge "exposure, $mode: 3 rounds of 16 pinned pages written" 48 "$written"
	expect "exposure, $mode: pinned_wb_pages = exposed_pages on a disk that needs stable writes" \
		"$exposed" "$pinned_wb"
}

if [ "$kernel" = stock ]; then
	exposure default
	expect "exposure, stock: every page written was pinned and exposed" "$written" "$exposed"
	expect "exposure, stock: trace --expect exposed_pages==0 fails" 124 "$rc"
else
	exposure default
	expect "exposure, bounced: none exposed" 0 "$exposed"
	expect "exposure, bounced: trace --expect exposed_pages==0 holds" 0 "$rc"
	expect_gt "exposure, bounced: pages the tracepoint saw bounced" 0 "$(decision_sum bounced)"
	exposure passthrough
	# Each fsync() writes the pinned pages back, then again from a copy
	# (the series' fsync of long-term pinned pages): a copy is not
	# pinned, and not exposed.
	expect "exposure, passed through: every page written back was pinned and exposed, as many again from fsync()'s copy" \
		"$written" $((2 * exposed))
	expect "exposure, passed through: = pinned pages the tracepoint saw (all passed through)" \
		"$(decision_sum pinned)" "$exposed"
	expect "exposure, passed through: every decision a passthrough" "$(decisions)" \
		"$(decisions action=passthrough)"
	expect "exposure, passed through: trace --expect exposed_pages==0 fails" 124 "$rc"
fi

# The census, on a file of XFS on the T10-PI disk.
mkfs.xfs -q -f "/dev/$sd"
mount "/dev/$sd" /run/mnt
cleanup "umount /run/mnt"
make_file /run/mnt/file 16
census_json() { tail -n1 "$WORK/pins.json"; }
# census_pages N: until the JSON census has printed N pages, 30 s at most.
census_pages() {
	local end=$((SECONDS + 30))

	while [ "$SECONDS" -lt "$end" ]; do
		[ "$(census_json | json "j['pages']" 2> /dev/null)" = "$1" ] && return 0
		sleep 0.1
	done
}

# censuses TEXT: two censuses printing every 0.5 s, in JSON into
# $WORK/pins.json (pid $census) and as text into TEXT (pid $text).
censuses() {
	"$PB" -j pins 0.5 > "$WORK/pins.json" 2> "$WORK/pins.err" &
	census=$!
	cleanup "kill $census 2> /dev/null || true"
	"$PB" pins 0.5 > "$1" 2>&1 &
	text=$!
	cleanup "kill $text 2> /dev/null || true"
	# its program on writeback is the last it attaches
	wait_attached pb_pins_queued 2 "$census" "$text"
}

# The census while pinwrite pins and writes back.
censuses "$WORK/pins1.txt"
"$BIN/pinwrite" -p 16 -r 1 -K 60 /run/mnt/file > "$WORK/out" 2>&1 &
pw=$!
cleanup "kill $pw 2> /dev/null || true"
wait_kept "$pw" "census"
census_pages 16
row=$(census_json | json "[(r['pid'], r['comm'], r['pages'], r['longterm'], r['file'], r['device'], r['stable_writes'], r['before_census']) for r in j['pins']]")
expect "census: one row, pinwrite's 16 pages of /run/mnt/file on $sd" \
	"[($pw, 'pinwrite', 16, True, '/run/mnt/file', '$sd', True, False)]" "$row"
expect "census: its cgroup" "$(sed -n 's/^0:://p' "/proc/$pw/cgroup")" \
	"$(census_json | json "j['pins'][0]['cgroup']")"
kill "$text"
wait "$text" 2> /dev/null || true
tail -n4 "$WORK/pins1.txt"
grep -qE "^ +$pw +pinwrite +16 +yes +[0-9.]+s +$sd +yes +/run/mnt/file$" "$WORK/pins1.txt" ||
	fail "pins: no text row for pinwrite's pages"
kill "$pw"
wait "$pw" 2> /dev/null || true
census_pages 0
expect "census: unpinned, gone" 0 "$(census_json | json "j['pages']")"
kill -INT "$census"
wait "$census" || fail "pins: exit status $?: $(cat "$WORK/pins.err")"
expect "census: nothing unavailable" "{}" "$(tail -n1 "$WORK/pins.json" | json "j['unavailable']")"

# A new file of $BIG pages in large folios, which XFS's readahead makes:
# the bvecs of its write back span several pinned pages each, and the
# pages' pin count is their folio's (bvecs_get shows both).
BIG=256
new_file() {
	rm -f /run/mnt/big
	make_file /run/mnt/big "$BIG"
	echo 3 > /proc/sys/vm/drop_caches
	cat /run/mnt/big > /dev/null
}
# whole_bio WHAT: what bvecs_stop counted shows the case: large folios,
# pinned, in bvecs of several pages.
whole_bio() {
	expect_gt "$1: bvecs of a large folio" 0 "$(bvecs_get large)"
	expect_gt "$1: bvecs of several pinned pages" 0 "$(bvecs_get multi_pinned)"
}

# Pinned before the census started: met when written back, owner unknown.
# One write-back must name all $BIG pages, however many of them share a bvec.
before_census() {
	new_file
	"$BIN/pinwrite" -p "$BIG" -H 120 -r 1 -K 60 /run/mnt/big > "$WORK/out" 2>&1 &
	pw=$!
	cleanup "kill $pw 2> /dev/null || true"
	wait_line "$WORK/out" '^pinwrite: holding' "$pw" "pinwrite did not pin"
	censuses "$WORK/pins.txt"
	bvecs_start "$sd"
	kill -USR1 "$pw"	# the hold is over: write back
	wait_kept "$pw" "pinned before the census"
	census_pages "$BIG"
	bvecs_stop
	whole_bio "census: pinned before it started"
	row=$(census_json | json "[(r['pid'], r['pages'], r['file'], r['before_census'], r['mapped_by']['pid']) for r in j['pins']]")
	# before the start only if every pin function is followed (6.1's
	# trampolines refuse pin_user_pages_remote(): unknown there)
	if [ "$(census_json | json "j['not_followed']")" = None ]; then
		before=True label="before start"
	else
		before=None label="owner unknown"
	fi
	expect "census: pinned before it started, met under writeback" \
		"[(None, $BIG, '/run/mnt/big', $before, $pw)]" "$row"
	kill "$census" "$text"
	wait "$census" "$text" 2> /dev/null || true
	kill "$pw"
	wait "$pw" 2> /dev/null || true
	tail -n3 "$WORK/pins.txt"
	grep -qE "^ +- +\($label\) +$BIG +- +[0-9.]+s +$sd +yes +/run/mnt/big \(mapped by $pw pinwrite\)$" \
		"$WORK/pins.txt" || fail "pins: no text row for the pages pinned before it started"
}
before_census

# Exposure on a file: every pinned page written back is counted once,
# whether or not it shares its bvec (and, split, its bvec's pages) with
# others.  Patched: with pinned pages forced to pass through.
file_exposure() {
	local cmd=("$BIN/pinwrite" -p "$BIG" -r 1 -K 2 /run/mnt/big)

	new_file
	[ "$kernel" = stock ] || cmd=("$REPO/build/pinforce" passthrough -- "${cmd[@]}")
	bvecs_start "$sd"
	[ "$kernel" = stock ] || trace_start
	"$PB" trace -d "$sd" --json "$WORK/t.json" -- "${cmd[@]}" > "$WORK/out" 2> "$WORK/trace.err" ||
		fail "trace on a file: exit status $?: $(cat "$WORK/trace.err")"
	[ "$kernel" = stock ] || trace_stop
	bvecs_stop
	whole_bio "exposure on a file"
	exposed=$(json "j['metrics']['exposed_pages']" < "$WORK/t.json")
	pinned_wb=$(json "j['metrics']['pinned_wb_pages']" < "$WORK/t.json")
	echo "exposure on a file: pinned_wb_pages=$pinned_wb exposed_pages=$exposed"
}
file_exposure
expect "exposure on a file: pinned_wb_pages = the $BIG pages pinned, written back once" \
	"$BIG" "$pinned_wb"
expect "exposure on a file: exposed_pages = pinned_wb_pages on a disk that needs stable writes" \
	"$BIG" "$exposed"
[ "$kernel" = stock ] || expect "exposure on a file: = pinned pages the tracepoint saw passed through" \
	"$(decision_sum pinned)" "$exposed"
