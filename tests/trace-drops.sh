#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# trace --expect on this host (root, any kernel with BPF): a clean run
# passes with no drop that counts, its writes queued before the observers
# attached reported apart as untimed; a run whose table of counters
# overflows makes an expectation on the counters unknown (124), never
# passed.
#
# Pinned page-cache pages written back, without the bounce series: the
# pages of loop device S's own page cache are dirtied and their writeback
# held back by a write limit of blkio (cgroup v1), so that they stay under
# writeback; a write with O_DIRECT from a mapping of them pins them while
# it runs, and is counted in pinned_wb_pages as it completes, in the row of
# its disk and of the writer's blkio cgroup.
#
#   tests/trace-drops.sh [PINBOUNCE]    (default: build/san/pinbounce)
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/checks.sh"
pb=$(realpath "${1:-$repo/build/san/pinbounce}")
blkio=/sys/fs/cgroup/blkio
# Writers in cgroups: 16 rows fill the table that --max-rows 16 makes.
rows=16

if [ ! -w "$blkio/blkio.throttle.write_bps_device" ] || ! losetup -f > /dev/null 2>&1; then
	echo "trace-drops: skipped: needs root, loop devices and cgroup v1 blkio throttling"
	exit 0
fi
work=$(mktemp -d /tmp/pb-trace-drops.XXXXXX)
devs=() holder=
cleanup() {
	[ -z "${S_DEV:-}" ] || echo "$S_DEV 0" > "$blkio/blkio.throttle.write_bps_device"
	[ ! -d "$blkio/pbt-$$-u" ] || echo "$DISK 0" > "$blkio/pbt-$$-u/blkio.throttle.write_bps_device"
	[ -z "$holder" ] || kill "$holder" 2> /dev/null
	wait 2> /dev/null
	for i in $(seq 0 "$rows") u; do
		[ ! -d "$blkio/pbt-$$-$i" ] || rmdir "$blkio/pbt-$$-$i"
	done
	for d in "${devs[@]}"; do losetup -d "$d"; done
	rm -rf "$work"
}
trap cleanup EXIT

for name in s d e u; do
	opts=()
	[ "$name" != u ] || opts=(--direct-io=on)
	truncate -s 16M "$work/$name.img"
	dev=$(losetup -f --show "${opts[@]}" "$work/$name.img") || exit 1
	devs+=("$dev")
done
S=${devs[0]} D=${devs[1]} E=${devs[2]} U=${devs[3]}
S_DEV=$(cat "/sys/block/${S#/dev/}/dev")
# The disk U's file is on: blkio limits whole disks.
DISK=$(findmnt -no MAJ:MIN -T "$work")
[ ! -e "/sys/dev/block/$DISK/partition" ] || DISK=$(cat "/sys/dev/block/$DISK/../dev")

# hold.py DEV MAJ:MIN: dirty the first MiB of DEV's page cache, limit DEV's
# writes to a page a second, start their writeback, say "held", and keep
# DEV open (its last close would write it back) until stdin closes.
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
# pinned.py SRC CGROUPS N FILL TARGET: from each of the cgroups CGROUPS-0
# to CGROUPS-(N-1), one O_DIRECT write of a page of SRC's mapping (held
# under writeback, so pinned while under it) to FILL; then, from cgroup
# CGROUPS-N, one to TARGET.
cat > "$work/pinned.py" << 'PY'
import mmap, os, sys
src, cg, n, fill, target = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
mm = mmap.mmap(os.open(src, os.O_RDONLY), 1 << 20, mmap.MAP_SHARED, mmap.PROT_READ)
for i in range(n + 1):
    with open(f"{cg}-{i}/cgroup.procs", "w") as f:
        f.write(str(os.getpid()))
    out = os.open(target if i == n else fill, os.O_WRONLY | os.O_DIRECT)
    os.pwrite(out, memoryview(mm)[(128 + i) * 4096:(129 + i) * 4096], i * 4096)
    os.close(out)
PY

# hold: S's writeback held back, as a background coprocess.
hold() {
	coproc HOLD { python3 "$work/hold.py" "$S" "$S_DEV"; }
	holder=$HOLD_PID
	local line
	read -r -t 20 -u "${HOLD[0]}" line
	[ "$line" = held ] || { bad "writeback of $S held back (got '$line')"; exit 1; }
}
release() {
	echo "$S_DEV 0" > "$blkio/blkio.throttle.write_bps_device"
	eval "exec ${HOLD[1]}>&-"
	wait "$holder" 2> /dev/null
	holder=
}

