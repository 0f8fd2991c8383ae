#!/bin/bash
# shellcheck disable=SC2016  # awk programs in single quotes
# pinbounce export on the host's own kernel, which has no bounce series:
# /metrics over HTTP that promtool accepts, the write-latency histograms of
# the disk written to, the series the kernel cannot show absent (and said
# so), the BPF programs' run counters; 404, usage errors, a port in use; a
# clean SIGTERM under ASan/UBSan; the text file written whole.
#
#   tests/export-host.sh [PINBOUNCE]
#
# PINBOUNCE defaults to $PB_CLI, else build/san/pinbounce.  Needs root,
# curl and promtool.  Prints "ok: ..." or "FAIL: ..." per check and ends
# with "export-host: N passed, N failed"; exits 1 if any failed.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
PB=${1:-${PB_CLI:-$repo/build/san/pinbounce}}
work=$(mktemp -d)
data=$(mktemp /var/tmp/pb-export.XXXXXX)
pass=0
failed=0
pids=()

on_exit() {
	local p
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2> /dev/null && wait "$p" 2> /dev/null
	done
	rm -rf "$work" "$data"
}
trap on_exit EXIT

ok() {
	echo "ok: $*"
	pass=$((pass + 1))
}

bad() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}

# check DESCRIPTION COMMAND...: ok if COMMAND succeeds.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}

for tool in curl promtool; do
	command -v $tool > /dev/null || { echo "FAIL: export-host: no $tool"; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "FAIL: export-host: needs root"; exit 1; }
[ -x "$PB" ] || { echo "FAIL: export-host: no $PB (make all)"; exit 1; }

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PORT=${PB_EXPORT_PORT:-$(free_port)}
URL=http://127.0.0.1:$PORT

# sanitizer_clean FILE: no ASan, LSan or UBSan report in FILE.
sanitizer_clean() {
	! grep -qE 'Sanitizer|runtime error:' "$1"
}

# usage STATUS TEXT ARGS...: pinbounce export ARGS exits STATUS saying TEXT.
usage() {
	local want=$1 text=$2 out status
	shift 2
	out=$("$PB" export "$@" 2>&1)
	status=$?
	if [ "$status" = "$want" ] && [[ $out == *"$text"* ]]; then
		ok "export $*: status $status, '$text'"
	else
		bad "export $*: expected status $want and '$text', got $status: $out"
	fi
}

usage 2 "expected ADDR:PORT" --listen 127.0.0.1
usage 2 "the port '99999' is not a number from 1 to 65535" --listen 127.0.0.1:99999
usage 2 "the port 'http' is not a number" --listen 127.0.0.1:http
usage 2 "'300.1.1.1' is not an IPv4 address" --listen 300.1.1.1:9435
usage 2 "'localhost' is not an IPv4 address" --listen localhost:9435
usage 2 "an IPv6 address goes in brackets" --listen ::1:9435
usage 2 "expected [IPV6]:PORT" --listen '[::1]'
usage 2 "'zz' is not an IPv6 address" --listen '[zz]:9435'
usage 2 "unknown argument '--frob'" --frob
usage 2 "--listen needs a value" --listen
usage 2 "--interval and --once go with --textfile" --interval 5
usage 2 "expected seconds" --textfile "$work/x.prom" --interval 0
usage 2 "not with --listen" --textfile "$work/x.prom" --once --listen 127.0.0.1:9435
[ ! -e "$work/x.prom" ] || bad "a usage error wrote the text file"

# start NAME ARGS...: pinbounce export ARGS in the background, its stderr in
# $work/NAME.err and its pid in $pid.
start() {
	local name=$1
	shift
	"$PB" export "$@" > "$work/$name.out" 2> "$work/$name.err" &
	pid=$!
	pids+=("$pid")
}

# wait_http URL: until URL answers (the observers take a moment to load).
wait_http() {
	local i
	for ((i = 0; i < 300; i++)); do
		curl -sf -o /dev/null "$1" && return 0
		kill -0 "$pid" 2> /dev/null || return 1
		sleep 0.2
	done
	return 1
}

# forget PID: no longer one to kill at exit.
forget() {
	local p keep=()
	for p in "${pids[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	pids=("${keep[@]}")
}

# stop NAME: SIGTERM; exit 0 and a clean stderr expected.
stop() {
	local status
	kill -TERM "$pid"
	wait "$pid"
	status=$?
	forget "$pid"
	check "$1: SIGTERM: exit status 0 (got $status)" [ "$status" = 0 ]
	if sanitizer_clean "$work/$1.err" && ! grep -q '^Error:' "$work/$1.err"; then
		ok "$1: no sanitizer report, no error on stderr"
	else
		bad "$1: stderr:"
		sed 's/^/    /' "$work/$1.err"
	fi
}

