# Benchmark, not a test: what the policy program costs pinned writeback.
# Side by side in one VM, rounds interleaved so that drift hits all alike:
# no program, a 1-rule policy and a 64-rule policy whose first 63 rules run
# every check and miss on the last (the cgroup), all deciding passthrough,
# so that only the decision differs.  Two workloads: pinned pages of a raw
# null_blk disk (one 4 KiB bio, so one decision, a page: the worst case)
# and of a file on ext4 on a scsi_debug disk (multi-page bios).  The cost
# per decision is the kernel's BPF run-time statistics; "program share" is
# that cost times the decisions, over the time the writeback took.
. "$PB_REPO/tests/vm/lib.sh"

ROUNDS=${PB_BENCH_ROUNDS:-5}
SECS=${PB_BENCH_SECONDS:-4}
PAGES=${PB_BENCH_PAGES:-64}

load_fixture
nb=$(null_blk_up)
cleanup "rmmod null_blk"
sd=$(scsi_debug_up dev_size_mb=64)
cleanup "rmmod scsi_debug"
cleanup "$PB detach"
[ "$(stable_writes "$sd")" = 0 ] || fail "$sd needs stable writes"
mount_ext4 "$sd"
make_file /run/mnt/bench "$PAGES"
# The writer's cgroup is two levels down, so that the 63 cgroup checks read
# an ancestor and miss.
mkdir -p /sys/fs/cgroup/bench/w /sys/fs/cgroup/bench-other
cleanup "rmdir /sys/fs/cgroup/bench/w /sys/fs/cgroup/bench /sys/fs/cgroup/bench-other"
for cg in "" bench; do
	echo "+memory +io" > "/sys/fs/cgroup/$cg/cgroup.subtree_control"
done
echo 1 > /proc/sys/kernel/bpf_stats_enabled
cleanup "echo 0 > /proc/sys/kernel/bpf_stats_enabled"

{
	echo "default default"
	echo "rule all dev $nb,$sd action passthrough"
} > "$WORK/rules-1"
{
	echo "default default"
	for ((i = 1; i < 64; i++)); do
		echo "rule miss$i dev $nb,$sd flags sync size -1g pinned 1 cgroup /bench-other action bounce"
	done
	echo "rule all dev $nb,$sd action passthrough"
} > "$WORK/rules-64"

# prog_stats: "run_cnt run_time_ns" of the attached policy program.
prog_stats() {
	local out
	out=$(bpftool -j prog show name pb_policy 2> /dev/null || true)
	if [ -z "${out//[[:space:]]/}" ]; then
		echo "0 0"
		return
	fi
	json '"%d %d" % (lambda p: (p.get("run_cnt", 0), p.get("run_time_ns", 0)))(j[0] if isinstance(j, list) else j) if j else "0 0"' <<< "$out"
}

setting() {
	case $1 in
	none) "$PB" -j detach > /dev/null ;;
	*) "$PB" -j policy load "$WORK/rules-$1" > /dev/null ;;
	esac
}

declare -A rates cnt ns secs
settings=(none 1 64)
workloads=("/dev/$nb" /run/mnt/bench)
for ((r = 0; r < ROUNDS; r++)); do
	for ((k = 0; k < 3; k++)); do
		s=${settings[(r + k) % 3]}
		setting "$s"
		for w in "${workloads[@]}"; do
			read -r c0 t0 < <(prog_stats)
			out=$(bash -c 'echo $$ > /sys/fs/cgroup/bench/w/cgroup.procs && exec "$@"' \
				pinwrite "$BIN/pinwrite" -p "$PAGES" -t "$SECS" "$w")
			read -r c1 t1 < <(prog_stats)
			rounds=$(sed -n 's/.*rounds=\([0-9]*\).*/\1/p' <<< "$out")
			sec=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<< "$out")
			key="$w $s"
			rates[$key]+="$(awk -v r="$rounds" -v p="$PAGES" -v s="$sec" 'BEGIN { printf "%.1f", r * p / s }') "
			cnt[$key]=$((${cnt[$key]:-0} + c1 - c0))
			ns[$key]=$((${ns[$key]:-0} + t1 - t0))
			secs[$key]=$(awk -v a="${secs[$key]:-0}" -v b="$sec" 'BEGIN { print a + b }')
		done
	done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "bench-policy: $PAGES pinned pages, $ROUNDS interleaved rounds of ${SECS} s per setting and workload"
for w in "${workloads[@]}"; do
	base=$(median <<< "${rates[$w none]}")
	echo
	echo "pinned writeback of $w"
	printf '%-11s %13s %7s %12s %10s %14s\n' setting "pages/s (med)" ratio "ns/decision" decisions "program share"
	for s in "${settings[@]}"; do
		key="$w $s"
		m=$(median <<< "${rates[$key]}")
		case $s in none) name="no program" ;; 1) name="1 rule" ;; *) name="$s rules" ;; esac
		if [ "${cnt[$key]}" -gt 0 ]; then
			per=$((ns[$key] / cnt[$key]))
			share=$(awk -v n="${ns[$key]}" -v s="${secs[$key]}" 'BEGIN { printf "%.2f%%", n / (s * 1e9) * 100 }')
		else
			per=-
			share=-
		fi
		printf '%-11s %13s %7s %12s %10s %14s\n' "$name" "$m" \
			"$(awk -v a="$m" -v b="$base" 'BEGIN { printf "%.3f", a / b }')" \
			"$per" "${cnt[$key]}" "$share"
	done
	for s in "${settings[@]}"; do
		echo "  pages/s per round, $s: ${rates[$w $s]}"
	done
done
