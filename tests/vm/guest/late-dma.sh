# DMA that lands after the write back.  The fixture writes into the pinned
# pages once their write back is over and fsync() has returned; pinwrite
# then fsync()s again and reads the pages back with O_DIRECT while they are
# still pinned (unpinning would dirty them).  The device's write dirties
# nothing, and write back leaves a written pinned page clean, as stock 6.1
# does: it is fsync() that writes every page of a file that was pinned long
# term from a copy, through the filesystem's direct I/O path.  So the late
# fsync() makes no bounce decision (the copy is not pinned) but sends the
# disk at least the pinned pages, and the device's late bytes are on the
# disk: on ext4 with 4 KiB and 1 KiB blocks, XFS, btrfs on a PI disk and
# on a plain one (it checksums its data on every disk) and the raw PI
# disk, bounced or forced through; by fsync() and, on a filesystem, by
# syncfs(), sync() and umount, not by msync().  sync() and umount look
# only at the files of a filesystem where something was pinned.  The end
# of a file: the copy ends at the last whole block inside the file's size.
. "$PB_REPO/tests/vm/lib.sh"

rounds=2
pages=16
value=16	# a new byte for each run: what the disk held before is never it
load_fixture
row_cleanup

# late WHAT TARGET ON-DISK [PINFORCE-ACTION [HOW]]: rounds (traced), then a
# late write by the fixture and an fsync, or HOW (fdatasync, syncfs, sync,
# msync; traced apart, and the sectors it sent $dev counted), then the read
# back: ON-DISK is ok if the late bytes must be on the disk, bad if not.
late() {
	local what=$1 target=$2 want=$3 force=${4:-} how=${5:-fsync} pid s0
	local cmd=("$BIN/pinwrite" -p "$pages" -r "$rounds" -A 60 -L $((value += 17)) -S "$how"
		-K 60 -V "$target")
	[ -z "$force" ] || cmd=("$REPO/build/pinforce" "$force" -- "${cmd[@]}")
	trace_start
	"${cmd[@]}" > "$WORK/out" 2>&1 &
	pid=$!
	reap "$pid"
	wait_line "$WORK/out" '^pinwrite: rounds done' "$pid" "$what: pinwrite did not finish its rounds"
	trace_stop
	if [ "${force:-bounce}" = bounce ]; then
		expect_outcome "$what: the rounds" bounce "$([ -n "$force" ] && echo prog || echo default)"
	else
		expect_outcome "$what: the rounds" passthrough prog
	fi
	trace_start
	s0=$(sectors "$dev")
	release "$pid"	# the device writes, then fsync()
	wait_kept "$pid" "$what"
	sent=$(($(sectors "$dev") - s0))
	trace_stop
	release "$pid"
	wait "$pid" || true
	sed 's/^/  /' "$WORK/out"
	expect "$what: failed fsyncs" 0 "$(sed -n 's/.*fsync_failures=\([0-9]*\).*/\1/p' "$WORK/out")"
	expect "$what: decisions in the $how after the device wrote (it writes a copy)" \
		0 "$(decisions)"
	if [ "$want" = ok ]; then
		expect_gt "$what: sectors that $how sent the disk, at least the pinned pages'" \
			$((pages * 8 - 1)) "$sent"
	fi
	expect "$what: the device's late bytes on disk" "$want" \
		"$(sed -n 's/.*verify=\([a-z]*\).*/\1/p' "$WORK/out")"
}

# eof WHAT LAST-PAGE: the end of the file.  The file is cut, while pinned,
# to 2100 bytes into its last pinned page; the device writes into every
# page and pinwrite fsync()s.  The copy ends at the last whole block inside
# the file's size: the page before is on the disk, and the first bytes of
# the last page are only where blocks are smaller than 2100 bytes
# (LAST-PAGE: ok if they must be on the disk, bad if not).
eof() {
	local what=$1 want=$2 pid byte got
	make_file /run/mnt/eof "$pages"
	value=$((value + 17))
	"$BIN/pinwrite" -p "$pages" -r "$rounds" -A 60 -L "$value" -K 60 /run/mnt/eof \
		> "$WORK/out" 2>&1 &
	pid=$!
	reap "$pid"
	wait_line "$WORK/out" '^pinwrite: rounds done' "$pid" "$what: pinwrite did not finish its rounds"
	truncate -s $(((pages - 1) * 4096 + 2100)) /run/mnt/eof
	sync /run/mnt/eof	# the zeroed tail of the last page, written back
	release "$pid"	# the device writes, then fsync()
	wait_kept "$pid" "$what"
	byte=$(printf %02x $((value & 255)))
	expect "$what: the device's byte in the last whole page, on disk" "$byte" \
		"$(disk_byte /run/mnt/eof $((pages - 2)))"
	got=$(disk_byte /run/mnt/eof $((pages - 1)))
	if [ "$want" = ok ]; then
		expect "$what: the device's byte in the page that holds the end, on disk" "$byte" "$got"
	else
		[ "$got" != "$byte" ] || fail "$what: the page that holds the end of the file was written"
		echo "ok: $what: the page that holds the end of the file was not written ($got)"
	fi
	release "$pid"
	wait "$pid" || true
	rm /run/mnt/eof
}