# report FILE PYTHON: PYTHON's asserts hold on the report j.
report() {
	python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
'"$2" "$1"
}

# 1. A clean run.  A write to U, queued before trace attached, completes
# while it runs: untimed, counted, no update lost.  (Its loop device writes
# to its file with O_DIRECT in the writer's blkio cgroup, whose writes to
# that disk are held back until the command lets them go.)  Every
# expectation holds; nothing counts as dropped.
mkdir "$blkio/pbt-$$-u" || exit 1
echo "$DISK 4096" > "$blkio/pbt-$$-u/blkio.throttle.write_bps_device"
sh -c 'echo $$ > "$1/cgroup.procs"; exec dd if=/dev/zero of="$2" bs=64k count=1 oflag=direct \
	status=none' sh "$blkio/pbt-$$-u" "$U" &
writer=$!
for _ in $(seq 100); do
	[ "$(awk '{ print $2 }' "/sys/block/${U#/dev/}/inflight")" = 0 ] || break
	sleep 0.1
done
start=$(date +%s%N)
timeout 60 "$pb" trace --json "$work/clean.json" --expect 'dropped_updates == 0' \
	--expect 'pinned_wb_pages == 0' --expect 'write_count > 0' -- sh -c '
	echo "$1 0" > "$2/blkio.throttle.write_bps_device"
	for _ in $(seq 100); do
		[ "$(awk "{ print \$2 }" "/sys/block/$3/inflight")" != 0 ] || break
		sleep 0.1
	done
	dd if=/dev/zero of="$4" bs=4k count=16 oflag=direct status=none' sh \
	"$DISK" "$blkio/pbt-$$-u" "${U#/dev/}" "$D" 2> "$work/clean.err"
status=$?
ms=$((($(date +%s%N) - start) / 1000000))
echo "$DISK 0" > "$blkio/pbt-$$-u/blkio.throttle.write_bps_device"
wait "$writer"
if [ "$status" = 0 ] && grep -q "writes\? untimed (no latency sample, not a drop)" \
	"$work/clean.err" && ! grep -q "dropped" "$work/clean.err" &&
   report "$work/clean.json" '
m = j["metrics"]
assert j["result"] == "pass", j["result"]
assert m["dropped_updates"] == 0 and m["untimed_writes"] >= 1, m
assert all(e["outcome"] == "passed" for e in j["expectations"]), j["expectations"]'; then
	ok "clean trace: status 0, a write queued before it untimed, 0 dropped (${ms} ms)"
else
	bad "clean trace: status $status: $(cat "$work/clean.err")"
fi
check "clean trace: report valid pinbounce/1" \
	python3 "$repo/tests/schema-check.py" --command trace "$work/clean.json"

# 2. The table of counters full: rows of $rows cgroups writing pinned
# pages to E fill it, then a cgroup writes one to D, whose row is dropped.
# -d D sees 0 pinned pages written back; that is not known to be true.
for i in $(seq 0 "$rows"); do mkdir "$blkio/pbt-$$-$i" || exit 1; done
hold
start=$(date +%s%N)
timeout 60 "$pb" --max-rows "$rows" trace -d "${D#/dev/}" --json "$work/full.json" \
	--expect 'pinned_wb_pages == 0' --expect 'duration_s > 0' -- \
	python3 "$work/pinned.py" "$S" "$blkio/pbt-$$" "$rows" "$E" "$D" 2> "$work/full.err"
status=$?
ms=$((($(date +%s%N) - start) / 1000000))
release
want="expectation unknown: pinned_wb_pages == 0: 1 update dropped (counters 1) may have counted in pinned_wb_pages (seen: 0)"
if [ "$status" = 124 ] && grep -qF "$want" "$work/full.err" &&
   grep -q "; 1 update dropped (counters 1)" "$work/full.err" &&
   report "$work/full.json" '
assert j["result"] == "unknown", j["result"]
assert j["dropped_updates"]["counters"] == 1 and j["metrics"]["dropped_updates"] == 1, j
e, d = j["expectations"]
assert e["outcome"] == "unknown" and not e["passed"] and e["value"] == 0, e
assert e["reason"] == "1 update dropped (counters 1) may have counted in pinned_wb_pages", e
assert d["outcome"] == "passed" and d["passed"], d'; then
	ok "full table: pinned_wb_pages == 0 unknown, status 124, the drop named (${ms} ms)"
else
	bad "full table: status $status: $(cat "$work/full.err")"
fi
check "full table: report valid pinbounce/1" \
	python3 "$repo/tests/schema-check.py" --command trace "$work/full.json"

summary trace-drops
