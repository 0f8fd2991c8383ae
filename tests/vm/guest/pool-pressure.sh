# The bounce makes progress when memory runs out.  Four writers of large
# folios (XFS) on a PI disk write back bios larger than the disk takes in
# one request, while every page allocation inside the bounce fails
# (failalloc: BPF on should_fail_alloc_page), so that all bounce pages come
# from the emergency pool.  Taken one page at a time from a pool smaller
# than a bio, the writers would wait for each other; a bounce clone split
# again by blk-mq would hold pool pages behind the bio's remainder, waiting
# for them.  Here every writer finishes, its data reads back intact, and no
# task is reported hung.
. "$PB_REPO/tests/vm/lib.sh"

WRITERS=4
PAGES=1024

load_fixture
dev=$(scsi_debug_up dif=1 dix=1 dev_size_mb=320)
cleanup "rmmod scsi_debug"
expect "$dev has stable writes" 1 "$(stable_writes "$dev")"
cut=$(bounce_cut "$dev")
mkfs.xfs -q -f "/dev/$dev"
mount "/dev/$dev" /run/mnt
cleanup "umount /run/mnt"
for ((w = 0; w < WRITERS; w++)); do
	make_file "/run/mnt/f$w" "$PAGES"
done
# Read back through readahead, which gives XFS large folios: writeback
# then builds bios of more than 256 pages, which the bounce splits.
echo 3 > /proc/sys/vm/drop_caches
cat /run/mnt/f* > /dev/null
echo 30 > /proc/sys/kernel/hung_task_timeout_secs

cat > "$WORK/writers" <<EOF
for ((w = 0; w < $WRITERS; w++)); do
	"$BIN/pinwrite" -p $PAGES -r 3 -V "/run/mnt/f\$w" > "$WORK/w\$w" 2>&1 &
done
wait
EOF
bvecs_start "$dev"
trace_start
timeout 150 "$BIN/failalloc" -- bash "$WORK/writers" > "$WORK/failalloc" ||
	fail "the writers did not finish: $(cat "$WORK"/w* "$WORK/failalloc")"
trace_stop
bvecs_stop
cat "$WORK/failalloc" "$WORK"/w*

expect_gt "bvecs of large folios written back" 0 "$(bvecs_get large)"
failed=$(sed -n 's/^failalloc: \([0-9]*\) page allocations failed.*/\1/p' "$WORK/failalloc")
expect_gt "page allocations made to fail in the bounce" 0 "$failed"
expect_gt "times a bio found the pool dry, gave its pages back and waited" 0 \
	"$(sed -n 's/^failalloc: .* the pool ran dry \([0-9]*\) times$/\1/p' "$WORK/failalloc")"
expect_gt "bounced bios of $cut pinned pages, as many as one request takes" 0 \
	"$(decisions " pinned=$cut bounced=$cut action=bounce by=default")"
expect "bounced bios of more pages than one request takes" 0 \
	"$(grep ' block_bio_pin_bounce: ' "$WORK/trace" |
		awk -v cut="$cut" '{ sub(/.*pinned=/, ""); if ($1 + 0 > cut) n++ } END { print n + 0 }')"
expect_outcome "$WRITERS writers under allocation failure" bounce default
for ((w = 0; w < WRITERS; w++)); do
	expect "writer $w: failed fsyncs" 0 "$(sed -n 's/.*fsync_failures=\([0-9]*\).*/\1/p' "$WORK/w$w")"
	expect "writer $w: disk = page cache (O_DIRECT)" ok \
		"$(sed -n 's/.*verify=\([a-z]*\).*/\1/p' "$WORK/w$w")"
done
