# The failure the bounce exists for.  A file on ext4 on scsi_debug with
# DIF/DIX, its pages mmapped and pinned, the fixture's kernel thread writing
# into them on one CPU (a device DMA-ing into the buffer) while the test
# stores through the mapping and fsyncs on the other.  Pinned pages passed
# through: the guard tags computed by the block layer no longer match the
# data when the disk checks them, and fsync fails.  Bounced: no failure,
# and the data reads back intact.
. "$PB_REPO/tests/vm/lib.sh"

seconds=${PB_INTEGRITY_SECONDS:-8}
load_fixture
dev=$(scsi_debug_up dif=1 dix=1 dev_size_mb=64)
cleanup "rmmod scsi_debug"
mkfs.ext4 -q -F "/dev/$dev"
mount "/dev/$dev" /run/mnt
cleanup "umount /run/mnt"
make_file /run/mnt/file 64

guard_errors() { dmesg | grep -ciE 'guard check failed' || true; }

run() {
	local action=$1 before
	before=$(guard_errors)
	taskset -c 0 "$REPO/build/pinforce" "$action" -- "$BIN/pinwrite" -p 64 -w 64 -c 1 \
		-t "$seconds" $2 /run/mnt/file > "$WORK/$action" || true
	cat "$WORK/$action" >&2
	fsync_failures=$(sed -n 's/.*fsync_failures=\([0-9]*\).*/\1/p' "$WORK/$action")
	verify=$(sed -n 's/.*verify=\([a-z]*\).*/\1/p' "$WORK/$action")
	guard=$(($(guard_errors) - before))
}

echo "scsi_debug disk $dev: T10-PI (DIF type 1 + DIX), stable writes $(stable_writes "$dev")"
echo "64 pages of /run/mnt/file mapped and pinned; the fixture's thread rewrites"
echo "the first 64 bytes of each on CPU 1 while CPU 0 stores and fsyncs."
echo "phase 1: ${seconds} s with pinned pages passed through unbounced"
run passthrough ""
pt_failures=$fsync_failures pt_guard=$guard
echo "phase 2: ${seconds} s with pinned pages bounced, then read back with O_DIRECT"
run bounce -V
bn_failures=$fsync_failures bn_guard=$guard bn_verify=$verify

echo "integrity: passthrough_failures=$pt_failures bounce_failures=$bn_failures seconds=$seconds"
expect_gt "passthrough: failed fsyncs (else this proves nothing)" 0 "$pt_failures"
expect_gt "passthrough: guard check failures in the kernel log" 0 "$pt_guard"
expect "bounce: failed fsyncs" 0 "$bn_failures"
expect "bounce: guard check failures in the kernel log" 0 "$bn_guard"
expect "bounce: data read back" ok "$bn_verify"
