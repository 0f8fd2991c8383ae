# A real RDMA stack, not the project's fixture: Soft-RoCE (rdma_rxe) and
# perftest's ib_write_bw write into the page cache of a file that the RDMA
# stack holds pinned, while dd writes and fsync()s the same file
# (tests/vm/rdma-load.sh), on each filesystem of the matrix on a T10-PI
# scsi_debug disk (rdma-part.sh: on a partition of it).
#
# On a kernel without the series, and with pinned pages forced to pass
# through, the bytes rxe writes after the guard tags were computed reach
# the disk and fsync fails.  Bounced (the patched kernel's default), no
# write fails, and the file, fsync()ed after perftest unregistered its
# memory, reads back from the disk (O_DIRECT, PI and btrfs checksums
# checked) as the page cache has it.
. "$PB_REPO/tests/vm/lib.sh"

where=${PB_MATRIX_WHERE:-disk}
seconds=${PB_RDMA_SECONDS:-6}
port=18515
row_cleanup
rxe_up

# rdma_run WHAT MODE: the load on /run/mnt/file; MODE is stock (a kernel without
# the series), passthrough (forced by BPF) or bounce (the default).  Sets
# failures, gbit, guard, csum and back (readback afterwards).
rdma_run() {
	local what=$1 mode=$2 g c cmd
	cmd=(bash "$REPO/tests/vm/rdma-load.sh" "$rxe" "$rxe_gid" $((port += 1))
	     /run/mnt/file "$seconds")
	[ "$mode" != passthrough ] || cmd=("$REPO/build/pinforce" passthrough -- "${cmd[@]}")
	# A new file each run: one whose blocks a failed run left with bad
	# checksums (btrfs) could not even be mapped.
	rm -f /run/mnt/file
	make_file /run/mnt/file 256
	g=$(guard_errors) c=$(csum_errors)
	[ "$mode" = stock ] || trace_start
	"${cmd[@]}" > "$WORK/out" 2> "$WORK/err" ||
		fail "$what, $mode: the RDMA load failed: $(cat "$WORK/err")"
	[ "$mode" = stock ] || trace_stop
	failures=$(sed -n 's/.*fsync_failures=\([0-9]*\).*/\1/p' "$WORK/out")
	gbit=$(sed -n 's/.* gbit=\([0-9.-]*\).*/\1/p' "$WORK/out")
	back=$(readback /run/mnt/file)
	guard=$(($(guard_errors) - g)) csum=$(($(csum_errors) - c))
	echo "  $what, $mode: $(cat "$WORK/out") guard=$guard csum=$csum readback=$back"
	case $mode in
	passthrough) expect_outcome "$what, passthrough" passthrough prog > /dev/null ;;
	bounce) expect_outcome "$what, bounce" bounce default > /dev/null ;;
	esac
}

total_stock=0 total_pt=0 total_bn=0 gbits=
for fs in $MATRIX_FS; do
	what="$fs on a $where"
	row_up "$fs" "$where"
	st=- pt=- bn=- back=-
	if stock_kernel; then
		rdma_run "$what" stock
		st=$((failures + csum))
		total_stock=$((total_stock + st))
		expect_gt "$what, stock kernel: failed writes (else this proves nothing)" 0 "$st"
	else
		rdma_run "$what" passthrough
		pt=$((failures + csum))
		total_pt=$((total_pt + pt))
		expect_gt "$what, passed through: failed writes (else this proves nothing)" 0 "$pt"
		rdma_run "$what" bounce
		bn=$failures
		total_bn=$((total_bn + bn))
		expect "$what, bounced: failed fsyncs" 0 "$failures"
		expect "$what, bounced: guard check failures" 0 "$guard"
		expect "$what, bounced: checksum failures" 0 "$csum"
		expect "$what, bounced: read back from the disk = page cache" ok "$back"
	fi
	gbits+=" $gbit"
	echo "rdma-row: fs=$fs on=$where stock_failures=$st passthrough_failures=$pt bounce_failures=$bn readback=$back gbit=$gbit"
	row_down
done
if stock_kernel; then
	total_pt=- total_bn=-
else
	total_stock=-
fi
# The mean of the bandwidths perftest could measure.
gbit=$(echo "$gbits" | awk '{ for (i = 1; i <= NF; i++) if ($i != "-") { s += $i; n++ } }
			    END { if (n) printf "%.2f", s / n; else print "-" }')
echo "realworld: stock_failures=$total_stock passthrough_failures=$total_pt bounce_failures=$total_bn rdma_gbit=$gbit on=$where"
