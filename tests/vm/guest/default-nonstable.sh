# Pinned pages written back to disks without stable writes (null_blk, and
# ext4 on virtio-blk) are decided on but not bounced by default.
. "$PB_REPO/tests/vm/lib.sh"

load_fixture
nb=$(null_blk_up)
cleanup "rmmod null_blk"
expect "$nb has stable writes" 0 "$(stable_writes "$nb")"

trace_start
"$BIN/pinwrite" -p 16 -r 3 "/dev/$nb"
trace_stop
expect_outcome "raw $nb, pinned" passthrough default
expect_gt "raw $nb, pinned: pages pinned in decisions" 0 "$(decision_sum pinned)"

expect "vda has stable writes" 0 "$(stable_writes vda)"
mkfs.ext4 -q -F /dev/vda
mount /dev/vda /run/mnt
cleanup "umount /run/mnt"
make_file /run/mnt/file 16

trace_start
"$BIN/pinwrite" -p 16 -r 3 /run/mnt/file
trace_stop
expect_outcome "ext4 on vda, pinned" passthrough default

trace_start
"$BIN/pinwrite" -n -p 16 -r 3 /run/mnt/file
trace_stop
expect_untouched "ext4 on vda, not pinned"
