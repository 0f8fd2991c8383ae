#!/bin/bash
# make bench-kernel: what the series costs against the kernel it patches.
# Benchmark, not a test.  Rounds alternate between the stock and the
# patched kernel (a VM boot each, the order swapped every round) so that
# drift hits both; each boot runs tests/vm/guest/bench-kernel.sh once.
# Every figure is a ratio per round, printed as its median with the
# spread (lowest and highest) over the rounds:
#  - patched / stock, no program, unpinned buffered writes (fio) on ext4
#    and on the raw disk, 4 KiB and 1 MiB writes (aim: >= 0.99);
#  - bounce / passthrough on the patched kernel, pinned writeback of a
#    memory-backed disk with stable writes, raw and ext4 (aim: >= 0.8);
#    and what the bounce adds per page (from the two rates) against a
#    memcpy() of a page in the same guest;
#  - bounce / passthrough on the patched kernel with more pinned than
#    vm.dirty_bytes: the time to pin, store and fsync, and an unrelated
#    writer's time on another disk (aim: <= 2), and the KiB each sends
#    the disk while idle;
# then the hook's cost per decision, no program against a 1-rule policy
# (tests/vm/guest/bench-policy.sh on the patched kernel).
#
#   tests/bench-kernel.sh PATCHED_KDIR STOCK_KDIR
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
[ $# = 2 ] || { echo "usage: $0 PATCHED_KDIR STOCK_KDIR" >&2; exit 2; }
declare -A kdir=([patched]=$1 [stock]=$2)
rounds=${PB_BENCH_ROUNDS:-5}
out=$repo/build/bench-kernel
rm -rf "$out"
mkdir -p "$out"

for ((r = 1; r <= rounds; r++)); do
	order=(stock patched)
	[ $((r % 2)) = 1 ] || order=(patched stock)
	for k in "${order[@]}"; do
		echo "bench-kernel: round $r of $rounds, $k kernel"
		if ! PB_BENCH_ROUND=$r "$repo/tests/vm/run.sh" -o "$out/$r-$k" "${kdir[$k]}" \
				bench-kernel > "$out/$r-$k.txt" 2>&1; then
			cat "$out/$r-$k.txt" >&2
			echo "bench-kernel: the $k kernel's round $r failed" >&2
			exit 1
		fi
		sed -n "s/^ *bench-kernel: bench-kernel: \([a-z0-9-]*\) \([0-9.]*\)$/$r $k \1 \2/p" \
			"$out/$r-$k.txt" >> "$out/values"
	done
done

# The ratios, per round, then median and spread.
python3 - "$out/values" "$rounds" <<'PY'
import statistics, sys
from collections import defaultdict
v = defaultdict(dict)
for line in open(sys.argv[1]):
    r, k, name, x = line.split()
    v[(int(r), k)][name] = float(x)
rounds = range(1, int(sys.argv[2]) + 1)

def show(label, xs, aim=None, unit=""):
    med = statistics.median(xs)
    s = "  %-44s %8.3f%s  (%.3f .. %.3f)" % (label, med, unit, min(xs), max(xs))
    if aim is not None:
        s += "  aim >= %.2f: %s" % (aim, "met" if med >= aim else
                                    "missed by %.1f%%" % ((aim - med) / aim * 100))
    print(s)

print("bench-kernel: %d rounds, median (lowest .. highest) over the rounds" % len(rounds))
print("patched / stock, no program, unpinned buffered writes + fsync (fio, MB/s):")
for name in ("fio-ext4-4k", "fio-ext4-1m", "fio-raw-4k", "fio-raw-1m"):
    show(name, [v[(r, "patched")][name] / v[(r, "stock")][name] for r in rounds], 0.99)
print("patched, pinned writeback, bounce / passthrough (pages/s):")
for t in ("raw", "ext4"):
    show("pinned-%s" % t, [v[(r, "patched")]["pinned-%s-bounce" % t] /
                           v[(r, "patched")]["pinned-%s-passthrough" % t] for r in rounds], 0.8)
print("what the bounce adds per page, in memcpy()s of a page in the same guest:")
for t in ("raw", "ext4"):
    show("pinned-%s" % t, [(1e9 / v[(r, "patched")]["pinned-%s-bounce" % t] -
                            1e9 / v[(r, "patched")]["pinned-%s-passthrough" % t]) /
                           v[(r, "patched")]["pagecopy-ns"] for r in rounds], unit="x")
print("patched, 64 MiB pinned over a 32 MiB vm.dirty_bytes, bounce / passthrough (ms):")
for name in ("pin-ms", "other-ms"):
    xs = [v[(r, "patched")]["over-bounce-" + name] / v[(r, "patched")]["over-passthrough-" + name]
          for r in rounds]
    med = statistics.median(xs)
    print("  %-44s %8.3f  (%.3f .. %.3f)  aim <= 2: %s" % (name, med, min(xs), max(xs),
                                                           "met" if med <= 2 else "missed"))
for mode in ("bounce", "passthrough"):
    show("KiB written in 5 s idle, " + mode, [v[(r, "patched")]["over-%s-idle-kib" % mode]
                                             for r in rounds])
show("fsync() writing 64 MiB pinned from a copy / O_DIRECT write of 64 MiB",
     [v[(r, "patched")]["fsync-copy-ms"] / v[(r, "patched")]["direct-ms"] for r in rounds],
     unit="x")
show("memcpy() of a page (ns)", [v[(r, "patched")]["pagecopy-ns"] for r in rounds])
show("memcpy() of a page, stock / patched guest", [v[(r, "stock")]["pagecopy-ns"] /
                                                   v[(r, "patched")]["pagecopy-ns"] for r in rounds])
PY

echo
echo "the hook's cost per decision, no program against a 1-rule policy (patched kernel):"
PB_BENCH_ROUNDS=3 PB_BENCH_SECONDS=2 "$repo/tests/vm/run.sh" -o "$out/policy" "${kdir[patched]}" \
	bench-policy > "$out/policy.txt" 2>&1 || { cat "$out/policy.txt" >&2; exit 1; }
sed -n 's/^ *bench-policy: //p' "$out/policy.txt" | grep -vE '^ *pages/s per round|64 rules'
