# A frozen filesystem is written nothing until it is thawed: snapshot tools
# rely on it.  freeze_super() syncs the filesystem and then keeps writers
# out; a pinned page that write back left dirty would be written again by
# the flusher while frozen.  The series leaves written pinned pages clean,
# so the device's writes into them dirty nothing.
# ext4 and XFS on a PI disk: 16 pages pinned, the fixture's thread writing
# into them, stored into and fsync()ed (bounced, by default); frozen while
# they stay pinned and the thread writes; with the flusher woken every
# second, the disk's count of written sectors does not move for 6 s, until
# the thaw.
. "$PB_REPO/tests/vm/lib.sh"

pages=16
load_fixture
row_cleanup
for k in dirty_writeback_centisecs dirty_expire_centisecs; do
	cleanup "echo $(cat /proc/sys/vm/$k) > /proc/sys/vm/$k"
	echo 100 > "/proc/sys/vm/$k"
done

# frozen WHAT: the case above on the filesystem mounted at /run/mnt.
frozen() {
	local what=$1 pid s0
	trace_start
	"$BIN/pinwrite" -p "$pages" -w 64 -r 2 -K 60 /run/mnt/file > "$WORK/out" 2>&1 &
	pid=$!
	reap "$pid"
	wait_kept "$pid" "$what"
	trace_stop
	expect_outcome "$what: the pinned rounds" bounce default
	fsfreeze -f /run/mnt
	cleanup "fsfreeze -u /run/mnt 2> /dev/null || true"
	s0=$(sectors "$dev")
	sleep 6
	expect "$what: sectors written to $dev while frozen" "$s0" "$(sectors "$dev")"
	fsfreeze -u /run/mnt
	release "$pid"
	wait "$pid" || fail "$what: pinwrite: $(cat "$WORK/out")"
}

for fs in ext4 xfs; do
	row_up "$fs" disk
	make_file /run/mnt/file "$pages"
	frozen "$fs"
	row_down
done
