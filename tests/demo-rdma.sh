#!/bin/bash
# make demo-rdma: the RDMA proof (tests/vm/guest/rdma.sh) on the stock 6.1
# kernel and on the patched one, each in a VM of its own, and one line:
#   realworld: stock_failures=N passthrough_failures=N bounce_failures=N rdma_gbit=X
# stock_failures counts the failed writes on the stock kernel, the others
# those on the patched kernel with pinned pages forced to pass through and
# bounced (its default); rdma_gbit is perftest's bandwidth while bounced.
#
#   tests/demo-rdma.sh PATCHED_KDIR [STOCK_KDIR]
#
# Without STOCK_KDIR, stock_failures is "-".  Exits 1 when a VM test fails.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 PATCHED_KDIR [STOCK_KDIR]" >&2; exit 2; }
patched=$1 stock=${2:-}
out=$repo/build/demo-rdma
rm -rf "$out"
mkdir -p "$out"
rc=0

field() { sed -n "s/^ *rdma: realworld: .*$1=\([^ ]*\).*/\1/p" "$2"; }

stock_failures=-
if [ -n "$stock" ]; then
	echo "demo-rdma: the stock kernel ($stock)"
	PB_FIXTURE=$repo/build/fixture-stock/pinfix.ko \
		"$repo/tests/vm/run.sh" -o "$out/stock" "$stock" rdma | tee "$out/stock.txt" || rc=1
	stock_failures=$(field stock_failures "$out/stock.txt")
fi
echo "demo-rdma: the patched kernel ($patched)"
"$repo/tests/vm/run.sh" -o "$out/patched" "$patched" rdma | tee "$out/patched.txt" || rc=1
echo "realworld: stock_failures=${stock_failures:-?}" \
	"passthrough_failures=$(field passthrough_failures "$out/patched.txt")" \
	"bounce_failures=$(field bounce_failures "$out/patched.txt")" \
	"rdma_gbit=$(field rdma_gbit "$out/patched.txt")"
exit $rc
