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
for f in tests/fixture/pinfix.c include/*.h user/*.[ch] bpf/*.bpf.c tests/vm/*.c \
	tests/unit/*.c tests/fuzz/*.c; do
	out=$(perl "$kdir/scripts/checkpatch.pl" --strict --no-tree -q -f \
		--ignore VOLATILE,PREFER_KERNEL_TYPES,CAMELCASE,PREFER_DEFINED_ATTRIBUTE_MACRO "$f" 2>&1)
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
expect_cli 0 "3 rules, default passthrough" policy check tests/fuzz/corpus/policy/all-clauses
expect_cli 1 "error-action:1:15: expected an action" policy check tests/fuzz/corpus/policy/error-action
expect_cli 1 '{"error":"' -j policy check tests/fuzz/corpus/policy/error-action
expect_cli 2 "unknown command 'frob'" policy frob
expect_cli 2 "usage: pinbounce policy check" policy check
expect_cli 0 "pinbounce " --version
batch=$(mktemp)
printf '%s\n' "policy check tests/fuzz/corpus/policy/pi-disks  # ok" "" \
	"policy check tests/fuzz/corpus/policy/error-action" "status" > "$batch"
expect_cli 1 "$batch:3: command failed, 1 before it ran" batch file "$batch"
expect_cli 1 '"error":"'"$batch"':3: command failed' -j batch file "$batch"
expect_cli 2 "usage: pinbounce batch file FILE|-" batch
rm -f "$batch"
if ! grep -qw blk_pin_bounce_decide /proc/kallsyms; then
	expect_cli 1 "needs the series in kernel-patch/" policy load tests/fuzz/corpus/policy/pi-disks
	expect_cli 0 '"kernel_hook":false' -j status
	# The write-latency observers load here; the pinned-page ones cannot.
	expect_cli 0 '"bounce_observed":false' -j stats 0.5 1
	expect_cli 0 'unavailable: pinned-page counters' stats 0.5 1
	if [ -e /sys/fs/bpf/pinbounce ]; then
		echo "FAIL: a refused load left /sys/fs/bpf/pinbounce behind"
		rc=1
	fi
fi
exit $rc
