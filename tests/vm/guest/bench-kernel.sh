# Benchmark, not a test: one round of make bench-kernel on the kernel this
# VM booted (tests/bench-kernel.sh alternates the stock and the patched
# kernel, a boot each, and compares).  Prints "bench-kernel: NAME VALUE"
# lines:
#  - fio-{ext4,raw}-{4k,1m}: MB/s of 64 MiB of buffered sequential writes
#    and the fsync that ends them (wall clock, fio included), unpinned, no
#    program attached, on ext4 on a memory-backed null_blk disk and on the
#    disk itself: what the series costs every write;
#  - pinned-{raw,ext4}-{bounce,passthrough} (patched kernel only): pages/s
#    of pinned writeback (pinwrite: 64 pages stored and fsync()ed per round)
#    of a memory-backed null_blk disk with stable writes and of a file on
#    ext4 on another, bounced by the kernel's default and forced through;
#  - over-{bounce,passthrough}-{pin-ms,idle-kib,other-ms} (patched kernel
#    only): 64 MiB of an ext4 file on a memory-backed null_blk disk with
#    stable writes pinned with vm.dirty_bytes at 32 MiB (lib.sh's
#    over_limits): ms to pin, store and fsync, KiB the disk is sent in 5 s
#    of idle, and ms of an unrelated 64 MiB write to another disk;
#  - fsync-copy-ms, direct-ms (patched kernel only): ms of the fsync()
#    that writes the 64 MiB of that file, still pinned and clean, from a
#    copy, and of an O_DIRECT overwrite of another 64 MiB file on the same
#    disk in 256 KiB writes (the copy's size): the floor of that fsync();
#  - pagecopy-ns: what a memcpy() of a warm page costs in this guest.
. "$PB_REPO/tests/vm/lib.sh"

SIZE=${PB_BENCH_SIZE:-64}
SECS=${PB_BENCH_SECONDS:-3}
PAGES=64

now() { date +%s.%N; }

# fio_mbps TARGET BS: MB/s of SIZE MiB written buffered to TARGET and fsync()ed.
fio_mbps() {
	local t0 t1
	t0=$(now)
	fio --name=bench --filename="$1" --rw=write --bs="$2" --size="${SIZE}M" \
		--ioengine=psync --end_fsync=1 --output=/dev/null > /dev/null || return 1
	t1=$(now)
	awk -v s="$SIZE" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", s * 1.048576 / (b - a) }'
}

null_blk_configfs pbext4 size=256
null_blk_configfs pbraw size=256
null_blk_configfs pbstable size=64
null_blk_configfs pbstablefs size=64
for d in pbstable pbstablefs; do
	echo 1 > "/sys/block/$d/queue/stable_writes"
done
mkfs.ext4 -q -F /dev/pbext4
mount /dev/pbext4 /run/mnt
cleanup "umount /run/mnt"
mkfs.ext4 -q -F /dev/pbstablefs
mkdir -p /run/pinned
mount /dev/pbstablefs /run/pinned
cleanup "umount /run/pinned"
make_file /run/pinned/file "$PAGES"

kernel=patched
stock_kernel && kernel=stock
echo "bench-kernel: kernel $kernel"
for bs in 4k 1m; do
	v=$(fio_mbps /run/mnt/bench "$bs") || fail "fio on ext4 failed"
	echo "bench-kernel: fio-ext4-$bs $v"
	rm -f /run/mnt/bench
	v=$(fio_mbps /dev/pbraw "$bs") || fail "fio on /dev/pbraw failed"
	echo "bench-kernel: fio-raw-$bs $v"
done
if [ "$kernel" = patched ]; then
	load_fixture
	modes=(bounce passthrough)
	[ $((${PB_BENCH_ROUND:-0} % 2)) = 0 ] || modes=(passthrough bounce)
	for target in raw:/dev/pbstable ext4:/run/pinned/file; do
		for mode in "${modes[@]}"; do
			cmd=("$BIN/pinwrite" -p "$PAGES" -t "$SECS" "${target#*:}")
			[ "$mode" = bounce ] || cmd=("$REPO/build/pinforce" passthrough -- "${cmd[@]}")
			out=$("${cmd[@]}") || fail "pinwrite on ${target#*:} failed"
			rounds=$(sed -n 's/.*rounds=\([0-9]*\).*/\1/p' <<< "$out")
			sec=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<< "$out")
			echo "bench-kernel: pinned-${target%%:*}-$mode $(awk -v r="$rounds" \
				-v p="$PAGES" -v s="$sec" 'BEGIN { printf "%.1f", r * p / s }')"
		done
	done
fi
if [ "$kernel" = patched ]; then
	null_blk_configfs pbover size=160
	echo 1 > /sys/block/pbover/queue/stable_writes
	mkfs.ext4 -q -F /dev/pbover
	mkdir -p /run/over
	mount /dev/pbover /run/over
	cleanup "umount /run/over"
	dd if=/dev/zero of=/run/over/file bs=1M count=64 conv=fsync status=none
	dirty_limit 32
	for mode in "${modes[@]}"; do
		over_limits "$mode" pbover /run/over/file 16384 pbraw 5 \
			"$([ "$mode" = bounce ] || echo passthrough)"
		echo "bench-kernel: over-$mode-pin-ms $t_pin"
		echo "bench-kernel: over-$mode-idle-kib $idle_kb"
		echo "bench-kernel: over-$mode-other-ms $t_other"
	done
	dd if=/dev/zero of=/run/over/direct bs=1M count=64 conv=fsync status=none
	"$BIN/pinwrite" -p 16384 -r 1 -A 60 -L 0x33 -K 60 /run/over/file > "$WORK/copy" 2>&1 &
	pid=$!
	reap "$pid"
	wait_line "$WORK/copy" '^pinwrite: rounds done' "$pid" "pinwrite did not finish its round"
	release "$pid"	# the device writes into every page; fsync() writes the copy
	wait_line "$WORK/copy" '^pinwrite: kept' "$pid" "pinwrite did not keep its pins"
	grep -q '^pinwrite: late fsync: ' "$WORK/copy" && fail "the fsync() of the copy failed"
	echo "bench-kernel: fsync-copy-ms $(sed -n 's/^pinwrite: late fsync done in \([0-9.]*\) ms/\1/p' "$WORK/copy")"
	t0=$(now)
	dd if=/dev/zero of=/run/over/direct bs=256k count=256 oflag=direct conv=notrunc status=none
	t1=$(now)
	echo "bench-kernel: direct-ms $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1e3 }')"
	release "$pid"
	wait "$pid" || true
fi
echo "bench-kernel: pagecopy-ns $("$BIN/pagecopy" "$PAGES" 1 | sed -n 's/.*ns_per_page=\([0-9.]*\).*/\1/p')"
