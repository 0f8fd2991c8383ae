#!/bin/bash
# shellcheck disable=SC2016  # awk programs in single quotes
# pinbounce export on the host's own kernel, which has no bounce series:
# /metrics over HTTP that promtool accepts, the write-latency histograms of
# the disk written to, the series the kernel cannot show absent (and said
# so), the BPF programs' run counters; 404, usage errors, a port in use; a
# clean SIGTERM under ASan/UBSan; the text file written whole.  Then what
# must hold against others: scrapes answered while 200 slow clients hold
# connections (more attacks in tests/export-attack.sh), rows of 300 cgroups while some are replaced (scrapes stay
# quick, the removed ones add up in cgroup="(gone)"), a cgroup name that is
# not UTF-8 in the exposition and in trace's JSON, and the text file and
# JSON report written through files that nobody else can have planted.
#
#   tests/export-host.sh [PINBOUNCE]
#
# PINBOUNCE defaults to $PB_CLI, else build/san/pinbounce.  Needs root,
# curl, promtool, bpftool and a cgroup2 mount.  Nothing on the host writes
# back pinned pages, so the cgroup checks write their counter rows into the
# exporter's map themselves (tests/counter-rows.py) and follow the counter
# any kernel counts, pinned_wb_pages.
# Prints "ok: ..." or "FAIL: ..." per check and ends with
# "export-host: N passed, N failed"; exits 1 if any failed.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
PB=${1:-${PB_CLI:-$repo/build/san/pinbounce}}
work=$(mktemp -d)
data=$(mktemp /var/tmp/pb-export.XXXXXX)
rows=$repo/tests/counter-rows.py
cg=
. "$repo/tests/checks.sh"
. "$repo/tests/export-lib.sh"

