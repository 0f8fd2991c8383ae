#!/bin/bash
# pinbounce export under attack by a local user, on the host's kernel:
# every scrape must be answered within a second while
#  - 200 clients on the scraper's own address, 127.0.0.1, trickle their
#    requests a byte every half second (faster than any idle timeout), made
#    again whenever closed;
#  - 200 such clients come from 200 addresses 127.0.x.y;
#  - a policy command holds the lock of /sys/fs/bpf/pinbounce (flock -x, as
#    a `pinbounce policy` stopped by ^Z does): /metrics and / at once;
# and a pin directory that another user made and everyone may write, met by
# every scrape, is logged once, with a count of the others at exit.
#
#   tests/export-attack.sh [PINBOUNCE]
#
# PINBOUNCE defaults to $PB_CLI, else build/san/pinbounce.  Needs root,
# curl, flock, unshare and python3.  The test runs in a mount namespace of
# its own, with a BPF filesystem of its own on /sys/fs/bpf: the host's
# pins are not touched.  The exporter runs with the soft limit on open
# files systemd gives a service, 1024.
# Prints "ok: ..." or "FAIL: ..." per check and ends with
# "export-attack: N passed, N failed"; exits 1 if any failed.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
PB=${1:-${PB_CLI:-$repo/build/san/pinbounce}}
. "$repo/tests/checks.sh"
. "$repo/tests/export-lib.sh"

for tool in curl flock unshare python3; do
	command -v $tool > /dev/null || { echo "FAIL: export-attack: no $tool"; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "FAIL: export-attack: needs root"; exit 1; }
[ -x "$PB" ] || { echo "FAIL: export-attack: no $PB (make all)"; exit 1; }
own_bpffs PB_ATTACK_NS "$0" "$PB" || { echo "FAIL: export-attack: cannot mount a bpffs"; exit 1; }

work=$(mktemp -d)
pin=/sys/fs/bpf/pinbounce

on_exit() {
	stop_all
	rm -rf "$work"
}
trap on_exit EXIT

PORT=$(free_port)
URL=http://127.0.0.1:$PORT
(ulimit -S -n 1024 && exec "$PB" export --listen "127.0.0.1:$PORT") \
	> "$work/export.out" 2> "$work/export.err" &
pid=$!
pids+=("$pid")
if ! wait_http "$URL/" "$pid"; then
	bad "the exporter did not answer on $URL: $(cat "$work/export.err")"
	summary export-attack
fi
ok "serving on $URL"

# scrapes WHAT N [PATH]: N scrapes of PATH (/metrics) from 127.0.0.1, each
# given 3 s; ok if every one was answered, whole, within 1 s.
scrapes() {
	local what=$1 n=$2 path=${3:-/metrics} i status secs slow=0 answered=0 times=

	for ((i = 0; i < n; i++)); do
		read -r status secs < <(curl -s -o "$work/scrape" --max-time 3 \
			-w '%{http_code} %{time_total}\n' "$URL$path")
		times="$times ${secs}s"
		if [ "$status" = 200 ] &&
			{ [ "$path" != /metrics ] || grep -q '^pinbounce_scrape_duration_seconds ' "$work/scrape"; }; then
			answered=$((answered + 1))
		fi
		awk -v t="$secs" 'BEGIN { exit !(t >= 1) }' && slow=$((slow + 1))
		sleep 0.3
	done
	check "$what: $n scrapes of $path from 127.0.0.1 answered within 1 s ($answered answered, $slow slow:$times)" \
		[ "$answered" = "$n" -a "$slow" = 0 ]
}

# attack same|many WHO: 200 slow clients (tests/slow-clients.py) for 8 s,
# 5 scrapes meanwhile.
attack() {
	local held

	"$repo/tests/slow-clients.py" "$PORT" 200 "$1" 8 > "$work/slow.out" 2>&1 &
	slow_pid=$!
	pids+=("$slow_pid")
	sleep 3
	scrapes "200 slow clients from $2" 5
	wait "$slow_pid"
	forget "$slow_pid"
	held=$(cat "$work/slow.out")
	check "the 200 slow clients from $2 did hold connections meanwhile (${held:-?} held)" \
		[ "${held:-0}" -ge 100 ]
}

