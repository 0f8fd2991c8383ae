# fsync() of a pinned file returns the error of the write it needs, past a
# quota as on a full filesystem (enospc).  What a device writes into a page
# pinned long term is written by fsync() from a copy with a direct write,
# which allocates as any direct write does and charges the file's owner:
# XFS copies a block the file shares with a reflink copy on write, btrfs
# writes every copy to a new extent.  With the owner's block limit (XFS
# user quota) or the subvolume's (btrfs qgroup) reached, that fsync() fails
# with EDQUOT and writes nothing in place; once the limit is lifted, the
# next fsync() writes the device's bytes.
#
# 16 pages of a file owned by an unprivileged user are pinned, stored into
# and fsync()ed; while they stay pinned the limit is set to what is used,
# the fixture writes into every pinned page and pinwrite fsync()s.
. "$PB_REPO/tests/vm/lib.sh"

pages=16
late=0x5d
owner=4242
load_fixture
row_cleanup

# over_quota WHAT LIMIT LIFT: the pinned rounds on /run/mnt/src, owned by
# $owner, then the command LIMIT caps what may be used at what is used
# now, the device writes and pinwrite fsync()s; the command LIFT lifts it.
over_quota() {
	local what=$1 limit=$2 lift=$3 pid before
	make_file /run/mnt/src "$pages"
	chown "$owner" /run/mnt/src
	"$BIN/pinwrite" -p "$pages" -r 2 -A 60 -L "$late" -K 60 -V /run/mnt/src > "$WORK/out" 2>&1 &
	pid=$!
	reap "$pid"
	wait_line "$WORK/out" '^pinwrite: rounds done' "$pid" "$what: pinwrite did not finish its rounds"
	# Not sync() after the clone: it would copy the pinned pages on write.
	sync
	[ "$what" != xfs ] || cp --reflink=always /run/mnt/src /run/mnt/clone
	before=$(disk_sum /run/mnt/src)
	$limit

	release "$pid"	# the device writes into every pinned page; fsync
	wait_line "$WORK/out" '^pinwrite: late fsync done' "$pid" \
		"$what: pinwrite did not fsync after the device wrote"
	expect "$what: the fsync() after the device wrote, at the limit" "Disk quota exceeded" \
		"$(sed -n 's/^pinwrite: late fsync: //p' "$WORK/out")"
	echo 3 > /proc/sys/vm/drop_caches
	expect "$what: the source on disk after the failed fsync() (nothing written in place)" \
		"$before" "$(disk_sum /run/mnt/src)"

	$lift
	sync /run/mnt/src || fail "$what: fsync() of the source once the limit was lifted failed"
	echo "ok: $what: fsync() of the source once the limit was lifted"
	echo 3 > /proc/sys/vm/drop_caches
	expect "$what: the device's byte in the source on disk" 5d \
		"$(disk_byte /run/mnt/src $((pages - 1)))"

	wait_kept "$pid" "$what"
	release "$pid"
	wait "$pid" || fail "$what: pinwrite: $(cat "$WORK/out")"
	sed 's/^/  /' "$WORK/out"
	expect "$what: fsyncs that failed (the one at the limit)" 1 \
		"$(sed -n 's/.*fsync_failures=\([0-9]*\).*/\1/p' "$WORK/out")"
	expect "$what: every pinned page read back from the disk" ok \
		"$(sed -n 's/.*verify=\([a-z]*\).*/\1/p' "$WORK/out")"
}

# XFS: user quota; the block limit of $owner set to the KiB it uses, its
# blocks shared with a reflink copy.
xfs_limit() {
	local used
	expect "extents of the source shared with the clone" 1 \
		"$(filefrag -v /run/mnt/src | grep -c shared || true)"
	used=$(xfs_quota -x -c "quota -N -b -u $owner" /run/mnt | awk '{ print $2 }')
	expect_gt "KiB $owner uses on XFS" 0 "$used"
	xfs_quota -x -c "limit -u bsoft=${used}k bhard=${used}k $owner" /run/mnt
}
xfs_lift() { xfs_quota -x -c "limit -u bsoft=0 bhard=0 $owner" /run/mnt; }

# btrfs: a qgroup limit on the top subvolume (0/5) at what it refers to.
btrfs_limit() {
	local used
	btrfs quota enable /run/mnt
	btrfs quota rescan -w /run/mnt > /dev/null
	sync
	used=$(btrfs qgroup show --raw /run/mnt | awk '$1 == "0/5" { print $2 }')
	expect_gt "bytes the top subvolume refers to" 0 "$used"
	btrfs qgroup limit "$used" 0/5 /run/mnt
}
# Lifting the limit would need a transaction that the limit refuses.
btrfs_lift() { btrfs quota disable /run/mnt; }

row_up xfs disk
umount /run/mnt
mount -o uquota "/dev/$target" /run/mnt
over_quota xfs xfs_limit xfs_lift
row_down

row_up btrfs disk
over_quota btrfs btrfs_limit btrfs_lift
row_down
