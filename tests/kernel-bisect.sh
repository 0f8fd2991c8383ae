#!/bin/bash
# Bisectability of the series: on a copy of the built patched tree with the
# series taken back out, apply the patches one at a time and compile after
# each one what it changes, with the patched kernel's options as far as
# they exist at that step.
#
#   tests/kernel-bisect.sh [--full] KDIR     (KDIR: from kernel-patch/build.sh)
#
# By default a step compiles the object of each C file the patch touches
# and, for each header it changes, the objects of the series' C files that
# include that header (found in the tree's dependency files) when the
# patch touches none of them; the whole tree after the last patch is the
# patched kernel's own build.  --full compiles every object of every C
# file the series touches after every patch.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
full=0
if [ "${1:-}" = --full ]; then
	full=1
	shift
fi
[ $# = 1 ] || { echo "usage: $0 [--full] KDIR" >&2; exit 2; }
kdir=$1
jobs=${JOBS:-$(($(nproc) + 1))}
work=${PB_BISECT_DIR:-$(mktemp -d)}
trap 'rm -rf "$work"' EXIT
patches=("$repo"/kernel-patch/[0-9][0-9][0-9][0-9]-*.patch)

# KDIR is keyed by the code of the series: a pass there stays a pass, and
# so does each step's, kept in STAMP.partial as it passes: a run cut short
# (--full takes about an hour on two cores) goes on where it stopped.
stamp=$kdir/.bisect-ok$([ "$full" = 1 ] && echo -full)
if [ -f "$stamp" ]; then
	sed 's/$/ (cached)/' "$stamp"
	exit 0
fi
partial=$stamp.partial

# touched PATCH: the files a patch changes, one per line.
touched() {
	sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$1"
}

# cmd OBJ: the file where kbuild keeps how it built OBJ, and from what.
cmd() { echo "$kdir/$(dirname "$1")/.$(basename "$1").cmd"; }

# Every object of a C file that the series touches and this configuration
# builds.
all_objs=()
while read -r f; do
	o=${f%.c}.o
	[ -f "$(cmd "$o")" ] && all_objs+=("$o")
done < <(for p in "${patches[@]}"; do touched "$p"; done | grep '\.c$' | sort -u)
[ ${#all_objs[@]} -gt 0 ] || { echo "FAIL: no object of the series is built in $kdir"; exit 1; }

# objs_for PATCH: what a step compiles.
objs_for() {
	local p=$1 f o h have
	if [ "$full" = 1 ]; then
		printf '%s\n' "${all_objs[@]}"
		return
	fi
	mapfile -t mine < <(touched "$p" | grep '\.c$' | sed 's/\.c$/.o/')
	for o in "${mine[@]}"; do
		[ -f "$(cmd "$o")" ] && echo "$o"
	done
	for h in $(touched "$p" | grep '\.h$'); do
		have=0
		for o in "${mine[@]}"; do
			grep -q "[ /]$h " "$(cmd "$o")" 2>/dev/null && have=1
		done
		[ "$have" = 1 ] && continue
		for o in "${all_objs[@]}"; do
			grep -q "[ /]$h " "$(cmd "$o")" && echo "$o"
		done
	done
}

# The configured tree without what its build made (objects, vmlinux,
# modules), but for the tools the build runs (scripts/, tools/).
tar -C "$kdir" --exclude='*.o' --exclude='*.ko' --exclude='*.a' --exclude='./vmlinux*' \
	--exclude='./.tmp_vmlinux*' --exclude='./arch/x86/boot/*' --exclude='./.bisect-ok*' \
	--exclude=./.built -cf - . | tar -C "$work" -xf - || exit 1
tar -C "$kdir" -cf - scripts tools | tar -C "$work" -xf - || exit 1
for ((i = ${#patches[@]} - 1; i >= 0; i--)); do
	patch -d "$work" -p1 -s -R < "${patches[i]}" ||
		{ echo "FAIL: $(basename "${patches[i]}") does not come back out of $kdir"; exit 1; }
done
rc=0
for p in "${patches[@]}"; do
	step=$(basename "$p")
	patch -d "$work" -p1 -s --forward < "$p" || { echo "FAIL: $step does not apply"; exit 1; }
	# a step passed in a run cut short, when every step before it passed
	if [ "$rc" = 0 ] && passed=$(grep -F -- "ok: builds after $step " "$partial" 2> /dev/null); then
		echo "$passed (cached)"
		echo "$passed" >> "$work/ok"
		continue
	fi
	mapfile -t objs < <(objs_for "$p" | sort -u)
	if [ ${#objs[@]} = 0 ]; then
		echo "FAIL: $step: nothing of it is compiled in this configuration"
		rc=1
		continue
	fi
	# The patched kernel's options, those that exist at this step.
	cp "$kdir/.config" "$work/.config"
	if make -s -C "$work" -j"$jobs" KCFLAGS=-Werror olddefconfig "${objs[@]}" \
		> "$work/build.log" 2>&1; then
		echo "ok: builds after $step (${objs[*]})" | tee -a "$work/ok"
		[ "$rc" = 0 ] && echo "ok: builds after $step (${objs[*]})" >> "$partial"
	else
		echo "FAIL: does not build after $step:"
		grep -E 'error|warning' "$work/build.log" | head -n 20 | sed 's/^/    /'
		rc=1
	fi
done
[ "$rc" = 0 ] && cp "$work/ok" "$stamp" && rm -f "$partial"
exit $rc
