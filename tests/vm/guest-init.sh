#!/bin/bash
# PID 1 of the test VM: mount what the tests need, run them, power off.
# The root is the host's, read-only over virtio-9p; /run is the guest's own
# scratch space and /run/out is the host's result directory.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/out /run/tmp /run/mnt /dev/shm /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t devpts devpts /dev/pts
ln -s /proc/self/fd /dev/fd
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 out /run/out
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup
# Loopback, for the tests that serve and scrape metrics.
ip link set lo up
export TMPDIR=/run/tmp HOME=/run/tmp

# shellcheck source=/dev/null
set -a
. /run/out/job.env
set +a
echo "guest: $(uname -r), $(nproc) CPUs, tests: $PB_TESTS" > /dev/ttyS0
cd "$PB_REPO" || exit 1
# shellcheck source=tests/vm/timeout.sh
. tests/vm/timeout.sh
for t in $PB_TESTS; do
	echo "guest: running $t" > /dev/ttyS0
	start=$(date +%s)
	timeout -k 5 "$(test_timeout "$t")" bash "tests/vm/guest/$t.sh" \
		> "/run/out/$t.log" 2>&1 < /dev/null
	echo $? > "/run/out/$t.rc"
	echo $(($(date +%s) - start)) > "/run/out/$t.time"
done
dmesg > /run/out/dmesg.txt
sync
echo "guest: done" > /dev/ttyS0
echo o > /proc/sysrq-trigger
sleep 10