on_exit() {
	stop_all
	[ -n "$cg" ] && rmdir "$cg"/*/ "$cg" 2> /dev/null
	rm -rf "$work" "$data"
}
trap on_exit EXIT

for tool in curl promtool bpftool python3; do
	command -v $tool > /dev/null || { echo "FAIL: export-host: no $tool"; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "FAIL: export-host: needs root"; exit 1; }
[ -x "$PB" ] || { echo "FAIL: export-host: no $PB (make all)"; exit 1; }

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
usage 2 "'example.com' is not an IPv4 address" --listen example.com:9435
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

# stop NAME [EXPECTED]: SIGTERM; exit 0 and a clean stderr expected, but for
# errors that match the regular expression EXPECTED.
stop() {
	local status
	kill -TERM "$pid"
	wait "$pid"
	status=$?
	forget "$pid"
	check "$1: SIGTERM: exit status 0 (got $status)" [ "$status" = 0 ]
	if sanitizer_clean "$work/$1.err" &&
		! grep '^Error:' "$work/$1.err" | grep -qvE "${2:-^$}"; then
		ok "$1: no sanitizer report, no error on stderr"
	else
		bad "$1: stderr:"
		sed 's/^/    /' "$work/$1.err"
	fi
}

start http --listen "127.0.0.1:$PORT"
http_pid=$pid
if ! wait_http "$URL/" "$pid"; then
	bad "the exporter did not answer on $URL"
	cat "$work/http.err"
	summary export-host
fi
ok "serving on $URL"

# The port is taken now.
usage 1 "cannot listen on 127.0.0.1:$PORT: Address already in use" --listen "127.0.0.1:$PORT"
# As node_exporter takes them: localhost is 127.0.0.1, :PORT every interface
# (0.0.0.0, which the listener on 127.0.0.1 is in the way of).
usage 1 "cannot listen on localhost:$PORT: Address already in use" --listen "localhost:$PORT"
usage 1 "cannot listen on :$PORT: Address already in use" --listen ":$PORT"

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
# bios carry no submission time), the census's programs and no policy
# program; the census's sweep has run counters but is not attached.
progs=$(grep '^pinbounce_bpf_program_runs_total{' "$m" | grep -vc 'program="pb_pins_sweep"')
check "pinbounce_bpf_programs_attached = programs with run counters but the sweep ($progs)" \
	[ "$(metric pinbounce_bpf_programs_attached)" = "$progs" ]
check "pb_write_done listed" grep -q '^pinbounce_bpf_program_runs_total{program="pb_write_done"}' "$m"
check "only write-latency and census programs here" \
	bash -c "! grep '^pinbounce_bpf_program_runs_total{' '$m' | grep -v 'program=\"pb_\(write_\|pin\|unpin\)'"
check "the census pb_pins_queued listed" \
	grep -q '^pinbounce_bpf_program_runs_total{program="pb_pins_queued"}' "$m"
check "pinbounce_census_pin_tracking present" [ -n "$(metric pinbounce_census_pin_tracking)" ]
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

# Slow clients (slowloris), on an exporter of their own: 200 connections
# from 127.0.0.1 that send a request line a byte every half second
# (tests/slow-clients.py); at the end, how many the exporter held.
# A client of an address of its own that stops in the middle of its
# request: seconds until the exporter closed the connection.
cat > "$work/idle.py" << 'EOF'
import socket, sys, time
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=15,
                             source_address=('127.0.0.3', 0))
s.sendall(b'GET /metrics HTTP/1.1\r\n')
t = time.monotonic()
try:
    print('answered' if s.recv(65536) else 'closed', end=' ')
    print('%.1f' % (time.monotonic() - t))
except socket.timeout:
    print('still open after 15 s')
EOF
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
start slow --listen "127.0.0.1:$PORT"
wait_http "$URL/" "$pid" || bad "slow: the exporter did not answer: $(cat "$work/slow.err")"
python3 "$repo/tests/slow-clients.py" "$PORT" 200 same 9 > "$work/slow.out" 2>&1 &
slow_pid=$!
python3 "$work/idle.py" "$PORT" > "$work/idle.out" 2>&1 &
idle_pid=$!
pids+=("$slow_pid" "$idle_pid")
sleep 2
# The scraper from another address, 127.0.0.2 (on the loopback too).
# Every scrape must be answered well inside Prometheus' 10 s timeout
# (curl gives up at 3 s) and most of them at once: the median under
# half a second.  A single slow one is the shared machine, not the
# exporter.  (tests/export-attack.sh scrapes from 127.0.0.1 itself.)
answered=0
: > "$work/scrape.times"
for ((i = 0; i < 20; i++)); do
	read -r status secs < <(curl -s -o /dev/null --interface 127.0.0.2 --max-time 3 \
		-w '%{http_code} %{time_total}\n' "$URL/metrics")
	[ "$status" = 200 ] && answered=$((answered + 1))
	echo "$secs" >> "$work/scrape.times"
	sleep 0.2
done
read -r median slowest < <(sort -g "$work/scrape.times" |
	awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)], t[NR] }')
check "200 slow clients on 127.0.0.1: 20 scrapes from 127.0.0.2 answered in under 3 s ($answered answered, slowest $slowest s)" \
	[ "$answered" = 20 ]
check "200 slow clients on 127.0.0.1: the median scrape under 0.5 s ($median s)" \
	awk -v t="$median" 'BEGIN { exit !(t < 0.5) }'
wait "$slow_pid"
held=$(cat "$work/slow.out")
check "the slow clients held their connections, one address 200 of them, and still no scrape waited (${held:-?})" \
	[ "${held:-0}" -ge 150 ]
wait "$idle_pid"
idle=$(cat "$work/idle.out")
check "a request stalled halfway is dropped after 1.5 to 5 s (${idle:-?})" \
	awk -v t="$idle" 'BEGIN { n = split(t, f, " "); exit !(n == 2 && f[1] == "closed" && f[2] >= 1.5 && f[2] <= 5) }'
forget "$slow_pid"
forget "$idle_pid"
check "127.0.0.1 scrapes again once the slow clients are gone" \
	[ "$(code --max-time 3 "$URL/metrics")" = 200 ]
refused=$(grep -c 'connection limit' "$work/slow.err")
check "the connections refused are logged once a minute at most, not each ($refused lines)" \
	[ "$refused" -le 2 ]
stop slow 'Error: export: http: (Server reached connection limit|Connection was closed by remote side with incomplete request)'

# IPv6, where the loopback has it.
if ip -6 addr show dev lo 2> /dev/null | grep -q '::1/128'; then
	PORT6=$(free_port)
	start http6 --listen "[::1]:$PORT6"
	if wait_http "http://[::1]:$PORT6/metrics" "$pid"; then
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
usage 1 "cannot write $work/none/x.prom: cannot create a file beside it" --textfile "$work/none/x.prom" --once

# Both at once, every 0.5 s until SIGTERM.
tf2=$work/both.prom
PORT=$(free_port)
start both --listen "127.0.0.1:$PORT" --textfile "$tf2" --interval 0.5
if wait_http "http://127.0.0.1:$PORT/metrics" "$pid"; then
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

# Cgroups.  Rows for 300 cgroups and one whose name is not UTF-8, in the
# exporter's counters map, each row VALUE
# on every CPU; then, twice, 100 of them removed and 100 made.  The rows of
# the removed cgroups move into cgroup="(gone)", the sum stays, the map
# keeps only the live ones, and a scrape takes well under the bound even
# here (it walked the whole tree for each row: seconds).
SCRAPE_BOUND=2
ncpus=$("$rows" ncpus)
cgroot=$("$rows" root)
cgname=/pbexport.$$
badname=$cgname/bad$'\xff'

# scrape: the exposition in $m, and its time in $secs.
scrape() {
	secs=$(curl -s -o "$m" --max-time 60 -w '%{time_total}' "$URL/metrics")
}

# pages TEXT: pinbounce_pinned_wb_pages_total added up over the rows with TEXT
# (from the environment: awk -v would take its backslashes as escapes).
pages() {
	S=$1 awk '/^pinbounce_pinned_wb_pages_total\{/ && index($0, ENVIRON["S"]) { t += $2 }
		END { print t + 0 }' "$m"
}

# has_cgroup FILE: the JSON in FILE has the row of the cgroup not UTF-8.
has_cgroup() {
	python3 -c 'import json, sys
doc = json.load(open(sys.argv[1]))
sys.exit(not any(c["cgroup"] == sys.argv[2] and c["total"]["pinned_wb_pages"] == int(sys.argv[3])
		 for d in doc["devices"] for c in d.get("cgroups", [])))' \
		"$1" "$cgname/bad\\xff" $((7 * ncpus))
}

# replace ROUND: 100 cgroups removed, 100 made with rows of 2; a scrape.
replace() {
	local old new old_first=$((($1 - 1) * 100 + 1)) new_first=$(($1 * 100 + 201))

	mapfile -t old < <(seq -f "$cg/%g" "$old_first" $((old_first + 99)))
	mapfile -t new < <(seq -f "$cg/%g" "$new_first" $((new_first + 99)))
	rmdir "${old[@]}"
	mkdir "${new[@]}"
	"$rows" fill "$cg_pid" "$dev" 2 "${new[@]}"
	scrape
	check "round $1, 100 cgroups replaced: the scrape took $secs s (< $SCRAPE_BOUND s)" \
		awk -v t="$secs" -v b="$SCRAPE_BOUND" 'BEGIN { exit !(t > 0 && t < b) }'
	want=$((before + $1 * 200 * ncpus))
	check "round $1: nothing lost: pinned pages add up to $want ($(pages '{'))" \
		[ "$(pages '{')" = "$want" ]
	check "round $1: cgroup=\"(gone)\" has the $(($1 * 100)) removed ($(pages 'cgroup="(gone)"'))" \
		[ "$(pages 'cgroup="(gone)"')" = $(($1 * 100 * ncpus)) ]
	check "round $1: no row of a removed cgroup left (by path or cgroup:ID)" \
		bash -c "! grep -qE '^pinbounce_[a-z_]*\\{.*cgroup=\"($cgname/$old_first|cgroup:[0-9]+)\"' '$m'"
}

check_cgroups() {
	PORT=$(free_port)
	URL=http://127.0.0.1:$PORT
	start cg --listen "127.0.0.1:$PORT"
	cg_pid=$pid
	wait_http "$URL/" "$pid" || bad "cg: the exporter did not answer: $(cat "$work/cg.err")"
	"$rows" fill "$cg_pid" "$dev" 1 "$cg"/*/
	scrape
	check "301 rows: pinned pages add up to $((301 * ncpus)) ($(pages '{'))" \
		[ "$(pages '{')" = $((301 * ncpus)) ]
	check "cgroup=\"$cgname/1\" named" [ "$(pages "cgroup=\"$cgname/1\"}")" = "$ncpus" ]
	before=$(pages '{')
	removed1=$("$rows" id "$cg/1")
	replace 1
	replace 2
	check "the map holds the 301 live rows only ($("$rows" count "$cg_pid"))" \
		[ "$("$rows" count "$cg_pid")" = 301 ]
	# A late writeback of a removed cgroup's pages: its row comes back, and moves.
	"$rows" fill "$cg_pid" "$dev" 5 "id:$removed1"
	scrape
	check "a removed cgroup's late row moves to cgroup=\"(gone)\" too ($(pages 'cgroup="(gone)"'))" \
		[ "$(pages 'cgroup="(gone)"')" = $(((200 + 5) * ncpus)) ]

	# Not UTF-8: escaped, \xff for the byte, and promtool takes it.
	out=$(promtool check metrics < "$m" 2>&1)
	status=$?
	check "a cgroup named with byte 0xff: promtool check metrics: no problem (status $status: $out)" \
		[ "$status" = 0 -a -z "$out" ]
	check "its label is cgroup=\"$cgname/bad\\\\xff\"" \
		[ "$(pages "cgroup=\"$cgname/bad\\\\xff\"}")" = "$ncpus" ]
	pid=$cg_pid
	stop cg
}

