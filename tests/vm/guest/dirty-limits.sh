# More pages pinned than the dirty limits allow.  A write back that left a
# bounced pinned page dirty (to write what the device adds later) would
# make pages that never become clean: past vm.dirty_bytes the flusher
# rewrites them without end and balance_dirty_pages() stops every buffered
# writer of the machine, the pinning program first.  The series leaves a
# written page clean, bounced or not, so the bounce (the default on a PI
# disk) must behave as the stock kernel's passthrough does.  In one run,
# 64 MiB of an ext4 file on a PI disk are pinned with vm.dirty_bytes at
# 32 MiB, stored into once and fsync()ed, then left pinned: for the bounce
# and for the passthrough, the time the pinning program takes to get there,
# what the disk is sent while idle, and the time of an unrelated 64 MiB
# write to another disk (vda).  Each within 2x of the passthrough (and a
# little, for the noise of small figures).
. "$PB_REPO/tests/vm/lib.sh"

pages=16384	# 64 MiB
idle=5		# seconds of idle measured
load_fixture
dev=$(scsi_debug_up dif=1 dix=1 dev_size_mb=160)
cleanup "rmmod scsi_debug"
expect "$dev has stable writes" 1 "$(stable_writes "$dev")"
mkfs.ext4 -q -F "/dev/$dev"
mount "/dev/$dev" /run/mnt
cleanup "! mountpoint -q /run/mnt || umount /run/mnt"
dd if=/dev/zero of=/run/mnt/file bs=1M count=$((pages / 256)) conv=fsync status=none

dirty_limit 32

over_limits "passthrough" "$dev" /run/mnt/file "$pages" vda "$idle" passthrough
expect_outcome "passthrough" passthrough prog
pt_pin=$t_pin pt_idle=$idle_kb pt_other=$t_other

over_limits "bounce (default)" "$dev" /run/mnt/file "$pages" vda "$idle"
expect_outcome "bounce (default)" bounce default
expect_ge "bounce: pages bounced, every pinned page at least once" "$pages" "$(decision_sum bounced)"

echo "dirty-limits: pin_ms=$t_pin/$pt_pin idle_kb=$idle_kb/$pt_idle other_ms=$t_other/$pt_other (bounce/passthrough)"
expect_le "bounce: ms to pin, store and fsync, within 2x of passthrough (+2 s)" \
	$((2 * pt_pin + 2000)) "$t_pin"
expect_le "bounce: KiB written while idle, within 2x of passthrough (+1 MiB)" \
	$((2 * pt_idle + 1024)) "$idle_kb"
expect_le "bounce: ms of the unrelated write, within 2x of passthrough (+2 s)" \
	$((2 * pt_other + 2000)) "$t_other"
