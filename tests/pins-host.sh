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
#   written back again unpinned, the census forgets the pages; so does
#   the exporter's pinbounce_census_pinned_pages.
# - A process named "sshd" and an escape, in a mount namespace of its own
#   with its own file bind-mounted over /etc/shadow: pins says that path
#   is its namespace's and here another file; with five more processes
#   mapping the file here, by a name with controls, the path is theirs,
#   escaped, and all six mappers are counted, the first four named.
# - 20 processes of 30,000 mappings each and two pinned files no process
#   maps: pins 0.2 still prints about every 0.45 s, and says that its
#   reading of /proc stopped at its budget.
#
#   tests/pins-host.sh [PINBOUNCE]    (default: build/san/pinbounce)
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/tests/checks.sh"
pb=$(realpath "${1:-$repo/build/san/pinbounce}")
work=$(mktemp -d /tmp/pb-pins-host.XXXXXX)
chmod 755 "$work"
pids=()
reports=0
cleanup() {
	local p

	for p in "${pids[@]}"; do
		kill "$p" 2> /dev/null
	done
	for p in "${pids[@]}"; do
		wait "$p" 2> /dev/null
	done
	[ -n "${dev:-}" ] && echo 0 > "/sys/block/$dev/queue/stable_writes" 2> /dev/null
	mountpoint -q "$work/nl" && umount "$work/nl"
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

# hold ID CMD...: CMD (pinhold, or a command that runs it) pins and
# writes back, its output in hold.ID; its pins go with "release ID".
declare -A holder ctlfd
hold() {
	local id=$1 fd

	shift
	rm -f "ctl.$id" && mkfifo "ctl.$id"
	"$@" < "ctl.$id" > "hold.$id" 2>&1 &
	holder[$id]=$!
	pids+=($!)
	exec {fd}> "ctl.$id"
	ctlfd[$id]=$fd
	until grep -q '^pinhold: pinned' "hold.$id" || ! kill -0 "${holder[$id]}" 2> /dev/null; do
		sleep 0.1
	done
	grep -q '^pinhold: pinned' "hold.$id" || bad "$id: pinhold pins: $(cat "hold.$id")"
}

release() {
	local fd=${ctlfd[$1]}

	echo >&"$fd"
	exec {fd}>&-
	wait "${holder[$1]}"
}

# Whether file $1 holds no byte a terminal acts on or cannot decode.
clean_text() {
	python3 - "$1" 2> /dev/null << 'PY'
import sys
t = open(sys.argv[1], "rb").read().decode("utf-8")
sys.exit(1 if [c for c in t if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) <= 0x9f] else 0)
PY
}

# stop_all: every process started so far stopped (SIGTERM: the censuses
# and the exporter exit as they would, and ASan checks for leaks), and no
# sanitizer report in what they wrote.
stop_all() {
	local f

	kill "${pids[@]}" 2> /dev/null
	wait "${pids[@]}" 2> /dev/null
	pids=()
	for f in c*.err c*.txt export.out; do
		[ -e "$f" ] || continue
		grep -qE 'Sanitizer|runtime error:' "$f" || continue
		echo "$f: $(grep -m3 -E 'Sanitizer|runtime error:' "$f")"
		reports=$((reports + 1))
	done
}

# exported DEVICE: pinbounce_census_pinned_pages of DEVICE from the exporter.
exported() {
	curl -s --max-time 30 "$url/metrics" |
		awk -v d="device=\"$1\"" 'index($0, "pinbounce_census_pinned_pages{") == 1 &&
			index($0, d) { n += $2 } END { print n + 0 }'
}

# until_exported DEVICE WANT: until exported DEVICE is WANT, 20 s at most.
until_exported() {
	local end=$((SECONDS + 20)) got

	while :; do
		got=$(exported "$1")
		[ "$got" = "$2" ] || [ "$SECONDS" -ge "$end" ] && break
		sleep 0.2
	done
	echo "$got"
}

# --- 6: pins seen after the start, and forgotten once unpinned -----------
censuses c6
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
"$pb" export --listen "127.0.0.1:$port" > export.out 2>&1 &
pids+=($!)
until curl -sf -o /dev/null "$url/metrics" || [ "$SECONDS" -gt 120 ]; do sleep 0.2; done
hold 6 ./pinhold 8 mnt/file mnt/direct
ino=$(stat -c %i mnt/file)
got=$(until_json c6.json "[(r['ino'], r['pages']) for r in j['pins']]" "[($ino, 8)]")
check "6: the 8 pinned pages of mnt/file met under writeback (census: $got)" \
	[ "$got" = "[($ino, 8)]" ]
got=$(until_exported "$dev" 8)
check "6: the exporter counts them (pinbounce_census_pinned_pages: $got)" [ "$got" = 8 ]
got=$(json c6.json "[(r['pid'], r['before_census']) for r in j['pins']]")
check "6: pinned after the start, met under writeback: owner unknown, not before the start ($got)" \
	[ "$got" = "[(None, None)]" ]
