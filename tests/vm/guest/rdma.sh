# A real RDMA stack, not the project's fixture: Soft-RoCE (rdma_rxe) and
# perftest's ib_write_bw write into the page cache of a file that the RDMA
# stack holds pinned, while dd writes and fsync()s the same file
# (tests/vm/rdma-load.sh), on each filesystem of the matrix on a T10-PI
# scsi_debug disk (rdma-part.sh: on a partition of it).
#
# On a kernel without the series, and with pinned pages forced to pass
# through, the bytes rxe writes after the guard tags were computed reach
# the disk and fsync fails: runs of PB_RDMA_SECONDS are repeated, up to 3,
# until a write failed (a row without a failure proves nothing).  Bounced
# (the patched kernel's default), as many runs, and no write fails: the
# file, fsync()ed after perftest unregistered its memory, reads back from
# the disk (O_DIRECT, PI and btrfs checksums checked) as the page cache has
# it.
#
# Each row repeats its runs at random (one to three, and as many bounced),
# so this test's time varies more than others': half as long again as the
# default timeout (tests/vm/timeout.sh).
# timeout: 1.5
. "$PB_REPO/tests/vm/lib.sh"

where=${PB_MATRIX_WHERE:-disk}
seconds=${PB_RDMA_SECONDS:-6}
port=18515
row_cleanup
rxe_up

# rdma_run WHAT MODE: the load (tests/vm/rdma-load.sh) on /run/mnt/file, a
# run of the matrix (matrix_run); sets gbit and back (read back afterwards)
# too.
rdma_run() {
	matrix_run "$1" "$2" 256 bash "$REPO/tests/vm/rdma-load.sh" "$rxe" "$rxe_gid" \
		$((port += 3)) /run/mnt/file "$seconds" ||
		fail "$1, $2: the RDMA load failed: $(cat "$WORK/err")"
	gbit=$(sed -n 's/.* gbit=\([0-9.-]*\).*/\1/p' "$WORK/out")
	back=$(readback /run/mnt/file)
	sed 's/^/  /' "$WORK/err"
	echo "  $1, $2: $(cat "$WORK/out") guard=$guard csum=$csum readback=$back"
}

# unprotected WHAT MODE: runs of MODE (stock or passthrough) until a write
# failed, at most 3 runs (failures come at random, and some
# filesystems fsync less often than others); sets bad and runs.
unprotected() {
	bad=0 runs=0
	while [ "$runs" -lt 3 ] && [ "$bad" -lt 1 ]; do
		rdma_run "$1" "$2"
		bad=$((bad + failures + csum)) runs=$((runs + 1))
		gbits+=" $gbit"
	done
	expect_gt "$1, $2: failed writes in $runs runs (else this proves nothing)" 0 "$bad"
}

# mean X...: of the bandwidths perftest could measure ("-" for the others).
mean() {
	echo "$@" | awk '{ for (i = 1; i <= NF; i++) if ($i != "-") { s += $i; n++ } }
			 END { if (n) printf "%.2f", s / n; else print "-" }'
}

total_stock=0 total_pt=0 total_bn=0 gbits= all_gbits=
for fs in $MATRIX_FS; do
	what="$fs on a $where"
	row_up "$fs" "$where"
	st=- pt=- bn=- back=-
	if stock_kernel; then
		unprotected "$what" stock
		st=$bad
		total_stock=$((total_stock + st))
	else
		unprotected "$what" passthrough
		pt=$bad
		total_pt=$((total_pt + pt))
		# As long a bounced exposure as the unprotected one had.
		gbits=
		bn=0
		for ((i = 0; i < runs; i++)); do
			rdma_run "$what" bounce
			bn=$((bn + failures))
			gbits+=" $gbit"
			expect "$what, bounced: failed fsyncs" 0 "$failures"
			expect "$what, bounced: guard check failures" 0 "$guard"
			expect "$what, bounced: checksum failures" 0 "$csum"
			expect "$what, bounced: read back from the disk = page cache" ok "$back"
		done
		total_bn=$((total_bn + bn))
	fi
	all_gbits+=" $gbits"
	echo "rdma-row: fs=$fs on=$where runs=$runs stock_failures=$st passthrough_failures=$pt bounce_failures=$bn readback=$back gbit=$(mean $gbits)"
	gbits=
	row_down
done
if stock_kernel; then
	total_pt=- total_bn=-
else
	total_stock=-
fi
echo "realworld: stock_failures=$total_stock passthrough_failures=$total_pt bounce_failures=$total_bn rdma_gbit=$(mean $all_gbits) on=$where"