# trace --json, with a row of the cgroup named with 0xff that the command
# writes, and a file another user made where the report was written before:
# REPORT.tmp.PID, PID trace's own.
check_trace() {
	local report=$work/trace.json planted

	"$PB" -j trace --json "$report" -- sh -c '"$1" fill "$PPID" "$2" 7 "$3" &&
		echo planted > "$4.tmp.$PPID" && chown 65534 "$4.tmp.$PPID" &&
		chmod 666 "$4.tmp.$PPID" && echo "$4.tmp.$PPID" > "$5"' \
		sh "$rows" "$dev" "$cgroot$badname" "$report" "$work/planted" \
		> "$work/trace.out" 2> "$work/trace.err"
	status=$?
	check "trace: exit status 0 (got $status)" [ "$status" = 0 ]
	check "trace: no sanitizer report" sanitizer_clean "$work/trace.err"
	check "trace --json: the row of cgroup \"$cgname/bad\\\\xff\"" has_cgroup "$report"
	check "trace -j: the row of cgroup \"$cgname/bad\\\\xff\"" has_cgroup "$work/trace.out"
	planted=$(cat "$work/planted")
	check "trace --json: a new file, not the one planted: root's, mode 644" \
		[ -f "$report" -a "$(stat -c %i "$report")" != "$(stat -c %i "$planted" 2> /dev/null)" \
		-a "$(stat -c '%u %a' "$report")" = "0 644" ]
	check "trace --json: the planted file untouched" [ "$(cat "$planted" 2> /dev/null)" = planted ]
}

