# shellcheck shell=bash
# Helpers for the tests that run inside the VM (tests/vm/guest/*.sh).
set -euo pipefail

REPO=$PB_REPO
KDIR=$PB_KDIR
BIN=$REPO/build/tests
TR=/sys/kernel/tracing
WORK=$(mktemp -d)
PB_CLEANUPS=()
# No udev in the guest: libdevmapper makes its device nodes itself.
export DM_DISABLE_UDEV=1

fail() {
	echo "FAIL: $*"
	exit 1
}

# expect DESCRIPTION EXPECTED GOT: integer equality with a clear message.
expect() {
	if [ "$2" != "$3" ]; then
		fail "$1: expected $2, got $3"
	fi
	echo "ok: $1 ($3)"
}

# expect_gt DESCRIPTION LIMIT GOT
expect_gt() {
	if ! [ "$3" -gt "$2" ]; then
		fail "$1: expected more than $2, got $3"
	fi
	echo "ok: $1 ($3)"
}

# expect_ge DESCRIPTION LIMIT GOT
expect_ge() {
	if ! [ "$3" -ge "$2" ]; then
		fail "$1: expected at least $2, got $3"
	fi
	echo "ok: $1 ($3)"
}

# expect_le DESCRIPTION LIMIT GOT
expect_le() {
	if ! [ "$3" -le "$2" ]; then
		fail "$1: expected at most $2, got $3"
	fi
	echo "ok: $1 ($3)"
}

