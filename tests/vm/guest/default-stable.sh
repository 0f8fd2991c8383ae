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

# The example in kernel-patch/README.md is what trace_pipe prints: the same
# fields in the same order, numbers aside.
outcome /run/mnt/file
shape() { sed -n 's/.* block_bio_pin_bounce: /block_bio_pin_bounce: /p' | sed 's/[0-9][0-9]*/N/g' | sort -u; }
example=$(grep -A2 'cat /sys/kernel/tracing/trace_pipe' "$REPO/kernel-patch/README.md" |
	  grep ' block_bio_pin_bounce: ')
echo "a line of the trace: $(grep -m1 ' block_bio_pin_bounce: ' "$WORK/trace")"
[ -n "$example" ] || fail "kernel-patch/README.md shows no trace_pipe line"
grep -qxF "$(shape <<< "$example")" <(shape < "$WORK/trace") ||
	fail "kernel-patch/README.md's trace line '$example' is not what the kernel prints"
echo "ok: kernel-patch/README.md's trace line has the kernel's format"
