# What a filesystem does to a file's pages while a device holds them
# pinned and keeps writing into them: punch a hole, truncate, unlink,
# unmount; then the pins go (unpinning dirties pages that no file has any
# more).  None of it may warn (the guest panics on a WARN), the filesystem
# checker must find the filesystem clean, and the punched and truncated
# ranges read back as zeros, before and after a remount.
# On ext4 with 1 KiB blocks, XFS and btrfs, each on a new PI disk: two
# files pinned by pinwrite (its fixture's thread writing into every pinned
# page), stored into and fsync()ed (bounced, by default), then closed and
# unmapped (-C) with the pins kept.
. "$PB_REPO/tests/vm/lib.sh"

load_fixture
row_cleanup
writers() { grep -lx pinfix-writer /proc/[0-9]*/comm 2> /dev/null | wc -l; }
zeros() { cmp -s <(dd if="$1" bs=4k skip="$2" count="$3" status=none) <(head -c $(($3 * 4096)) /dev/zero); }

# clean FS WHEN: the filesystem checker of FS finds $dev clean.
clean() {
	case $1 in
	ext4-1k) e2fsck -fn "/dev/$dev" ;;
	xfs) xfs_repair -n "/dev/$dev" ;;
	btrfs) btrfs check "/dev/$dev" ;;
	esac > "$WORK/fsck" 2>&1 || { sed 's/^/  fsck: /' "$WORK/fsck"; fail "$1, $2: the checker found damage"; }
	echo "ok: $1, $2: the checker finds the filesystem clean"
}

# ops FS: the case above on FS.
ops() {
	local fs=$1 pa pb
	row_up "$fs" disk
	make_file /run/mnt/a 64
	make_file /run/mnt/b 16
	trace_start
	"$BIN/pinwrite" -p 64 -w 64 -r 2 -C -A 300 /run/mnt/a > "$WORK/a" 2>&1 &
	pa=$!
	"$BIN/pinwrite" -p 16 -w 64 -r 2 -C -A 300 /run/mnt/b > "$WORK/b" 2>&1 &
	pb=$!
	reap "$pa"
	reap "$pb"
	wait_line "$WORK/a" '^pinwrite: rounds done' "$pa" "$fs: pinwrite on a"
	wait_line "$WORK/b" '^pinwrite: rounds done' "$pb" "$fs: pinwrite on b"
	trace_stop
	expect_outcome "$fs: the pinned rounds" bounce default
	expect "$fs: fixture threads writing into the pinned pages" 2 "$(writers)"

	fallocate --punch-hole --offset 16K --length 32K /run/mnt/a
	truncate -s 128K /run/mnt/a
	rm /run/mnt/b
	zeros /run/mnt/a 4 8 || fail "$fs: the punched pages 4-11 do not read as zeros"
	echo "ok: $fs: punched pages read as zeros while pinned"
	sync
	umount /run/mnt
	echo "ok: $fs: unmounted with $(writers) fixture threads still writing into pinned pages"
	clean "$fs" "pins held"

	release "$pa"
	release "$pb"	# unpin: the pages belong to no file any more
	wait "$pa" || fail "$fs: pinwrite on a: $(cat "$WORK/a")"
	wait "$pb" || fail "$fs: pinwrite on b: $(cat "$WORK/b")"
	grep -h '^pinwrite: rounds=' "$WORK/a" "$WORK/b" | sed "s/^/  $fs: /"
	mount "/dev/$dev" /run/mnt
	expect "$fs: size of the truncated file" 131072 "$(stat -c %s /run/mnt/a)"
	zeros /run/mnt/a 4 8 || fail "$fs: after a remount, the punched pages do not read as zeros"
	echo "ok: $fs: punched pages read as zeros after the remount"
	[ ! -e /run/mnt/b ] || fail "$fs: the unlinked file is back"
	umount /run/mnt
	clean "$fs" "after unpinning"
	rmmod scsi_debug
}

for fs in ext4-1k xfs btrfs; do
	ops "$fs"
done
