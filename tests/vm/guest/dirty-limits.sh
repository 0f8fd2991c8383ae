# More pages pinned than the dirty limits allow.  A write back that left a
# bounced pinned page dirty (to write what the device adds later) would
# make pages that never become clean: past vm.dirty_bytes the flusher
# rewrites them without end and balance_dirty_pages() stops every buffered
# writer of the machine, the pinning program first.  The series leaves a
# written page clean, bounced or not, so the bounce (the default on a PI
# disk) must behave as the stock kernel's passthrough does.  In one run,
# 64 MiB of an ext4 file on a PI disk are pinned with vm.dirty_bytes at
# 32 MiB, stored into once and fsync()ed, then left pinned: for the bounce
# and for the passthrough, the time the pinning program takes to get there,
# what the disk is sent while idle, and the time of an unrelated 64 MiB
# write to another disk (vda).  Each within 2x of the passthrough (and a
# little, for the noise of small figures).
. "$PB_REPO/tests/vm/lib.sh"

pages=16384	# 64 MiB
idle=5		# seconds of idle measured
load_fixture
dev=$(scsi_debug_up dif=1 dix=1 dev_size_mb=160)
cleanup "rmmod scsi_debug"
expect "$dev has stable writes" 1 "$(stable_writes "$dev")"
mkfs.ext4 -q -F "/dev/$dev"
mount "/dev/$dev" /run/mnt
cleanup "! mountpoint -q /run/mnt || umount /run/mnt"
dd if=/dev/zero of=/run/mnt/file bs=1M count=$((pages / 256)) conv=fsync status=none

for k in dirty_ratio dirty_background_ratio; do
	cleanup "echo $(cat /proc/sys/vm/$k) > /proc/sys/vm/$k"
done
echo $((32 << 20)) > /proc/sys/vm/dirty_bytes
echo $((16 << 20)) > /proc/sys/vm/dirty_background_bytes

# sectors DEV: sectors written to DEV so far.
sectors() { awk '{ print $7 }' "/sys/block/$1/stat"; }

# run MODE [PINFORCE-ACTION]: sets t_pin (ms until the pinned pages were
# stored into and fsync()ed), idle_kb (written to the disk in $idle s while
# pinned and idle) and t_other (ms of the 64 MiB write to vda).
run() {
	local mode=$1 force=${2:-} pid t0 s0
	local cmd=("$BIN/pinwrite" -p "$pages" -r 1 -K 120)
	[ -z "$force" ] || cmd=("$REPO/build/pinforce" "$force" -- "${cmd[@]}")
	trace_start
	t0=$(date +%s%N)
	"${cmd[@]}" /run/mnt/file > "$WORK/out" 2>&1 &
	pid=$!
	reap "$pid"
	wait_line "$WORK/out" '^pinwrite: kept' "$pid" \
		"$mode: the pinning program did not get its $pages pages stored into and fsync()ed" 90
	t_pin=$((($(date +%s%N) - t0) / 1000000))
	s0=$(sectors "$dev")
	sleep "$idle"
	idle_kb=$((($(sectors "$dev") - s0) / 2))
	t0=$(date +%s%N)
	timeout 60 dd if=/dev/zero of=/dev/vda bs=1M count=64 conv=fsync status=none ||
		fail "$mode: the write to vda did not finish in 60 s"
	t_other=$((($(date +%s%N) - t0) / 1000000))
	release "$pid"
	wait "$pid" || fail "$mode: pinwrite: $(cat "$WORK/out")"
	trace_stop
	# Unpinning dirtied the pages: the next run starts from clean ones.
	sync
	grep -v '^pinwrite: kept' "$WORK/out" | sed 's/^/  /'
	expect "$mode: pages pinned" "$pages" "$(sed -n 's/.* pinned=\([0-9]*\).*/\1/p' "$WORK/out")"
	echo "$mode: pinned and written in ${t_pin} ms, ${idle_kb} KiB written in ${idle} s idle, 64 MiB to vda in ${t_other} ms"
}

run "passthrough" passthrough
expect_outcome "passthrough" passthrough prog
pt_pin=$t_pin pt_idle=$idle_kb pt_other=$t_other

run "bounce (default)"
expect_outcome "bounce (default)" bounce default
expect_ge "bounce: pages bounced, every pinned page at least once" "$pages" "$(decision_sum bounced)"

echo "dirty-limits: pin_ms=$t_pin/$pt_pin idle_kb=$idle_kb/$pt_idle other_ms=$t_other/$pt_other (bounce/passthrough)"
expect_le "bounce: ms to pin, store and fsync, within 2x of passthrough (+2 s)" \
	$((2 * pt_pin + 2000)) "$t_pin"
expect_le "bounce: KiB written while idle, within 2x of passthrough (+1 MiB)" \
	$((2 * pt_idle + 1024)) "$idle_kb"
expect_le "bounce: ms of the unrelated write, within 2x of passthrough (+2 s)" \
	$((2 * pt_other + 2000)) "$t_other"