attack same "127.0.0.1, the scraper's own address"
attack many "200 addresses 127.0.1.1 to 127.0.1.200"

# The policy's lock held: a pin directory as pinbounce makes it, with an
# entry "link" (no policy program can attach on this kernel: a directory
# stands for it), locked as a change locks it.
mkdir -m 0700 "$pin" && mkdir "$pin/link"
scrapes "the pin directory, unlocked" 1
check "unlocked: pinbounce_policy_read_age_seconds 0" \
	grep -q '^pinbounce_policy_read_age_seconds 0.000000$' "$work/scrape"
(exec 9< "$pin" && flock -x 9 && exec sleep 30) &
lock_pid=$!
pids+=("$lock_pid")
for ((i = 0; i < 50; i++)); do
	flock -n -s "$pin" true || break
	sleep 0.1
done
check "flock -x on $pin holds the lock" bash -c "! flock -n -s '$pin' true"
# /metrics and / at the same time, and each alone.
curl -s -o "$work/locked.metrics" --max-time 5 -w '%{http_code} %{time_total}\n' \
	"$URL/metrics" > "$work/locked.metrics.t" &
metrics_pid=$!
sleep 0.2
read -r status secs < <(curl -s -o /dev/null --max-time 5 -w '%{http_code} %{time_total}\n' "$URL/")
wait "$metrics_pid"
read -r mstatus msecs < "$work/locked.metrics.t"
check "policy lock held: /metrics answered within 1 s (status $mstatus, $msecs s)" \
	awk -v s="$mstatus" -v t="$msecs" 'BEGIN { exit !(s == 200 && t < 1) }'
check "policy lock held: / during that scrape answered within 1 s (status $status, $secs s)" \
	awk -v s="$status" -v t="$secs" 'BEGIN { exit !(s == 200 && t < 1) }'
scrapes "policy lock held" 3
scrapes "policy lock held" 2 /
age=$(awk '$1 == "pinbounce_policy_read_age_seconds" { print $2 }' "$work/locked.metrics")
check "policy lock held: pinbounce_policy_read_age_seconds says the policy is stale (${age:-absent} > 0)" \
	awk -v t="${age:-0}" 'BEGIN { exit !(t > 0) }'
kill "$lock_pid"
wait "$lock_pid" 2> /dev/null
forget "$lock_pid"
scrapes "the lock released" 1
check "the lock released: pinbounce_policy_read_age_seconds 0 again" \
	grep -q '^pinbounce_policy_read_age_seconds 0.000000$' "$work/scrape"

# Another user's pin directory that everyone may write, with a "link":
# every scrape meets it, and is refused it.
rm -rf "$pin"
mkdir -m 0777 "$pin" && mkdir -m 0777 "$pin/link" && chown -R 65534 "$pin"
errors_before=$(grep -c 'owned by uid 65534' "$work/export.err")
for ((i = 0; i < 30; i++)); do
	curl -s -o /dev/null --max-time 3 "$URL/metrics"
done
errors=$(grep -c 'owned by uid 65534' "$work/export.err")
check "30 scrapes past another user's $pin: its error logged once, not 30 or 60 times ($((errors - errors_before)) lines)" \
	[ "$((errors - errors_before))" = 1 ]
kill -TERM "$pid"
wait "$pid"
status=$?
forget "$pid"
check "SIGTERM: exit status 0 (got $status)" [ "$status" = 0 ]
check "at exit, the count of those not shown: 29" \
	grep -q 'owned by uid 65534.*(and 29 more like it not shown)$' "$work/export.err"
check "no sanitizer report" bash -c "! grep -qE 'Sanitizer|runtime error:' '$work/export.err'"
lines=$(wc -l < "$work/export.err")
check "stderr stays short: $lines lines" [ "$lines" -le 12 ]
[ "$failed" = 0 ] || sed 's/^/    stderr: /' "$work/export.err" | head -40
rm -rf "$pin"
summary export-attack
