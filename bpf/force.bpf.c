// SPDX-License-Identifier: GPL-2.0
/*
 * The smallest policy: one fmod_ret program on the kernel's pinned-bounce
 * hook that returns the same action for every bio.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "pinbounce.h"

const volatile int force_action = PB_ACTION_DEFAULT;

__u64 decisions;

SEC("fmod_ret/blk_pin_bounce_decide")
int BPF_PROG(force_decide, struct bio *bio, unsigned int nr_pinned, int ret)
{
	__sync_fetch_and_add(&decisions, 1);
	switch (force_action) {
	case PB_ACTION_BOUNCE:
		return bpf_core_enum_value(enum blk_pin_bounce_action,
					   BLK_PIN_BOUNCE);
	case PB_ACTION_PASSTHROUGH:
		return bpf_core_enum_value(enum blk_pin_bounce_action,
					   BLK_PIN_PASSTHROUGH);
	default:
		return 0;
	}
}

char LICENSE[] SEC("license") = "GPL";
