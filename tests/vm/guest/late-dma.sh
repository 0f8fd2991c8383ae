# DMA that lands after the write back.  The fixture writes into the pinned
# pages once their write back is over and fsync() has returned; pinwrite
# then fsync()s again and reads the pages back with O_DIRECT while they are
# still pinned (unpinning would dirty them).  The device's write dirties
# nothing, and write back leaves a written pinned page clean, as stock 6.1
# does: it is fsync() that writes every page of a file that was pinned long
# term from a copy, through the filesystem's direct I/O path.  So the late
# fsync() makes no bounce decision (the copy is not pinned) but sends the
# disk at least the pinned pages, and the device's late bytes are on the
# disk: on ext4 with 4 KiB and 1 KiB blocks, XFS and the raw PI disk,
# bounced or forced through.  btrfs does not take part yet (its direct
# writes fall back to buffered I/O where pages are cached): there the late
# bytes stay off the disk, as kernel-patch/README.md says.  The end of a
# file: the copy ends at the last whole block inside the file's size.
. "$PB_REPO/tests/vm/lib.sh"

rounds=2
pages=16
value=16	# a new byte for each run: what the disk held before is never it
load_fixture
row_cleanup

# late WHAT TARGET ON-DISK [PINFORCE-ACTION]: rounds (traced), then a late
# write by the fixture and an fsync (traced apart, and the sectors it sent
# $dev counted), then the read back: ON-DISK is ok if the late bytes must be
# on the disk, bad if they must not.
late() {
	local what=$1 target=$2 want=$3 force=${4:-} pid s0
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
	s0=$(sectors "$dev")
	release "$pid"	# the device writes, then fsync()
	wait_kept "$pid" "$what"
	sent=$(($(sectors "$dev") - s0))
	trace_stop
	release "$pid"
	wait "$pid" || true
	sed 's/^/  /' "$WORK/out"
	expect "$what: failed fsyncs" 0 "$(sed -n 's/.*fsync_failures=\([0-9]*\).*/\1/p' "$WORK/out")"
	expect "$what: decisions in the fsync after the device wrote (it writes a copy)" \
		0 "$(decisions)"
	if [ "$want" = ok ]; then
		expect_gt "$what: sectors that fsync sent the disk, at least the pinned pages'" \
			$((pages * 8 - 1)) "$sent"
	fi
	expect "$what: the device's late bytes on disk" "$want" \
		"$(sed -n 's/.*verify=\([a-z]*\).*/\1/p' "$WORK/out")"
}

# disk_byte FILE PAGE: the first byte of PAGE of FILE as the disk has it.
disk_byte() {
	dd if="$1" bs=4096 skip="$2" count=1 iflag=direct status=none | od -An -tx1 -N1 | tr -d ' '
}

# eof WHAT LAST-PAGE: the end of the file.  The file is cut, while pinned,
# to 2100 bytes into its last pinned page; the device writes into every
# page and pinwrite fsync()s.  The copy ends at the last whole block inside
# the file's size: the page before is on the disk, and the first bytes of
# the last page are only where blocks are smaller than 2100 bytes
# (LAST-PAGE: ok if they must be on the disk, bad if not).
eof() {
	local what=$1 want=$2 pid byte got
	make_file /run/mnt/eof "$pages"
	value=$((value + 17))
	"$BIN/pinwrite" -p "$pages" -r "$rounds" -A 60 -L "$value" -K 60 /run/mnt/eof \
		> "$WORK/out" 2>&1 &
	pid=$!
	reap "$pid"
	wait_line "$WORK/out" '^pinwrite: rounds done' "$pid" "$what: pinwrite did not finish its rounds"
	truncate -s $(((pages - 1) * 4096 + 2100)) /run/mnt/eof
	sync /run/mnt/eof	# the zeroed tail of the last page, written back
	release "$pid"	# the device writes, then fsync()
	wait_kept "$pid" "$what"
	byte=$(printf %02x $((value & 255)))
	expect "$what: the device's byte in the last whole page, on disk" "$byte" \
		"$(disk_byte /run/mnt/eof $((pages - 2)))"
	got=$(disk_byte /run/mnt/eof $((pages - 1)))
	if [ "$want" = ok ]; then
		expect "$what: the device's byte in the page that holds the end, on disk" "$byte" "$got"
	else
		[ "$got" != "$byte" ] || fail "$what: the page that holds the end of the file was written"
		echo "ok: $what: the page that holds the end of the file was not written ($got)"
	fi
	release "$pid"
	wait "$pid" || true
	rm /run/mnt/eof
}

for fs in ext4 ext4-1k xfs btrfs; do
	row_up "$fs" disk
	make_file /run/mnt/file "$pages"
	want=ok
	[ "$fs" != btrfs ] || want=bad
	late "$fs" /run/mnt/file "$want"
	[ "$fs" != ext4 ] || late "$fs, forced passthrough" /run/mnt/file ok passthrough
	[ "$fs" != ext4 ] || eof "$fs, end of file" bad
	[ "$fs" != ext4-1k ] || eof "$fs, end of file" ok
	row_down
done
dev=$(scsi_debug_up dif=1 dix=1 dev_size_mb=64)
late "raw $dev" "/dev/$dev" ok
