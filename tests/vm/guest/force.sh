# A minimal fmod_ret program (bpf/force.bpf.c) on the decision hook turns
# the default around both ways, on a disk with stable writes and on one
# without.
. "$PB_REPO/tests/vm/lib.sh"

both_disks 64

for dev in "$sd" "$nb"; do
	for action in passthrough bounce; do
		trace_start
		"$REPO/build/pinforce" "$action" -- "$BIN/pinwrite" -p 16 -r 3 "/dev/$dev" |
			tee "$WORK/out"
		trace_stop
		expect_outcome "$dev forced to $action" "$action" prog
		expect "$dev forced to $action: program decisions = traced decisions" \
			"$(decisions)" \
			"$(sed -n 's/^pinforce: \([0-9]*\) decisions.*/\1/p' "$WORK/out")"
	done
done

# Detached again: back to the kernel default.
trace_start
"$BIN/pinwrite" -p 16 -r 1 "/dev/$nb"
trace_stop
expect_outcome "$nb after detach" passthrough default
