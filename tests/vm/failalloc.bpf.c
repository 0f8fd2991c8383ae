// SPDX-License-Identifier: GPL-2.0
/*
 * Test only: every page allocation made while the block layer bounces a
 * bio fails, as when memory runs out, so that the bounce lives on its
 * emergency pool.  Needs CONFIG_FUNCTION_ERROR_INJECTION and
 * CONFIG_BPF_KPROBE_OVERRIDE (should_fail_alloc_page() is on the error
 * injection list).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* Threads inside __blk_queue_bounce(). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u32);
} bouncing SEC(".maps");

__u64 failed;

SEC("fentry/__blk_queue_bounce")
int BPF_PROG(bounce_enter)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), one = 1;

	bpf_map_update_elem(&bouncing, &tid, &one, BPF_ANY);
	return 0;
}

SEC("fexit/__blk_queue_bounce")
int BPF_PROG(bounce_exit)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	bpf_map_delete_elem(&bouncing, &tid);
	return 0;
}

/*
 * The emergency pool ran dry under a bounce: the bio that asked gives back
 * what it took and waits for the pool.
 */
__u64 pool_dry;

SEC("fexit/mempool_alloc")
int BPF_PROG(mempool_exit, mempool_t *pool, gfp_t gfp, void *ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (!ret && bpf_map_lookup_elem(&bouncing, &tid))
		__sync_fetch_and_add(&pool_dry, 1);
	return 0;
}

SEC("kprobe/should_fail_alloc_page")
int BPF_KPROBE(fail_in_bounce)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (!bpf_map_lookup_elem(&bouncing, &tid))
		return 0;
	__sync_fetch_and_add(&failed, 1);
	bpf_override_return(ctx, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
