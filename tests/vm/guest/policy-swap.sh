# A policy changed under load is always the old one or the new one: swapped
# 200 times while fio and pinned writeback run, and loads killed with
# SIGKILL at random points, every decision the kernel traced is the one
# both policies make, and what is left is one of them whole.  Two pinbounce
# processes changing the policy at once are serialised.  Its kills land at
# random points, so its time varies more than most: it gets half as long
# again as the default timeout (tests/vm/timeout.sh).
# timeout: 1.5
. "$PB_REPO/tests/vm/lib.sh"

# Each figure is decisive well before these counts (a swap or a kill that
# mixed two policies shows at once); more only costs time on a TCG guest.
SWAPS=${PB_SWAPS:-200}
KILLS=${PB_KILLS:-24}
FIRST_KILLS=${PB_FIRST_KILLS:-10}
ADDS=${PB_ADDS:-10}

load_fixture
cleanup "$PB detach"
mkfs.ext4 -q -F /dev/vda
mount /dev/vda /run/mnt
cleanup "umount /run/mnt"
make_file /run/mnt/pinned 16

# Two policies that decide the same, written so that any mix of them does
# not: bios up to 16 KiB bounce, up to 32 KiB pass through, larger ones are
# left to the kernel (vda does not need stable writes: passthrough).
cat > "$WORK/A" <<'POLICY'
default default
rule a_small size -16k action bounce
rule a_mid size -32k action passthrough
POLICY
cat > "$WORK/B" <<'POLICY'
default bounce
rule b_big size 32769- action default
rule b_mid size 16385- action passthrough
POLICY

# check_trace WHAT: every decision in the trace is the policies' decision
# for its size, and each of the three outcomes was seen.
check_trace() {
	awk -v what="$1" '
	/ block_bio_pin_bounce: / {
		n++
		for (i = 1; i <= NF; i++) {
			if ($i == "+") bytes = $(i + 1) * 512
			if ($i ~ /^action=/) got = $i
			if ($i ~ /^by=/) got = got " " $i
		}
		if (bytes <= 16384) want = "action=bounce by=prog"
		else if (bytes <= 32768) want = "action=passthrough by=prog"
		else want = "action=passthrough by=default"
		class[want]++
		if (got != want) {
			bad++
			if (bad <= 5)
				printf "FAIL: %s: %d-byte bio: %s, the policies say %s\n", what, bytes, got, want
		}
	}
	END {
		printf "%s: %d decisions, %d inconsistent; bounce %d, passthrough %d, default %d\n",
		       what, n, bad, class["action=bounce by=prog"],
		       class["action=passthrough by=prog"], class["action=passthrough by=default"]
		exit bad > 0 || class["action=bounce by=prog"] == 0 ||
		     class["action=passthrough by=prog"] == 0 ||
		     class["action=passthrough by=default"] == 0
	}' "$WORK/trace"
}

# The load: fio's own I/O on the same disk, and pinned writeback in 8, 24
# and 48 KiB bios, until told to stop.
start_load() {
	rm -f "$WORK/stop"
	fio --name=bg --directory=/run/mnt --size=8m --rw=randwrite --bs=4k \
		--ioengine=psync --fsync=16 --time_based --runtime=3600 \
		--output=/dev/null &
	fio_pid=$!
	(
		while [ ! -e "$WORK/stop" ]; do
			for n in 2 6 12; do
				"$BIN/pinwrite" -p $n -r 2 /run/mnt/pinned > /dev/null
			done
		done
	) &
	pin_pid=$!
}

stop_load() {
	touch "$WORK/stop"
	wait "$pin_pid"
	kill "$fio_pid"
	wait "$fio_pid" || true
}

# in_force: the generation and the rule names of the policy in force.
in_force() {
	"$PB" -j policy show | json '" ".join([str(j["generation"])] + [r["name"] for r in j["rules"]])'
}
generation() { in_force | cut -d' ' -f1; }
rules_of() { grep -o '^rule [a-z_]*' "$WORK/$1" | cut -d' ' -f2 | xargs; }

# --- 1. Swapped many times under load -------------------------------------
# One pinbounce process does the swaps (a batch), as fast as it can.
"$PB" -j policy load "$WORK/A" > /dev/null
for ((i = 1; i <= SWAPS; i++)); do
	if ((i % 2)); then echo "policy load $WORK/B"; else echo "policy load $WORK/A"; fi
done > "$WORK/swaps"
PB_TRACE_KB=32768 trace_start
start_load
sleep 2
echo "pb-swap begin" > $TR/trace_marker
t0=$(date +%s%N)
"$PB" -j batch file "$WORK/swaps" > /dev/null
t1=$(date +%s%N)
echo "pb-swap end" > $TR/trace_marker
sleep 2
stop_load
trace_stop
echo "$SWAPS swaps in $(((t1 - t0) / 1000000)) ms"
expect "generation after $SWAPS swaps" $((SWAPS + 1)) "$(generation)"
check_trace "swaps" || fail "swaps: decisions inconsistent with both policies"
during=$(sed -n '/pb-swap begin/,/pb-swap end/p' "$WORK/trace" | grep -c ' block_bio_pin_bounce: ' || true)
expect_gt "decisions while the swaps ran" $((SWAPS / 10)) "$during"

