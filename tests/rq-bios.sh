#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The observers count every bio of a merged request, on this host (root,
# any kernel with BPF, loop devices, fio): 1024 O_DIRECT writes of 4 KiB,
# sequential, submitted 128 at a time (libaio: one plug for each batch),
# merge into requests of far more than 32 bios (the disk's own count of
# writes, which counts requests, says how many), and the write histogram
# has one sample per bio, with no drop.  With the walk of a request's bios
# bounded at 8 (tests/vm/rqbound.c), each of those requests counts a drop
# of kind request_bios.
#
#   tests/rq-bios.sh [PINBOUNCE]    (default: build/san/pinbounce)
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/checks.sh"
pb=$(realpath "${1:-$repo/build/san/pinbounce}")
bios=1024

if [ "$(id -u)" != 0 ] || ! command -v fio > /dev/null || ! losetup -f > /dev/null 2>&1; then
	echo "rq-bios: skipped: needs root, fio and loop devices"
	exit 0
fi
work=$(mktemp -d /tmp/pb-rq-bios.XXXXXX)
dev=
cleanup() {
	[ -z "$dev" ] || losetup -d "$dev"
	rm -rf "$work"
}
trap cleanup EXIT
truncate -s 16M "$work/d.img"
dev=$(losetup -f --show "$work/d.img") || exit 1
name=${dev#/dev/}

# stat FIELD: a field of the disk's /sys/block/X/stat (5: writes
# completed, requests; 6: writes merged into another).
stat() {
	awk -v f="$1" '{ print $f }' "/sys/block/$name/stat"
}

fio=(fio --name=rq --filename="$dev" --rw=write --bs=4k --size=$((bios * 4))k --direct=1
	--ioengine=libaio --iodepth=128 --iodepth_batch_submit=128
	--iodepth_batch_complete_min=128 --output="$work/fio.out")
w0=$(stat 5) m0=$(stat 6)
timeout 60 "$pb" trace -d "$name" --json "$work/t.json" --expect "write_count == $bios" \
	--expect 'dropped_updates == 0' -- "${fio[@]}" 2> "$work/t.err"
status=$?
requests=$(($(stat 5) - w0)) merged=$(($(stat 6) - m0))
count=$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["metrics"]["write_count"])' "$work/t.json" 2> /dev/null)
echo "rq-bios: $bios bios in $requests requests ($merged merged), write_count ${count:-?}, trace exit $status"
if [ "$requests" -gt 0 ] && [ $((bios / requests)) -gt 32 ] && [ $((bios - requests)) -le "$merged" ]; then
	ok "rq-bios: requests of $((bios / requests)) bios on average, more than 32"
else
	bad "rq-bios: $requests requests, $merged merged: not more than 32 bios a request"
fi
if [ "$status" = 0 ] && [ "$count" = "$bios" ]; then
	ok "rq-bios: one latency sample for each of the $bios bios, no drop"
else
	bad "rq-bios: trace exit $status: $(cat "$work/t.err")"
fi
check "rq-bios: report valid pinbounce/1" \
	python3 "$repo/tests/schema-check.py" --command trace "$work/t.json"

w0=$(stat 5)
out=$(timeout 60 "$repo/build/tests/rqbound" 8 "${fio[@]}")
status=$?
requests=$(($(stat 5) - w0))
drops=$(echo "$out" | sed -n 's/^rqbound: request_bios=\([0-9]*\) .*/\1/p')
echo "rq-bios: walk bounded at 8 bios: $out, $requests requests, exit $status"
if [ "$status" = 0 ] && [ "$requests" -gt 0 ] && [ $((bios / requests)) -gt 8 ] &&
   [ "${drops:-0}" -ge "$requests" ]; then
	ok "rq-bios: past a bound of 8 bios, a request_bios drop for each of the $requests requests"
else
	bad "rq-bios: past a bound of 8 bios: $out ($requests requests, exit $status)"
fi

summary rq-bios