on_exit() {
	local i
	for ((i = ${#PB_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${PB_CLEANUPS[i]}" || true
	done
	rm -rf "$WORK"
}
trap on_exit EXIT
cleanup() { PB_CLEANUPS+=("$*"); }

# The fixture, built for the kernel under test (PB_FIXTURE for another
# build of it, e.g. the stock kernel's).
load_fixture() {
	grep -q '^pinfix ' /proc/modules || insmod "${PB_FIXTURE:-$REPO/tests/fixture/pinfix.ko}"
}

# scsi_debug_up ARGS...: load scsi_debug, print the name of its disk.
scsi_debug_up() {
	local i d
	insmod "$KDIR/drivers/scsi/scsi_debug.ko" "$@"
	for ((i = 0; i < 100; i++)); do
		for d in /sys/bus/pseudo/drivers/scsi_debug/adapter*/host*/target*/*/block/*; do
			if [ -e "$d" ] && [ -b "/dev/${d##*/}" ]; then
				echo "${d##*/}"
				return 0
			fi
		done
		sleep 0.1
	done
	fail "scsi_debug $* created no disk"
}

# scsi_debug_hosts N ARGS...: load scsi_debug with N hosts, each with a
# store of its own, and print the names of their N disks.
scsi_debug_hosts() {
	local n=$1 i d disks
	shift
	insmod "$KDIR/drivers/scsi/scsi_debug.ko" add_host="$n" per_host_store=1 "$@"
	for ((i = 0; i < 100; i++)); do
		disks=()
		for d in /sys/bus/pseudo/drivers/scsi_debug/adapter*/host*/target*/*/block/*; do
			[ -e "$d" ] && [ -b "/dev/${d##*/}" ] && disks+=("${d##*/}")
		done
		if [ "${#disks[@]}" = "$n" ]; then
			echo "${disks[@]}"
			return 0
		fi
		sleep 0.1
	done
	fail "scsi_debug add_host=$n $* created ${#disks[@]} disks"
}

# both_disks MB: the fixture, a scsi_debug disk of MB MiB with T10-PI in $sd
# (stable writes) and a null_blk disk in $nb (none), removed at exit.
both_disks() {
	load_fixture
	sd=$(scsi_debug_up dif=1 dix=1 dev_size_mb="$1")
	cleanup "rmmod scsi_debug"
	nb=$(null_blk_up)
	cleanup "rmmod null_blk"
}

null_blk_up() {
	insmod "$KDIR/drivers/block/null_blk/null_blk.ko" nr_devices=1 gb=1 bs=4096
	[ -b /dev/nullb0 ] || fail "null_blk created no /dev/nullb0"
	echo nullb0
}

# null_blk_configfs NAME ATTR=VALUE...: a memory-backed null_blk disk with
# 4 KiB blocks made through configfs, with the given attributes (size in
# MiB, zoned, irqmode, ...), removed at exit.  6.1 names the disk after its
# configfs directory: /dev/NAME.
null_blk_configfs() {
	local name=$1 dir=/sys/kernel/config/nullb/$1 a i
	shift
	grep -q '^null_blk ' /proc/modules ||
		insmod "$KDIR/drivers/block/null_blk/null_blk.ko" nr_devices=0
	cleanup "rmmod null_blk"
	mountpoint -q /sys/kernel/config || mount -t configfs configfs /sys/kernel/config
	mkdir "$dir"
	cleanup "rmdir $dir"
	for a in blocksize=4096 memory_backed=1 "$@"; do
		echo "${a#*=}" > "$dir/${a%%=*}"
	done
	echo 1 > "$dir/power"
	cleanup "echo 0 > $dir/power"
	for ((i = 0; i < 50; i++)); do
		[ -b "/dev/$name" ] && return 0
		sleep 0.1
	done
	fail "null_blk made no /dev/$name"
}

stable_writes() {
	cat "/sys/block/$1/queue/stable_writes"
}

# Writes and reads a T10-PI disk refused, and btrfs data checksums that did
# not match, as the kernel log has counted them so far.
guard_errors() { dmesg | grep -ciE 'guard check failed' || true; }
csum_errors() { dmesg | grep -ciE 'csum failed|checksum error' || true; }

# A kernel without the series: no pinned-bounce decisions to trace.
stock_kernel() { ! [ -d $TR/events/block/block_bio_pin_bounce ]; }

# The filesystems the integrity and RDMA demonstrations run on, each on a
# whole disk and on a partition.
MATRIX_FS=${PB_MATRIX_FS:-ext4 ext4-1k xfs btrfs}

# row_up FS WHERE: a new 320 MiB scsi_debug disk with T10-PI in $dev (each
# filesystem gets its own: mkfs's WRITE SAME leaves scsi_debug's stored PI
# stale), FS (ext4, ext4-1k, xfs or btrfs) made on it or, WHERE=part, on a
# partition of it starting at 1 MiB ($target either way), or, WHERE=plain,
# on a whole disk without T10-PI (no stable writes), mounted at /run/mnt.
# row_down undoes it.  ext4 has 4 KiB blocks: mke2fs.conf gives a
# filesystem under 512 MiB 1 KiB blocks unless told otherwise.
row_up() {
	local fs=$1 where=$2 i
	if [ "$where" = plain ]; then
		dev=$(scsi_debug_up dev_size_mb=320)
		expect "$dev has no stable writes" 0 "$(stable_writes "$dev")" > /dev/null
	else
		dev=$(scsi_debug_up dif=1 dix=1 dev_size_mb=320)
		expect "$dev has stable writes" 1 "$(stable_writes "$dev")" > /dev/null
	fi
	target=$dev
	if [ "$where" = part ]; then
		echo 'start=2048, type=83' | sfdisk -q "/dev/$dev" > /dev/null
		target=${dev}1
		for ((i = 0; i < 50; i++)); do
			[ -b "/dev/$target" ] && break
			sleep 0.1
		done
		[ -b "/dev/$target" ] || fail "no /dev/$target after partitioning /dev/$dev"
	fi
	case $fs in
	ext4) mkfs.ext4 -q -F -b 4096 "/dev/$target" ;;
	ext4-1k) mkfs.ext4 -q -F -b 1024 "/dev/$target" ;;
	xfs) mkfs.xfs -q -f "/dev/$target" ;;
	# btrfs-progs warns that it cannot drop caches (9p root).
	btrfs) mkfs.btrfs -q -f "/dev/$target" > /dev/null 2>&1 ||
		fail "mkfs.btrfs /dev/$target failed" ;;
	*) fail "unknown filesystem $fs" ;;
	esac
	mount "/dev/$target" /run/mnt
}

row_down() {
	umount /run/mnt
	rmmod scsi_debug
}

# What row_up leaves behind when a test fails half way.
row_cleanup() {
	cleanup "! grep -q '^scsi_debug ' /proc/modules || rmmod scsi_debug"
	cleanup "! mountpoint -q /run/mnt || umount /run/mnt"
}