row=$(grep -E " $dev " c6.txt | tail -n1)
age_json=$(json c6.json "j['pins'][0]['age_s']")
age_text=$(sed -nE 's/^ +- +\(owner unknown\) +8 +- +([0-9.]+)s .*/\1/p' <<< "$row")
# (the text read first, each of them printed up to a few prints ago)
check "6: text says owner unknown and an age, as JSON (text '$row', JSON $age_json s)" \
	python3 -c "import sys; sys.exit(not -0.5 < $age_json - float('$age_text' or 'nan') < 5)"
release 6
check "6: pinhold released its pins and exited" grep -q '^pinhold: unpinned' hold.6
# the file rewritten, no longer pinned
dd if=/dev/zero of=mnt/file bs=4k count=8 conv=notrunc,fsync status=none
got=$(until_json c6.json "j['pages']" 0)
check "6: unpinned on a kernel without unpin programs, forgotten (census: $got pages)" \
	[ "$got" = 0 ]
got=$(until_exported "$dev" 0)
check "6: and the exporter forgets them (pinbounce_census_pinned_pages: $got)" [ "$got" = 0 ]
got=$(json c6.json "j['swept'] >= 8")
check "6: by the sweep (swept: $(json c6.json "j['swept']"))" [ "$got" = True ]
schema c6.json
rc=$?
check "6: the documents are pinbounce/1 ($(tail -n1 schema.out))" [ "$rc" = 0 ]
stop_all

# --- 7: the path as the pinner's mount namespace has it -----------------
# A process named "sshd" and an escape, in a mount namespace of its own
# with its file bind-mounted over /etc/shadow, maps and pins it: the
# census may name /etc/shadow only as that namespace's, not this one's.
censuses c7
name=$'sshd\e[31m'
cp pinhold "$name"
touch mnt/file7
hold 7 unshare -m --propagation private sh -c \
	"mount --bind mnt/file7 /etc/shadow && exec ./\"\$1\" 8 /etc/shadow mnt/direct7" sh "$name"
pid7=${holder[7]}
ino=$(stat -c %i mnt/file7)
got=$(until_json c7.json "[(r['ino'], r['file'], r['file_ns_pid'], r['file_here']) for r in j['pins']]" \
	"[($ino, '/etc/shadow', $pid7, False)]")
check "7: /etc/shadow of another mount namespace, not this one's /etc/shadow (census: $got)" \
	[ "$got" = "[($ino, '/etc/shadow', $pid7, False)]" ]
sleep 0.5
row=$(grep -aE " $dev " c7.txt | tail -n1)
check "7: text names the namespace: $row" \
	grep -qF "/etc/shadow [in pid $pid7's mount namespace; here another file or none] (mapped by $pid7 sshd\\x1b[31m)" <<< "$row"
check "7: the text has no terminal controls" clean_text c7.txt

# Five more processes map the file where the reader sees it, by a name
# with controls: the path is theirs, and all six mappers are counted.
file7=$'mnt/f\e]0;x\a7'
ln mnt/file7 "$file7"
mappers=()
for i in 1 2 3 4 5; do
	python3 -c 'import mmap, sys, time
f = open(sys.argv[1], "rb")
m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
print("mapped", flush=True)
time.sleep(600)' "$file7" > "map.$i" &
	mappers+=($!)
	pids+=($!)
done
for i in 1 2 3 4 5; do
	until grep -q mapped "map.$i"; do sleep 0.1; done
done
want=$(python3 -c 'import sys; print([(sys.argv[1], None, True, 6, [int(p) for p in sys.argv[2:]])])' \
	"$work/$file7" "$pid7" "${mappers[@]:0:3}")
got=$(until_json c7.json "[(r['file'], r['file_ns_pid'], r['file_here'], r['mapped_by']['count'],
	[p['pid'] for p in r['mapped_by']['processes']]) for r in j['pins']]" "$want")
check "7: the path where the reader sees it, six mappers, the first four listed (census: $(cat -v <<< "$got"))" \
	[ "$got" = "$want" ]
sleep 0.5
row=$(grep -aE " $dev " c7.txt | tail -n1)
check "7: text lists them, first 4 of 6: $(cat -v <<< "$row")" \
	grep -qE "/mnt/f\\\\x1b\]0;x\\\\x077 \(mapped by $pid7 sshd\\\\x1b\[31m, ${mappers[0]} python3, ${mappers[1]} python3, ${mappers[2]} python3: first 4 of 6\)$" <<< "$row"
check "7: the text has no terminal controls" clean_text c7.txt
kill "${mappers[@]}"
release 7
schema c7.json
rc=$?
check "7: the documents are pinbounce/1 ($(tail -n1 schema.out))" [ "$rc" = 0 ]

