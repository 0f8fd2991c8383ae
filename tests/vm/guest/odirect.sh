# An O_DIRECT write over pinned pages must reach the disk and stay there.
# Direct I/O invalidates the page cache of its range; a page that stays
# dirty there makes the invalidation fail: ext4 and XFS fall back to
# buffered I/O, and on the block device the kernel warns ("Page cache
# invalidation failure on direct I/O") and the stale page is written later
# over the direct write.  The series leaves written pinned pages clean, so
# the invalidation takes them out of the page cache (the pin keeps them
# for the device) and nothing is written over the O_DIRECT data.
# On ext4, XFS and the raw PI disk: 16 pages pinned, stored into and
# fsync()ed (bounced, by default); while they stay pinned, 64 KiB of new
# bytes written over them with O_DIRECT; the pages unpinned (which dirties
# what is still theirs), everything synced and the caches dropped: the disk
# holds the O_DIRECT bytes, and the kernel said nothing of invalidation.
. "$PB_REPO/tests/vm/lib.sh"

pages=16
load_fixture
row_cleanup
head -c $((pages * 4096)) /dev/urandom > "$WORK/new"
want=$(sha256sum < "$WORK/new" | cut -c1-16)

# direct WHAT TARGET: the case above on TARGET.
direct() {
	local what=$1 target=$2 pid inval
	inval=$(dmesg | grep -c 'invalidation failure' || true)
	trace_start
	"$BIN/pinwrite" -p "$pages" -r 2 -K 60 "$target" > "$WORK/out" 2>&1 &
	pid=$!
	reap "$pid"
	wait_kept "$pid" "$what"
	trace_stop
	expect_outcome "$what: the pinned rounds" bounce default
	dd if="$WORK/new" of="$target" bs=64k oflag=direct conv=notrunc,fsync status=none ||
		fail "$what: the O_DIRECT write failed"
	release "$pid"
	wait "$pid" || fail "$what: pinwrite: $(cat "$WORK/out")"
	sync
	echo 3 > /proc/sys/vm/drop_caches
	expect "$what: the disk after unpin, sync and drop_caches holds the O_DIRECT bytes" "$want" \
		"$(dd if="$target" bs=64k count=1 iflag=direct status=none | sha256sum | cut -c1-16)"
	expect "$what: invalidation failures in the kernel log" "$inval" \
		"$(dmesg | grep -c 'invalidation failure' || true)"
}

for fs in ext4 xfs; do
	row_up "$fs" disk
	make_file /run/mnt/file "$pages"
	direct "$fs" /run/mnt/file
	row_down
done
dev=$(scsi_debug_up dif=1 dix=1 dev_size_mb=64)
direct "raw $dev" "/dev/$dev"
