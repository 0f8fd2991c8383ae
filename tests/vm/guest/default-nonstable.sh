# Pinned pages written back to disks without stable writes (null_blk, and
# ext4 on virtio-blk) are decided on but not bounced by default.
. "$PB_REPO/tests/vm/lib.sh"

load_fixture
nb=$(null_blk_up)
cleanup "rmmod null_blk"
expect "$nb has stable writes" 0 "$(stable_writes "$nb")"
writeback_cases "raw $nb" "/dev/$nb" passthrough

expect "vda has stable writes" 0 "$(stable_writes vda)"
mount_ext4 vda
writeback_cases "ext4 on vda" /run/mnt/file passthrough
