# A pinned file's blocks shared with another file must keep the other
# file's bytes.  XFS (reflink on, mkfs.xfs's default) reserves a new block
# for a shared one when a page is dirtied through ->page_mkwrite() or a
# write; a page dirtied any other way is written where the file points, in
# place, into the block the other file shares.  A write back that left a
# bounced pinned page dirty did exactly that: after `cp --reflink` or a
# dedupe, the next write back of the source went into the copy.  The
# series leaves a written page clean, and fsync() writes the pinned pages
# from a copy with a direct write, which copies a shared block on write.
#
# 16 pages of a file on XFS on a PI disk are pinned, stored into and
# fsync()ed (bounced, by default); while they stay pinned the file is
# cloned (cp --reflink=always) and deduplicated against a plain copy
# (FIDEDUPERANGE); the device (the fixture) then writes into every pinned
# page and the source is fsync()ed.  With the caches dropped, the clone
# and the deduplicated copy read back from the disk (O_DIRECT) as they
# were, and the source has the device's bytes on the disk, in blocks it
# no longer shares: the write was copied on write, not made in place.
. "$PB_REPO/tests/vm/lib.sh"

pages=16
late=0x5a
load_fixture
row_cleanup
row_up xfs disk
expect "XFS made with reflink" 1 "$(xfs_info /run/mnt | sed -n 's/.*reflink=\([0-9]\).*/\1/p')"
make_file /run/mnt/src "$pages"

# shared FILE: the extents of FILE that XFS says are shared.
shared() { filefrag -v "$1" | grep -c shared || true; }

trace_start
"$BIN/pinwrite" -p "$pages" -r 2 -A 60 -L "$late" -K 60 /run/mnt/src > "$WORK/out" 2>&1 &
pid=$!
reap "$pid"
wait_line "$WORK/out" '^pinwrite: rounds done' "$pid" "pinwrite did not finish its rounds"

cp --reflink=always /run/mnt/src /run/mnt/clone
cp /run/mnt/src /run/mnt/dup
sync /run/mnt/dup
xfs_io -c "dedupe /run/mnt/src 0 0 $((pages * 4096))" /run/mnt/dup > "$WORK/dedupe"
sed 's/^/  xfs_io: /' "$WORK/dedupe"
grep -q "deduped $((pages * 4096))/$((pages * 4096)) bytes" "$WORK/dedupe" ||
	fail "FIDEDUPERANGE did not share the whole range"
expect_gt "extents of the clone shared with the pinned file" 0 "$(shared /run/mnt/clone)"
expect_gt "extents of the deduplicated copy shared with the pinned file" 0 "$(shared /run/mnt/dup)"
clone0=$(disk_sum /run/mnt/clone) dup0=$(disk_sum /run/mnt/dup)

src0=$(disk_sum /run/mnt/src)

release "$pid"	# the device writes into every pinned page; fsync
wait_kept "$pid" "late DMA"
trace_stop
expect_outcome "the pinned rounds" bounce default
expect "the late fsync()" "" "$(sed -n 's/^pinwrite: late fsync: //p' "$WORK/out")"
echo 3 > /proc/sys/vm/drop_caches
expect "the device's byte in the pinned pages (page cache)" 5a \
	"$(od -An -tx1 -N1 -j $(((pages - 1) * 4096)) /run/mnt/src | tr -d ' ')"
expect "the device's byte in the source on disk (O_DIRECT)" 5a \
	"$(dd if=/run/mnt/src bs=4096 skip=$((pages - 1)) count=1 iflag=direct status=none |
	   od -An -tx1 -N1 | tr -d ' ')"
src1=$(disk_sum /run/mnt/src)
[ "$src1" != "$src0" ] || fail "the source on disk did not change ($src0)"
echo "ok: the source on disk changed ($src0 -> $src1): the check sees a change"
expect "extents of the source still shared (its blocks were copied on write)" 0 \
	"$(shared /run/mnt/src)"
expect "the clone on disk, after the device wrote and the source was fsync()ed" \
	"$clone0" "$(disk_sum /run/mnt/clone)"
expect "the deduplicated copy on disk, likewise" "$dup0" "$(disk_sum /run/mnt/dup)"

release "$pid"
wait "$pid" || fail "pinwrite: $(cat "$WORK/out")"
sed 's/^/  /' "$WORK/out"
