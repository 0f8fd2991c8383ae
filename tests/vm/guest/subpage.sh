# Bounced bytes land where they belong.  A bvec that starts 1, 2 or 3 KiB
# into its page must reach the disk from that offset of the bounce page:
# the block device's own page cache writes one buffer per bio, a page whose
# blocks are scattered on disk is written as one bio per block, and ext4
# with 1 KiB blocks writes one dirty buffer at a time.  Nothing
# scribbles here, so after every write back the disk (read with O_DIRECT)
# must equal the page cache byte for byte, bounced by default, forced to
# bounce, and passed through.  The trace shows that the bios really were
# 1 KiB at those offsets.
. "$PB_REPO/tests/vm/lib.sh"

load_fixture
dev=$(scsi_debug_up dif=1 dix=1 dev_size_mb=64)
cleanup "rmmod scsi_debug"
expect "$dev has stable writes" 1 "$(stable_writes "$dev")"

# offsets_seen MAP: "N0 N1 N2 N3", the decisions traced on 1 KiB bios whose
# data starts 0, 1, 2 and 3 KiB into its page.  MAP is "raw" for the block
# device, where sector 0 is byte 0, or a file on an ext4 with 1 KiB blocks
# whose extents `filefrag -v` gives.
offsets_seen() {
	local map=/dev/null
	if [ "$1" != raw ]; then
		map=$WORK/extents
		filefrag -v "$1" > "$map"
	fi
	python3 - "$WORK/trace" "$map" <<'PY'
import re, sys
trace, extents = sys.argv[1], sys.argv[2]
ext = []
for line in open(extents):
    m = re.match(r'\s*\d+:\s+(\d+)\.\.\s*(\d+):\s+(\d+)\.\.\s*(\d+):', line)
    if m:
        ext.append(tuple(int(x) for x in m.groups()))
seen = [0, 0, 0, 0]
for line in open(trace):
    m = re.search(r' block_bio_pin_bounce: .* (\d+) \+ (\d+) ', line)
    if not m or int(m.group(2)) != 2:
        continue
    sector = int(m.group(1))
    if not ext:
        seen[sector * 512 % 4096 // 1024] += 1
        continue
    pblk = sector // 2
    for lstart, lend, pstart, pend in ext:
        if pstart <= pblk <= pend:
            seen[(lstart + pblk - pstart) % 4] += 1
print(*seen)
PY
}

# run WHAT ACTION BY TARGET [PINFORCE-ACTION] SUBPAGE -- PINWRITE-ARGS:
# pinned writes to TARGET read back byte-exact, each decision as expected,
# and with SUBPAGE=yes, 1 KiB bios at every offset in a page.
run() {
	local what=$1 action=$2 by=$3 target=$4 force=$5 subpage=$6 seen
	shift 7
	local cmd=("$BIN/pinwrite" "$@" -V "$target")
	[ -z "$force" ] || cmd=("$REPO/build/pinforce" "$force" -- "${cmd[@]}")
	trace_start
	"${cmd[@]}" > "$WORK/out" || { cat "$WORK/out"; fail "$what: read back wrong"; }
	trace_stop
	cat "$WORK/out"
	expect "$what: failed fsyncs" 0 "$(sed -n 's/.*fsync_failures=\([0-9]*\).*/\1/p' "$WORK/out")"
	expect "$what: disk = page cache (O_DIRECT)" ok \
		"$(sed -n 's/.*verify=\([a-z]*\).*/\1/p' "$WORK/out")"
	expect_outcome "$what" "$action" "$by"
	seen=$(offsets_seen "$([ "$target" = "/dev/$dev" ] && echo raw || echo "$target")")
	echo "$what: 1 KiB bios decided at 0/1/2/3 KiB into the page: $seen"
	[ "$subpage" = yes ] || return 0
	read -r -a n <<< "$seen"
	for k in 1 2 3; do
		expect_gt "$what: 1 KiB bios starting $k KiB into the page" 0 "${n[k]}"
	done
}

# --- ext4 with 1 KiB blocks, one dirty buffer per write back --------------
mkfs.ext4 -q -F -b 1024 "/dev/$dev"
mount "/dev/$dev" /run/mnt
cleanup "! mountpoint -q /run/mnt || umount /run/mnt"
make_file /run/mnt/file 32
run "ext4 1k, by default" bounce default /run/mnt/file "" yes -- -p 32 -r 4 -s
run "ext4 1k, forced bounce" bounce prog /run/mnt/file bounce yes -- -p 32 -r 4 -s
run "ext4 1k, forced passthrough" passthrough prog /run/mnt/file passthrough yes -- -p 32 -r 4 -s

# --- a file whose blocks are scattered: one bio per 1 KiB block -----------
# Two files grown 1 KiB at a time in turn, from ext4's shared per-CPU
# preallocation (mb_stream_req: no file counts as large), interleave on disk.
echo 100000 > "/sys/fs/ext4/$dev/mb_stream_req"
for ((i = 0; i < 64; i++)); do
	for f in frag filler; do
		head -c 1024 /dev/urandom >> "/run/mnt/$f"
		taskset -c 0 sync "/run/mnt/$f"
	done
done
extents=$(filefrag /run/mnt/frag | sed -n 's/.*: \([0-9]*\) extents\? found/\1/p')
expect_gt "extents of the fragmented 64 KiB file" 48 "$extents"
run "fragmented file, by default" bounce default /run/mnt/frag "" yes -- -p 16 -r 2
run "fragmented file, forced bounce" bounce prog /run/mnt/frag bounce yes -- -p 16 -r 2 -s
run "fragmented file, forced passthrough" passthrough prog /run/mnt/frag passthrough yes -- -p 16 -r 2
umount /run/mnt

# --- the raw device: its page cache in 1 KiB buffers ----------------------
# The block size holds while the device is open (the first open resets it).
exec 7< "/dev/$dev"
cleanup "exec 7<&-"
blockdev --setbsz 1024 "/dev/$dev"
expect "block size of /dev/$dev" 1024 "$(blockdev --getbsz "/dev/$dev")"
run "raw $dev, by default" bounce default "/dev/$dev" "" yes -- -p 32 -r 4 -s
run "raw $dev, forced passthrough" passthrough prog "/dev/$dev" passthrough yes -- -p 32 -r 4 -s
exec 7<&-
