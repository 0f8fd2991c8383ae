# The failure the bounce exists for.  A file on a scsi_debug disk with
# DIF/DIX, its pages mmapped and pinned, the fixture's kernel thread writing
# into them on one CPU (a device DMA-ing into the buffer) while the test
# stores through the mapping and fsyncs on the other.  Pinned pages passed
# through (forced by BPF, or a kernel without the series): the guard tags
# computed by the block layer no longer match the data when the disk checks
# them, and fsync fails.  Bounced (the default): no failure, and the data
# reads back from the disk byte for byte (pinwrite -V, O_DIRECT; btrfs
# checks its checksums on that read).  On each filesystem of the matrix, on
# the whole disk (integrity-part.sh: on a partition).
. "$PB_REPO/tests/vm/lib.sh"

seconds=${PB_INTEGRITY_SECONDS:-4}
where=${PB_MATRIX_WHERE:-disk}
load_fixture
row_cleanup

# phase WHAT MODE: pinned writes with the thread scribbling, a run of the
# matrix (matrix_run); sets verify too.
phase() {
	# pinwrite's status says whether an fsync failed: its line says more
	matrix_run "$1" "$2" 64 taskset -c 0 "$BIN/pinwrite" -p 64 -w 64 -c 1 -t "$seconds" \
		-V /run/mnt/file || true
	verify=$(sed -n 's/.*verify=\([a-z]*\).*/\1/p' "$WORK/out")
	[ -n "$failures" ] || fail "$1, $2: pinwrite failed: $(cat "$WORK/out" "$WORK/err")"
	echo "  $1, $2: $(grep '^pinwrite: rounds' "$WORK/out") guard=$guard csum=$csum"
}

echo "64 pages of a file mapped and pinned; the fixture's thread rewrites the"
echo "first 64 bytes of each on CPU 1 while CPU 0 stores and fsyncs, ${seconds} s a run."
total_st=0 total_pt=0 total_bn=0
for fs in $MATRIX_FS; do
	what="$fs on a $where"
	row_up "$fs" "$where"
	st=- pt=- bn=- back=-
	if stock_kernel; then
		phase "$what" stock
		st=$((failures + csum))
		total_st=$((total_st + st))
		expect_gt "$what, stock kernel: failed writes (else this proves nothing)" 0 "$st"
	else
		phase "$what" passthrough
		pt=$((failures + csum))
		total_pt=$((total_pt + pt))
		expect_gt "$what, passed through: failed writes (else this proves nothing)" 0 "$pt"
		phase "$what" bounce
		bn=$failures back=$verify
		total_bn=$((total_bn + bn))
		expect "$what, bounced: failed fsyncs" 0 "$failures"
		expect "$what, bounced: guard check failures" 0 "$guard"
		expect "$what, bounced: checksum failures" 0 "$csum"
		expect "$what, bounced: data read back" ok "$verify"
	fi
	echo "integrity-row: fs=$fs on=$where stock_failures=$st passthrough_failures=$pt bounce_failures=$bn readback=$back"
	row_down
done
if stock_kernel; then
	total_pt=- total_bn=-
else
	total_st=-
fi
echo "integrity: stock_failures=$total_st passthrough_failures=$total_pt bounce_failures=$total_bn seconds=$seconds on=$where"
