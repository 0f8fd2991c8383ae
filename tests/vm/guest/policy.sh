# pinbounce policy: a loaded policy decides, show counts what the kernel
# traced, add/del/clear change it live, a bad policy changes nothing,
# detach leaves nothing behind, and only root may change it.
. "$PB_REPO/tests/vm/lib.sh"

both_disks 64
cleanup "$PB detach"

expect "status: kernel hook" True "$("$PB" -j status | json 'j["kernel_hook"]')"
# what pinbounce-policy.service's ExecCondition= runs: 0 here, the unit starts
/bin/grep -qE " blk_pin_bounce_decide$" /proc/kallsyms ||
	fail "the policy unit's condition: no blk_pin_bounce_decide in /proc/kallsyms"
expect "status: attached before load" False "$("$PB" -j status | json 'j["attached"]')"

cat > "$WORK/p1" <<POLICY
# test policy
default default
rule nb dev $nb action bounce
rule sd dev $sd action passthrough
POLICY
"$PB" policy load "$WORK/p1"
expect "status: generation after load" 1 "$("$PB" -j status | json 'j["generation"]')"

outcome "/dev/$nb"
expect_outcome "$nb under rule nb" bounce prog
n_nb=$(decisions)
outcome "/dev/$sd"
expect_outcome "$sd under rule sd" passthrough prog
n_sd=$(decisions)
"$PB" policy show
show=$("$PB" -j policy show)
expect "show: rule nb bounce hits = traced" "$n_nb" \
	"$(echo "$show" | json 'j["rules"][0]["hits"]["bounce"]')"
expect "show: rule sd passthrough hits = traced" "$n_sd" \
	"$(echo "$show" | json 'j["rules"][1]["hits"]["passthrough"]')"

"$PB" policy del sd
outcome "/dev/$sd"
expect_outcome "$sd after del sd" bounce default
"$PB" policy add sd2 dev "$sd" action passthrough
outcome "/dev/$sd"
expect_outcome "$sd after add sd2" passthrough prog
expect "generation after del and add" 3 "$("$PB" -j status | json 'j["generation"]')"
expect "rule nb's hits kept through del and add" "$n_nb" \
	"$("$PB" -j policy show | json 'j["rules"][0]["hits"]["bounce"]')"

# Devices by path: /dev/NAME and any symlink to one (udev's /dev/disk/by-id,
# /dev/mapper), resolved at load.  show gives each as written and what it
# resolved to, and says when the name is gone or now names another device.
mkdir "$WORK/by-id"
ln -s "/dev/$sd" "$WORK/by-id/scsi-pi"
printf 'rule nbp dev /dev/%s action bounce\nrule sdp dev %s action passthrough\n' \
	"$nb" "$WORK/by-id/scsi-pi" > "$WORK/paths"
"$PB" policy load "$WORK/paths"
outcome "/dev/$nb"
expect_outcome "$nb named /dev/$nb" bounce prog
outcome "/dev/$sd"
expect_outcome "$sd named by a symlink to it" passthrough prog
dev_of() { "$PB" -j policy show | json "j['rules'][1]['resolved']['devices'][0].get('$1')"; }
expect "show: the name as written" "$WORK/by-id/scsi-pi" "$(dev_of written)"
expect "show: what it resolved to" "$(cat "/sys/class/block/$sd/dev")" "$(dev_of dev)"
expect "show: the name resolves the same" None "$(dev_of now)"
ln -sfn "/dev/$nb" "$WORK/by-id/scsi-pi"
expect "show: the name now names another device" "$(cat "/sys/class/block/$nb/dev")" "$(dev_of now)"
"$PB" policy show | grep -qF "(now $(cat "/sys/class/block/$nb/dev"): load the policy again)" ||
	fail "show does not say the name now names another device"
rm "$WORK/by-id/scsi-pi"
expect "show: the name is gone" gone "$(dev_of now)"
"$PB" policy show | grep -qF "$WORK/by-id/scsi-pi=$(cat "/sys/class/block/$sd/dev") and its partitions (gone)" ||
	fail "show does not say the device is gone"
outcome "/dev/$sd"
expect_outcome "$sd: the rule kept what it resolved to" passthrough prog
printf 'rule f dev /etc/passwd action bounce\n' > "$WORK/notblk"
set +e
msg=$("$PB" policy check "$WORK/notblk" 2>&1)
rc=$?
set -e
expect "a path that is no block device: check" "1 Error: rule 'f': '/etc/passwd' is not a block device" "$rc $msg"

