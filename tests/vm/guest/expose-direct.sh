# A direct write is not write back, on the patched kernel and on stock 6.1
# (where direct I/O takes its pages with FOLL_GET, and the fixture's pins
# are what make them pinned): pages of the T10-PI disk's page cache pinned
# by the fixture are written back while scsi_debug holds each command a
# second, and meanwhile written with O_DIRECT from a shared mapping of
# them to the null_blk disk.  The direct write completes while they are
# under writeback and pinned (the T10-PI disk's write still in flight):
# the null_blk disk's pinned_wb_pages stays 0.  The write back itself
# still counts on the T10-PI disk (stock: every page; patched: bounced,
# none).
. "$PB_REPO/tests/vm/lib.sh"

both_disks 64
PAGES=16
if stock_kernel; then
	kernel=stock
else
	kernel=patched
fi
echo "kernel: $kernel"
sdebug=/sys/bus/pseudo/drivers/scsi_debug

# direct.py DISK OTHER N NDELAY: dirty the first N pages of DISK's page
# cache through a shared mapping, have scsi_debug take NDELAY ns over each
# command, start their write back, write them with O_DIRECT from the
# mapping to OTHER, and print the writes DISK has in flight then; then
# wait for the write back.
cat > "$WORK/direct.py" << 'PY'
import ctypes, mmap, os, sys
disk, other, n, ndelay = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
fd = os.open(f"/dev/{disk}", os.O_RDWR)
mm = mmap.mmap(fd, n * 4096, mmap.MAP_SHARED)
mm[:] = os.urandom(n * 4096)
with open("/sys/bus/pseudo/drivers/scsi_debug/ndelay", "w") as f:
    f.write(ndelay)
sfr = ctypes.CDLL(None).sync_file_range
WAIT_BEFORE, WRITE, WAIT_AFTER = 1, 2, 4
assert sfr(fd, ctypes.c_longlong(0), ctypes.c_longlong(n * 4096), WRITE) == 0
out = os.open(f"/dev/{other}", os.O_WRONLY | os.O_DIRECT)
assert os.pwrite(out, memoryview(mm), 0) == n * 4096
with open(f"/sys/block/{disk}/inflight") as f:
    print(f.read().split()[1], flush=True)
assert sfr(fd, ctypes.c_longlong(0), ctypes.c_longlong(n * 4096),
           WAIT_BEFORE | WRITE | WAIT_AFTER) == 0
PY

# The fixture pins the pages (pinwrite: one round, then kept pinned).
"$BIN/pinwrite" -p $PAGES -r 1 -K 120 "/dev/$sd" > "$WORK/out" 2>&1 &
pw=$!
reap "$pw"
wait_kept "$pw" "direct write"
cleanup "echo 0 > $sdebug/ndelay"
[ "$kernel" = stock ] || trace_start
"$PB" trace --json "$WORK/t.json" -- python3 "$WORK/direct.py" "$sd" "$nb" $PAGES 999999999 \
	> "$WORK/direct.out" 2> "$WORK/trace.err" ||
	fail "trace: exit status $?: $(cat "$WORK/trace.err")"
[ "$kernel" = stock ] || trace_stop
echo 0 > $sdebug/ndelay
release "$pw"
wait "$pw" || fail "pinwrite: $(cat "$WORK/out")"

# pages DISK: DISK's pinned_wb_pages in the report.
pages() {
	json "next((d['total']['pinned_wb_pages'] for d in j['devices'] if d['device'] == '$1'), 0)" \
		< "$WORK/t.json"
}
cat "$WORK/trace.err"
expect_gt "direct write: $sd's write back still in flight as it completed" 0 \
	"$(cat "$WORK/direct.out")"
expect "direct write: $PAGES pinned pages of $sd under writeback written to $nb, not counted" \
	0 "$(pages "$nb")"
if [ "$kernel" = stock ]; then
	expect "write back: the $PAGES pinned pages counted on $sd" $PAGES "$(pages "$sd")"
	expect "write back: exposed_pages, $sd's" $PAGES \
		"$(json "j['metrics']['exposed_pages']" < "$WORK/t.json")"
else
	expect "write back: the $PAGES pinned pages bounced on $sd, none counted" 0 "$(pages "$sd")"
	expect "write back: pages the tracepoint saw bounced" $PAGES "$(decision_sum bounced)"
fi
