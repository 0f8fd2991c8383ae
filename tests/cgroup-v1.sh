#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Rows of a hybrid host's cgroup v1 blkio hierarchy are labelled from it,
# on this host (root, any kernel with BPF, blkio on cgroup v1 beside a
# cgroup2 mount, loop devices): writers in two blkio cgroups, A, whose id
# (its kernfs node, the inode of its directory) is made equal to that of a
# cgroup2 cgroup X, and B, whose id no cgroup2 cgroup has, write back
# pinned pages of D's page cache.  trace's JSON and the exporter's
# Prometheus text label them blkio:/A and blkio:/B, with blkio's hierarchy
# id: never X's path, "cgroup:ID" or "(gone)".
#
# The pins: pages of D's page cache, dirtied, then written with one
# long-lived O_DIRECT write from a mapping of them to loop device U, held
# back by a blkio write limit on the disk of U's file; each writer writes
# its page back with sync_file_range() from its own cgroup.
#
#   tests/cgroup-v1.sh [PINBOUNCE]    (default: build/san/pinbounce)
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/checks.sh"
. "$repo/tests/loops.sh"
pb=$(realpath "${1:-$repo/build/san/pinbounce}")
v2=$(findmnt -nt cgroup2 -o TARGET | head -1)
hier=$(awk '$1 == "blkio" { print $2 }' /proc/cgroups)

if [ ! -w "$blkio/blkio.throttle.write_bps_device" ] || [ -z "$v2" ] || [ "${hier:-0}" = 0 ] ||
   ! losetup -f > /dev/null 2>&1; then
	echo "cgroup-v1: skipped: needs root, loop devices, blkio on cgroup v1 and a cgroup2 mount"
	exit 0
fi
work=$(mktemp -d /tmp/pb-cgroup-v1.XXXXXX)
holder= exporter=
A=$blkio/pbc-$$-a B=$blkio/pbc-$$-b H=$blkio/pbc-$$-u X=$v2/pbc-$$-x
cleanup() {
	[ ! -d "$H" ] || echo "$DISK 0" > "$H/blkio.throttle.write_bps_device"
	[ -z "$exporter" ] || kill "$exporter" 2> /dev/null
	[ -z "$holder" ] || kill "$holder" 2> /dev/null
	wait 2> /dev/null
	for d in "$A" "$B" "$H" "$X"; do [ ! -d "$d" ] || rmdir "$d"; done
	loops_detach
	rm -rf "$work"
}
trap cleanup EXIT

loop d && D=$loop
loop u --direct-io=on && U=$loop
DISK=$(disk_of "$work")

# collide.py V1DIR V2DIR: make the two cgroups with the same node id.  Each
# hierarchy numbers its nodes (a cgroup's directory and its files) in
# order: the one behind is made again until it catches up, then each in
# turn, until they meet.  Prints the id, or "none" after 100000 tries.
cat > "$work/collide.py" << 'PY'
import os, sys
a, x = sys.argv[1], sys.argv[2]
os.mkdir(a)
os.mkdir(x)
for _ in range(100000):
    ia, ix = os.stat(a).st_ino, os.stat(x).st_ino
    if ia == ix:
        print(ia)
        sys.exit(0)
    d = a if ia < ix else x
    os.rmdir(d)
    os.mkdir(d)
print("none")
PY
# pin.py DEV N U: dirty N pages of DEV's page cache, 64 pages apart, and
# write them with one O_DIRECT write from a shared mapping of them to U,
# which pins them until it completes: 64 pages more of anonymous memory
# make it last a minute at a page a second.
cat > "$work/pin.py" << 'PY'
import mmap, os, sys
dev, n, u = sys.argv[1], int(sys.argv[2]), sys.argv[3]
stride = 64 * 4096
fd = os.open(dev, os.O_RDWR)
for i in range(n):
    os.pwrite(fd, os.urandom(4096), i * stride)
mm = mmap.mmap(fd, n * stride, mmap.MAP_SHARED, mmap.PROT_READ)
pad = mmap.mmap(-1, 64 * 4096)
os.pwritev(os.open(u, os.O_WRONLY | os.O_DIRECT),
           [memoryview(mm)[i * stride:i * stride + 4096] for i in range(n)] + [pad], 0)
PY
# writeback.py DEV CGROUP...: from the i-th CGROUP, write back page 64 * i.
cat > "$work/writeback.py" << 'PY'
import ctypes, os, sys
dev = sys.argv[1]
WAIT_BEFORE, WRITE, WAIT_AFTER = 1, 2, 4
for i, cg in enumerate(sys.argv[2:]):
    with open(f"{cg}/cgroup.procs", "w") as f:
        f.write(str(os.getpid()))
    fd = os.open(dev, os.O_RDONLY)
    assert ctypes.CDLL(None).sync_file_range(fd, ctypes.c_longlong(i * 64 * 4096),
                                             ctypes.c_longlong(4096),
                                             WAIT_BEFORE | WRITE | WAIT_AFTER) == 0
    os.close(fd)
PY

id=$(python3 "$work/collide.py" "$A" "$X") || exit 1
mkdir "$B" "$H" || exit 1
idb=$(stat -c %i "$B")
if [ "$id" != none ]; then
	ok "v1 blkio cgroup A has the id of cgroup2 cgroup X ($id)"
else
	bad "v1 blkio cgroup A and cgroup2 cgroup X: no common id in 100000 tries"
fi
check "v1 blkio cgroup B ($idb): no cgroup2 cgroup has its id" \
	[ -z "$(find "$v2" -type d -inum "$idb" 2> /dev/null)" ]

