#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# pinbounce pins on this host (root), against what the machine and its
# users hand it.  Page-cache pages are pinned without a fixture by
# tests/pinhold.c (a direct write from a mapping of the file, held on a
# userfaultfd), on an ext4 image on a loop device; the census runs as on a
# kernel that refuses its programs on pin_user_pages*() and unpin_*()
# (lockdown, some sandboxes, this project's 6.18 host), where pins are
# met only as their pages are written back:
#
# - A pin met under writeback after the census started is not "(before
#   start)": its owner is unknown, and text and JSON give the same age.
# - Once its pinner released the pins and exited, and the file was
#   written back again unpinned, the census forgets the pages.
#
#   tests/pins-host.sh [PINBOUNCE]    (default: build/san/pinbounce)
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/checks.sh"
pb=$(realpath "${1:-$repo/build/san/pinbounce}")
work=$(mktemp -d /tmp/pb-pins-host.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
	local p

	for p in "${pids[@]}"; do
		kill "$p" 2> /dev/null
	done
	for p in "${pids[@]}"; do
		wait "$p" 2> /dev/null
	done
	mountpoint -q "$work/mnt" && umount "$work/mnt"
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1
export PINBOUNCE_TEST_NO_PIN_HOOKS=1

${CC:-gcc} -O2 -Wall -Wextra -Werror -pthread "$repo/tests/pinhold.c" -o pinhold ||
	{ bad "pinhold builds"; summary pins-host; }
truncate -s 64M img
mkfs.ext4 -q img && mkdir mnt && mount -o loop img mnt ||
	{ bad "an ext4 image on a loop device"; summary pins-host; }
dev=$(findmnt -no SOURCE mnt)
dev=${dev#/dev/}

# schema FILE...: whether the files hold documents of pinbounce/1.
schema() {
	python3 "$repo/tests/schema-check.py" "$@" > schema.out 2>&1
}

# json FILE EXPR: EXPR of the last document in FILE (j), or nothing.
json() {
	python3 -c 'import json, sys
try:
    j = json.loads(open(sys.argv[1]).read().splitlines()[-1])
    print(eval(sys.argv[2]))
except Exception:
    pass' "$1" "$2"
}

# until_json FILE EXPR WANT: until EXPR of FILE's last document is WANT,
# 20 s at most; prints what it was.
until_json() {
	local end=$((SECONDS + 20)) got

	while :; do
		got=$(json "$1" "$2")
		[ "$got" = "$3" ] || [ "$SECONDS" -ge "$end" ] && break
		sleep 0.1
	done
	echo "$got"
}

# censuses NAME: a JSON census (NAME.json) and a text one (NAME.txt) of
# the loop device (others' may be busy), every 0.2 s, once both printed.
censuses() {
	"$pb" -j pins -d "$dev" 0.2 > "$1.json" 2> "$1.err" &
	pids+=($!)
	"$pb" pins -d "$dev" 0.2 > "$1.txt" 2>&1 &
	pids+=($!)
	until_json "$1.json" "j['pages']" 0 > /dev/null
	until grep -q pinned "$1.txt" || [ "$SECONDS" -gt 60 ]; do sleep 0.1; done
}

# pinhold PAGES FILE: PAGES pages of FILE pinned and written back; the
# pins go with "echo >&7", then pinhold exits (pid $holder).
pinhold() {
	rm -f ctl && mkfifo ctl
	./pinhold "$1" "$2" mnt/direct < ctl > hold.out 2>&1 &
	holder=$!
	pids+=("$holder")
	exec 7> ctl
	until grep -q '^pinhold: pinned' hold.out || ! kill -0 "$holder" 2> /dev/null; do
		sleep 0.1
	done
	grep -q '^pinhold: pinned' hold.out || bad "pinhold pins: $(cat hold.out)"
}

# --- 6: pins seen after the start, and forgotten once unpinned -----------
censuses c6
pinhold 8 mnt/file
ino=$(stat -c %i mnt/file)
got=$(until_json c6.json "[(r['ino'], r['pages']) for r in j['pins']]" "[($ino, 8)]")
check "6: the 8 pinned pages of mnt/file met under writeback (census: $got)" \
	[ "$got" = "[($ino, 8)]" ]
got=$(json c6.json "[(r['pid'], r['before_census']) for r in j['pins']]")
check "6: pinned after the start, met under writeback: owner unknown, not before the start ($got)" \
	[ "$got" = "[(None, None)]" ]
row=$(grep -E " $dev " c6.txt | tail -n1)
age_json=$(json c6.json "j['pins'][0]['age_s']")
age_text=$(sed -nE 's/^ +- +\(owner unknown\) +8 +- +([0-9.]+)s .*/\1/p' <<< "$row")
check "6: text says owner unknown and an age, as JSON (text '$row', JSON $age_json s)" \
	python3 -c "import sys; sys.exit(not abs(float('$age_text' or 'nan') - $age_json) < 3)"
echo >&7
exec 7>&-
wait "$holder"
check "6: pinhold released its pins and exited" grep -q '^pinhold: unpinned' hold.out
# the file rewritten, no longer pinned
dd if=/dev/zero of=mnt/file bs=4k count=8 conv=notrunc,fsync status=none
got=$(until_json c6.json "j['pages']" 0)
check "6: unpinned on a kernel without unpin programs, forgotten (census: $got pages)" \
	[ "$got" = 0 ]
got=$(json c6.json "j['swept'] >= 8")
check "6: by the sweep (swept: $(json c6.json "j['swept']"))" [ "$got" = True ]
schema c6.json
rc=$?
check "6: the documents are pinbounce/1 ($(tail -n1 schema.out))" [ "$rc" = 0 ]
kill "${pids[@]}" 2> /dev/null
wait "${pids[@]}" 2> /dev/null
pids=()

summary pins-host
