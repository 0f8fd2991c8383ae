#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Exposure counts page-cache write back only, on this host (root, any
# kernel with BPF, cgroup v1 blkio throttling, loop devices):
#
# 1. O_DIRECT writes from a shared mapping of a file whose pages are under
#    writeback, to disk D that needs stable writes: since 6.3 the direct
#    I/O pins its source pages itself, so the bios carry page-cache pages
#    under writeback and pinned, and yet nothing of D's page cache is
#    written back.  pinned_wb_pages and exposed_pages stay 0; the pages
#    were under writeback as they were written (/proc/kpageflags) and D
#    received them all (its sector count).
# 2. The write back of pinned pages still counts: pages of D's page cache
#    pinned by a long-lived O_DIRECT write from a mapping of them (held
#    back by a blkio write limit), written back with sync_file_range():
#    pinned_wb_pages and exposed_pages are the pages written back.
#
#   tests/expose-direct.sh [PINBOUNCE]    (default: build/san/pinbounce)
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/checks.sh"
. "$repo/tests/loops.sh"
pb=$(realpath "${1:-$repo/build/san/pinbounce}")
# Pages written in each case.
pages=24

blkio_or_skip expose-direct
work=$(mktemp -d /tmp/pb-expose-direct.XXXXXX)
holder= cg="$blkio/pbx-$$"
cleanup() {
	[ -z "${S_DEV:-}" ] || echo "$S_DEV 0" > "$blkio/blkio.throttle.write_bps_device"
	[ ! -d "$cg" ] || echo "$DISK 0" > "$cg/blkio.throttle.write_bps_device"
	[ -z "$holder" ] || kill "$holder" 2> /dev/null
	wait 2> /dev/null
	[ ! -d "$cg" ] || rmdir "$cg"
	loops_detach
	rm -rf "$work"
}
trap cleanup EXIT

loop s && S=$loop
loop d && D=$loop
loop u --direct-io=on && U=$loop
S_DEV=$(cat "/sys/block/${S#/dev/}/dev")
echo 1 > "/sys/block/${D#/dev/}/queue/stable_writes" || exit 1
# The disk U's file is on: blkio limits whole disks.
DISK=$(disk_of "$work")

# sectors DEV: the sectors DEV has written.
sectors() {
	awk '{ print $7 }' "/sys/block/${1#/dev/}/stat"
}

# report FILE PYTHON: PYTHON's asserts hold on the report j.
report() {
	python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
'"$2" "$1"
}

# 1. hold.py DEV MAJ:MIN: dirty the first MiB of DEV's page cache, limit
# DEV's writes to a page a second, start their writeback, say "held", and
# keep DEV open (its last close would write it back) until stdin closes.
cat > "$work/hold.py" << 'PY'
import ctypes, mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
mm = mmap.mmap(fd, 1 << 20, mmap.MAP_SHARED)
mm[:] = os.urandom(1 << 20)
with open("/sys/fs/cgroup/blkio/blkio.throttle.write_bps_device", "w") as f:
    f.write(f"{sys.argv[2]} 4096\n")
SYNC_FILE_RANGE_WRITE = 2
ctypes.CDLL(None).sync_file_range(fd, ctypes.c_longlong(0), ctypes.c_longlong(1 << 20),
                                  SYNC_FILE_RANGE_WRITE)
print("held", flush=True)
sys.stdin.read()
PY
# direct.py SRC DST N: N O_DIRECT writes of a page, from a shared mapping
# of SRC's pages 128 and on, to DST; print how many of those pages were
# under writeback as each was written (/proc/kpageflags).
cat > "$work/direct.py" << 'PY'
import ctypes, os, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                      ctypes.c_int, ctypes.c_long]
PROT_READ, MAP_SHARED = 1, 1
addr = libc.mmap(None, 1 << 20, PROT_READ, MAP_SHARED, os.open(src, os.O_RDONLY), 0)
assert addr not in (None, ctypes.c_void_p(-1).value), os.strerror(ctypes.get_errno())
out = os.open(dst, os.O_WRONLY | os.O_DIRECT)
pagemap = os.open("/proc/self/pagemap", os.O_RDONLY)
kflags = os.open("/proc/kpageflags", os.O_RDONLY)
KPF_WRITEBACK = 1 << 8
under_wb = 0
for i in range(n):
    va = addr + (128 + i) * 4096
    page = (ctypes.c_char * 4096).from_address(va)
    ctypes.string_at(va, 1)         # fault it in
    pfn = int.from_bytes(os.pread(pagemap, 8, va // 4096 * 8), "little") & ((1 << 55) - 1)
    if int.from_bytes(os.pread(kflags, 8, pfn * 8), "little") & KPF_WRITEBACK:
        under_wb += 1
    assert os.pwrite(out, memoryview(page).cast("B"), i * 4096) == 4096
print(under_wb)
PY
# pin.py SRC DST N STRIDE: dirty N pages of SRC's page cache, STRIDE pages
# apart, then write them all with one O_DIRECT write from a shared
# mapping of them to DST, which pins them until it completes.
cat > "$work/pin.py" << 'PY'
import mmap, os, sys
src, dst, n, stride = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) * 4096
fd = os.open(src, os.O_RDWR)
for i in range(n):
    os.pwrite(fd, os.urandom(4096), i * stride)
mm = mmap.mmap(fd, n * stride, mmap.MAP_SHARED, mmap.PROT_READ)
out = os.open(dst, os.O_WRONLY | os.O_DIRECT)
os.pwritev(out, [memoryview(mm)[i * stride:i * stride + 4096] for i in range(n)], 0)
PY
# writeback.py DEV N STRIDE: write back those pages, each on its own.
cat > "$work/writeback.py" << 'PY'
import ctypes, os, sys
dev, n, stride = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) * 4096
fd = os.open(dev, os.O_RDONLY)
WAIT_BEFORE, WRITE, WAIT_AFTER = 1, 2, 4
for i in range(n):
    assert ctypes.CDLL(None).sync_file_range(fd, ctypes.c_longlong(i * stride),
                                             ctypes.c_longlong(4096),
                                             WAIT_BEFORE | WRITE | WAIT_AFTER) == 0