start http --listen "127.0.0.1:$PORT"
http_pid=$pid
if ! wait_http "$URL/"; then
	bad "the exporter did not answer on $URL"
	cat "$work/http.err"
	echo "export-host: $pass passed, $((failed)) failed"
	exit 1
fi
ok "serving on $URL"

# The port is taken now.
usage 1 "cannot listen on 127.0.0.1:$PORT: Address already in use" --listen "127.0.0.1:$PORT"

# Direct I/O to the disk under /var/tmp: writes the observers time.
dd if=/dev/zero of="$data" bs=4k count=256 oflag=direct conv=fsync status=none
sync
dev=$(stat -c '%Hd:%Ld' "$data")
disk=$(basename "$(readlink -f "/sys/dev/block/$dev")")
echo "data file on $disk ($dev)"

m=$work/metrics
curl -s -D "$work/headers" -o "$m" "$URL/metrics"
check "content type: text/plain; version=0.0.4; charset=utf-8" \
	grep -qi '^content-type: text/plain; version=0.0.4; charset=utf-8' "$work/headers"
out=$(promtool check metrics < "$m" 2>&1)
status=$?
if [ "$status" = 0 ] && [ -z "$out" ]; then
	ok "promtool check metrics: no problem"
else
	bad "promtool check metrics: status $status: $out"
fi

