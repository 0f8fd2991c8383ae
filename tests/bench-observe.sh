#!/bin/bash
# Benchmark, not a test: what watching costs.  The same fio workload, side by
# side in one run with rounds interleaved so that drift hits all alike: no
# observer, pinbounce's observers (pinbounce stats), and libbpf-tools'
# biolatency -D (per-disk latency: the closest existing tool).  Reports the
# median IOPS of each, their ratio to no observer, and what the BPF programs
# cost per I/O from the kernel's run-time statistics (taken in a separate
# round, as collecting them costs time too).
#
#   tests/bench-observe.sh KDIR     the host (its kernel: the write-latency
#                                   observers), then the VM (all of them)
# In the VM, tests/vm/guest/bench-observe.sh sources this file for bench().
set -euo pipefail

ROUNDS=${PB_BENCH_ROUNDS:-5}
SECS=${PB_BENCH_SECONDS:-3}

# new_progs BEFORE: the ids of BPF programs loaded since BEFORE was taken.
prog_ids() { bpftool -j prog show | python3 -c 'import json, sys
print(" ".join(str(p["id"]) for p in json.load(sys.stdin)))'; }

# prog_cost BEFORE: "runs run_time_ns" of the programs not in BEFORE.
prog_cost() {
	bpftool -j prog show | python3 -c 'import json, sys
old = set(sys.argv[1].split())
new = [p for p in json.load(sys.stdin) if str(p["id"]) not in old]
print(sum(p.get("run_cnt", 0) for p in new), sum(p.get("run_time_ns", 0) for p in new))' "$1"
}

# start_tool SETTING: start the observer of SETTING in the background.
start_tool() {
	local before i last=
	tool_pid=
	before=$(prog_ids)
	tool_before=$before
	case $1 in
	none) return 0 ;;
	pinbounce) "$PB_BENCH_CLI" stats > /dev/null & ;;
	biolatency) biolatency -D > /dev/null & ;;
	esac
	tool_pid=$!
	# attached once its programs stop appearing
	for ((i = 0; i < 300; i++)); do
		sleep 0.2
		kill -0 "$tool_pid" 2> /dev/null || { echo "bench: $1 exited early" >&2; exit 1; }
		[ "$(prog_ids)" != "$before" ] && [ "$(prog_ids)" = "$last" ] && return 0
		last=$(prog_ids)
	done
	echo "bench: $1 did not attach" >&2
	exit 1
}

stop_tool() {
	[ -n "$tool_pid" ] || return 0
	kill -INT "$tool_pid"
	wait "$tool_pid" || true
}

# run_fio: IOPS of one fio run of $SECS seconds ($FIO_ARGS: the workload).
run_fio() {
	fio --name=bench --time_based --runtime="$SECS" --output-format=json $FIO_ARGS |
		python3 -c 'import json, sys
j = json.load(sys.stdin)["jobs"][0]["write"]
print("%.0f %d" % (j["iops"], j["total_ios"]))'
}

median() { tr -s ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# bench TITLE: the rounds and the table.
bench() {
	local s r out
	declare -A iops
	echo "$1"
	echo "fio $FIO_ARGS, ${SECS}s x $ROUNDS rounds interleaved"
	run_fio > /dev/null	# warm up
	for ((r = 1; r <= ROUNDS; r++)); do
		for s in none pinbounce biolatency; do
			start_tool $s
			out=$(run_fio)
			stop_tool
			iops[$s]="${iops[$s]:-} ${out% *}"
		done
		echo "  round $r: none ${iops[none]##* } pinbounce ${iops[pinbounce]##* }" \
			"biolatency ${iops[biolatency]##* } IOPS"
	done
	# BPF cost per I/O, with the kernel's run-time statistics on.
	local stats_was runs ns
	declare -A cost_ns cost_runs
	stats_was=$(cat /proc/sys/kernel/bpf_stats_enabled)
	echo 1 > /proc/sys/kernel/bpf_stats_enabled
	for s in pinbounce biolatency; do
		start_tool $s
		out=$(run_fio)
		read -r runs ns <<< "$(prog_cost "$tool_before")"
		stop_tool
		cost_ns[$s]=$(awk -v ns="$ns" -v ios="${out#* }" 'BEGIN { printf "%.0f", ns / ios }')
		cost_runs[$s]=$(awk -v r="$runs" -v ios="${out#* }" 'BEGIN { printf "%.2f", r / ios }')
	done
	echo "$stats_was" > /proc/sys/kernel/bpf_stats_enabled

	local base med pb bl
	base=$(median <<< "${iops[none]}")
	printf '  %-11s %10s %8s %12s %14s\n' setting "IOPS" ratio "BPF ns/IO" "prog runs/IO"
	for s in none pinbounce biolatency; do
		med=$(median <<< "${iops[$s]}")
		printf '  %-11s %10s %8s %12s %14s\n' "$s" "$med" \
			"$(awk -v a="$med" -v b="$base" 'BEGIN { printf "%.3f", a / b }')" \
			"${cost_ns[$s]:--}" "${cost_runs[$s]:--}"
	done
	pb=$(median <<< "${iops[pinbounce]}")
	bl=$(median <<< "${iops[biolatency]}")
	awk -v pb="$pb" -v bl="$bl" -v base="$base" -v cpb="${cost_ns[pinbounce]}" \
		-v cbl="${cost_ns[biolatency]}" 'BEGIN {
		printf "  IOPS lost: pinbounce %.1f%%, biolatency %.1f%%; ", \
			100 * (1 - pb / base), 100 * (1 - bl / base)
		printf "BPF time per I/O: pinbounce %d ns, biolatency %d ns: %s\n", cpb, cbl, \
			(cpb <= cbl ? "pinbounce costs no more" : "pinbounce costs MORE")
	}'
}

[ "${BENCH_LIB_ONLY:-}" ] && return 0

kdir=${1:?usage: tests/bench-observe.sh KDIR}
repo=$(cd "$(dirname "$0")/.." && pwd)
PB_BENCH_CLI=$repo/build/pinbounce
dir=$repo/build/bench
mkdir -p "$dir"
FIO_ARGS="--filename=$dir/fio.dat --size=256M --rw=randwrite --bs=4k --direct=1 --ioengine=psync"
bench "host, $(uname -r) (write-latency observers only: no bounce series)"
rm -f "$dir/fio.dat"
echo
"$repo/tests/vm/run.sh" "$kdir" bench-observe