# readback FILE: "ok" when FILE, fsync()ed, reads the same with O_DIRECT
# (from the disk, its PI checked, and btrfs checks its checksums) as from
# the page cache, else "bad".
readback() {
	if sync "$1" 2> /dev/null &&
	   cmp -s <(dd if="$1" bs=1M iflag=direct status=none 2> /dev/null) \
		  <(dd if="$1" bs=1M status=none); then
		echo ok
	else
		echo bad
	fi
}

# matrix_run WHAT MODE PAGES CMD...: one run of the integrity matrix: CMD,
# its output in $WORK/out and $WORK/err, on a new /run/mnt/file of PAGES
# pages.  MODE is stock (a kernel without the series), passthrough (forced
# by BPF: CMD runs under pinforce) or bounce (the default); with the
# series, the tracepoint must show every decision so.  Sets failures (the
# fsync_failures=N that CMD prints), guard and csum (the disk's guard
# check and btrfs's checksum failures meanwhile); returns CMD's status.
matrix_run() {
	local what=$1 mode=$2 pages=$3 g c rc=0

	shift 3
	[ "$mode" != passthrough ] || set -- "$REPO/build/pinforce" passthrough -- "$@"
	# A new file each run: one whose blocks a failed run left with bad
	# checksums (btrfs) could not even be mapped.
	rm -f /run/mnt/file
	make_file /run/mnt/file "$pages"
	g=$(guard_errors) c=$(csum_errors)
	[ "$mode" = stock ] || trace_start
	"$@" > "$WORK/out" 2> "$WORK/err" || rc=$?
	[ "$mode" = stock ] || trace_stop
	failures=$(sed -n 's/.*fsync_failures=\([0-9]*\).*/\1/p' "$WORK/out")
	guard=$(($(guard_errors) - g)) csum=$(($(csum_errors) - c))
	case $mode in
	passthrough) expect_outcome "$what, passthrough" passthrough prog > /dev/null ;;
	bounce) expect_outcome "$what, bounce" bounce default > /dev/null ;;
	esac
	return $rc
}

# Record the pinned-bounce decisions, the bounced bios as their bounce
# pages are given back (kprobes on the two functions that do it: a bounce
# clone's completion, and a filesystem's copy's release), the block layer's
# highmem bounces, and the block events named in $PB_TRACE_MORE (e.g.
# block_bio_queue).
trace_start() {
	local e
	echo 0 > $TR/tracing_on
	echo "${PB_TRACE_KB:-8192}" > $TR/buffer_size_kb
	echo > $TR/trace
	grep -q '^p:pbbounce/' $TR/kprobe_events 2> /dev/null || {
		echo 'p:pbbounce/pb_bounced_clone bounce_end_io_write' >> $TR/kprobe_events
		echo 'p:pbbounce/pb_bounced_copy blk_bounce_pinned_release' >> $TR/kprobe_events
	}
	kprobes_missed > "$WORK/kprobes_missed.start"
	echo 1 > $TR/events/pbbounce/enable
	for e in block_bio_pin_bounce block_bio_bounce ${PB_TRACE_MORE:-}; do
		echo 1 > "$TR/events/block/$e/enable"
	done
	echo 1 > $TR/tracing_on
}

trace_stop() {
	local e
	echo 0 > $TR/tracing_on
	cat $TR/trace > "$WORK/trace"
	for e in block_bio_pin_bounce block_bio_bounce ${PB_TRACE_MORE:-}; do
		echo 0 > "$TR/events/block/$e/enable"
	done
	echo 0 > $TR/events/pbbounce/enable
	kprobes_missed > "$WORK/kprobes_missed.stop"
	if grep -q 'LOST.*EVENTS' "$WORK/trace"; then
		fail "the trace buffer overflowed"
	fi
}

# decisions [REGEX]: decisions recorded by trace_stop that match REGEX.
decisions() {
	grep ' block_bio_pin_bounce: ' "$WORK/trace" | grep -cE -- "${1:-.}" || true
}

# Hits of the bounce kprobes that the kernel skipped so far: a kprobe that
# fires while another one runs on the same CPU (failalloc's, say) is
# counted as missed rather than traced.
kprobes_missed() {
	awk '$1 ~ /^pb_bounced_/ { m += $3 } END { print m + 0 }' $TR/kprobe_profile
}