# A path that here lies on a filesystem whose lookups another user could
# hold up (a FUSE daemon, a server; proc mounted over its folder stands for
# one) is not looked up, where before pins would stat() it and wait.
mkdir nl && touch nl/f mnt/file8
hold 8 unshare -m --propagation private sh -c \
	"mount --bind mnt/file8 nl/f && exec ./pinhold 8 \"\$1\" mnt/direct8" sh "$work/nl/f"
mount -t proc proc nl
pid8=${holder[8]}
ino=$(stat -c %i mnt/file8)
want="[($ino, '$work/nl/f', $pid8, None)]"
got=$(until_json c7.json "[(r['ino'], r['file'], r['file_ns_pid'], r['file_here']) for r in j['pins']]" \
	"$want")
check "7: a path on a filesystem not known to answer is not looked up here (census: $got)" \
	[ "$got" = "$want" ]
sleep 0.5
row=$(grep -aE " $dev " c7.txt | tail -n1)
check "7: text says so: $row" \
	grep -qF "$work/nl/f [in pid $pid8's mount namespace; not looked up here]" <<< "$row"
release 8
umount nl
stop_all

# --- 7: what the paths cost, whatever users map ---------------------------
# 20 processes of 30,000 mappings each, and two pinned files no process
# maps, whose mappers every print looks for: 10 prints 0.2 s apart take
# at most their interval and the budget of the reading of /proc each, and
# say that it was cut short.
for i in $(seq 20); do
	python3 -c 'import mmap, time
m = [mmap.mmap(-1, 4096, prot=mmap.PROT_READ if i % 2 else mmap.PROT_READ | mmap.PROT_WRITE)
     for i in range(30000)]
print("mapped", flush=True)
time.sleep(600)' > "many.$i" &
	pids+=($!)
done
for i in $(seq 20); do
	until grep -q mapped "many.$i" || [ "$SECONDS" -gt 600 ]; do sleep 0.2; done
done
"$pb" -j pins -d "$dev" 0.2 > c7b.json 2> c7b.err &
pids+=($!)
until_json c7b.json "j['pages']" 0 > /dev/null
hold u1 ./pinhold 8 mnt/unmapped1 mnt/direct-u1 unmap
hold u2 ./pinhold 8 mnt/unmapped2 mnt/direct-u2 unmap
got=$(until_json c7b.json "(j['pages'], j['paths_cut_short'] is not None)" "(16, True)")
check "7: the two files' 16 pages, the reading of /proc cut short ($got)" [ "$got" = "(16, True)" ]
n0=$(wc -l < c7b.json)
sleep 4
n=$(($(wc -l < c7b.json) - n0))
check "7: $n prints in 4 s, 0.2 s apart with 600,000 mappings to read: at least 5" [ "$n" -ge 5 ]
release u1
release u2
schema c7b.json
rc=$?
check "7: the documents are pinbounce/1 ($(tail -n1 schema.out))" [ "$rc" = 0 ]

# 8: pins --check and --expect, for cron and monitoring: status 124 and
# the value seen while pages are pinned on a disk that needs stable writes
# (the loop device told to), 0 once none is.
echo 1 > "/sys/block/$dev/queue/stable_writes"
"$pb" pins -d "$dev" --check 3 > c8.out 2> c8.err &
c8=$!
"$pb" pins -d "$dev" --expect 'pages >= 8' --expect 'stable_pages<=8' 3 > c8b.out 2> c8b.err &
c8b=$!
pids+=($c8 $c8b)
sleep 0.5
hold c8 ./pinhold 8 mnt/file-c8 mnt/direct-c8
wait "$c8"
status=$?
check "8: pins --check while 8 pages are pinned on a disk that needs stable writes: status 124 ($status)" \
	[ "$status" = 124 ]
check "8: ... saying which and the value ($(head -c 200 c8.err))" \
	grep -qx 'pinbounce pins: expectation failed: stable_pages == 0 (stable_pages is 8)' c8.err
wait "$c8b"
status=$?
check "8: --expect 'pages >= 8' and 'stable_pages<=8' held: status 0 ($status)" [ "$status" = 0 ]
release c8
echo 0 > "/sys/block/$dev/queue/stable_writes"
"$pb" pins -d "$dev" --check 0.5 > c8c.out 2> c8c.err
status=$?
check "8: pins --check once nothing is pinned there: status 0 ($status)" [ "$status" = 0 ]
"$pb" pins --check > c8d.out 2> c8d.err
status=$?
check "8: --check without an interval: status 2, saying it needs one ($status)" \
	eval '[ "$status" = 2 ] && grep -q "need an interval" c8d.err'
"$pb" pins --expect 'page > 1' 1 > c8e.out 2> c8e.err
status=$?
check "8: an unknown metric: status 2, naming it ($status)" \
	eval '[ "$status" = 2 ] && grep -q "unknown metric .page." c8e.err'
for f in c8.err c8b.err c8c.err; do
	grep -q 'Sanitizer\|runtime error' "$f" && reports=$((reports + 1))
done

stop_all
check "no sanitizer report from the censuses and the exporter ($reports)" [ "$reports" = 0 ]

summary pins-host
