#!/bin/bash
# Run inside the VM: RDMA writes into a file's page cache, and ordinary
# writes and fsync()s of the same file, at once.
#
#   tests/vm/rdma-load.sh RXE GID_INDEX PORT FILE SECONDS
#
# (PORT, and when a run is repeated PORT+1 and PORT+2.)
#
# perftest's ib_write_bw serves with --mmap=FILE: a shared mapping of the
# first 128 KiB of FILE is its memory region, which the RDMA stack pins
# (ib_umem_get, FOLL_LONGTERM) while it is registered.  A second ib_write_bw
# on the same Soft-RoCE device streams RDMA writes of 64 KiB into the second
# half of that region for SECONDS: rxe copies each packet's payload into the
# pinned pages as a NIC's DMA would, with no fault and no page_mkwrite.  On
# the other CPU, dd overwrites the region through write() and fsync()s it,
# over and over, as any program writing the file would.  Prints one line,
#   rdma: fsyncs=N fsync_failures=N gbit=X writes=N
# and fails when perftest does.  A run in which no RDMA write completed
# while perftest sampled loaded nothing (Soft-RoCE on a slow kernel): it is
# run again, on the next port, twice at most; the fsyncs and failures are
# those of all the runs, the bandwidth and writes the last one's.  Exits 3
# when none loaded anything.
#
# PB_RDMA_NICE (0) is the niceness of perftest and of the loop that feeds
# it, PB_RDMA_DEPTH (128) the RDMA writes it keeps in flight: on a slow
# kernel, Soft-RoCE's own work needs the CPU that perftest polls on.
set -euo pipefail

[ $# = 5 ] || { echo "usage: $0 RXE GID_INDEX PORT FILE SECONDS" >&2; exit 2; }
rxe=$1 gid=$2 port=$3 file=$4 seconds=$5
out=$(mktemp -d)
server= client= source=
trap 'kill $server $client $source 2> /dev/null || true; rm -rf "$out"' EXIT
perf=(taskset -c 1 nice -n "${PB_RDMA_NICE:-0}" ib_write_bw -d "$rxe" -x "$gid" -s 65536
      -D "$seconds" -t "${PB_RDMA_DEPTH:-128}" -F --report_gbits)

listening() { ss -Hltn "sport = :$port" | grep -q .; }

# load: one run on $port; adds to fsyncs and failures, sets gbit and
# writes; returns 3 when no RDMA write completed while perftest sampled.
load() {
	local rc=0 i

	"${perf[@]}" -p "$port" --mmap="$file" > "$out/server" 2>&1 &
	server=$!
	for ((i = 0; i < 100; i++)); do
		listening && break
		kill -0 $server 2> /dev/null || break
		sleep 0.1
	done
	if ! listening; then
		sed 's/^/  server: /' "$out/server" >&2
		echo "rdma-load: ib_write_bw --mmap=$file did not listen on port $port" >&2
		exit 1
	fi
	# The client sends from a file in tmpfs that a loop keeps rewriting,
	# so that each RDMA write carries new bytes, as a stream does.
	truncate -s 1M "$out/source"
	( while :; do
		nice -n "${PB_RDMA_NICE:-0}" dd if=/dev/urandom of="$out/source" bs=64k count=2 \
			conv=notrunc status=none
	done ) &
	source=$!
	"${perf[@]}" -p "$port" --mmap="$out/source" 127.0.0.1 > "$out/client" 2>&1 &
	client=$!

	while kill -0 $client 2> /dev/null; do
		fsyncs=$((fsyncs + 1))
		taskset -c 0 dd if=/dev/urandom of="$file" bs=128k count=1 conv=notrunc,fsync \
			status=none 2> /dev/null || failures=$((failures + 1))
	done
	kill $source
	wait $source 2> /dev/null || true
	source=
	wait $client || rc=$?
	wait $server || rc=$?
	server= client=
	if [ $rc != 0 ]; then
		sed 's/^/  server: /' "$out/server" >&2
		sed 's/^/  client: /' "$out/client" >&2
		echo "rdma-load: ib_write_bw failed (exit status $rc)" >&2
		exit 1
	fi
	# The line after the table's header: bytes, iterations, peak,
	# average, rate.  perftest times itself with the CPU's cycle counter,
	# calibrated against the clock at start; when that calibration is too
	# noisy (an emulated CPU on a busy host), it reports 0: the bandwidth
	# is then unknown ("-"), the rest of the run stands.
	gbit=$(awk '/BW average/ { getline; print $4; exit }' "$out/client")
	writes=$(awk '/BW average/ { getline; print $2; exit }' "$out/client")
	if [ "$writes" = 0 ]; then
		echo "rdma-load: no RDMA write completed while perftest sampled (port $port)" >&2
		return 3
	elif grep -q 'Correlation coefficient' "$out/client"; then
		echo "rdma-load: perftest could not time itself: $(grep 'Correlation coefficient' "$out/client")" >&2
		gbit=-
	elif ! awk -v g="$gbit" 'BEGIN { exit !(g + 0 > 0) }'; then
		sed 's/^/  client: /' "$out/client" >&2
		echo "rdma-load: no average bandwidth in ib_write_bw's report (got '$gbit')" >&2
		exit 1
	fi
}

fsyncs=0 failures=0
for ((try = 1; ; try++)); do
	rc=0
	load || rc=$?
	[ $rc = 3 ] || break
	[ $try -lt 3 ] || exit 3
	port=$((port + 1))
done
echo "rdma: fsyncs=$fsyncs fsync_failures=$failures gbit=$gbit writes=${writes:--}"