# Bios whose pinned pages were bounced, counted as their bounce pages were
# given back, missed hits included: a witness apart from the decisions'
# own event.
bounces() {
	local hits
	hits=$(grep -cE ' pb_bounced_(clone|copy): \(' "$WORK/trace" || true)
	echo $((hits + $(cat "$WORK/kprobes_missed.stop") - $(cat "$WORK/kprobes_missed.start")))
}

# Highmem bounces, which the block_bio_bounce event reports: none here.
highmem_bounces() {
	grep -c ' block_bio_bounce: ' "$WORK/trace" || true
}

# wait_line FILE REGEX PID WHAT [SECONDS]: wait (60 s at most) until FILE
# has a line matching REGEX, written by process PID; fails the test with
# WHAT and FILE if PID ends first or the time is up.
wait_line() {
	local end=$((SECONDS + ${5:-60}))

	while [ "$SECONDS" -lt "$end" ]; do
		grep -q -- "$2" "$1" && return 0
		kill -0 "$3" 2> /dev/null || break
		sleep 0.1
	done
	grep -q -- "$2" "$1" || fail "$4: $(cat "$1")"
}

# pinwrite_of PID: PID, or the pinwrite that PID (pinforce) runs.
pinwrite_of() { pgrep -P "$1" -x pinwrite || echo "$1"; }

# release PID: end the wait of pinwrite PID (-H, -A, -K), or of the one
# that PID runs under pinforce.
release() { kill -USR1 "$(pinwrite_of "$1")"; }

# reap PID: at exit, kill pinwrite PID (or PID and the pinwrite it runs)
# and wait for it, so that its pins are gone before what it pinned is
# unmounted.
reap() { cleanup "kill \$(pinwrite_of $1) $1 2> /dev/null; wait $1 2> /dev/null || true"; }

# dirty_limit MIB: vm.dirty_bytes at MIB MiB (the background limit at
# half), the ratios back at exit.
dirty_limit() {
	local k
	for k in dirty_ratio dirty_background_ratio; do
		cleanup "echo $(cat /proc/sys/vm/$k) > /proc/sys/vm/$k"
	done
	echo $(($1 << 20)) > /proc/sys/vm/dirty_bytes
	echo $(($1 << 19)) > /proc/sys/vm/dirty_background_bytes
}

# sectors DEV: sectors written to DEV so far.
sectors() { awk '{ print $7 }' "/sys/block/$1/stat"; }

# disk_sum FILE: the checksum of FILE as the disk has it.
disk_sum() { dd if="$1" bs=64k iflag=direct status=none | sha256sum | cut -c1-16; }

# disk_byte FILE PAGE: the first byte of PAGE of FILE as the disk has it.
disk_byte() {
	dd if="$1" bs=4096 skip="$2" count=1 iflag=direct status=none | od -An -tx1 -N1 | tr -d ' '
}

# over_limits WHAT DEV FILE PAGES OTHER IDLE [PINFORCE-ACTION]: PAGES of
# FILE on DEV pinned (pinwrite, traced), stored into once and fsync()ed,
# then left pinned: sets t_pin (ms until then), idle_kb (KiB written to
# DEV in IDLE seconds while pinned and idle) and t_other (ms of a 64 MiB
# write to the disk OTHER meanwhile).  With more pages than vm.dirty_bytes
# allows, pages that write back left dirty would stall all three.
over_limits() {
	local what=$1 dev=$2 file=$3 pages=$4 other=$5 idle=$6 force=${7:-} pid t0 s0
	local cmd=("$BIN/pinwrite" -p "$pages" -r 1 -K 120)
	[ -z "$force" ] || cmd=("$REPO/build/pinforce" "$force" -- "${cmd[@]}")
	trace_start
	t0=$(date +%s%N)
	"${cmd[@]}" "$file" > "$WORK/out" 2>&1 &
	pid=$!
	reap "$pid"
	wait_line "$WORK/out" '^pinwrite: kept' "$pid" \
		"$what: the pinning program did not get its $pages pages stored into and fsync()ed" 90
	t_pin=$((($(date +%s%N) - t0) / 1000000))
	s0=$(sectors "$dev")
	sleep "$idle"
	idle_kb=$((($(sectors "$dev") - s0) / 2))
	t0=$(date +%s%N)
	timeout 60 dd if=/dev/zero of="/dev/$other" bs=1M count=64 conv=fsync status=none ||
		fail "$what: the write to $other did not finish in 60 s"
	t_other=$((($(date +%s%N) - t0) / 1000000))
	release "$pid"
	wait "$pid" || fail "$what: pinwrite: $(cat "$WORK/out")"
	trace_stop
	# Unpinning dirtied the pages: what comes next starts from clean ones.
	sync
	grep -v '^pinwrite: kept' "$WORK/out" | sed 's/^/  /'
	expect "$what: pages pinned" "$pages" "$(sed -n 's/.* pinned=\([0-9]*\).*/\1/p' "$WORK/out")"
	echo "$what: pinned and written in ${t_pin} ms, ${idle_kb} KiB written in ${idle} s idle, 64 MiB to $other in ${t_other} ms"
}

