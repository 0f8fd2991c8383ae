#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The README against the tree and the binaries, on this host (root):
#
# - at most 300 lines; every relative link of the README, doc/,
#   tests/README.md, HACKING.md and kernel-patch/README.md resolves, its
#   anchor too;
# - the command table's synopses are what the binaries' help prints; the
#   apt lines are exactly what make user and the package need
#   (debian/control's Build-Depends); the units and the exporter's address
#   it names are the tree's; its example policy passes policy check;
# - its quick start runs here as printed: `pinbounce pins 10` while
#   tests/pinhold.c holds 16 pages of a file pinned on a loop device that
#   needs stable writes prints the README's lines (times, ages, pids and
#   the loop's number aside), and its `trace` example exits 124 with the
#   README's lines.
#
#   tests/readme.sh [PINBOUNCE]    (default: build/san/pinbounce)
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/checks.sh"
pb=$(realpath "${1:-$repo/build/san/pinbounce}")
docs=$repo/tests/docs-check.py
work=$(mktemp -d /tmp/pb-readme.XXXXXX)
loopdev=
cleanup() {
	[ -n "$loopdev" ] && echo 0 > "/sys/block/$loopdev/queue/stable_writes"
	mountpoint -q "$work/mnt" && umount "$work/mnt"
	rm -rf "$work"
}
trap cleanup EXIT
cd "$repo" || exit 1

lines=$(wc -l < README.md)
check "README.md: $lines lines, at most 300" [ "$lines" -le 300 ]
"$docs" links README.md doc/*.md tests/README.md HACKING.md kernel-patch/README.md > "$work/out"
check "links and anchors resolve$(sed 's/^/; /' "$work/out")" [ ! -s "$work/out" ]

{ "$pb" help; "$pb" policy help; build/pinforce --help; } > "$work/help" 2>&1
"$docs" synopses README.md "$work/help" > "$work/out"
check "the command table is what the help prints$(sed 's/^/; /' "$work/out")" [ ! -s "$work/out" ]
"$docs" apt README.md debian/control > "$work/out"
check "the apt lines: what make user and the package need$(sed 's/^/; /' "$work/out")" \
	[ ! -s "$work/out" ]
for u in $(grep -o 'pinbounce-[a-z]*` |' README.md | tr -d '`| ' | sort -u); do
	check "unit $u is in dist/systemd" [ -f "dist/systemd/$u.service" ]
done
addr=$(sed -n 's/^#define DEFAULT_LISTEN[[:space:]]*"\(.*\)"/\1/p' user/cli/export_cmd.c)
check "the exporter's default address ($addr) is the README's" \
	grep -q "on \`$addr\`" README.md
"$docs" block README.md '# Bounce pinned writeback on the PI disks, except for the scratch cgroup,' \
	> "$work/policy"
{ echo '# Bounce pinned writeback on the PI disks, except for the scratch cgroup,'; \
  cat "$work/policy"; } > "$work/example.policy"
check "the example policy passes policy check --syntax" \
	"$pb" policy check --syntax "$work/example.policy"

# --- The quick start, run -------------------------------------------------
cd "$work" || exit 1
${CC:-gcc} -O2 -Wall -Wextra -Werror -pthread "$repo/tests/pinhold.c" -o pinhold ||
	{ bad "pinhold builds"; summary readme; }
truncate -s 64M img
mkfs.ext4 -q img && mkdir mnt && mount -o loop img mnt ||
	{ bad "an ext4 image on a loop device"; summary readme; }
loopdev=$(basename "$(findmnt -no SOURCE mnt)")
echo 1 > "/sys/block/$loopdev/queue/stable_writes" ||
	{ bad "$loopdev told to need stable writes"; summary readme; }
touch mnt/direct mnt/frames.dat

# normalize: what changes from run to run (times, ages, pids, the loop's
# number, numbers where NUMBERS is set) made the same, blanks collapsed.
normalize() {
	python3 -c 'import re, sys
for l in sys.stdin.read().split("\n"):
    l = l.replace(sys.argv[1], "/srv/rdma")
    l = re.sub(r"\d\d:\d\d:\d\d", "HH:MM:SS", l)
    l = re.sub(r"\b\d+\.\ds\b", "AGE", l)
    l = re.sub(r"(mapped by|pid) \d+", r"\1 PID", l)
    l = re.sub(r"loop\d+", "loopN", l)
    if sys.argv[2] == "numbers":
        l = re.sub(r"; \d+ writes? untimed \(no latency sample, not a drop\)", "", l)
        l = re.sub(r"\d+(\.\d+)?", "N", l)
    print(" ".join(l.split()))' "$work/mnt" "${1:-}"
}

# readme_cmd START: the README's block that starts "$ pinbounce ...": its
# command, run here.
"$docs" block "$repo/README.md" '$ pinbounce pins 10' > pins.want ||
	{ bad "the README's pins example: $(cat pins.want)"; summary readme; }
timeout --preserve-status -s INT 13 "$pb" pins 10 > pins.got 2>&1 &
pins=$!
sleep 1
(sleep 13; echo) | ./pinhold 16 mnt/frames.dat mnt/direct > hold.out 2>&1 &
hold=$!
wait "$pins"
status=$?
wait "$hold"
grep -q '^pinhold: pinned 16 pages' hold.out || bad "pinhold pinned: $(cat hold.out)"
check "pins 10: interrupted, status 0 ($status)" [ "$status" = 0 ]
head -n "$(wc -l < pins.want)" pins.got | normalize > got.n
normalize < pins.want > want.n
check "pins 10 prints the README's lines$(diff want.n got.n | sed 's/^/; /')" \
	cmp -s want.n got.n

cmd='$ pinbounce trace --expect '\''exposed_pages == 0'\'' -- ./pinhold 16 /srv/rdma/frames.dat /srv/rdma/direct'
"$docs" block "$repo/README.md" "$cmd" > trace.want ||
	{ bad "the README's trace example: $(cat trace.want)"; summary readme; }
sync
(sleep 2; echo) | "$pb" trace --expect 'exposed_pages == 0' -- \
	./pinhold 16 mnt/frames.dat mnt/direct > trace.got 2>&1
status=$?
check "trace: status 124, pages exposed ($status)" [ "$status" = 124 ]
normalize numbers < trace.got > got.n
missing=$(grep -v '^  [a-z]' trace.want | normalize numbers |
	  grep -vxFf got.n)
missing+=$(grep '^  loop' trace.want | normalize numbers | grep -vxFf got.n)
check "trace prints the README's lines$(echo "$missing" | sed '/^$/d; s/^/; missing: /')" \
	[ -z "$missing" ]
grep -q "^pinbounce trace: expectation failed: exposed_pages == 0 (exposed_pages is 16)$" \
	trace.got || bad "trace: 16 pages exposed: $(cat trace.got)"
summary readme
