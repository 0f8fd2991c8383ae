#!/bin/bash
# Host-side checks that need neither the VM nor the patched kernel.
#
#   tests/host.sh KDIR     (KDIR: for its scripts/checkpatch.pl)
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
kdir=$1
rc=0
cd "$repo" || exit 1

# Kernel coding style for everything written in C.  BPF's `const volatile`
# knobs are the libbpf idiom, user space keeps the C standard's types, and
# libraries' names (cmocka, libFuzzer) keep their CamelCase; user space
# defines the one attribute macro it uses.
# The X-macro table of counters is checked without checkpatch's rules for
# ordinary macros (see include/pb_counters.h).
for f in tests/fixture/pinfix.c include/*.h user/*/*.[ch] bpf/*.bpf.c bpf/*.h tests/vm/*.c \
	tests/unit/*.c tests/fuzz/*.c; do
	ignore=VOLATILE,PREFER_KERNEL_TYPES,CAMELCASE,PREFER_DEFINED_ATTRIBUTE_MACRO
	[ "$f" != include/pb_counters.h ] ||
		ignore=$ignore,COMPLEX_MACRO,MACRO_ARG_REUSE,TRAILING_SEMICOLON,LONG_LINE
	out=$(perl "$kdir/scripts/checkpatch.pl" --strict --no-tree -q -f --ignore "$ignore" "$f" 2>&1)
	if [ -n "$out" ]; then
		echo "FAIL: $f: checkpatch --strict:"
		echo "$out" | sed 's/^/    /'
		rc=1
	else
		echo "ok: $f: checkpatch --strict clean"
	fi
done

# Without the series (this host's kernel, unless it runs the patched one),
# the loader refuses clearly and runs nothing.
if ! grep -qw blk_pin_bounce_decide /proc/kallsyms; then
	out=$(build/pinforce bounce -- touch "$repo/build/ran" 2>&1)
	status=$?
	if [ "$status" = 1 ] && [[ $out == *"needs the series in kernel-patch/"* ]] &&
	   [ ! -e build/ran ]; then
		echo "ok: pinforce refuses a kernel without the hook"
	else
		echo "FAIL: pinforce on a kernel without the hook: status $status, said: $out"
		rc=1
	fi
	rm -f build/ran
fi
# The CLI (its ASan/UBSan build) on this host: check needs no kernel
# support, bad input and usage get their exit statuses, and without the
# hook nothing is attached.
# expect_cli STATUS OUTPUT-SUBSTRING ARGS...
expect_cli() {
	local want=$1 text=$2 out status
	shift 2
	out=$(build/san/pinbounce "$@" 2>&1)
	status=$?
	if [ "$status" = "$want" ] && [[ $out == *"$text"* ]]; then
		echo "ok: pinbounce $*: status $status"
	else
		echo "FAIL: pinbounce $*: expected status $want and '$text', got $status: $out"
		rc=1
	fi
}
expect_cli 0 "3 rules, default passthrough" policy check --syntax tests/fuzz/corpus/policy/all-clauses
expect_cli 1 "rule 'a': no block device 'sdb'" policy check tests/fuzz/corpus/policy/all-clauses
expect_cli 1 "error-action:1:15: expected an action" policy check tests/fuzz/corpus/policy/error-action
expect_cli 1 '"error":"' -j policy check tests/fuzz/corpus/policy/error-action
# A message naming a file that is not UTF-8 is still a JSON document.
expect_cli 1 '"error":"/nonexistent/bad\\xffname: No such file' -j policy check $'/nonexistent/bad\xffname'
expect_cli 2 "unknown command 'frob'" policy frob
expect_cli 2 "usage: pinbounce policy check" policy check
expect_cli 0 "pinbounce " --version
batch=$(mktemp)
printf '%s\n' "policy check --syntax tests/fuzz/corpus/policy/pi-disks  # ok" "" \
	"policy check tests/fuzz/corpus/policy/error-action" "status" > "$batch"
expect_cli 1 "$batch:3: command failed, 1 before it ran" batch file "$batch"
expect_cli 1 '"error":"'"$batch"':3: command failed' -j batch file "$batch"
expect_cli 2 "usage: pinbounce batch file FILE|-" batch
expect_cli 1 "top needs a terminal on stdin and stdout" top
expect_cli 2 "the interval must be a number of seconds from 0.1" top 0
expect_cli 2 "top: unknown option '-x'" top -x
rm -f "$batch"
# JSON documents of schema pinbounce/1 (doc/), from this host's commands.
schema_ok() {
	local what=$1 file=$2 out
	if out=$(python3 tests/schema-check.py "$file" 2>&1); then
		echo "ok: $what: valid pinbounce/1"
	else
		echo "FAIL: $what: not valid pinbounce/1:"
		echo "$out" | sed 's/^/    /'
		rc=1
	fi
}

# The observers on a kernel without the series: write latency is there,
# the rest unavailable, never zero; trace's exit statuses and its report.
host_observers() {
	local out=build/host-json dd=(dd if=/dev/zero of=build/host-dd bs=64k count=64
		oflag=direct status=none) writer
	mkdir -p "$out"
	# Each observer runs with a writer that writes until it is done: it
	# may take longer to attach (ASan) than a fixed number of writes lasts.
	(while :; do "${dd[@]}"; sleep 0.2; done) &
	writer=$!
	build/san/pinbounce -j hist 0.6 2 > "$out/hist.json" 2> "$out/hist.err"
	kill "$writer"
	wait "$writer" 2> /dev/null
	if python3 - "$out/hist.json" <<'PY'
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
writes = sum(d["histograms"]["write"]["count"] for j in docs for d in j["devices"])
assert writes >= 64, f"{writes} writes in the histograms, 64 or more written"
for j in docs:
    assert set(j["unavailable"]) == {"counters", "bounce", "write_bounced"}, j["unavailable"]
    for d in j["devices"]:
        assert d["histograms"]["bounce"] is None and "total" not in d, d
PY
	then
		echo "ok: hist: write latency observed, pinned-page series unavailable"
	else
		echo "FAIL: hist on this kernel: $(cat "$out/hist.json" "$out/hist.err")"
		rc=1
	fi
	(while :; do "${dd[@]}"; sleep 0.1; done) &
	writer=$!
	build/san/pinbounce -j stats 0.5 1 > "$out/stats.json"
	kill "$writer"
	wait "$writer" 2> /dev/null
	# Pinned pages written back are counted on any kernel; the decisions not.
	if python3 - "$out/stats.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["devices"], "no device in stats"
for d in j["devices"]:
    assert d["total"]["pinned_bios"] is None and d["total"]["bounced_pages"] is None, d
    assert d["total"]["pinned_wb_pages"] == 0, d
    assert isinstance(d["stable_writes"], bool), d
PY
	then
		echo "ok: stats: pinned_wb_pages counted, the decisions null"
	else
		echo "FAIL: stats on this kernel: $(cat "$out/stats.json")"
		rc=1
	fi
	build/san/pinbounce -j pins 0.3 1 > "$out/pins.json"
	schema_ok "stats -j, hist -j, pins -j" <(cat "$out/stats.json" "$out/hist.json" \
		"$out/pins.json")
	schema_ok "policy check, status, an error, version, batch -j" <(
		build/san/pinbounce -j policy check --syntax tests/fuzz/corpus/policy/all-clauses
		build/san/pinbounce -j policy check tests/fuzz/corpus/policy/error-action
		build/san/pinbounce -j status
		build/san/pinbounce -j --version
		echo status | build/san/pinbounce -j batch file -)

	expect_cli 0 "writes, p50" trace --expect 'write_count >= 64' -- "${dd[@]}"
	expect_cli 124 "expectation failed: write_p99_us < 0 (write_p99_us is " \
		trace --expect 'write_count > 0' --expect 'write_p99_us < 0' -- "${dd[@]}"
	expect_cli 124 "bounced_pages > 0: unavailable: the kernel has no bounce series" \
		trace --expect 'bounced_pages > 0' -- true
	expect_cli 7 "sh exited with 7" trace --expect 'write_count >= 0' -- sh -c 'exit 7'
	expect_cli 127 "cannot run build/no-such-command" trace -- build/no-such-command
	expect_cli 125 "unknown metric 'bounced'" trace --expect 'bounced > 0' -- true
	expect_cli 125 "expected one of < <= > >= == != after 'write_count'" \
		trace --expect 'write_count = 1' -- true
	expect_cli 125 "'1x' is not a number" trace --expect 'write_count>1x' -- true
	expect_cli 125 "no command to run" trace --expect 'write_count > 1'
	expect_cli 124 "expectation failed: write_count < 0" trace --expect='write_count < 0' -- true
	expect_cli 125 "unknown option '--jsonx=f'" trace --jsonx=f -- true
	trace_signals
	rm -f "$out/trace.json"
	# --json=FILE: long options take their value after '=' too
	build/san/pinbounce trace --json="$out/trace.json" --expect 'write_count > 0' \
		--expect='write_bounced_count == 0' -- "${dd[@]}" 2> /dev/null
	schema_ok "trace --json report" "$out/trace.json"
	if python3 tests/schema-check.py --command trace "$out/trace.json" 2> /dev/null &&
	   python3 -c 'import json, sys; j = json.load(open(sys.argv[1]))
assert j["result"] == "expectation_failed" and j["exit_status"] == 0
e = j["expectations"]
assert e[0]["passed"] and e[0]["value"] >= 64 and not e[1]["passed"]
assert e[1]["value"] is None and "bounce series" in e[1]["reason"]' "$out/trace.json"; then
		echo "ok: trace report: result, values and the reason a value is missing"
	else
		echo "FAIL: trace report: $(cat "$out/trace.json")"
		rc=1
	fi
	[ -z "$(ls build/host-json/*.tmp.* 2> /dev/null)" ] ||
		{ echo "FAIL: trace left a temporary report behind"; rc=1; }
	rm -f build/host-dd
}

# The observers' per-CPU maps are sized for the machine: at most 16 MiB
# each (or 256 rows), 4096 rows of counters and 1024 histograms at most
# (4096 histograms were 2.2 MB a CPU); --max-rows sets the rows.  Read from
# the fdinfo of the maps the command holds.
observer_maps() {
	local pid fd
	build/san/pinbounce "$@" stats 2 1 > /dev/null 2>&1 &
	pid=$!
	sleep 1.5
	for fd in /proc/$pid/fdinfo/*; do
		grep -q '^map_type:.*5$' "$fd" 2> /dev/null && tr '\n' ' ' < "$fd" && echo
	done
	wait "$pid"
}
if python3 -c '
import re, sys
maps = [dict(re.findall(r"(\w+):\s+(\S+)", l)) for l in open(sys.argv[1]) if l.strip()]
ncpus = int(sys.argv[2])
assert len(maps) == 2, maps
for m in maps:
    rows, size = int(m["max_entries"]), int(m["value_size"])
    assert rows * size * ncpus <= 16 << 20 or rows == 256, m
    assert rows <= (1024 if size > 200 else 4096), m
' <(observer_maps) "$(nproc)" && python3 -c '
import re, sys
maps = [dict(re.findall(r"(\w+):\s+(\S+)", l)) for l in open(sys.argv[1]) if l.strip()]
assert sorted(m["max_entries"] for m in maps) == ["64", "64"], maps
' <(observer_maps --max-rows 64); then
	echo "ok: observer maps sized for $(nproc) CPUs, --max-rows sets their rows"
else
	echo "FAIL: observer rows: $(observer_maps | head -c 600)"
	rc=1
fi
expect_cli 2 "--max-rows: expected a number of rows from 16 to 1048576, got '3'" --max-rows 3 stats

# trace and signals: one sent to trace reaches the command; a second
# request to stop kills a command that ignores the first; trace killed
# takes its command with it.  Each bounded: nothing here waits for long.
trace_signals() {
	local pid child status t0
	build/san/pinbounce trace -- sh -c 'trap "exit 42" USR1; while :; do sleep 0.1; done' \
		> /dev/null 2>&1 &
	pid=$!
	sleep 1.5
	kill -USR1 "$pid"
	t0=$(date +%s)
	wait "$pid"
	status=$?
	if [ "$status" = 42 ] && [ $(($(date +%s) - t0)) -le 5 ]; then
		echo "ok: trace passes SIGUSR1 on to its command"
	else
		echo "FAIL: trace and SIGUSR1: status $status"
		rc=1
	fi
	build/san/pinbounce trace -- sh -c 'trap "" INT; exec sleep 30' > /dev/null 2> "$out/sig" &
	pid=$!
	sleep 1.5
	kill -INT "$pid"
	sleep 0.5
	kill -INT "$pid"
	t0=$(date +%s)
	wait "$pid"
	status=$?
	if [ "$status" = 137 ] && [ $(($(date +%s) - t0)) -le 5 ] &&
	   grep -q "did not stop when asked: killed it" "$out/sig"; then
		echo "ok: a second SIGINT kills a command that ignores the first (137)"
	else
		echo "FAIL: trace and two SIGINTs: status $status, said: $(cat "$out/sig")"
		rc=1
	fi
	build/san/pinbounce trace -- sleep 30 > /dev/null 2>&1 &
	pid=$!
	sleep 1.5
	child=$(pgrep -P "$pid" sleep)
	kill -KILL "$pid"
	wait "$pid" 2> /dev/null
	sleep 0.5
	# gone, or dead and not reaped (a zombie of init's, here often not)
	if [ -n "$child" ] && [[ $(ps -o stat= -p "$child") != [!Z]* ]]; then
		echo "ok: trace killed takes its command with it"
	else
		echo "FAIL: trace killed: its command ${child:-(not found)} is still running"
		[ -z "$child" ] || kill "$child"
		rc=1
	fi
}

if ! grep -qw blk_pin_bounce_decide /proc/kallsyms; then
	expect_cli 1 "needs the series in kernel-patch/" policy load tests/fuzz/corpus/policy/pi-disks
	expect_cli 0 '"kernel_hook":false' -j status
	# The write-latency observers load here; the pinned-page ones cannot.
	expect_cli 0 '"bounce_observed":false' -j stats 0.5 1
	expect_cli 0 'unavailable: bounce decisions' stats 0.5 1
	expect_cli 0 'PINWB/s' stats 0.5 1
	# The census loads (pin tracking where the kernel allows fentry).
	expect_cli 0 "0 pinned page-cache pages, 0 on disks that need stable writes" pins 0.3 1
	expect_cli 0 "exposed_pages" -j trace --expect 'exposed_pages == 0' -- true
	expect_cli 2 "usage: pinbounce pins" pins 0
	host_observers
	if [ -e /sys/fs/bpf/pinbounce ]; then
		echo "FAIL: a refused load left /sys/fs/bpf/pinbounce behind"
		rc=1
	fi
fi
exit $rc
