# device-mapper targets that read the data of a write: dm-integrity in
# direct mode computes its tags from the pages, and dm-raid1 sends them to
# each leg.  A pinned page must be bounced once, on the dm device, before
# the target reads it: bounced at the bottom instead, the tags would not
# match what reaches the disk (the read back fails), and each leg would get
# a copy taken at a different moment.  The fixture's thread writes into the
# pinned pages while the test stores and fsyncs; after the last round,
# pages still pinned and the thread still writing (pinwrite -K):
#  - dm-integrity: the pages read back with O_DIRECT, tags checked;
#  - dm-raid1 over two PI disks: both legs hold the same bytes.
. "$PB_REPO/tests/vm/lib.sh"

seconds=${PB_DM_SECONDS:-5}
load_fixture
cleanup "! grep -q '^scsi_debug ' /proc/modules || rmmod scsi_debug"
tag_errors() { dmesg | grep -ciE 'checksum failed' || true; }
pages=64

# pinned WHAT DEV: pinwrite on the raw DEV with the thread scribbling, then
# "kept" in $WORK/out; the caller checks, then calls pinned_done.
pinned() {
	trace_start
	taskset -c 0 "$BIN/pinwrite" -p "$pages" -w 64 -c 1 -t "$seconds" -K 6 -V "$2" \
		> "$WORK/out" 2>&1 &
	pid=$!
	wait_kept "$pid" "$1"
}

pinned_done() {
	wait "$pid" || true
	trace_stop
	sed 's/^/  /' "$WORK/out" | grep -v 'data of round' || true
	expect "$1: failed fsyncs" 0 "$(sed -n 's/.*fsync_failures=\([0-9]*\).*/\1/p' "$WORK/out")"
	expect "$1: read back (pinwrite -V)" ok "$(sed -n 's/.*verify=\([a-z]*\).*/\1/p' "$WORK/out")"
}

# devno NAME: "MAJ,MIN" of /dev/NAME as the tracepoint prints it.
devno() {
	local d
	d=$(cat "/sys/class/block/$1/dev")
	echo "${d/:/,}"
}

# --- dm-integrity, direct mode, on a disk without PI -------------------------
dev=$(scsi_debug_up dev_size_mb=64)
expect "$dev, no PI: stable writes" 0 "$(stable_writes "$dev")"
dmsetup --noudevsync create pbint --table "0 65536 integrity /dev/$dev 0 4 D 1 internal_hash:crc32c" ||
	fail "dmsetup create (dm-integrity) failed"
cleanup "dmsetup --noudevsync remove pbint 2>/dev/null"
dm=$(dmsetup info -c --noheadings -o blkdevname pbint)
expect "dm-integrity ($dm) asks for stable writes" 1 "$(stable_writes "$dm")"
# Write the tags of what the test maps before it reads it.
dd if=/dev/zero of=/dev/mapper/pbint bs=1M count=1 oflag=direct status=none
before=$(tag_errors)
pinned "dm-integrity" /dev/mapper/pbint
direct=0
for i in 1 2 3; do
	dd if=/dev/mapper/pbint of=/dev/null bs=64k count=$((pages / 16)) iflag=direct status=none 2>/dev/null ||
		direct=$((direct + 1))
done
pinned_done "dm-integrity"
expect_gt "dm-integrity: decisions on $dm ($(devno "$dm")), bounced by default" 0 \
	"$(decisions "block_bio_pin_bounce: $(devno "$dm") .* action=bounce by=default")"
expect "dm-integrity: decisions on $dev (none: $dm decided)" 0 \
	"$(decisions "block_bio_pin_bounce: $(devno "$dev") ")"
expect "dm-integrity: O_DIRECT reads that failed, while pinned" 0 "$direct"
expect "dm-integrity: tag mismatches in the kernel log" 0 $(($(tag_errors) - before))
dmsetup --noudevsync remove pbint
rmmod scsi_debug

# --- dm-raid1 over two PI disks ---------------------------------------------
read -r a b <<< "$(scsi_debug_hosts 2 dif=1 dix=1 dev_size_mb=64)"
sectors=$(blockdev --getsz "/dev/$a")
dmsetup --noudevsync create pbmirror \
	--table "0 $sectors mirror core 2 1024 nosync 2 /dev/$a 0 /dev/$b 0 0" ||
	fail "dmsetup create (dm-raid1) failed"
cleanup "dmsetup --noudevsync remove pbmirror 2>/dev/null"
dm=$(dmsetup info -c --noheadings -o blkdevname pbmirror)
expect "dm-raid1 ($dm) has stable writes, as its legs do" 1 "$(stable_writes "$dm")"
before=$(guard_errors)
pinned "dm-raid1" /dev/mapper/pbmirror
same=1
cmp <(dd if="/dev/$a" bs=4096 count=$pages iflag=direct status=none) \
	<(dd if="/dev/$b" bs=4096 count=$pages iflag=direct status=none) > "$WORK/cmp" 2>&1 || same=0
pinned_done "dm-raid1"
[ "$same" = 1 ] || fail "dm-raid1: legs $a and $b hold different data: $(cat "$WORK/cmp")"
echo "ok: dm-raid1: legs $a and $b hold the same $pages pages"
expect_gt "dm-raid1: decisions on $dm ($(devno "$dm")), bounced by default" 0 \
	"$(decisions "block_bio_pin_bounce: $(devno "$dm") .* action=bounce by=default")"
expect "dm-raid1: decisions on the legs (none: $dm decided)" 0 \
	"$(decisions "block_bio_pin_bounce: 8,")"
expect "dm-raid1: guard check failures in the kernel log" 0 $(($(guard_errors) - before))
