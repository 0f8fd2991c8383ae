# The pinning fixture itself: pages stay pinned while held, are unpinned on
# request, and nothing stays pinned or running when the process is killed.
. "$PB_REPO/tests/vm/lib.sh"

# Pins held in the whole system, from the kernel's own FOLL_PIN counters.
pins() {
	awk '$1 == "nr_foll_pin_acquired" { a = $2 } $1 == "nr_foll_pin_released" { r = $2 }
	     END { print a - r }' /proc/vmstat
}
writers() { grep -lx pinfix-writer /proc/[0-9]*/comm 2>/dev/null | wc -l; }

load_fixture
nb=$(null_blk_up)
cleanup "rmmod null_blk"
base=$(pins)

"$BIN/pinwrite" -p 16 -w 64 -H 1000 "/dev/$nb" > "$WORK/hold" &
pid=$!
for ((i = 0; i < 100; i++)); do
	grep -q holding "$WORK/hold" && break
	sleep 0.1
done
expect "pins while held" $((base + 16)) "$(pins)"
expect "writer threads while held" 1 "$(writers)"
kill -9 "$pid"
wait "$pid" || true
expect "pins after kill -9" "$base" "$(pins)"
expect "writer threads after kill -9" 0 "$(writers)"

trace_start
"$BIN/pinwrite" -n -p 16 -r 1 "/dev/$nb"
trace_stop
expect_untouched "pages of the killed process"

trace_start
"$BIN/pinwrite" -p 16 -w 64 -U -r 2 "/dev/$nb" | tee "$WORK/unpin"
trace_stop
expect "pages pinned after PINFIX_IOC_UNPIN" 0 \
	"$(sed -n 's/.*pinned=\([0-9]*\).*/\1/p' "$WORK/unpin")"
expect_untouched "pages unpinned on request"
expect "pins after all" "$base" "$(pins)"

rmmod pinfix
expect "fixture modules loaded after rmmod" 0 "$(grep -c '^pinfix ' /proc/modules || true)"
