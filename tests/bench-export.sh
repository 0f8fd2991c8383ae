#!/bin/bash
# What a scrape of pinbounce export costs with cgroups coming and going:
# CGROUPS cgroups (1000) under the cgroup2 mount, each with a row in the
# exporter's counters map, RATE of them (100) replaced every second (the
# oldest removed, a new one made, with a row) for SECONDS (20), while a
# scraper reads /metrics once a second, so that each scrape finds about
# RATE cgroups new and RATE gone.  Prints the median and the slowest
# scrape, as curl saw it and as the exporter timed itself
# (pinbounce_scrape_duration_seconds); the aim is under 50 ms.
#
# Then the same exporter under attack: SCRAPES scrapes (20) from
# 127.0.0.1, five a second, first quiet, then while 200 slow clients
# (tests/slow-clients.py) trickle requests from 127.0.0.1, the scraper's
# own address, 200 more from 200 other addresses, and a policy command
# holds the lock of /sys/fs/bpf/pinbounce; the median and slowest of each,
# side by side (the aim: under a second, every one).  The bench runs in a
# mount namespace of its own, with a BPF filesystem of its own, so that
# the lock it holds is not the host's.
#
# The rows are written into the map by the bench itself
# (tests/counter-rows.py), not by writes: nothing on the host writes back
# pinned pages.  On the host's kernel, without the series, a row shows the
# counters any kernel counts (pinned_wb_pages), not the series' decisions.
#
#   tests/bench-export.sh [PINBOUNCE [CGROUPS [RATE [SECONDS [SCRAPES]]]]]
#
# PINBOUNCE defaults to build/pinbounce.  Needs root, curl, bpftool,
# flock, unshare and python3.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
PB=${1:-$repo/build/pinbounce}
N=${2:-1000}
RATE=${3:-100}
SECS=${4:-20}
SCRAPES=${5:-20}
rows=$repo/tests/counter-rows.py
work=$(mktemp -d)
cg=
. "$repo/tests/export-lib.sh"

on_exit() {
	stop_all
	[ -n "$cg" ] && rmdir "$cg"/*/ "$cg" 2> /dev/null
	rm -rf "$work"
}
trap on_exit EXIT

die() {
	echo "bench-export: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root"
for tool in curl bpftool flock unshare python3; do
	command -v $tool > /dev/null || die "no $tool"
done
[ -x "$PB" ] || die "no $PB (make user)"
own_bpffs PB_BENCH_NS "$0" "$PB" "$N" "$RATE" "$SECS" "$SCRAPES" || die "cannot mount a BPF filesystem"
cgroot=$("$rows" root) || exit 1
mkdir "$cgroot/pbbench.$$" || die "cannot make cgroups in $cgroot"
cg=$cgroot/pbbench.$$
(cd "$cg" && mkdir $(seq "$N")) || die "cannot make $N cgroups in $cg"
# A disk's number, for the rows: named as a disk's would be.
dev=$(stat -c '%Hd:%Ld' /var/tmp)

port=$(free_port)
url=http://127.0.0.1:$port/metrics
"$PB" export --listen "127.0.0.1:$port" \
	2> "$work/export.err" &
pid=$!
pids+=("$pid")
wait_http "$url" "$pid" || die "the exporter did not answer: $(cat "$work/export.err")"
"$rows" fill "$pid" "$dev" 1 "$cg"/*/ || die "cannot write the rows"
curl -s -o /dev/null "$url"	# the first scrape names them all

"$rows" churn "$pid" "$dev" "$cg" "$RATE" "$SECS" > "$work/churned" &
churn=$!
pids+=("$churn")
: > "$work/times"
for ((i = 1; i < SECS; i++)); do
	sleep 1
	client=$(curl -s -o "$work/metrics" --max-time 60 -w '%{time_total}' "$url")
	server=$(awk '$1 == "pinbounce_scrape_duration_seconds" { print $2 }' "$work/metrics")
	echo "$client ${server:-0}" >> "$work/times"
done
wait "$churn" || die "the churn failed"

# stats COLUMN: "median M ms, max X ms" of the scrape times in COLUMN.
stats() {
	sort -n -k "$1" "$work/times" | awk -v c="$1" '{ t[NR] = $c * 1000 }
		END { printf "median %.1f ms, max %.1f ms", t[int((NR + 1) / 2)], t[NR] }'
}

exported=$(grep -c '^pinbounce_pinned_wb_pages_total{' "$work/metrics")
echo "bench-export: $N cgroups, each with a counter row that the bench writes" \
	"(no pinned pages counted on the host), $RATE replaced a second for $SECS s" \
	"($(cat "$work/churned") replaced)"
echo "bench-export: $(wc -l < "$work/times") scrapes, one a second:" \
	"curl $(stats 1); the exporter's own $(stats 2) (aim: under 50 ms)"
echo "bench-export: at the end, $N cgroups live; the last exposition has $exported rows" \
	"of each counter ($(grep -c '^pinbounce_pinned_wb_pages_total{.*cgroup="(gone)"' "$work/metrics")" \
	"of them cgroup=\"(gone)\"), the counters map $("$rows" count "$pid")"

# timed FILE: SCRAPES scrapes from 127.0.0.1, five a second, their times
# (or 3 s, curl's limit, for one not answered) in FILE.
timed() {
	local i status secs

	: > "$1"
	for ((i = 0; i < SCRAPES; i++)); do
		read -r status secs < <(curl -s -o /dev/null --max-time 3 \
			-w '%{http_code} %{time_total}\n' "$url")
		[ "$status" = 200 ] || secs=3
		echo "$secs" >> "$1"
		sleep 0.2
	done
}

# summed FILE: "median M ms, max X ms" of the times in FILE.
summed() {
	sort -g "$1" | awk '{ t[NR] = $1 * 1000 }
		END { printf "median %7.1f ms, max %7.1f ms", t[int((NR + 1) / 2)], t[NR] }'
}

timed "$work/quiet"
# The attack lasts until the scrapes under it are done.
"$repo/tests/slow-clients.py" "$port" 200 same 3600 > "$work/held.same" &
attackers=("$!")
"$repo/tests/slow-clients.py" "$port" 200 many 3600 > "$work/held.many" &
attackers+=("$!")
mkdir -m 0700 /sys/fs/bpf/pinbounce && mkdir /sys/fs/bpf/pinbounce/link
(exec 9< /sys/fs/bpf/pinbounce && flock -x 9 && exec sleep 3600) &
attackers+=("$!")
pids+=("${attackers[@]}")
sleep 3
timed "$work/attacked"
kill -TERM "${attackers[@]}"
wait "${attackers[@]}"
echo "bench-export: $SCRAPES scrapes from 127.0.0.1, five a second; under attack: slow clients" \
	"holding $(cat "$work/held.same") connections from 127.0.0.1 and $(cat "$work/held.many")" \
	"from 200 other addresses, a byte every 0.5 s each, and the policy lock held (aim: all under 1 s)"
printf 'bench-export: %-36s %s\n' "quiet" "under attack"
printf 'bench-export: %-36s %s\n' "$(summed "$work/quiet")" "$(summed "$work/attacked")"