if [ -n "$cgroot" ] && mkdir "$cgroot$cgname" && cg=$cgroot$cgname &&
	mkdir "$cg"/{1..300} "$cgroot$badname"; then
	ok "300 cgroups and one not UTF-8 in $cg"
	check_cgroups
	check_trace
else
	bad "cannot make cgroups in ${cgroot:-a cgroup2 mount}: no cgroup checks"
fi

# The text file, with a symlink to another file planted at TEXTFILE.tmp.PID.
victim=$work/victim
echo precious > "$victim"
tf3=$work/planted.prom
"$PB" export --textfile "$tf3" --once --interval 2 2> "$work/planted.err" &
ln -s "$victim" "$tf3.tmp.$!"
wait $!
status=$?
if [ "$status" = 0 ]; then
	ok "--textfile past a planted symlink: exit status 0"
else
	bad "--textfile past a planted symlink: exit status $status: $(grep Error "$work/planted.err")"
fi
check "--textfile: the symlink's target untouched" [ "$(cat "$victim")" = precious ]
check "--textfile: a file of its own, mode 644" \
	[ -f "$tf3" -a ! -L "$tf3" -a "$(stat -c %a "$tf3" 2> /dev/null)" = 644 ]
check "--textfile: promtool takes it" bash -c "promtool check metrics < '$tf3' > /dev/null 2>&1"

