# md raid1 over two PI disks, its file's pages pinned and the fixture's
# thread writing into them while the test stores and fsyncs.  The array
# needs stable writes because its members do, and a pinned page is bounced
# once, where md reads it, so that both mirrors get the same copy.  Each
# mirror bouncing on its own would copy the page at a different moment:
# the mirrors would hold different data, each with valid PI.
. "$PB_REPO/tests/vm/lib.sh"

seconds=${PB_MD_SECONDS:-6}
load_fixture
read -r a b <<< "$(scsi_debug_hosts 2 dif=1 dix=1 dev_size_mb=64)"
cleanup "rmmod scsi_debug"
echo "mirrors: $a and $b, T10-PI (DIF type 1 + DIX), stable writes $(stable_writes "$a") $(stable_writes "$b")"
mdadm --create /dev/md0 --run --quiet --level=1 --raid-devices=2 --metadata=1.2 \
	--assume-clean --bitmap=none "/dev/$a" "/dev/$b" ||
	fail "mdadm --create failed"
cleanup "mdadm --stop /dev/md0 2>/dev/null"
expect "md0 has stable writes, as its members do" 1 "$(stable_writes md0)"
md=$(printf '%d,%d' $((0x$(stat -c %t /dev/md0))) $((0x$(stat -c %T /dev/md0))))
mkfs.ext4 -q -F /dev/md0
mount /dev/md0 /run/mnt
cleanup "umount /run/mnt 2>/dev/null"
make_file /run/mnt/file 64

before=$(guard_errors)
off=$(mdadm --examine "/dev/$a" | sed -n 's/^ *Data Offset : \([0-9]*\) sectors.*/\1/p')
[ -n "$off" ] || fail "no data offset in mdadm --examine /dev/$a"
bs=$(stat -f -c %S /run/mnt)
# The file's extents on md0, in filesystem blocks: "start length" lines.
filefrag -v /run/mnt/file | awk '$1 ~ /^[0-9]+:$/ { sub(/\.\..*/, "", $4); sub(/:/, "", $6); print $4, $6 }' \
	> "$WORK/extents"
[ -s "$WORK/extents" ] || fail "no extents for the file: $(filefrag -v /run/mnt/file)"

# mirror DEV: the file's data on one mirror, read past md.
mirror() {
	local start len
	while read -r start len; do
		dd if="/dev/$1" bs=$bs skip=$((off * 512 + start * bs)) count="$len" \
			iflag=direct,skip_bytes status=none
	done < "$WORK/extents"
}

# The mirrors are compared after the last write back, while the pages are
# still pinned and the thread still writes into them: unpinning dirties
# them, and the write back that follows would send the same bytes to both.
trace_start
taskset -c 0 "$BIN/pinwrite" -p 64 -w 64 -c 1 -t "$seconds" -K 5 -V /run/mnt/file \
	> "$WORK/out" 2>&1 &
pid=$!
cleanup "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
wait_kept "$pid" "mirrors"
same=1
cmp <(mirror "$a") <(mirror "$b") > "$WORK/cmp" 2>&1 || same=0
wait "$pid" || fail "pinwrite: $(cat "$WORK/out")"
trace_stop
cat "$WORK/out"
[ "$same" = 1 ] || fail "mirrors $a and $b hold different data for the file: $(cat "$WORK/cmp")"
echo "ok: mirrors $a and $b hold the same data for the file ($(awk '{ n += $2 } END { print n }' "$WORK/extents") blocks of $bs)"

expect_gt "decisions on md0 ($md), bounced by default" 0 \
	"$(decisions "block_bio_pin_bounce: $md .* action=bounce by=default")"
expect "decisions on the mirrors (none: md0 decided)" 0 \
	"$(decisions "block_bio_pin_bounce: 8,")"
expect "failed fsyncs" 0 "$(sed -n 's/.*fsync_failures=\([0-9]*\).*/\1/p' "$WORK/out")"
expect "guard check failures in the kernel log" 0 $(($(guard_errors) - before))
expect "md0 read back (O_DIRECT)" ok "$(sed -n 's/.*verify=\([a-z]*\).*/\1/p' "$WORK/out")"
