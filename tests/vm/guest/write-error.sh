# A write error inside a bounced bio reaches the writer.  XFS writes large
# folios back in bios larger than the disk takes in one request; the
# bounce splits them there, and each part completes on its own.  One bad sector in the first
# part (null_blk's badblocks, completion inline) must fail fsync() with EIO
# even though every later part succeeds, and the kernel log must name the
# sector that failed.
. "$PB_REPO/tests/vm/lib.sh"

load_fixture
dev=pbbad
null_blk_configfs "$dev" size=512 irqmode=0
nbc=/sys/kernel/config/nullb/$dev

mkfs.xfs -q -f "/dev/$dev"
mount "/dev/$dev" /run/mnt
cleanup "umount /run/mnt"
make_file /run/mnt/file 2048
# Read back through readahead, which gives XFS large folios.
echo 3 > /proc/sys/vm/drop_caches
cat /run/mnt/file > /dev/null

# The file's first block on the device, in 512-byte sectors.
first=$(xfs_bmap /run/mnt/file | sed -n 's/^[[:space:]]*0: \[0\.\.[0-9]*\]: \([0-9]*\)\.\..*/\1/p')
[ -n "$first" ] || fail "no extent for the file: $(xfs_bmap /run/mnt/file)"
cut=$(bounce_cut "$dev")
bad=$((first + cut * 4))
echo "file at sector $first of /dev/$dev; sector $bad (half a bounce into it) fails writes"
echo "+$bad-$bad" > "$nbc/badblocks"

bvecs_start "$dev"
trace_start
"$REPO/build/pinforce" bounce -- "$BIN/pinwrite" -p 2048 -r 1 /run/mnt/file | tee "$WORK/out"
trace_stop
bvecs_stop
echo "-$bad-$bad" > "$nbc/badblocks"

# The case really happened: large folios were written back, bios were
# split at what one bounce holds, and the pages around the bad sector
# were bounced.
expect_gt "bvecs of large folios written back" 0 "$(bvecs_get large)"
split=$(decisions " \+ $((cut * 8)) pinned=$cut bounced=$cut action=bounce by=prog")
expect_gt "bounced $cut-page parts of split bios" 0 "$split"
part=$(grep ' block_bio_pin_bounce: ' "$WORK/trace" | awk -v s="$bad" '
	{ for (i = 1; i <= NF; i++) if ($i == "+") { a = $(i - 1); n = $(i + 1) } }
	a <= s && s < a + n && / action=bounce / { print a }')
expect "bounced bios that cover sector $bad" 1 "$(wc -w <<< "$part")"
expect "fsync() failed" 1 "$(sed -n 's/.*fsync_failures=\([0-9]*\).*/\1/p' "$WORK/out")"
# The log names the request that failed: it starts in that bounced part.
logged=$(dmesg | sed -n "s/.*I\/O error, dev $dev, sector \([0-9]*\) op 0x1:(WRITE).*/\1/p" | tail -n 1)
[ -n "$logged" ] || fail "the kernel log has no write error on $dev"
[ "$part" -le "$logged" ] && [ "$logged" -le "$bad" ] ||
	fail "the kernel log names a write at sector $logged, not the part at $part holding $bad"
echo "ok: the kernel log names the failed write at sector $logged (part at $part, bad $bad)"
