#!/bin/bash
# Build the patched test kernel from Debian's linux-source-6.1: unpack, apply
# the series, configure tinyconfig + pinbounce.config, build bzImage and
# modules.  The tree is cached outside the clone, keyed by a hash of every
# input, and its path is printed on stdout.
#
#   kernel-patch/build.sh [debug]
#
# "debug" adds debug.config (KASAN, lockdep, DEBUG_VM, ...); "stock" builds
# the same source and configuration without the series (stock.config takes
# out what only the series has), the baseline the patched kernel is measured
# against.  Each flavor keeps its tree in a cache slot of its own.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tarball=${LINUX_SOURCE_TAR:-/usr/src/linux-source-6.1.tar.xz}
cache=${PINBOUNCE_CACHE:-$HOME/.cache/pinbounce}
jobs=${JOBS:-$(($(nproc) + 1))}
log() { echo "kernel: $*" >&2; }

flavor=${1:-}
configs=("$here/pinbounce.config")
case $flavor in
'') slot=kernel ;;
debug) slot=kernel-debug; configs+=("$here/debug.config") ;;
stock) slot=kernel-stock; configs+=("$here/stock.config") ;;
*) log "unknown flavor '$flavor' (expected: debug or stock)"; exit 2 ;;
esac

[ -r "$tarball" ] || { log "$tarball missing (apt-get install linux-source-6.1)"; exit 1; }
patches=()
[ "$flavor" = stock ] || mapfile -t patches < <(ls "$here"/[0-9][0-9][0-9][0-9]-*.patch)
# Inputs: the source package, the code the patches change (not their
# messages), the configuration, this script and the tools.
key=$({ stat -c '%s %Y' "$tarball"
	for p in "${patches[@]}"; do sed -n '/^diff --git /,$p' "$p"; done
	cat "${configs[@]}" "$0"; gcc --version | head -1; pahole --version; } |
	sha256sum | cut -c1-16)
dir=$cache/$slot-$key
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

if [ -f "$dir/.built" ]; then
	log "cached: $dir"
	echo "$dir"
	exit 0
fi

rm -rf "$dir"
mkdir -p "$dir"
log "unpacking $tarball"
tar -xf "$tarball" -C "$dir" --strip-components=1
for p in "${patches[@]}"; do
	log "applying $(basename "$p")"
	patch -d "$dir" -p1 -s --forward --no-backup-if-mismatch < "$p"
done

log "configuring: tinyconfig + ${configs[*]##*/}"
make -s -C "$dir" tinyconfig >&2
"$dir/scripts/kconfig/merge_config.sh" -m -O "$dir" "$dir/.config" \
	"${configs[@]}" >/dev/null
make -s -C "$dir" olddefconfig >&2
# Each option as the last file to name it set it ("# CONFIG_X is not set"
# takes back an earlier "CONFIG_X=y").
missing=0
while IFS= read -r line; do
	if ! grep -qxF -- "$line" "$dir/.config"; then
		log "option did not stick: $line (have: $(grep "^${line%%=*}=" "$dir/.config" || echo unset))"
		missing=1
	fi
done < <(sed -n 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1=n/; /^CONFIG_/p' "${configs[@]}" |
	 awk -F= '{ last[$1] = $0; order[$1] = NR } END { for (o in last) print order[o], last[o] }' |
	 sort -n | cut -d' ' -f2- | grep -v '=n$')
[ "$missing" = 0 ] || exit 1

log "building bzImage and modules with -j$jobs (about 16 minutes on 2 cores)"
make -s -C "$dir" -j"$jobs" bzImage modules >&2
touch "$dir/.built"

# Only the newest tree of each slot is kept: each one is about 1.5 GB.
for old in "$cache/$slot"-????????????????; do
	[ "$old" = "$dir" ] || rm -rf "$old"
done
echo "$dir"
