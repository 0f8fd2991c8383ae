#!/bin/bash
# Boot the patched kernel in QEMU, the host's root shared read-only over
# virtio-9p, run tests/vm/guest/NAME.sh for each NAME inside, and bring back
# their output and the guest's kernel log.
#
#   tests/vm/run.sh [-o OUTDIR] KDIR NAME...
#
# Prints "ok NAME (SECONDS s)" or "FAIL NAME" per test, then "vm: N passed,
# N failed".  A test that takes more than a third of its timeout fails: it
# would pass or fail by chance.  The guest panics on the first WARN
# (panic_on_warn=1): a warning is a failure, and the tests after it do not
# run.
# Fails when a test fails, when the guest does not finish in time
# (PB_VM_TIMEOUT seconds, default 180 per test and at least the longest
# test's timeout: PB_TEST_TIMEOUT, 600, times the factor of its
# "# timeout:" line, tests/vm/timeout.sh), or when the kernel log shows
# a WARNING, BUG, Oops or lockdep report.
set -u

repo=$(cd "$(dirname "$0")/../.." && pwd)
out=
while getopts o: opt; do
	case $opt in
	o) out=$OPTARG ;;
	*) echo "usage: $0 [-o OUTDIR] KDIR NAME..." >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || { echo "usage: $0 [-o OUTDIR] KDIR NAME..." >&2; exit 2; }
kdir=$1
shift
tests=("$@")
for t in "${tests[@]}"; do
	[ -f "$repo/tests/vm/guest/$t.sh" ] || { echo "vm: no test $t" >&2; exit 2; }
done
[ -f "$kdir/arch/x86/boot/bzImage" ] || { echo "vm: no kernel in $kdir" >&2; exit 2; }

out=${out:-$repo/build/vm/$(date +%Y%m%d-%H%M%S)-$$}
rm -rf "$out"
mkdir -p "$out"
test_timeout=${PB_TEST_TIMEOUT:-600}
# shellcheck source=tests/vm/timeout.sh
. "$repo/tests/vm/timeout.sh"
vm_timeout=$((60 + 180 * ${#tests[@]}))
for t in "${tests[@]}"; do
	tt=$(PB_REPO=$repo PB_TEST_TIMEOUT=$test_timeout test_timeout "$t")
	[ "$vm_timeout" -gt $((60 + tt)) ] || vm_timeout=$((60 + tt))
done
vm_timeout=${PB_VM_TIMEOUT:-$vm_timeout}

# The caller's PB_* settings reach the tests (PB_SWAPS=10 for a quick run).
for v in $(compgen -e | grep '^PB_'); do
	printf "%s=%q\n" "$v" "${!v}"
done > "$out/job.env"
cat >> "$out/job.env" <<ENV
PB_REPO='$repo'
PB_KDIR='$kdir'
PB_TESTS='${tests[*]}'
PB_TEST_TIMEOUT='$test_timeout'
ENV
# A disk without stable writes, for the tests that need one.
truncate -s 256M "$out/virtio.img"

accel=(-accel tcg -cpu max)
if [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
	accel=(-accel kvm -cpu host)
fi

echo "vm: booting $(basename "$kdir") (${accel[1]}), tests: ${tests[*]}, results in $out"
start=$(date +%s)
timeout -k 10 "$vm_timeout" qemu-system-x86_64 "${accel[@]}" -m 2G -smp 2 \
	-nodefaults -display none -no-reboot \
	-serial "file:$out/console.log" \
	-kernel "$kdir/arch/x86/boot/bzImage" \
	-append "console=ttyS0 log_buf_len=32M root=root rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=512000,cache=loose ro init=$repo/tests/vm/guest-init.sh panic=-1 oops=panic panic_on_warn=1" \
	-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=root,mount_tag=root \
	-fsdev "local,id=out,path=$out,security_model=none" \
	-device virtio-9p-pci,fsdev=out,mount_tag=out \
	-drive "file=$out/virtio.img,if=virtio,format=raw,cache=unsafe" \
	> "$out/qemu.log" 2>&1
qemu_rc=$?
rm -f "$out/virtio.img"
echo "vm: guest ran $(($(date +%s) - start)) s"

pass=0
fail=0
for t in "${tests[@]}"; do
	rc=$(cat "$out/$t.rc" 2>/dev/null || echo none)
	took=$(cat "$out/$t.time" 2>/dev/null || echo "?")
	sed "s/^/    $t: /" "$out/$t.log" 2>/dev/null
	tt=$(PB_REPO=$repo PB_TEST_TIMEOUT=$test_timeout test_timeout "$t")
	if [ "$rc" = 0 ] && [ "$took" -gt $((tt / 3)) ]; then
		# One that runs near its limit passes or fails by chance.
		echo "FAIL $t (took $took s, more than a third of its $tt s timeout)"
		fail=$((fail + 1))
	elif [ "$rc" = 0 ]; then
		echo "ok $t ($took s)"
		pass=$((pass + 1))
	else
		case $rc in
		none) why="did not finish" ;;
		124|137) why="timed out after $tt s" ;;
		*) why="exit status $rc" ;;
		esac
		echo "FAIL $t ($why)"
		fail=$((fail + 1))
	fi
done

log=$out/dmesg.txt
[ -s "$log" ] || log=$out/console.log
bad='WARNING:|BUG:|Oops|general protection fault|Kernel panic|possible circular locking|possible recursive locking|inconsistent lock state|DEBUG_LOCKS_WARN_ON|UBSAN:|INFO: task .* blocked'
if [ "$qemu_rc" = 124 ] || [ "$qemu_rc" = 137 ]; then
	echo "FAIL kernel-log (guest hung: killed after $vm_timeout s; tail of the console:)"
	tail -n 40 "$out/console.log" | sed 's/^/    console: /'
	fail=$((fail + 1))
elif ! [ -s "$out/dmesg.txt" ]; then
	echo "FAIL kernel-log (guest died before saving its log; tail of the console:)"
	tail -n 40 "$out/console.log" | sed 's/^/    console: /'
	fail=$((fail + 1))
elif grep -qE "$bad" "$log" "$out/console.log"; then
	echo "FAIL kernel-log (kernel reported a problem:)"
	grep -hE -A20 "$bad" "$log" | head -n 60 | sed 's/^/    dmesg: /'
	fail=$((fail + 1))
else
	echo "ok kernel-log"
	pass=$((pass + 1))
fi
echo "vm: $pass passed, $fail failed"
[ "$fail" = 0 ]
