# fsync() of a pinned file returns the error of the write it needs.  What
# the device writes into a page pinned long term is written by fsync()
# from a copy, with a direct write: on XFS, a block the file shares with a
# reflink copy is copied on write, which needs a free block.  With the
# filesystem full, that fsync() fails with ENOSPC and writes nothing in
# place (the clone keeps its bytes); once space is freed, the next fsync()
# writes the device's bytes, and the clone still keeps its own.
#
# 16 pages of a file on XFS on a PI disk are pinned, stored into and
# fsync()ed; while they stay pinned the file is cloned, the filesystem is
# filled, the fixture writes into every pinned page and pinwrite fsync()s.
. "$PB_REPO/tests/vm/lib.sh"

pages=16
late=0x6b
load_fixture
row_cleanup
row_up xfs disk
make_file /run/mnt/src "$pages"

"$BIN/pinwrite" -p "$pages" -r 2 -A 60 -L "$late" -K 60 -V /run/mnt/src > "$WORK/out" 2>&1 &
pid=$!
reap "$pid"
wait_line "$WORK/out" '^pinwrite: rounds done' "$pid" "pinwrite did not finish its rounds"
cp --reflink=always /run/mnt/src /run/mnt/clone
clone0=$(disk_sum /run/mnt/clone)
before=$(disk_byte /run/mnt/src $((pages - 1)))

# Fill it: in MiB, then in blocks, until XFS refuses.
dd if=/dev/zero of=/run/mnt/fill bs=1M oflag=direct status=none 2> /dev/null || true
dd if=/dev/zero of=/run/mnt/fill2 bs=4k oflag=direct status=none 2> /dev/null || true
expect_le "blocks free on the full filesystem" $((pages - 1)) \
	"$(df --output=avail -B4096 /run/mnt | tail -1 | tr -d ' ')"

release "$pid"	# the device writes into every pinned page; fsync
wait_line "$WORK/out" '^pinwrite: late fsync done' "$pid" "pinwrite did not fsync after the device wrote"
expect "the fsync() after the device wrote, with no block free for the copy" \
	"No space left on device" "$(sed -n 's/^pinwrite: late fsync: //p' "$WORK/out")"
echo 3 > /proc/sys/vm/drop_caches
expect "the clone on disk after the failed fsync()" "$clone0" "$(disk_sum /run/mnt/clone)"
expect "the source on disk after the failed fsync() (nothing written in place)" "$before" \
	"$(disk_byte /run/mnt/src $((pages - 1)))"

rm /run/mnt/fill /run/mnt/fill2
sync /run/mnt/src || fail "fsync() of the source once space was freed failed"
echo "ok: fsync() of the source once space was freed"
echo 3 > /proc/sys/vm/drop_caches
expect "the device's byte in the source on disk" 6b "$(disk_byte /run/mnt/src $((pages - 1)))"
expect "the clone on disk, after that" "$clone0" "$(disk_sum /run/mnt/clone)"

wait_kept "$pid" "late DMA"
release "$pid"
wait "$pid" || fail "pinwrite: $(cat "$WORK/out")"
sed 's/^/  /' "$WORK/out"
expect "fsyncs that failed (the one without space)" 1 \
	"$(sed -n 's/.*fsync_failures=\([0-9]*\).*/\1/p' "$WORK/out")"
expect "every pinned page read back from the disk" ok \
	"$(sed -n 's/.*verify=\([a-z]*\).*/\1/p' "$WORK/out")"
row_down