# gone WHAT: umount.  The pinning process unmaps and closes the file after
# the rounds, keeping its pins; the device writes into every pinned page
# and the filesystem is unmounted under the pins: the device's bytes are
# on the disk when it is mounted again.
gone() {
	local what=$1 pid i byte missing=0
	make_file /run/mnt/gone "$pages"
	value=$((value + 17))
	"$BIN/pinwrite" -p "$pages" -r "$rounds" -C -A 60 -L "$value" -S none -K 60 \
		/run/mnt/gone > "$WORK/out" 2>&1 &
	pid=$!
	reap "$pid"
	wait_line "$WORK/out" '^pinwrite: rounds done' "$pid" "$what: pinwrite did not finish its rounds"
	release "$pid"	# the device writes into the pages of the closed file
	wait_kept "$pid" "$what"
	umount /run/mnt || fail "$what: umount under the pins failed"
	mount "/dev/$target" /run/mnt
	byte=$(printf %02x $((value & 255)))
	for ((i = 0; i < pages; i++)); do
		[ "$(disk_byte /run/mnt/gone "$i")" = "$byte" ] || missing=$((missing + 1))
	done
	expect "$what: pinned pages without the device's late byte on disk" 0 "$missing"
	release "$pid"
	wait "$pid" || true
	rm /run/mnt/gone
}

# offset STRUCT MEMBER: where MEMBER lies in the kernel's STRUCT (its BTF):
# pahole prints "TYPE NAME; /* OFFSET SIZE */", NAME with [N] if an array.
offset() {
	pahole -C "$1" /sys/kernel/btf/vmlinux 2> /dev/null | awk -v m="$2" '
		NF > 5 { f = $(NF - 4) }
		NF > 5 && (f == m ";" || index(f, m "[") == 1) { print $(NF - 2); exit }'
}

# looks WHAT WANT: sync(), then umount and mount /run/mnt again.  Whether
# they looked for the pinned files of its filesystem, as kprobes see it:
# sync() takes a mount of each filesystem it looks at (sb_mount_get) and
# umount clones the mount (clone_private_mount).  WANT is 1 where a file
# of it was pinned since it was mounted, 0 where none was: sync() and
# umount then leave the filesystem's files alone.
looks() {
	local what=$1 want=$2 id mnt_sb
	id=$(offset super_block s_id)
	mnt_sb=$(offset vfsmount mnt_sb)
	if [ -z "$id" ] || [ -z "$mnt_sb" ]; then
		fail "$what: no offset of super_block.s_id or vfsmount.mnt_sb in the kernel's BTF"
	fi
	echo "p:pbtest/sync sb_mount_get id=+$id(\$arg1):string" >> $TR/kprobe_events
	echo "p:pbtest/umount clone_private_mount id=+$id(+$mnt_sb(+0(\$arg1))):string" \
		>> $TR/kprobe_events
	cleanup "echo 0 > $TR/events/pbtest/enable; echo > $TR/kprobe_events"
	trace_start
	echo 1 > $TR/events/pbtest/enable
	sync
	umount /run/mnt || fail "$what: umount failed"
	mount "/dev/$target" /run/mnt || fail "$what: mount failed"
	echo 0 > $TR/events/pbtest/enable
	trace_stop
	echo > $TR/kprobe_events
	expect "$what: sync() looked for pinned files on $target" "$want" \
		"$(grep -c " sync: .*id=\"$target\"" "$WORK/trace")"
	expect "$what: umount looked for pinned files on $target" "$want" \
		"$(grep -c " umount: .*id=\"$target\"" "$WORK/trace")"
}

for row in "ext4 disk" "ext4-1k disk" "xfs disk" "btrfs disk" "btrfs plain"; do
	set -- $row
	fs=$1
	row_up "$fs" "$2"
	make_file /run/mnt/file "$pages"
	what=$fs
	[ "$2" = disk ] || what="$fs, plain disk"
	[ "$fs" != ext4 ] || looks "$fs, nothing pinned yet" 0
	late "$what" /run/mnt/file ok
	[ "$fs" != ext4 ] || looks "$fs, pinned since mounted" 1
	[ "$fs" != ext4 ] || late "$fs, forced passthrough" /run/mnt/file ok passthrough
	[ "$fs" != ext4 ] || late "$fs, sync()" /run/mnt/file ok "" sync
	[ "$fs" != ext4 ] || late "$fs, msync() (not written)" /run/mnt/file bad "" msync
	[ "$2" != disk ] || late "$fs, syncfs()" /run/mnt/file ok "" syncfs
	[ "$2" != disk ] || [ "$fs" = ext4-1k ] || gone "$fs, umount"
	[ "$fs" != ext4 ] || eof "$fs, end of file" bad
	[ "$fs" != ext4-1k ] || eof "$fs, end of file" ok
	row_down
done
dev=$(scsi_debug_up dif=1 dix=1 dev_size_mb=64)
late "raw $dev" "/dev/$dev" ok
