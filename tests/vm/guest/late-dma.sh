# DMA that lands after the write back.  The fixture writes into the pinned
# pages once their write back is over and fsync() has returned; pinwrite
# then fsync()s again and reads the pages back with O_DIRECT while they are
# still pinned (unpinning would dirty them).  The series leaves a written
# pinned page clean, as stock 6.1 does, bounced or not: the device's write
# dirties nothing, so the second fsync() writes nothing (no decision is
# traced) and the device's new bytes are not on the disk.  That is the
# limit kernel-patch/README.md states ("What it does not do"), and this test
# shows it as it is, on each filesystem: a page kept dirty instead would
# break each filesystem's rules (tests dirty-limits and reflink).
. "$PB_REPO/tests/vm/lib.sh"

rounds=2
pages=16
value=16	# a new byte for each run: what the disk held before is never it
load_fixture
row_cleanup

# late WHAT TARGET [PINFORCE-ACTION]: rounds (traced), then a late write by
# the fixture and an fsync (traced apart), then the read back.
late() {
	local what=$1 target=$2 force=${3:-} pid
	local cmd=("$BIN/pinwrite" -p "$pages" -r "$rounds" -A 60 -L $((value += 17)) -K 60 -V "$target")
	[ -z "$force" ] || cmd=("$REPO/build/pinforce" "$force" -- "${cmd[@]}")
	trace_start
	"${cmd[@]}" > "$WORK/out" 2>&1 &
	pid=$!
	reap "$pid"
	wait_line "$WORK/out" '^pinwrite: rounds done' "$pid" "$what: pinwrite did not finish its rounds"
	trace_stop
	if [ "${force:-bounce}" = bounce ]; then
		expect_outcome "$what: the rounds" bounce "$([ -n "$force" ] && echo prog || echo default)"
	else
		expect_outcome "$what: the rounds" passthrough prog
	fi
	trace_start
	release "$pid"	# the device writes, then fsync()
	wait_kept "$pid" "$what"
	trace_stop
	release "$pid"
	wait "$pid" || true
	sed 's/^/  /' "$WORK/out"
	expect "$what: failed fsyncs" 0 "$(sed -n 's/.*fsync_failures=\([0-9]*\).*/\1/p' "$WORK/out")"
	expect "$what: decisions in the fsync after the device wrote (the pages stayed clean)" \
		0 "$(decisions)"
	expect "$what: the device's late bytes on disk (not written, as on stock 6.1)" bad \
		"$(sed -n 's/.*verify=\([a-z]*\).*/\1/p' "$WORK/out")"
}

for fs in ext4 ext4-1k xfs; do
	row_up "$fs" disk
	make_file /run/mnt/file "$pages"
	late "$fs" /run/mnt/file
	[ "$fs" != ext4 ] || late "$fs, forced passthrough" /run/mnt/file passthrough
	row_down
done
dev=$(scsi_debug_up dif=1 dix=1 dev_size_mb=64)
late "raw $dev" "/dev/$dev"
