# Every page-cache writeback path marks its bios: XFS (iomap), btrfs, f2fs,
# and a raw device under dm-linear, whose clone must keep the mark so that
# the disk at the bottom decides.
. "$PB_REPO/tests/vm/lib.sh"

load_fixture
dev=$(scsi_debug_up dif=1 dix=1 dev_size_mb=320)
cleanup "rmmod scsi_debug"

for fs in xfs btrfs f2fs; do
	case $fs in
	xfs) mkfs.xfs -q -f "/dev/$dev" ;;
	btrfs) mkfs.btrfs -q -f "/dev/$dev" > /dev/null ;;
	f2fs) mkfs.f2fs -q -f "/dev/$dev" > /dev/null ;;
	esac
	mount "/dev/$dev" /run/mnt
	make_file /run/mnt/file 16
	trace_start
	"$BIN/pinwrite" -p 16 -r 3 /run/mnt/file
	trace_stop
	umount /run/mnt
	expect_outcome "$fs on $dev, pinned" bounce default
done

sectors=$(blockdev --getsz "/dev/$dev")
dmsetup --noudevsync create pbtest --table "0 $sectors linear /dev/$dev 0"
cleanup "dmsetup --noudevsync remove pbtest"
trace_start
"$BIN/pinwrite" -p 16 -r 3 /dev/mapper/pbtest
trace_stop
expect_outcome "dm-linear on $dev, pinned" bounce default
majmin=$(cat "/sys/block/$dev/dev")
expect "dm-linear: decisions made on $dev ($majmin)" "$(decisions)" \
	"$(decisions " ${majmin/:/,} ")"
