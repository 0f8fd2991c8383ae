// SPDX-License-Identifier: GPL-2.0
/*
 * Test only: a policy program as another pinbounce build could have left
 * it, with the same program and map names and larger values.  A pinbounce
 * that trusted the names would read past its buffers.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "pinbounce.h"

struct other_policy {
	struct pb_bpf_policy pol;
	char more[4096];
};

struct other_stats {
	struct pb_rule_stats s;
	__u64 more[16];
};

struct other_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct other_policy);
};

struct other_inner policy_empty SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct other_inner);
} policy SEC(".maps") = {
	.values = { [0] = &policy_empty },
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PB_MAX_RULES + 1);
	__type(key, __u32);
	__type(value, struct other_stats);
} rule_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PB_MAX_RULES);
	__type(key, __u32);
	__type(value, __u64[8]);
} rate_state SEC(".maps");

SEC("fmod_ret/blk_pin_bounce_decide")
int BPF_PROG(pb_policy, struct bio *bio, unsigned int nr_pinned, int ret)
{
	__u32 zero = 0;
	void *inner = bpf_map_lookup_elem(&policy, &zero);

	/* Use every map, so that each is one of the program's. */
	if (inner && bpf_map_lookup_elem(inner, &zero) &&
	    bpf_map_lookup_elem(&rule_stats, &zero) && bpf_map_lookup_elem(&rate_state, &zero))
		return 0;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