# Every sample's family has HELP and TYPE; counters end in _total.
check "HELP and TYPE for every family, counters named _total" awk '
	/^# HELP / { help[$3] = 1; next }
	/^# TYPE / { type[$3] = $4; next }
	/^#/ { next }
	{
		name = $0; sub(/[{ ].*/, "", name); base = name
		if (!(base in type)) sub(/_(bucket|sum|count)$/, "", base)
		if (!(base in type) || !(base in help)) { print "no HELP/TYPE: " name; bad = 1 }
		if (type[base] == "counter" && base !~ /_total$/) { print "counter " base; bad = 1 }
	}
	END { exit bad }' "$m"

# metric NAME{LABELS}: its value in $m, empty when absent.
metric() {
	awk -v s="$1" 'index($0, s " ") == 1 { print $2 }' "$m"
}

series='pinbounce_write_latency_seconds'
labels="device=\"$disk\",bounced=\"false\""
inf=$(metric "${series}_bucket{$labels,le=\"+Inf\"}")
if [ -d "/sys/block/$disk/dm" ] || [ -z "$disk" ]; then
	# Device mapper times no request of its own: any disk will do.
	inf=$(awk '/^pinbounce_write_latency_seconds_bucket.*le="\+Inf"/ { s += $2 } END { print s + 0 }' "$m")
	labels=
fi
check "$series{$labels}: +Inf bucket counts the writes (${inf:-absent} >= 256)" \
	[ "${inf:-0}" -ge 256 ]
if [ -n "$labels" ]; then
	check "$series{$labels}: _count = +Inf bucket" \
		[ "$(metric "${series}_count{$labels}")" = "$inf" ]
	check "$series{$labels}: _sum present" [ -n "$(metric "${series}_sum{$labels}")" ]
	check "$series{$labels}: buckets cumulative, 27 finite bounds and +Inf" awk -v s="${series}_bucket{$labels," '
		index($0, s) == 1 { n++; if ($2 < last) bad = 1; last = $2 }
		END { exit bad || n != 28 }' "$m"
fi
check "bounced=\"true\" absent: the kernel has no bounce series" \
	bash -c "! grep -q '^pinbounce_write_latency_seconds_[a-z]*{.*bounced=\"true\"' '$m'"
check "pinbounce_series_available{series=\"counters\"} 0" \
	[ "$(metric 'pinbounce_series_available{series="counters"}')" = 0 ]
check "pinbounce_series_available{series=\"bounce\"} 0" \
	[ "$(metric 'pinbounce_series_available{series="bounce"}')" = 0 ]
check "pinbounce_series_available{series=\"write\"} 1" \
	[ "$(metric 'pinbounce_series_available{series="write"}')" = 1 ]
for absent in pinbounce_pinned_pages_total pinbounce_pinned_bios_total \
	pinbounce_bounced_pages_total pinbounce_bounce_duration_seconds; do
	check "$absent absent (not zero)" bash -c "! grep -q '^$absent' '$m'"
done
check "pinbounce_build_info with version and libbpf" \
	grep -qE '^pinbounce_build_info\{version="[^"]+",libbpf="v[0-9.]+"\} 1$' "$m"
check "pinbounce_bpf_stats_enabled 1" [ "$(metric pinbounce_bpf_stats_enabled)" = 1 ]
# The write-latency observers this kernel runs (pb_write_queued only where
# bios carry no submission time) and no policy program.
progs=$(grep -c '^pinbounce_bpf_program_runs_total{' "$m")
check "pinbounce_bpf_programs_attached = programs with run counters ($progs)" \
	[ "$(metric pinbounce_bpf_programs_attached)" = "$progs" ]
check "pb_write_done listed" grep -q '^pinbounce_bpf_program_runs_total{program="pb_write_done"}' "$m"
check "only write-latency programs here" \
	bash -c "! grep '^pinbounce_bpf_program_runs_total{' '$m' | grep -v 'program=\"pb_write_'"
written=$(sed -n 's/^pinbounce_bpf_program_runs_total{program="\(pb_write_[a-z_]*\)"}.*/\1/p' "$m")
for p in $written; do
	runs=$(metric "pinbounce_bpf_program_runs_total{program=\"$p\"}")
	check "$p ran (${runs:-absent} > 0)" [ "${runs:-0}" -gt 0 ]
	check "$p run time present" \
		[ -n "$(metric "pinbounce_bpf_program_run_seconds_total{program=\"$p\"}")" ]
done
check "pinbounce_policy_generation 0: no policy here" \
	[ "$(metric pinbounce_policy_generation)" = 0 ]
check "process_start_time_seconds present" [ -n "$(metric process_start_time_seconds)" ]
check "pinbounce_scrape_duration_seconds present" \
	[ -n "$(metric pinbounce_scrape_duration_seconds)" ]

# Each scrape reads the maps again.
if [ -n "$labels" ]; then
	dd if=/dev/zero of="$data" bs=4k count=64 oflag=direct conv=fsync status=none
	curl -s -o "$m" "$URL/metrics"
	now=$(metric "${series}_bucket{$labels,le=\"+Inf\"}")
	check "a new scrape counts the new writes ($inf + 64 <= ${now:-absent})" \
		[ "$((inf + 64))" -le "${now:-0}" ]
fi

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
check "/nope: 404" [ "$(code "$URL/nope")" = 404 ]
check "/: 200" [ "$(code "$URL/")" = 200 ]
check "/: a page that links /metrics" bash -c "curl -s '$URL/' | grep -q 'href=\"/metrics\"'"
check "POST /metrics: 405" [ "$(code -X POST "$URL/metrics")" = 405 ]
check "HEAD /metrics: 200" [ "$(code -I "$URL/metrics")" = 200 ]

pid=$http_pid
stop http

# IPv6, where the loopback has it.
if ip -6 addr show dev lo 2> /dev/null | grep -q '::1/128'; then
	PORT6=$(free_port)
	start http6 --listen "[::1]:$PORT6"
	if wait_http "http://[::1]:$PORT6/metrics"; then
		ok "serving on [::1]:$PORT6"
	else
		bad "nothing on [::1]:$PORT6: $(cat "$work/http6.err")"
	fi
	stop http6
fi

# The text file: written once, whole, nothing left behind.
tf=$work/pinbounce.prom
out=$("$PB" export --textfile "$tf" --once 2> "$work/once.err")
status=$?
check "--textfile --once: exit status 0 (got $status)" [ "$status" = 0 ]
check "--textfile --once: no sanitizer report" sanitizer_clean "$work/once.err"
out=$(promtool check metrics < "$tf" 2>&1)
status=$?
if [ -s "$tf" ] && [ "$status" = 0 ] && [ -z "$out" ]; then
	ok "--textfile: promtool check metrics: no problem"
else
	bad "--textfile: promtool check metrics: status $status: $out"
fi
check "--textfile: no process_* metrics (node_exporter has its own)" \
	bash -c "! grep -q '^process_' '$tf'"
check "--textfile: pinbounce_build_info present" grep -q '^pinbounce_build_info{' "$tf"
check "--textfile: no $(basename "$tf").tmp.* left" \
	bash -c "! ls '$tf'.tmp.* > /dev/null 2>&1"
usage 1 "cannot create $work/none/x.prom.tmp." --textfile "$work/none/x.prom" --once

# Both at once, every 0.5 s until SIGTERM.
tf2=$work/both.prom
PORT=$(free_port)
start both --listen "127.0.0.1:$PORT" --textfile "$tf2" --interval 0.5
if wait_http "http://127.0.0.1:$PORT/metrics"; then
	ok "--listen with --textfile: serving"
else
	bad "--listen with --textfile: not serving: $(cat "$work/both.err")"
fi
first=
for ((i = 0; i < 100; i++)); do
	if [ -s "$tf2" ]; then
		s=$(stat -c %y "$tf2")
		[ -z "$first" ] && first=$s
		[ "$s" != "$first" ] && break
	fi
	sleep 0.1
done
check "--interval 0.5: the file is rewritten" [ -n "$first" -a "$s" != "$first" ]
stop both
check "--listen with --textfile: promtool accepts the file" \
	bash -c "promtool check metrics < '$tf2' > /dev/null 2>&1"
check "--listen with --textfile: no temporary file left" \
	bash -c "! ls '$tf2'.tmp.* > /dev/null 2>&1"

echo "export-host: $pass passed, $failed failed"
[ "$failed" = 0 ]
