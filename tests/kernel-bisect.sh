#!/bin/bash
# Bisectability of the series: apply the patches one at a time to a pristine
# linux-source-6.1 configured like the test kernel, and after each one
# compile every file the series touches or that includes what it changes.
#
#   tests/kernel-bisect.sh KDIR     (KDIR: a tree from kernel-patch/build.sh)
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
kdir=$1
tarball=${LINUX_SOURCE_TAR:-/usr/src/linux-source-6.1.tar.xz}
jobs=${JOBS:-$(($(nproc) + 1))}
work=${PB_BISECT_DIR:-$(mktemp -d)}
trap 'rm -rf "$work"' EXIT

objs="block/bounce.o block/bio.o block/blk-mq.o block/blk-core.o block/blk-merge.o
	fs/buffer.o fs/mpage.o fs/iomap/buffered-io.o fs/ext4/page-io.o
	fs/btrfs/extent_io.o fs/btrfs/inode.o fs/btrfs/zoned.o fs/f2fs/data.o kernel/bpf/btf.o
	kernel/bpf/verifier.o mm/page-writeback.o drivers/md/md.o drivers/md/dm.o
	drivers/md/dm-table.o drivers/md/dm-integrity.o drivers/md/dm-raid1.o"

# KDIR is keyed by the code of the series: a pass there stays a pass.
stamp=$kdir/.bisect-ok
if [ -f "$stamp" ]; then
	sed 's/$/ (cached)/' "$stamp"
	exit 0
fi

tar -xf "$tarball" -C "$work" --strip-components=1 || exit 1
cp "$kdir/.config" "$work/.config"
rc=0
step=base
for p in "" "$repo"/kernel-patch/[0-9][0-9][0-9][0-9]-*.patch; do
	if [ -n "$p" ]; then
		step=$(basename "$p")
		patch -d "$work" -p1 -s --forward < "$p" || { echo "FAIL: $step does not apply"; exit 1; }
	fi
	# shellcheck disable=SC2086
	if make -s -C "$work" -j"$jobs" KCFLAGS=-Werror olddefconfig $objs > "$work/build.log" 2>&1; then
		echo "ok: builds after $step" | tee -a "$work/ok"
	else
		echo "FAIL: does not build after $step:"
		grep -E 'error|warning' "$work/build.log" | head -n 20 | sed 's/^/    /'
		rc=1
	fi
done
[ "$rc" = 0 ] && cp "$work/ok" "$stamp"
exit $rc
