# The policy's directory in /sys/fs/bpf, which everyone may write to:
# whatever another user puts there first (a directory of their own, a
# symbolic link, a lock), root's commands refuse with a message that names
# the problem and touch nothing outside it; once root made it, nobody else
# can remove a pin or take its lock; a lock held by another command is
# waited for a bounded time, naming who holds it; maps pinned by another
# build are refused, and detach still removes them.
. "$PB_REPO/tests/vm/lib.sh"

D=/sys/fs/bpf/pinbounce
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# Whatever a failed check left: the policy detached, another user's things removed.
tidy() {
	rm -rf /run/victim
	if [ -L "$D" ] || { [ -d "$D" ] && [ "$(stat -c %u "$D")" != 0 ]; }; then
		rm -rf "$D"
	fi
	[ ! -d "$D" ] || chmod 0700 "$D"
	"$PB" detach > /dev/null 2>&1 || true
}
cleanup tidy
printf 'rule all action bounce\n' > "$WORK/p"
chmod 0644 "$WORK/p"

# refuses WHAT REGEX CMD...: CMD exits 1 with an error matching REGEX.
refuses() {
	local what=$1 re=$2 rc msg
	shift 2
	set +e
	msg=$("$@" 2>&1)
	rc=$?
	set -e
	echo "  $msg"
	expect "$what: exit status" 1 "$rc"
	echo "$msg" | grep -qE -- "$re" || fail "$what: expected an error matching '$re'"
	echo "ok: $what: says why"
}

no_policy_prog() {
	expect "$1: no policy program in the kernel" "" \
		"$(bpftool prog show name pb_policy 2> /dev/null || true)"
}

# Another user's directory, made before root's first command.
nobody mkdir "$D"
refuses "a directory of uid 65534: load" "owned by uid 65534, not root" \
	"$PB" policy load "$WORK/p"
refuses "a directory of uid 65534: detach" "owned by uid 65534, not root" "$PB" detach
refuses "a directory of uid 65534: show" "owned by uid 65534, not root" "$PB" policy show
refuses "a directory of uid 65534: status" "owned by uid 65534, not root" "$PB" status
expect "a directory of uid 65534: nothing pinned in it" "" "$(ls -A "$D")"
no_policy_prog "a directory of uid 65534"
rmdir "$D"

# A symbolic link to a directory of root's: root's unlinks must not land there.
mkdir /run/victim
touch /run/victim/link /run/victim/policy /run/victim/rule_stats /run/victim/rate_state
nobody ln -s /run/victim "$D"
refuses "a symbolic link: load" "not a directory \(a symbolic link" "$PB" policy load "$WORK/p"
refuses "a symbolic link: detach" "not a directory \(a symbolic link" "$PB" detach
expect "a symbolic link: the files it points at" "link policy rate_state rule_stats" \
	"$(ls /run/victim | tr '\n' ' ' | sed 's/ $//')"
no_policy_prog "a symbolic link"
rm -f "$D"

# A directory of root's that others may write to.
mkdir -m 0777 "$D"
refuses "mode 0777: load" "has mode 0777, not 0700" "$PB" policy load "$WORK/p"
no_policy_prog "mode 0777"
rmdir "$D"

# Made by root's load: nobody else can remove a pin or take the lock.
(umask 0277; "$PB" policy load "$WORK/p")
expect "made by pinbounce: owner and mode" "root 700" "$(stat -c '%U %a' "$D")"
nobody rm -f "$D/link" 2> /dev/null || true
if nobody flock -n "$D" true 2> /dev/null; then
	fail "nobody could lock $D"
fi
echo "ok: nobody cannot lock it"
expect "nobody cannot unpin: attached" True "$("$PB" -j status | json 'j["attached"]')"
expect "nobody cannot unpin: pins" "link policy rate_state rule_stats" \
	"$(ls "$D" | tr '\n' ' ' | sed 's/ $//')"

# Another command holding the lock: waited for, then refused, with its pid
# (-o: flock holds it, not the sleep it runs).
flock -o "$D" sleep 60 &
holder=$!
cleanup "kill $holder 2> /dev/null || true"
sleep 0.5
start=$(date +%s)
refuses "lock held by another command" "locked by pid $holder \(flock\)" \
	"$PB" policy add x action passthrough
waited=$(($(date +%s) - start))
expect_ge "lock held: waited at least 9 s" 9 "$waited"
expect_le "lock held: gave up within 15 s" 15 "$waited"
kill "$holder"
wait "$holder" 2> /dev/null || true
expect "lock held: policy unchanged, once the lock is free" 1 \
	"$("$PB" -j status | json 'j["rules"]')"
"$PB" detach

# Maps of another build: refused, never read; detach removes them.
"$BIN/otherpolicy"
refuses "another build's maps: show" "pinned by an incompatible pinbounce" "$PB" policy show
refuses "another build's maps: load" "pinned by an incompatible pinbounce" \
	"$PB" policy load "$WORK/p"
"$PB" detach
expect "another build's maps: detach removed the directory" no "$([ -e "$D" ] && echo yes || echo no)"
no_policy_prog "another build's maps after detach"
