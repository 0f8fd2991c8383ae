# The pinning fixture itself: pages stay pinned while held, are unpinned on
# request, and nothing stays pinned or running when the process is killed.
. "$PB_REPO/tests/vm/lib.sh"

# Whether pages are pinned is what the kernel sees when it writes them back:
# another process stores into the same pages and syncs, and the decisions
# traced count the pinned pages.  Written back first what the pin itself
# dirtied (a writable pin faults the pages in for write): else the flusher
# may write them back, 30 s after the pin, inside the window too (seen on
# the debug kernel: 32 of 16).
pinned_seen() {
	sync
	trace_start
	"$BIN/pinwrite" -n -p 16 -r 1 "/dev/$nb" > /dev/null
	trace_stop
	decision_sum pinned
}
writers() { grep -lx pinfix-writer /proc/[0-9]*/comm 2>/dev/null | wc -l; }

# Every warning the kernel prints fails the run: the guest panics on it.
expect "kernel.panic_on_warn" 1 "$(cat /proc/sys/kernel/panic_on_warn)"

load_fixture
nb=$(null_blk_up)
cleanup "rmmod null_blk"

"$BIN/pinwrite" -p 16 -w 64 -H 1000 "/dev/$nb" > "$WORK/hold" &
pid=$!
cleanup "kill -9 $pid 2>/dev/null"
wait_line "$WORK/hold" '^pinwrite: holding' "$pid" "pinwrite did not pin"
expect "pinned pages seen while held" 16 "$(pinned_seen)"
expect "writer threads while held" 1 "$(writers)"
kill -9 "$pid"
wait "$pid" || true
expect "pinned pages seen after kill -9" 0 "$(pinned_seen)"
expect "writer threads after kill -9" 0 "$(writers)"

trace_start
"$BIN/pinwrite" -p 16 -w 64 -U -r 2 "/dev/$nb" | tee "$WORK/unpin"
trace_stop
expect "pages pinned after PINFIX_IOC_UNPIN" 0 \
	"$(sed -n 's/.*pinned=\([0-9]*\).*/\1/p' "$WORK/unpin")"
expect_untouched "pages unpinned on request"

rmmod pinfix
expect "fixture modules loaded after rmmod" 0 "$(grep -c '^pinfix ' /proc/modules || true)"
