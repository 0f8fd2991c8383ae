# Pinned page-cache pages written back to a disk with stable writes
# (scsi_debug with T10-PI, DIF/DIX) are bounced by default; the same pages
# unpinned are not.  Raw block device first, then a file on ext4.
. "$PB_REPO/tests/vm/lib.sh"

load_fixture
dev=$(scsi_debug_up dif=1 dix=1 dev_size_mb=128)
cleanup "rmmod scsi_debug"
expect "$dev has stable writes" 1 "$(stable_writes "$dev")"

writeback_cases "raw $dev" "/dev/$dev" bounce
mount_ext4 "$dev"
writeback_cases "ext4 on $dev" /run/mnt/file bounce