# --- 2. Loads killed at random points -------------------------------------
# Each load is killed after a random delay between 0 and 1.5 times what a
# whole load takes; what is left must be the old policy or the new one,
# whole, with its generation, and one program attached.
progs() { bpftool prog show name pb_policy 2>/dev/null | grep -c '^[0-9]*:' || true; }
# settle N: wait for the kernel to free the programs of killed loads.
settle() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(progs)" = "$1" ] && return 0
		sleep 0.1
	done
	fail "$(progs) pb_policy programs loaded, expected $1"
}
kill_load() {
	local delay_us=$((RANDOM * RANDOM % (load_ms * 1500 + 1)))
	"$PB" -j policy load "$WORK/$1" > /dev/null 2>&1 &
	local pid=$!
	sleep "$(printf '%d.%06d' $((delay_us / 1000000)) $((delay_us % 1000000)))"
	kill -9 $pid 2> /dev/null || true
	wait $pid 2> /dev/null || true
}

PB_TRACE_KB=32768 trace_start
start_load
t0=$(date +%s%N)
for ((i = 0; i < 3; i++)); do
	"$PB" -j policy load "$WORK/A" > /dev/null
done
load_ms=$((($(date +%s%N) - t0) / 3000000))
echo "a load takes $load_ms ms under this load"
old=A
new=B
killed_before=0
killed_after=0
now=$(in_force)
for ((i = 1; i <= KILLS; i++)); do
	g=${now%% *}
	kill_load $new
	now=$(in_force)
	if [ "$now" = "$g $(rules_of $old)" ]; then
		killed_before=$((killed_before + 1))
	elif [ "$now" = "$((g + 1)) $(rules_of $new)" ]; then
		killed_after=$((killed_after + 1))
		tmp=$old
		old=$new
		new=$tmp
	else
		fail "kill $i: generation $g, then '$now': neither policy $old nor $new whole"
	fi
done
# Each killed load's program is gone with its descriptors.
settle 1
stop_load
trace_stop
echo "kills: $killed_before left the old policy, $killed_after the new one"
check_trace "kills" || fail "kills: decisions inconsistent with both policies"
expect_gt "kills that left the old policy" 0 "$killed_before"
expect_gt "kills that left the new policy" 0 "$killed_after"

# The first load, killed: nothing attached and nothing pinned, or all of it.
"$PB" -j detach > /dev/null
t0=$(date +%s%N)
"$PB" -j policy load "$WORK/A" > /dev/null
load_ms=$((($(date +%s%N) - t0) / 1000000))
echo "a first load takes $load_ms ms"
"$PB" -j detach > /dev/null
none=0
all=0
for ((i = 1; i <= FIRST_KILLS; i++)); do
	kill_load A
	if [ -e /sys/fs/bpf/pinbounce/link ]; then
		expect "first load kill $i: in force" "1 $(rules_of A)" "$(in_force)"
		all=$((all + 1))
		"$PB" -j detach > /dev/null
	else
		expect "first load kill $i: pinned" "" "$(ls -A /sys/fs/bpf/pinbounce 2> /dev/null)"
		none=$((none + 1))
	fi
done
settle 0
echo "first-load kills: $none left nothing, $all left it all"
expect_gt "first-load kills that left nothing" 0 "$none"

# A load killed before it pinned the maps leaves a policy that works: the
# next command finds its maps through the link and pins them.
"$PB" -j policy load "$WORK/A" > /dev/null
rm /sys/fs/bpf/pinbounce/policy /sys/fs/bpf/pinbounce/rule_stats
expect "in force with the map pins gone" "$(generation) $(rules_of A)" "$(in_force)"
"$PB" -j policy add extra action default > /dev/null
expect "map pins restored by the next change" "link policy rate_state rule_stats" \
	"$(ls /sys/fs/bpf/pinbounce | sort | xargs)"

# --- 3. Two processes at once ---------------------------------------------
# Each adds $ADDS rules; without the lock, read-modify-write loses some.
"$PB" -j policy load - <<< "default default" > /dev/null
g=$(generation)
adder() {
	local i
	for ((i = 1; i <= ADDS; i++)); do
		"$PB" -j policy add "$1$i" size "$i"k- action default > /dev/null || return 1
	done
}
adder x & px=$!
adder y & py=$!
wait $px || fail "concurrent adds: process x failed"
wait $py || fail "concurrent adds: process y failed"
expect "concurrent adds: rules" $((2 * ADDS)) "$("$PB" -j policy show | json 'len(j["rules"])')"
expect "concurrent adds: generation" $((g + 2 * ADDS)) "$(generation)"
