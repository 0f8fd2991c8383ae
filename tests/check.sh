#!/bin/bash
# Everything `make check` runs after the build: the series' own checks on the
# host, then the VM tests on the patched kernel.  Ends with one line,
# "N passed, N failed".
#
#   tests/check.sh VM_TEST...
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo" || exit 1
kdir=$(cat build/kdir)
pass=0
fail=0

result() {
	if [ "$1" = 0 ]; then
		echo "ok $2"
		pass=$((pass + 1))
	else
		echo "FAIL $2"
		fail=$((fail + 1))
	fi
}

build/tests/test_policy
result $? unit-policy

build/tests/test_rate
result $? unit-rate

tests/fuzz.sh
result $? fuzz-policy

tests/host.sh "$kdir"
result $? host

tests/export-host.sh
result $? export-host

tests/install.sh
result $? install

tests/kernel-patch.sh "$kdir"
result $? kernel-patch

tests/kernel-bisect.sh "$kdir"
result $? kernel-bisect

tests/vm-selftest.sh "$kdir"
result $? vm-runner

tests/vm/run.sh "$kdir" "$@" | tee build/vm.out
vm_rc=${PIPESTATUS[0]}
vm_pass=$(sed -n 's/^vm: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' build/vm.out)
vm_fail=$(sed -n 's/^vm: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' build/vm.out)
if [ -z "$vm_pass" ]; then
	result 1 "vm (runner failed)"
else
	pass=$((pass + vm_pass))
	fail=$((fail + vm_fail))
	[ "$vm_rc" = 0 ] || [ "$vm_fail" != 0 ] || result 1 "vm (runner status $vm_rc)"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
