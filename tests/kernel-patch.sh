#!/bin/bash
# Checks of the kernel series that need no VM: it applies in order to a
# pristine Debian linux-source-6.1 and every patch is checkpatch --strict
# clean (no errors, warnings or checks).  Two checks are left out: the
# sign-off, which only the person who sends a patch can give, and whether
# cited commit ids exist, which needs the upstream git history.
#
#   tests/kernel-patch.sh KDIR     (KDIR: a tree from kernel-patch/build.sh)
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
kdir=$1
tarball=${LINUX_SOURCE_TAR:-/usr/src/linux-source-6.1.tar.xz}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rc=0

tar -xf "$tarball" -C "$work" --strip-components=1 \
	--wildcards '*/block' '*/drivers/md' '*/fs' '*/include' '*/kernel' '*/mm' || exit 1
for p in "$repo"/kernel-patch/[0-9][0-9][0-9][0-9]-*.patch; do
	name=$(basename "$p")
	if ! patch -d "$work" -p1 --forward --dry-run < "$p" > "$work/patch.log" 2>&1 ||
	   ! patch -d "$work" -p1 --forward < "$p" > "$work/patch.log" 2>&1; then
		echo "FAIL: $name does not apply in order:"
		sed 's/^/    /' "$work/patch.log"
		rc=1
		continue
	fi
	if grep -q 'offset\|fuzz' "$work/patch.log"; then
		echo "FAIL: $name applies only with offset or fuzz:"
		sed 's/^/    /' "$work/patch.log"
		rc=1
	fi
	# checkpatch from the kernel tree itself, run outside any git tree.
	out=$(cd "$kdir" && perl scripts/checkpatch.pl --strict --no-tree -q \
		--ignore MISSING_SIGN_OFF,UNKNOWN_COMMIT_ID "$p" 2>&1)
	if [ -n "$out" ]; then
		echo "FAIL: $name: checkpatch --strict:"
		echo "$out" | sed 's/^/    /'
		rc=1
	else
		echo "ok: $name: applies, checkpatch --strict clean"
	fi
done
exit $rc