PY

# 1. O_DIRECT from a mapping of pages under writeback.
coproc HOLD { python3 "$work/hold.py" "$S" "$S_DEV"; }
holder=$HOLD_PID
read -r -t 20 -u "${HOLD[0]}" line
[ "$line" = held ] || { bad "writeback of $S held back (got '${line:-}')"; exit 1; }
d0=$(sectors "$D")
timeout 60 "$pb" trace -d "${D#/dev/}" --json "$work/direct.json" \
	--expect 'pinned_wb_pages == 0' --expect 'exposed_pages == 0' -- \
	python3 "$work/direct.py" "$S" "$D" "$pages" > "$work/direct.out" 2> "$work/direct.err"
status=$?
written=$((($(sectors "$D") - d0) / 8))
under_wb=$(cat "$work/direct.out")
echo "$S_DEV 0" > "$blkio/blkio.throttle.write_bps_device"
eval "exec ${HOLD[1]}>&-"
wait "$holder" 2> /dev/null
holder=
echo "direct writes: $written pages written to $D, $under_wb of their sources under writeback, trace exit $status"
check "direct writes: all $pages source pages under writeback as they were written" \
	[ "$under_wb" = "$pages" ]
check "direct writes: $D received all $pages pages" [ "$written" -ge "$pages" ]
if [ "$status" = 0 ] && report "$work/direct.json" '
m = j["metrics"]
assert m["pinned_wb_pages"] == 0 and m["exposed_pages"] == 0, m'; then
	ok "direct writes: pinned_wb_pages and exposed_pages 0, trace --expect holds"
else
	bad "direct writes: trace exit $status: $(cat "$work/direct.err")"
fi

# 2. The write back of pinned pages, to D, which needs stable writes: the
# pins held by a write to U whose file's disk is limited to a page a
# second for the writer's blkio cgroup.
mkdir "$cg" || exit 1
echo "$DISK 4096" > "$cg/blkio.throttle.write_bps_device"
sh -c 'echo $$ > "$1/cgroup.procs"; exec python3 "$2" "$3" "$4" "$5" 64' sh \
	"$cg" "$work/pin.py" "$D" "$U" "$pages" &
holder=$!
for _ in $(seq 100); do
	[ "$(awk '{ print $2 }' "/sys/block/${U#/dev/}/inflight")" = 0 ] || break
	sleep 0.1
done
d0=$(sectors "$D")
timeout 60 "$pb" trace -d "${D#/dev/}" --json "$work/wb.json" \
	--expect "pinned_wb_pages == $pages" --expect "exposed_pages == $pages" -- \
	python3 "$work/writeback.py" "$D" "$pages" 64 2> "$work/wb.err"
status=$?
written=$((($(sectors "$D") - d0) / 8))
pinned=$(awk '{ print $2 }' "/sys/block/${U#/dev/}/inflight")
echo "$DISK 0" > "$cg/blkio.throttle.write_bps_device"
wait "$holder"
holder=
echo "writeback: $written pages written to $D, the pinning write in flight: $pinned, trace exit $status"
check "writeback: the pinning write still in flight as the pages were written back" \
	[ "$pinned" != 0 ]
check "writeback: $D wrote $pages pages" [ "$written" -ge "$pages" ]
if [ "$status" = 0 ] && report "$work/wb.json" '
m = j["metrics"]
assert m["pinned_wb_pages"] == '"$pages"' and m["exposed_pages"] == '"$pages"', m'; then
	ok "writeback: pinned_wb_pages and exposed_pages $pages, trace --expect holds"
else
	bad "writeback: trace exit $status: $(cat "$work/wb.err")"
fi

summary expose-direct
