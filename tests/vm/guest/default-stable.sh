# Pinned page-cache pages written back to a disk with stable writes
# (scsi_debug with T10-PI, DIF/DIX) are bounced by default; the same pages
# unpinned are not.  Raw block device first, then a file on ext4.
. "$PB_REPO/tests/vm/lib.sh"

load_fixture
dev=$(scsi_debug_up dif=1 dix=1 dev_size_mb=128)
cleanup "rmmod scsi_debug"
expect "$dev has stable writes" 1 "$(stable_writes "$dev")"

trace_start
"$BIN/pinwrite" -p 16 -r 3 "/dev/$dev"
trace_stop
expect_outcome "raw $dev, pinned" bounce default
expect "raw $dev, pinned: pages pinned in decisions" \
	"$(decision_sum bounced)" "$(decision_sum pinned)"

trace_start
"$BIN/pinwrite" -n -p 16 -r 3 "/dev/$dev"
trace_stop
expect_untouched "raw $dev, not pinned"

mkfs.ext4 -q -F "/dev/$dev"
mount "/dev/$dev" /run/mnt
cleanup "umount /run/mnt"
make_file /run/mnt/file 16

trace_start
"$BIN/pinwrite" -p 16 -r 3 /run/mnt/file
trace_stop
expect_outcome "ext4 on $dev, pinned" bounce default

trace_start
"$BIN/pinwrite" -n -p 16 -r 3 /run/mnt/file
trace_stop
expect_untouched "ext4 on $dev, not pinned"
