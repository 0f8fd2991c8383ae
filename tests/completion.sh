#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The bash completion (dist/bash-completion/pinbounce) offered names that
# anyone can choose: a cgroup in a delegated subtree, a disk's link, a
# file, a rule or metric name.  For each of those lists, a name that runs a
# command when the shell reads it is completed, with bash-completion loaded
# and without it, and the completed command line is then run as the shell
# would (eval, with pinbounce a function that records its arguments): the
# command in the name must not run, and the word must come back as the
# name.  Root, with cgroup v2; it runs in a mount namespace of its own, so
# that the disks it makes up (tmpfs over /sys/class/block and /dev) are
# seen by nothing else.
#
#   tests/completion.sh [COMPLETION-FILE]
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${PB_COMPLETION_NS-}" ]; then
	PB_COMPLETION_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
. "$repo/tests/checks.sh"
comp=$(realpath "${1:-$repo/dist/bash-completion/pinbounce}")
work=$(mktemp -d /tmp/pb-completion.XXXXXX)
cgtest=""

cleanup() {
	[ -z "$cgtest" ] || find "$cgtest" -depth -type d -exec rmdir {} + 2> /dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# Names that run "id>>pwned" (in the directory the command line runs in)
# if the shell reads them unquoted; each starts with its own letter.
hostile=('x$(id>>pwned)y' 'b c;id>>pwned' "q'\"\`id>>pwned\`" 'w*?[a]&id>>pwned' 'd$IFS\n')

# complete BASH_COMPLETION(0|1) WORD...: COMPREPLY for the command line
# WORD... (the last word is the one completed), one a line, as readline
# would insert each: quoted (printf %q) if the completion asked readline
# to quote them (compopt -o filenames).
complete_words() {
	local full=$1
	shift
	PB_WORDS=$(printf '%q ' "$@") bash -c '
		set -u
		[ "$1" = 1 ] && . /usr/share/bash-completion/bash_completion
		. "$2"
		filenames=0
		# readline quotes the words of a completion that asked for it
		compopt() {
			local IFS=" "

			[[ " $* " == *" -o filenames "* ]] && filenames=1
			return 0
		}
		eval "COMP_WORDS=($PB_WORDS)"
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="${COMP_WORDS[*]}"
		COMP_POINT=${#COMP_LINE}
		COMPREPLY=()
		_pinbounce pinbounce "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		for w in "${COMPREPLY[@]}"; do
			((filenames)) && printf -v w %q "$w"
			printf "%s\0" "$w"
		done' completion "$full" "$comp"
}

# round_trip WHAT WANT WORD...: complete WORD... (bash-completion loaded
# and not); one word must be offered, and the command line with it, run,
# must run nothing but pinbounce, whose last argument must be WANT.
round_trip() {
	local what=$1 want=$2 full got line
	local -a replies
	shift 2
	for full in 0 1; do
		mapfile -d '' -t replies < <(cd "$work/run" && complete_words "$full" "$@")
		if [ "${#replies[@]}" != 1 ]; then
			bad "$what (bash-completion $full): ${#replies[@]} words offered, expected 1: $(printf '[%s] ' "${replies[@]}")"
			continue
		fi
		line="$(printf '%q ' "${@:1:$#-1}")${replies[0]}"
		rm -f "$work/run/pwned" "$work/args"
		(cd "$work/run" && eval "pinbounce() { printf '%s\0' \"\$@\" > \"$work/args\"; }
$line") 2> /dev/null
		got=$(tr '\0' '\n' 2> /dev/null < "$work/args" | tail -n 1)
		if [ -e "$work/run/pwned" ]; then
			bad "$what (bash-completion $full): completing ran a command: $line"
		elif [ "$got" != "$want" ]; then
			bad "$what (bash-completion $full): the word is '$got', expected '$want' ($line)"
		else
			ok "$what (bash-completion $full): '${replies[0]}'"
		fi
	done
}

mkdir -p "$work/run" "$work/files" "$work/bin"

# Cgroups: the cgroup2 mount, as the completion finds it.
cgroot=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
[ -e /sys/fs/cgroup/cgroup.controllers ] && cgroot=/sys/fs/cgroup
if [ -z "$cgroot" ] || ! mkdir "$cgroot/pb-completion.$$" 2> /dev/null; then
	bad "cgroups: cannot make a cgroup in '${cgroot:-no cgroup2 mount}'"
else
	cgtest=$cgroot/pb-completion.$$
	for n in "${hostile[@]}"; do
		mkdir "$cgtest/$n" || bad "cgroups: cannot make '$n'"
		round_trip "cgroup '$n'" "/pb-completion.$$/$n/" \
			pinbounce policy add r cgroup "/pb-completion.$$/${n:0:1}"
	done
	# below a directory a completion inserted quoted, as it is typed then
	mkdir "$cgtest/${hostile[0]}/in\$(id>>pwned)"
	printf -v q %q "${hostile[0]}"
	round_trip "cgroup below '${hostile[0]}'" \
		"/pb-completion.$$/${hostile[0]}/in\$(id>>pwned)/" \
		pinbounce policy add r cgroup "/pb-completion.$$/$q/i"
fi

# Disks: kernel names (/sys/class/block) and paths (/dev/disk/by-id).
blk=$(for d in /dev/loop0 /dev/[sv]da /dev/nvme0n1; do [ -b "$d" ] && echo "$d" && break; done)
mount -t tmpfs none /sys/class/block
mkdir /sys/class/block/sda
for n in "${hostile[@]}"; do
	mkdir "/sys/class/block/$n"
	round_trip "disk name '$n'" "$n" pinbounce stats -d "${n:0:1}"
	round_trip "disk name '$n' in a dev list" "sda,$n" \
		pinbounce policy add r dev "sda,${n:0:1}"
done
if [ -n "$blk" ]; then
	cp -a "$blk" "$work/blk"
	mount -t tmpfs none /dev
	ln -s /proc/self/fd /dev/fd
	mknod -m 666 /dev/null c 1 3
	mkdir -p /dev/disk/by-id
	cp -a "$work/blk" /dev/blk
	for n in "${hostile[@]}"; do
		ln -s ../../blk "/dev/disk/by-id/$n"
		round_trip "disk path '$n'" "/dev/disk/by-id/$n" \
			pinbounce stats -d "/dev/disk/by-id/${n:0:1}"
	done
	umount -l /dev
else
	bad "disk paths: no block device to link to"
fi
umount /sys/class/block

# Files, which readline quotes as it does its own when asked to.
for n in "${hostile[@]}"; do
	touch "$work/run/$n"
	round_trip "file '$n'" "$n" pinbounce trace --json "${n:0:1}"
	rm -f "$work/run/$n"
done

# Rule and metric names, as pinbounce prints them (here a stand-in).
cat > "$work/bin/pinbounce" << 'EOF'
#!/bin/bash
case "$*" in
"-j policy show") printf '{"rules":[{"name":"%s"}]}\n' "$PB_NAME" ;;
"trace help") printf 'metrics:\n  %-26s%s\n' "$PB_NAME" write_count ;;
esac
EOF
chmod +x "$work/bin/pinbounce"
for n in 'x$(id>>pwned)y' 'b;id>>pwned' "q\`id>>pwned\`"; do
	PATH=$work/bin:$PATH PB_NAME=$n round_trip "rule name '$n'" "$n" \
		pinbounce policy del "${n:0:1}"
	PATH=$work/bin:$PATH PB_NAME=$n round_trip "metric name '$n'" "$n" \
		pinbounce trace --expect "${n:0:1}"
done

summary completion
