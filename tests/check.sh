#!/bin/bash
# Everything `make check` runs after the build: the series' own checks on the
# host, then the VM tests on the patched kernel.  Ends with one line, "N
# passed, N failed".
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

build/tests/test_text
result $? unit-text

tests/fuzz.sh
result $? fuzz-policy

tests/host.sh "$kdir"
result $? host

tests/cli-host.sh
result $? cli-host

tests/readme.sh
result $? readme

tests/pins-host.sh
result $? pins-host

tests/trace-drops.sh
result $? trace-drops

tests/expose-direct.sh
result $? expose-direct

tests/rq-bios.sh
result $? rq-bios

tests/cgroup-v1.sh
result $? cgroup-v1

tests/completion.sh
result $? completion

tests/export-host.sh
result $? export-host

tests/export-attack.sh
result $? export-attack

tests/prom-rules.sh
result $? prom-rules

tests/install.sh
result $? install

tests/deb.sh
result $? deb

tests/kernel-patch.sh "$kdir"
result $? kernel-patch

tests/kernel-bisect.sh "$kdir"
result $? kernel-bisect

tests/vm-selftest.sh "$kdir"
result $? vm-runner

# vm NAME KDIR TEST...: the VM tests on KDIR, counted one by one.
vm() {
	local name=$1 kdir=$2 rc passed failed
	shift 2
	tests/vm/run.sh "$kdir" "$@" | tee "build/$name.out"
	rc=${PIPESTATUS[0]}
	passed=$(sed -n 's/^vm: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "build/$name.out")
	failed=$(sed -n 's/^vm: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "build/$name.out")
	if [ -z "$passed" ]; then
		result 1 "$name (runner failed)"
	else
		pass=$((pass + passed))
		fail=$((fail + failed))
		[ "$rc" = 0 ] || [ "$failed" != 0 ] || result 1 "$name (runner status $rc)"
	fi
}

vm vm "$kdir" "$@"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