# The pins, from cgroup H, held back until the end.
echo "$DISK 4096" > "$H/blkio.throttle.write_bps_device"
sh -c 'echo $$ > "$1/cgroup.procs"; exec python3 "$2" "$3" 2 "$4"' sh "$H" "$work/pin.py" \
	"$D" "$U" &
holder=$!
for _ in $(seq 100); do
	[ "$(awk '{ print $2 }' "/sys/block/${U#/dev/}/inflight")" = 0 ] || break
	sleep 0.1
done
"$pb" export --textfile "$work/m.prom" --interval 1 2> "$work/export.err" &
exporter=$!
for _ in $(seq 100); do
	[ ! -s "$work/m.prom" ] || break
	sleep 0.1
done
timeout 60 "$pb" trace -d "${D#/dev/}" --json "$work/t.json" -- \
	python3 "$work/writeback.py" "$D" "$A" "$B" 2> "$work/t.err"
status=$?
pinned=$(awk '{ print $2 }' "/sys/block/${U#/dev/}/inflight")
check "the pins held until the pages were written back" [ "$pinned" != 0 ]
check "trace: exit status 0 (got $status)" [ "$status" = 0 ]
# The exporter's next files: the rows as it labels them.
d=${D#/dev/} a="blkio:/${A##*/}" b="blkio:/${B##*/}"
for _ in $(seq 50); do
	grep -qF "cgroup=\"$b\"" "$work/m.prom" && break
	sleep 0.2
done
sleep 1.5
kill "$exporter"
wait "$exporter"
status=$?
exporter=
if [ "$status" = 0 ] && ! grep -qv '^export: ' "$work/export.err"; then
	ok "export: exit status 0 on SIGTERM, nothing on stderr but its notes"
else
	bad "export: exit status $status: $(cat "$work/export.err")"
fi

if python3 - "$work/t.json" "$a" "$b" "$hier" "${X#"$v2"}" << 'PY'
import json, sys
j, a, b, hier, x = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
rows = [c for d in j["devices"] for c in d["cgroups"]]
by = {c["cgroup"]: c for c in rows}
for name in (a, b):
    assert name in by, (name, rows)
    assert by[name]["cgroup_hierarchy"] == hier and by[name]["total"]["pinned_wb_pages"] >= 1, by[name]
assert not any(c["cgroup"] == x or c["cgroup"] == "(gone)" or c["cgroup"].startswith("cgroup:")
               for c in rows), rows
PY
then
	ok "trace JSON: rows $a and $b, hierarchy $hier, pinned pages written back"
else
	bad "trace JSON: $(cat "$work/t.json")"
fi
check "trace: report valid pinbounce/1" \
	python3 "$repo/tests/schema-check.py" --command trace "$work/t.json"
# value NAME: pinbounce_pinned_wb_pages_total of device D, cgroup NAME.
value() {
	N=$1 D=$d awk '/^pinbounce_pinned_wb_pages_total\{/ &&
		index($0, "device=\"" ENVIRON["D"] "\",cgroup=\"" ENVIRON["N"] "\"}") { t += $2 }
		END { print t + 0 }' "$work/m.prom"
}
echo "prometheus: $a $(value "$a"), $b $(value "$b"), ${X#"$v2"} $(value "${X#"$v2"}"), (gone) $(value "(gone)")"
if [ "$(value "$a")" -ge 1 ] && [ "$(value "$b")" -ge 1 ] && [ "$(value "${X#"$v2"}")" = 0 ] &&
   [ "$(value "(gone)")" = 0 ]; then
	ok "prometheus: $a and $b counted, nothing as ${X#"$v2"} or (gone)"
else
	bad "prometheus: $(grep "device=\"$d\"" "$work/m.prom" | grep pinned_wb) $(cat "$work/export.err")"
fi

# trace --cgroup from blkio cgroup A counts A's write back only: the two
# pinned pages dirtied again, page 0 written back from A, page 64 from B.
python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
for i in (0, 1):
    os.pwrite(fd, os.urandom(4096), i * 64 * 4096)' "$D"
sh -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' sh "$A" timeout 60 "$pb" trace --cgroup \
	-d "$d" --json "$work/cg.json" -- python3 "$work/writeback.py" "$D" "$A" "$B" \
	2> "$work/cg.err"
status=$?
check "trace --cgroup from $a: exit status 0 (got $status: $(head -c 300 "$work/cg.err"))" \
	[ "$status" = 0 ]
if python3 - "$work/cg.json" "/${A##*/}" "$hier" << 'PY'
import json, sys
j, a, hier = json.load(open(sys.argv[1])), sys.argv[2], int(sys.argv[3])
assert j["cgroup"] == {"path": a, "hierarchy": hier}, j["cgroup"]
assert j["metrics"]["pinned_wb_pages"] == 1, j["metrics"]
assert j["metrics"]["write_count"] is None, j["metrics"]
rows = [c["cgroup"] for d in j["devices"] for c in d["cgroups"]]
assert rows == ["blkio:" + a], rows
PY
then
	ok "trace --cgroup from $a: its one pinned page written back, not $b's; histograms null"
else
	bad "trace --cgroup: $(cat "$work/cg.json")"
fi
check "trace --cgroup: report valid pinbounce/1" \
	python3 "$repo/tests/schema-check.py" --command trace "$work/cg.json"

echo "$DISK 0" > "$H/blkio.throttle.write_bps_device"
wait "$holder"
holder=

summary cgroup-v1
