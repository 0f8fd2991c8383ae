# Benchmark, not a test: what watching costs on the patched kernel, where
# every writeback bio passes the bounce code.  Buffered random writes to a
# raw null_blk disk with an fsync every 16: writeback bios, each a
# candidate the observers see at __blk_queue_bounce and at queue and
# completion.  See tests/bench-observe.sh.
. "$PB_REPO/tests/vm/lib.sh"

BENCH_LIB_ONLY=1
# shellcheck source=../../bench-observe.sh
. "$REPO/tests/bench-observe.sh"
nb=$(null_blk_up)
cleanup "rmmod null_blk"
PB_BENCH_CLI=$REPO/build/pinbounce
FIO_ARGS="--filename=/dev/$nb --size=256M --rw=randwrite --bs=4k --ioengine=psync --fsync=16"
bench "VM, $(uname -r) under TCG (every observer: writeback through the bounce code)"