# check warns of a rule an earlier one shadows and of pinned pages passed
# through to a disk that needs stable writes ($sd: T10-PI); --strict fails.
printf 'rule all dev %s action passthrough\nrule part dev %s size 4k-8k action bounce\n' \
	"$sd" "$sd" > "$WORK/lint"
set +e
msg=$("$PB" policy check "$WORK/lint" 2>&1)
rc=$?
strict=$("$PB" policy check --strict "$WORK/lint" 2>&1)
src=$?
set -e
echo "$msg"
expect "warnings: exit status" 0 "$rc"
expect "warnings: --strict exit status" 1 "$src"
grep -qF "Warning: $WORK/lint: rule 'part' never matches: rule 'all' before it matches every bio it would" <<< "$msg" ||
	fail "no warning of a shadowed rule"
grep -qF "Warning: $WORK/lint: rule 'all' passes pinned pages through to $sd, which needs stable writes" <<< "$msg" ||
	fail "no warning of pinned pages passed through to a disk with stable writes"
grep -qF "Error: $WORK/lint: 2 warnings, and --strict" <<< "$strict" || fail "--strict: no error"
expect "stable writes of $sd" 1 "$(cat "/sys/block/$sd/queue/stable_writes")"
printf 'rule all dev %s action passthrough\n' "$nb" > "$WORK/nolint"
"$PB" policy check --strict "$WORK/nolint" ||
	fail "--strict refuses a passthrough to a disk without stable writes"
expect "warnings in JSON" 2 "$("$PB" -j policy check "$WORK/lint" | json 'len(j["warnings"])')"
"$PB" policy load "$WORK/p1" > /dev/null

printf 'rule ok action bounce\nrule bad action bonce\n' > "$WORK/bad"
set +e
msg=$("$PB" policy load "$WORK/bad" 2>&1)
rc=$?
set -e
expect "bad policy: exit status" 1 "$rc"
expect "bad policy: message" "Error: $WORK/bad:2:17: expected an action (bounce, passthrough or default), got 'bonce'" "$msg"
expect "bad policy: generation unchanged" 5 "$("$PB" -j status | json 'j["generation"]')"
outcome "/dev/$sd"
expect_outcome "$sd after the bad load" passthrough prog

# check refuses exactly what load refuses: a disk this machine lacks, and
# the most rules the grammar takes, each as long as it may be.
agree() {
	local what=$1 c l
	set +e
	"$PB" policy check "$2" > /dev/null
	c=$?
	"$PB" policy load "$2" > /dev/null
	l=$?
	set -e
	expect "$what: check's exit status = load's" "$l" "$c"
	[ "$l" = 0 ] || expect "$what: load changed nothing" 5 "$("$PB" -j status | json 'j["generation"]')"
}
printf 'rule x dev nosuchdisk action bounce\n' > "$WORK/nodisk"
agree "a disk that is not there" "$WORK/nodisk"
expect "a disk that is not there: refused" 1 "$(set +e; "$PB" policy check "$WORK/nodisk" > /dev/null 2>&1; echo $?)"
for ((i = 10; i < 74; i++)); do
	echo "rule r${i}_abcdefghijklmnopqrstuvwxyz dev $nb,$sd cgroup / flags sync,!meta size 4k-1m pinned 2 action bounce rate 100MiB/s burst 1GiB then passthrough"
done > "$WORK/p64"
agree "64 rules" "$WORK/p64"
"$PB" policy load "$WORK/p1" > /dev/null
"$PB" policy del sd
"$PB" policy add sd2 dev "$sd" action passthrough

set +e
msg=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$PB" policy load "$WORK/p1" 2>&1)
rc=$?
set -e
expect "non-root: exit status" 1 "$rc"
expect "non-root: message" "Error: pinbounce needs root to read or change what is attached in the kernel" "$msg"

# add and del resolve only the rule they change: a rule whose cgroup is gone
# stays as it was resolved, and does not stop the next add.
mkdir /sys/fs/cgroup/pbgone
"$PB" policy add gone cgroup /pbgone action bounce
rmdir /sys/fs/cgroup/pbgone
"$PB" policy add after action passthrough
expect "add beside a rule whose cgroup is gone: rules" "nb sd2 gone after" \
	"$("$PB" -j policy show | json '" ".join(r["name"] for r in j["rules"])')"
"$PB" policy del gone
"$PB" policy del after

"$PB" policy clear
outcome "/dev/$nb"
expect_outcome "$nb after clear" passthrough default

"$PB" detach
expect "status: attached after detach" False "$("$PB" -j status | json 'j["attached"]')"
expect "pinned files after detach" 0 "$(ls /sys/fs/bpf | grep -c pinbounce || true)"
outcome "/dev/$sd"
expect_outcome "$sd after detach" bounce default
