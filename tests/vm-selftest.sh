#!/bin/bash
# The VM runner must fail when a test fails, when a test or the whole guest
# hangs, when a test takes more than a third of its timeout, when the kernel
# warns, and when the guest crashes.  Each case boots
# the VM with tests/vm/guest/selftest-*.sh and checks what the runner says.
#
#   tests/vm-selftest.sh KDIR
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
kdir=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
rc=0

# expect_run NAME LINE... -- RUNNER-ARGS: the runner fails and prints LINEs.
expect_run() {
	local name=$1 lines=() l
	shift
	while [ "$1" != -- ]; do
		lines+=("$1")
		shift
	done
	shift
	if "$repo/tests/vm/run.sh" -o "$out/$name" "$kdir" "$@" > "$out/$name.log" 2>&1; then
		echo "FAIL: $name: the runner passed"
		rc=1
	fi
	for l in "${lines[@]}"; do
		if ! grep -qF -- "$l" "$out/$name.log"; then
			echo "FAIL: $name: the runner did not say '$l'; it said:"
			sed 's/^/    /' "$out/$name.log"
			rc=1
			return
		fi
	done
	echo "ok: $name"
}

PB_TEST_TIMEOUT=5 expect_run test-failures \
	"FAIL selftest-fail (exit status 3)" \
	"FAIL selftest-hang (timed out after 5 s)" \
	"FAIL selftest-slow (took " \
	"FAIL kernel-log (kernel reported a problem:)" \
	"vm: 1 passed, 4 failed" \
	-- selftest-fail selftest-hang selftest-slow selftest-kmsg
PB_VM_TIMEOUT=30 PB_TEST_TIMEOUT=600 expect_run guest-hang \
	"FAIL kernel-log (guest hung: killed after 30 s" \
	-- selftest-hang
expect_run guest-crash \
	"FAIL kernel-log (guest died before saving its log" \
	"FAIL selftest-crash (did not finish)" \
	-- selftest-crash
exit $rc
