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
# libraries' names (cmocka, libFuzzer) keep their CamelCase.
for f in tests/fixture/pinfix.c include/*.h user/*.[ch] bpf/*.bpf.c tests/vm/*.c \
	tests/unit/*.c tests/fuzz/*.c; do
	out=$(perl "$kdir/scripts/checkpatch.pl" --strict --no-tree -q -f \
		--ignore VOLATILE,PREFER_KERNEL_TYPES,CAMELCASE "$f" 2>&1)
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
exit $rc
