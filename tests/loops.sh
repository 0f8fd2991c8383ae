# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# What the host tests that hold write back with blkio v1 share, sourced:
# the check that they can run here, loop devices over files in $work, and
# the whole disk a path lives on, which blkio's limits name.
blkio=/sys/fs/cgroup/blkio
devs=()

# blkio_or_skip NAME: exit 0, saying NAME is skipped, unless this is root
# with loop devices and blkio write limits (cgroup v1).
blkio_or_skip() {
	if [ ! -w "$blkio/blkio.throttle.write_bps_device" ] || ! losetup -f > /dev/null 2>&1; then
		echo "$1: skipped: needs root, loop devices and cgroup v1 blkio throttling"
		exit 0
	fi
}

# loop NAME [LOSETUP_OPTION...]: a loop device over a new 16 MiB file
# $work/NAME.img, in $loop and added to $devs; the test exits if it cannot.
loop() {
	local name=$1

	shift
	truncate -s 16M "$work/$name.img" &&
		loop=$(losetup -f --show "$@" "$work/$name.img") || exit 1
	devs+=("$loop")
}

# loops_detach: every loop device made, detached.
loops_detach() {
	local d

	for d in "${devs[@]}"; do
		losetup -d "$d"
	done
	devs=()
}

# disk_of PATH: MAJ:MIN of the whole disk that PATH is on.
disk_of() {
	local d

	d=$(findmnt -no MAJ:MIN -T "$1")
	[ ! -e "/sys/dev/block/$d/partition" ] || d=$(cat "/sys/dev/block/$d/../dev")
	echo "$d"
}
