# DMA that lands after the write back.  The fixture writes into the pinned
# pages once their bounced write back is over and fsync() has returned;
# pinwrite then fsync()s again and reads the pages back with O_DIRECT while
# they are still pinned (unpinning would dirty them).  A bounced pinned
# page stays dirty, so the second fsync() writes the device's new bytes:
# one more bounce of every page than the rounds made, and the disk equals
# the page cache.  Passed through, the page is left clean as on a stock
# kernel, and the new bytes never reach the disk: that control shows the
# check can fail.
. "$PB_REPO/tests/vm/lib.sh"

rounds=2
pages=16
value=16	# a new byte for each run: what the disk held before is never it
load_fixture
cleanup "! grep -q '^scsi_debug ' /proc/modules || rmmod scsi_debug"

# fresh_disk [MB]: a new scsi_debug disk with T10-PI in $dev.  Each filesystem
# gets its own: rewriting blocks with WRITE SAME, as mkfs does, leaves
# scsi_debug's stored PI stale.
fresh_disk() {
	! grep -q '^scsi_debug ' /proc/modules || rmmod scsi_debug
	dev=$(scsi_debug_up dif=1 dix=1 dev_size_mb="${1:-64}")
	expect "$dev has stable writes" 1 "$(stable_writes "$dev")"
}

# late WHAT TARGET [PINFORCE-ACTION]: rounds, a late write by the fixture,
# fsync, read back; prints pinwrite's verify= and checks the bounce count.
late() {
	local what=$1 target=$2 force=${3:-} got
	local cmd=("$BIN/pinwrite" -p "$pages" -r "$rounds" -L $((value += 17)) -V "$target")
	[ -z "$force" ] || cmd=("$REPO/build/pinforce" "$force" -- "${cmd[@]}")
	trace_start
	"${cmd[@]}" > "$WORK/out" 2>&1 || true
	trace_stop
	sed 's/^/  /' "$WORK/out"
	expect "$what: failed fsyncs" 0 "$(sed -n 's/.*fsync_failures=\([0-9]*\).*/\1/p' "$WORK/out")"
	got=$(sed -n 's/.*verify=\([a-z]*\).*/\1/p' "$WORK/out")
	if [ "${force:-bounce}" = bounce ]; then
		expect_outcome "$what" bounce "$([ -n "$force" ] && echo prog || echo default)"
		expect_ge "$what: pages bounced, one per page and fsync or more" \
			$(((rounds + 1) * pages)) "$(decision_sum bounced)"
		expect "$what: the late bytes on disk (O_DIRECT = page cache)" ok "$got"
	else
		expect_outcome "$what" passthrough prog
		expect "$what: the late bytes lost, the page left clean" bad "$got"
	fi
}

fresh_disk
mkfs.ext4 -q -F "/dev/$dev"
mount "/dev/$dev" /run/mnt
cleanup "! mountpoint -q /run/mnt || umount /run/mnt"
make_file /run/mnt/file "$pages"
late "ext4" /run/mnt/file
late "ext4, forced bounce" /run/mnt/file bounce
late "ext4, forced passthrough (control)" /run/mnt/file passthrough
umount /run/mnt

fresh_disk
mkfs.ext4 -q -F -b 1024 "/dev/$dev"
mount "/dev/$dev" /run/mnt
make_file /run/mnt/file "$pages"
late "ext4 1k blocks" /run/mnt/file
umount /run/mnt

fresh_disk 320	# the smallest XFS mkfs.xfs makes
mkfs.xfs -q -f "/dev/$dev"
mount "/dev/$dev" /run/mnt
make_file /run/mnt/file "$pages"
late "xfs" /run/mnt/file
umount /run/mnt

fresh_disk
late "raw $dev" "/dev/$dev"