# wait_kept PID WHAT: until pinwrite PID, writing to $WORK/out, prints
# "pinwrite: kept" (-K: the last write back is done and the pages are
# still pinned).
wait_kept() {
	wait_line "$WORK/out" '^pinwrite: kept' "$1" "$2: pinwrite did not keep its pins"
}

# bvecs_start DISK: count what the write bios queued to DISK carry
# (tests/vm/bvecs.bpf.c) until bvecs_stop, which prints the counts;
# bvecs_get NAME then gives one of them: write_bios, bvecs, pinned,
# multi_bvecs (of several pages), multi_pinned, large (of a large folio).
bvecs_start() {
	"$BIN/bvecs" "/dev/$1" 600 > "$WORK/bvecs" 2>&1 &
	bv=$!
	cleanup "kill $bv 2> /dev/null || true"
	wait_line "$WORK/bvecs" '^bvecs: attached' "$bv" "bvecs did not attach" 30
}
bvecs_stop() {
	kill -INT "$bv"
	wait "$bv" || fail "bvecs: exit status $?: $(cat "$WORK/bvecs")"
	tail -n1 "$WORK/bvecs"
}
bvecs_get() {
	sed -n "s/^bvecs: .* $1=\([0-9]*\).*/\1/p" "$WORK/bvecs"
}

# Sum of a field of the decision events, e.g. bounced= or pinned=.
decision_sum() {
	grep ' block_bio_pin_bounce: ' "$WORK/trace" |
		sed -n "s/.* $1=\([0-9]*\).*/\1/p" | awk '{ s += $1 } END { print s + 0 }'
}

# expect_outcome WHAT ACTION BY: every decision traced says ACTION by BY,
# there was at least one, and the block layer bounced exactly the bios that
# were decided "bounce".
expect_outcome() {
	local what=$1 action=$2 by=$3 n
	n=$(decisions)
	expect_gt "$what: decisions traced" 0 "$n"
	expect "$what: decisions that say action=$action by=$by" "$n" \
		"$(decisions "action=$action by=$by")"
	expect_gt "$what: pinned pages in decisions" 0 "$(decision_sum pinned)"
	if [ "$action" = bounce ]; then
		expect "$what: bios whose bounce pages came back" "$n" "$(bounces)"
		expect "$what: pages bounced = pages pinned" \
			"$(decision_sum pinned)" "$(decision_sum bounced)"
	else
		expect "$what: bios whose bounce pages came back" 0 "$(bounces)"
		expect "$what: pages bounced" 0 "$(decision_sum bounced)"
	fi
	expect "$what: highmem bounces (block_bio_bounce)" 0 "$(highmem_bounces)"
}

# expect_untouched WHAT: no decision and no bounce at all.
expect_untouched() {
	expect "$1: decisions traced" 0 "$(decisions)"
	expect "$1: bios whose bounce pages came back" 0 "$(bounces)"
	expect "$1: highmem bounces (block_bio_bounce)" 0 "$(highmem_bounces)"
}

# bounce_cut DEV: the most pages one bounced bio on DEV may have, as many as
# one request of single pages takes; the bounce splits larger bios there.
bounce_cut() {
	local q=/sys/block/$1/queue n
	n=$(($(cat "$q/max_sectors_kb") / 4))
	[ "$(cat "$q/max_segments")" -ge "$n" ] || n=$(cat "$q/max_segments")
	[ "$n" -le 256 ] || n=256
	echo "$n"
}