# The first exposure is seen: every device that holds data has its series
# at 0 from the first scrape, so that increase() sees the first pinned
# write back (a series born at 16 shows none).  An ext4 image on a loop
# device that needs stable writes, pinned by tests/pinhold.c.
first_exposure() {
	local port url first after dev n missing=

	${CC:-gcc} -O2 -Wall -Wextra -Werror -pthread "$repo/tests/pinhold.c" \
		-o "$work/pinhold" || { bad "pinhold builds"; return; }
	truncate -s 64M "$work/fx.img"
	mkfs.ext4 -q "$work/fx.img" && mkdir "$work/fx" &&
		mount -o loop "$work/fx.img" "$work/fx" || { bad "ext4 on a loop device"; return; }
	fxloop=$(basename "$(findmnt -no SOURCE "$work/fx")")
	echo 1 > "/sys/block/$fxloop/queue/stable_writes"
	touch "$work/fx/direct"
	port=$(free_port)
	url=http://127.0.0.1:$port
	start first --listen "127.0.0.1:$port"
	wait_http "$url/" "$pid" || { bad "the exporter did not answer on $url"; return; }
	first=$work/first.prom
	curl -s -o "$first" "$url/metrics"
	check "first scrape: promtool takes it (every device's families, each HELP once)" \
		bash -c "promtool check metrics < '$first' > /dev/null 2>&1"
	check "first scrape: $fxloop needs stable writes, gauge 1" \
		grep -qx "pinbounce_device_stable_writes{device=\"$fxloop\"} 1" "$first"
	check "first scrape: $fxloop's exposed pages exist, at 0" \
		grep -qx "pinbounce_exposed_pages_total{device=\"$fxloop\"} 0" "$first"
	check "first scrape: $fxloop's pinned_wb_pages exist, at 0, in the root cgroup" \
		grep -qx "pinbounce_pinned_wb_pages_total{device=\"$fxloop\",cgroup=\"/\"} 0" "$first"
	for dev in /sys/class/block/*; do
		[ "$(cat "$dev/size")" != 0 ] || continue
		n=$(basename "$dev")
		grep -q "^pinbounce_device_stable_writes{device=\"$n\"} [01]$" "$first" ||
			missing+=" $n"
	done
	check "first scrape: a stable_writes gauge for every device that holds data${missing:+ (none for$missing)}" \
		[ -z "$missing" ]
	(sleep 2; echo) | "$work/pinhold" 16 "$work/fx/frames.dat" "$work/fx/direct" \
		> "$work/fx.out" 2>&1
	grep -q '^pinhold: pinned 16 pages, written back' "$work/fx.out" ||
		bad "pinhold: $(cat "$work/fx.out")"
	after=$work/after.prom
	curl -s -o "$after" "$url/metrics"
	check "after 16 pinned pages were written back: exposed 0 -> 16 ($(grep "^pinbounce_exposed_pages_total{device=\"$fxloop\"}" "$after"))" \
		grep -qx "pinbounce_exposed_pages_total{device=\"$fxloop\"} 16" "$after"
	stop first
	umount "$work/fx"
}
fxloop=
first_exposure
[ -n "$fxloop" ] && [ -e "/sys/block/$fxloop" ] &&
	echo 0 > "/sys/block/$fxloop/queue/stable_writes"
mountpoint -q "$work/fx" && umount "$work/fx"

summary export-host
