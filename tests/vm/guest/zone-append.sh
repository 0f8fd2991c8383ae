# Zone appends through the bounce.  btrfs on a zoned null_blk disk writes
# its data with REQ_OP_ZONE_APPEND, and the device says where each one
# landed.  Pinned and bounced, every append must fit one bounce (it cannot
# be split) and report its real sector, or btrfs records the start of the
# zone and later reads other data from there.  Three rounds fill the zones
# beyond their start; the file then reads back byte-exact with O_DIRECT,
# with no checksum error.
. "$PB_REPO/tests/vm/lib.sh"

load_fixture
dev=pbzoned
null_blk_configfs "$dev" size=1024 zoned=1 zone_size=64
expect "$dev is zoned" host-managed "$(cat "/sys/block/$dev/queue/zoned")"
max=$(cat "/sys/block/$dev/queue/zone_append_max_bytes")
expect_le "largest zone append, in bytes: fits one bounce" $((255 * 4096)) "$max"

mkfs.btrfs -q -f -d single -m single "/dev/$dev" > /dev/null
mount "/dev/$dev" /run/mnt
cleanup "umount /run/mnt"
make_file /run/mnt/file 1024
before=$(dmesg | grep -c 'csum failed' || true)

trace_start
"$REPO/build/pinforce" bounce -- "$BIN/pinwrite" -p 1024 -r 3 -V /run/mnt/file |
	tee "$WORK/out"
trace_stop

appends=$(grep -cE ' block_bio_pin_bounce: [0-9]+,[0-9]+ N[A-Z]* ' "$WORK/trace" || true)
expect_gt "zone appends decided on" 0 "$appends"
expect "zone appends decided on, all bounced by the program" "$appends" \
	"$(grep -E ' block_bio_pin_bounce: [0-9]+,[0-9]+ N[A-Z]* ' "$WORK/trace" |
	   grep -c 'action=bounce by=prog' || true)"
largest=$(grep ' block_bio_pin_bounce: ' "$WORK/trace" |
	  sed -n 's/.* + \([0-9]*\) pinned=.*/\1/p' | sort -n | tail -n 1)
expect_le "largest bounced bio, in sectors: fits one bounce" $((256 * 8)) "$largest"
expect "failed fsyncs" 0 "$(sed -n 's/.*fsync_failures=\([0-9]*\).*/\1/p' "$WORK/out")"
expect "disk = page cache (O_DIRECT)" ok "$(sed -n 's/.*verify=\([a-z]*\).*/\1/p' "$WORK/out")"
expect "btrfs checksum errors" 0 $(($(dmesg | grep -c 'csum failed' || true) - before))