# make_file PATH PAGES: a file with its blocks allocated and on disk.
make_file() {
	dd if=/dev/urandom of="$1" bs=4096 count="$2" status=none conv=fsync
}

# writeback_cases WHAT FILE ACTION: the pages of FILE written back while
# pinned get ACTION from the kernel default; unpinned, they are not even
# decided on.
writeback_cases() {
	outcome "$2"
	expect_outcome "$1, pinned" "$3" default
	outcome "$2" -n
	expect_untouched "$1, not pinned"
}

# mount_ext4 DEV: a new ext4 on DEV mounted at /run/mnt, with a 16-page file.
mount_ext4() {
	mkfs.ext4 -q -F "/dev/$1"
	mount "/dev/$1" /run/mnt
	cleanup "umount /run/mnt"
	make_file /run/mnt/file 16
}

# The CLI built with ASan and UBSan (see the Makefile).
PB=${PB_CLI:-$REPO/build/san/pinbounce}

# json EXPR: evaluate the Python expression EXPR on the JSON document on
# stdin, bound to j.
# wait_attached PROG N [PID...]: until N pinbounce commands have their BPF
# program PROG attached (a program shows when loaded, its link once
# attached), failing early if one of the PIDs exits.
wait_attached() {
	local prog=$1 want=$2 i n id links p
	shift 2
	for ((i = 0; i < 600; i++)); do
		links=$(bpftool link show 2> /dev/null || true)
		n=0
		for id in $(bpftool prog show name "$prog" 2> /dev/null |
			    sed -n 's/^\([0-9]*\): .*/\1/p'); do
			grep -qE "prog $id( |$)" <<< "$links" && n=$((n + 1))
		done
		[ "$n" -ge "$want" ] && return 0
		for p in "$@"; do
			kill -0 "$p" 2> /dev/null && continue
			cat "$WORK"/*.err "$WORK"/*.json 2> /dev/null || true
			fail "pinbounce (pid $p) exited before attaching"
		done
		sleep 0.1
	done
	fail "$want pinbounce $prog programs did not attach"
}

# wait_observers N [PID...]: the same for the observers.
wait_observers() { wait_attached pb_decided "$@"; }

# in_cgroup CG CMD...: run CMD as a member of cgroup CG (a path below
# /sys/fs/cgroup): its writeback is charged there.
in_cgroup() {
	local cg=$1
	shift
	bash -c 'echo $$ > "/sys/fs/cgroup/$0/cgroup.procs" && exec "$@"' "$cg" "$@"
}

json() { python3 -c "import json, sys; j = json.load(sys.stdin); print($1)"; }

# outcome TARGET [PINWRITE-ARGS]: pinned writeback of TARGET, traced.
outcome() {
	local target=$1
	shift
	trace_start
	"$BIN/pinwrite" -p 16 -r 2 "$@" "$target" > /dev/null
	trace_stop
}

# rxe_up: Soft-RoCE on one end of a veth pair made for it, in $rxe, with the
# index of its RoCE v2 GID for $rdma_ip in $rxe_gid.  Both ib_write_bw ends
# use this one device: rxe loops the packets back inside itself (6.1's rxe
# delivers only what arrives on the netdev it is bound to, and knows no
# network namespaces).
rdma_ip=10.77.0.1
rxe_up() {
	local i g
	rxe=pbrxe0
	ip link add pbveth0 type veth peer name pbveth1
	cleanup "ip link del pbveth0"
	ip addr add "$rdma_ip/24" dev pbveth0
	ip link set pbveth0 up
	ip link set pbveth1 up
	rdma link add "$rxe" type rxe netdev pbveth0
	cleanup "rdma link del $rxe"
	rxe_gid=
	for ((i = 0; i < 50; i++)); do
		for g in /sys/class/infiniband/$rxe/ports/1/gids/*; do
			[ "$(cat "$g")" = "0000:0000:0000:0000:0000:ffff:0a4d:0001" ] || continue
			[ "$(cat "${g%/gids/*}/gid_attrs/types/${g##*/}" 2> /dev/null)" = "RoCE v2" ] || continue
			rxe_gid=${g##*/}
		done
		[ -z "$rxe_gid" ] || break
		sleep 0.1
	done
	[ -n "$rxe_gid" ] || fail "$rxe has no RoCE v2 GID for $rdma_ip"
}
