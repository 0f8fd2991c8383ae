// SPDX-License-Identifier: GPL-2.0
/*
 * Test only: every page allocation made while the block layer bounces a
 * bio fails, as when memory runs out, so that the bounce lives on its
 * emergency pool.  Needs CONFIG_FUNCTION_ERROR_INJECTION and
 * CONFIG_BPF_KPROBE_OVERRIDE (should_fail_alloc_page() is on the error
 * injection list).
 *
 * "While it bounces" is read from the kernel stack: __blk_queue_bounce()
 * is on it.  Marks set on entry and cleared on exit would stay set for good
 * whenever the BPF trampoline skipped the exit program (it does when the
 * program is already running on that CPU for a preempted task), and every
 * later allocation of that thread would fail.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define MAX_DEPTH	48

/* [start, end) of __blk_queue_bounce(), from /proc/kallsyms. */
const volatile __u64 bounce_start;
const volatile __u64 bounce_end;

__u64 failed;
__u64 pool_dry;

static bool in_bounce(void *ctx)
{
	__u64 ips[MAX_DEPTH];
	long n = bpf_get_stack(ctx, ips, sizeof(ips), 0);
	__u32 depth = n > 0 ? (__u32)n / sizeof(ips[0]) : 0;

	for (__u32 i = 0; i < MAX_DEPTH && i < depth; i++)
		if (ips[i] >= bounce_start && ips[i] < bounce_end)
			return true;
	return false;
}

/*
 * The emergency pool ran dry under a bounce: the bio that asked gives back
 * what it took and waits for the pool.
 */
SEC("fexit/mempool_alloc")
int BPF_PROG(mempool_exit, mempool_t *pool, gfp_t gfp, void *ret)
{
	if (!ret && in_bounce(ctx))
		__sync_fetch_and_add(&pool_dry, 1);
	return 0;
}

SEC("kprobe/should_fail_alloc_page")
int BPF_KPROBE(fail_in_bounce)
{
	if (!in_bounce(ctx))
		return 0;
	__sync_fetch_and_add(&failed, 1);
	bpf_override_return(ctx, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
