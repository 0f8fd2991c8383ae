# btrfs checksums its data before the block layer sees it, and writes each
# mirror of a raid1 with a bio of its own.  Bounced at the bottom, a pinned
# page would be copied after its checksum was computed, once per mirror:
# the checksums would not match the disk, or the mirrors each other, and the
# data would be lost at the next read with nothing failing before.  So btrfs
# bounces pinned pages itself, before it checksums them, and by default
# whenever the data is checksummed, whatever the disk: the checksum is
# wrong on a disk without T10-PI too.  The file's pages are pinned, the
# fixture's thread writes into them while the test stores and writes back
# (sync_file_range(), not fsync(): that would also write the pinned pages
# from a copy, over what write back sent), and after the last round, while
# the pages are still pinned and the thread still writes (pinwrite -K):
#  - btrfs scrub reads every copy of every block and checks its checksum;
#  - the file is read with O_DIRECT, which checks the checksums too.
# Then pinwrite reads it back (-V): the data of the last round.
# Three filesystems: one on a PI disk (single), one on a disk without PI
# (single), one over two PI disks (raid1 data and metadata).  Passed
# through, writes must fail on the PI disk, and on the plain disk scrub or
# the O_DIRECT reads must find bad checksums: that shows the scribbling
# reached the disk.
. "$PB_REPO/tests/vm/lib.sh"

seconds=${PB_BTRFS_SECONDS:-5}
load_fixture
cleanup "! grep -q '^scsi_debug ' /proc/modules || rmmod scsi_debug"

# phase WHAT [PINFORCE-ACTION]: pinned writes with the thread scribbling;
# sets failures, verify, guard and csum for them, and scrubbed (ok or bad,
# from a scrub while pinned) and direct (O_DIRECT read errors), but for
# the writes a PI disk refused (passed through there: skipped).
phase() {
	local what=$1 force=${2:-} g c i pid
	local cmd=("$BIN/pinwrite" -p 64 -w 64 -c 1 -t "$seconds" -b -K 8 -V /run/mnt/file)
	[ -z "$force" ] || cmd=("$REPO/build/pinforce" "$force" -- "${cmd[@]}")
	g=$(guard_errors) c=$(csum_errors)
	trace_start
	taskset -c 0 "${cmd[@]}" > "$WORK/out" 2>&1 &
	pid=$!
	wait_kept "$pid" "$what"
	scrubbed=skipped direct=0
	if [ -z "$force" ] || [ "$(stable_writes "$dev")" = 0 ]; then
		# Commits what was written back, not syncfs(): that writes
		# pinned pages from a copy.
		btrfs filesystem sync /run/mnt
		btrfs scrub start -B /run/mnt > "$WORK/scrub" 2>&1 || true
		grep -E 'Error summary|csum=' "$WORK/scrub" | sed 's/^/  scrub: /'
		scrubbed=bad
		grep -q 'no errors found' "$WORK/scrub" && scrubbed=ok
		for i in 1 2 3; do
			dd if=/run/mnt/file of=/dev/null bs=64k iflag=direct status=none 2>/dev/null ||
				direct=$((direct + 1))
		done
	fi
	wait "$pid" || true
	trace_stop
	sed 's/^/  /' "$WORK/out" | grep -v 'data of round' || true
	failures=$(sed -n 's/.*fsync_failures=\([0-9]*\).*/\1/p' "$WORK/out")
	verify=$(sed -n 's/.*verify=\([a-z]*\).*/\1/p' "$WORK/out")
	guard=$(($(guard_errors) - g)) csum=$(($(csum_errors) - c))
	echo "$what: fsync_failures=$failures guard=$guard csum=$csum scrub=$scrubbed direct_read_errors=$direct verify=$verify"
}

# expect_sound WHAT: the phase bounced by default and lost nothing.
expect_sound() {
	expect_outcome "$1" bounce default
	expect "$1: failed fsyncs" 0 "$failures"
	expect "$1: guard check failures" 0 "$guard"
	expect "$1: btrfs scrub of every copy, while pinned" ok "$scrubbed"
	expect "$1: O_DIRECT reads that failed, while pinned" 0 "$direct"
	expect "$1: checksum errors in the kernel log" 0 "$csum"
	expect "$1: read back (pinwrite -V)" ok "$verify"
}

# single [plain]: a PI disk (plain: one without PI, which needs no stable
# writes) with a new btrfs in $dev, mounted at /run/mnt, with a file.
single() {
	! grep -q '^scsi_debug ' /proc/modules || rmmod scsi_debug
	if [ "${1:-}" = plain ]; then
		dev=$(scsi_debug_up dev_size_mb=256)
		expect "$dev has stable writes" 0 "$(stable_writes "$dev")"
	else
		dev=$(scsi_debug_up dif=1 dix=1 dev_size_mb=256)
		expect "$dev has stable writes" 1 "$(stable_writes "$dev")"
	fi
	mkfs.btrfs -q -f -d single -m dup "/dev/$dev" > /dev/null
	mount "/dev/$dev" /run/mnt
	make_file /run/mnt/file 64
}

# --- one PI disk ------------------------------------------------------------
cleanup "! mountpoint -q /run/mnt || umount /run/mnt"
single
phase "single, forced passthrough" passthrough
expect_gt "single, passthrough: failed fsyncs (else this proves nothing)" 0 "$failures"
expect_gt "single, passthrough: guard check failures" 0 "$guard"
umount /run/mnt

single
phase "single, by default"
expect_sound "single, by default"
umount /run/mnt

# --- a disk without PI: checksummed data is copied all the same -----------
# The scribbling must land between the checksum and the write at least
# once: a race, which a round on a plain disk has lost about once in six
# runs (btrfs checksums in a worker that may run on the writer's CPU), so
# up to three tries.
for try in 1 2 3; do
	single plain
	phase "plain disk, forced passthrough (try $try)" passthrough
	expect "plain disk, passthrough: failed fsyncs (no PI to refuse them)" 0 "$failures"
	umount /run/mnt
	bad=$(($([ "$scrubbed" = bad ] && echo 1 || echo 0) + direct + csum))
	[ "$bad" = 0 ] || break
done
expect_gt "plain disk, passthrough: bad checksums found by scrub, O_DIRECT reads and the log (else this proves nothing)" \
	0 "$bad"

single plain
phase "plain disk, by default"
expect_sound "plain disk, by default"
umount /run/mnt
rmmod scsi_debug

# --- raid1 over two PI disks ------------------------------------------------
read -r a b <<< "$(scsi_debug_hosts 2 dif=1 dix=1 dev_size_mb=256)"
dev=$a
mkfs.btrfs -q -f -d raid1 -m raid1 "/dev/$a" "/dev/$b" > /dev/null
mount -o device="/dev/$b" "/dev/$a" /run/mnt
make_file /run/mnt/file 64
phase "raid1, by default"
expect_sound "raid1, by default"
