// SPDX-License-Identifier: GPL-2.0
/*
 * The observers: per-device and per-cgroup counters of what the pinned-page
 * bounce decides, and log2 histograms of the bounce's own cost and of write
 * latency from submission to completion, bounced or not.  Every write runs
 * one program, at completion, whose maps are per CPU; bios with pinned
 * pages run two more.  Only a kernel whose bios carry no submission time
 * adds one at submission, with a hash of writes in flight.
 *
 * And on any kernel, as each write completes: the page-cache pages it
 * carried that were pinned for DMA and written as they were, the writes a
 * disk that needs stable writes may fail or store corrupt.
 *
 * On a kernel without the bounce series only the write latency and the
 * pinned-writeback programs load; user space turns the others off and
 * says so.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "pinbounce.h"
#include "pb_common.bpf.h"
#include "pb_pages.bpf.h"

#define MAX_KEYS	4096
#define MAX_INFLIGHT	65536

/*
 * Rows of counters and histograms, per CPU.  Preallocated: they are added
 * from the completion of a request, in interrupt context, where a map
 * that allocates may find no memory and lose the update.  User space sizes
 * them for the machine (observe.c).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MAX_KEYS);
	__type(key, struct pb_obs_key);
	__type(value, struct pb_obs_counters);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MAX_KEYS);
	__type(key, struct pb_hist_key);
	__type(value, struct pb_hist);
} hists SEC(".maps");

/* Updates lost, by enum pb_drop. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PB_NR_DROPS);
	__type(key, __u32);
	__type(value, __u64);
} dropped SEC(".maps");

/*
 * Where the kernel has no submission time in the bio (bi_issue, with
 * CONFIG_BLK_CGROUP up to 6.x): writes queued and not yet completed, by
 * bio.  LRU: the bios of devices without requests (device mapper's own,
 * say) never complete here and age out.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, __u64);
	__type(value, __u64);
} writes SEC(".maps");

/*
 * Set by user space: the kernel has the bounce series, and the masks of
 * its BIO_BOUNCED and BIO_PIN_CANDIDATE bits in bi_flags, read from the
 * running kernel's BTF (an anonymous enum, which CO-RE cannot relocate).
 */
const volatile bool bounce_kernel;
const volatile __u32 bio_bounced_mask;
const volatile __u32 bio_candidate_mask;

/* The bounce in progress on a task, from the decision to the copy made. */
struct bouncing {
	__u64 start_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct bouncing);
} bouncing SEC(".maps");

static void drop(__u32 what)
{
	__u64 *n = bpf_map_lookup_elem(&dropped, &what);

	if (n)
		__sync_fetch_and_add(n, 1);
}

/*
 * The entry of @key in @map, made zero if missing; NULL (and counted in
 * dropped[@what]) when the map is full.
 */
static void *lookup_or_init(void *map, const void *key, const void *zero, __u32 what)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	bpf_map_update_elem(map, key, zero, BPF_NOEXIST);
	v = bpf_map_lookup_elem(map, key);
	if (!v)
		drop(what);
	return v;
}

/* The row of counters of disk @dev and cgroup @cgrp (NULL: none). */
static struct pb_obs_counters *counters_of_cgroup(__u32 dev, struct cgroup *cgrp)
{
	struct pb_obs_key key = { .dev = dev };
	static const struct pb_obs_counters zero;

	if (cgrp) {
		key.cgroup_id = BPF_CORE_READ(cgrp, kn, id);
		/* cgroup2's root, cgrp_dfl_root, is hierarchy 0 */
		key.hierarchy = BPF_CORE_READ(cgrp, root, hierarchy_id);
	}
	return lookup_or_init(&counters, &key, &zero, PB_DROP_COUNTERS);
}

static struct pb_obs_counters *counters_of(struct bio *bio)
{
	return counters_of_cgroup(bio->bi_bdev->bd_dev, pb_bio_cgroup(bio));
}

/* floor(log2(v)), 0 for 0: the BPF target has no count-leading-zeros. */
static __u32 log2_u64(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xffffffffULL) << 5;
	v >>= shift;
	r |= shift;
	shift = (v > 0xffff) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xff) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xf) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	return r | (__u32)(v >> 1);
}

static void hist_add(__u32 dev, __u32 kind, __u64 ns)
{
	struct pb_hist_key key = { .dev = dev, .kind = kind };
	static const struct pb_hist zero;
	struct pb_hist *h;
	__u32 slot;

	h = lookup_or_init(&hists, &key, &zero, PB_DROP_HISTS);
	if (!h)
		return;
	slot = log2_u64(ns);
	/* keep the bound where the verifier sees it */
	asm volatile("%[s] &= 63" : [s] "+r"(slot));
	__sync_fetch_and_add(&h->slots[slot], 1);
	__sync_fetch_and_add(&h->sum_ns, ns);
	__sync_fetch_and_add(&h->count, 1);
}

/*
 * A pinned bio was decided on (by the policy, if one is attached): the
 * bounce, if any, starts here.  Only bios with pinned pages come by, so the
 * common path pays nothing.  Per task: the allocation may sleep.
 */
SEC("fexit/blk_pin_bounce_decide")
int BPF_PROG(pb_decide_exit, struct bio *bio, unsigned int nr_pinned, int ret)
{
	struct bouncing *b;

	b = bpf_task_storage_get(&bouncing, bpf_get_current_task_btf(), NULL,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (b)
		b->start_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/block_bio_pin_bounce")
int BPF_PROG(pb_decided, struct bio *bio, unsigned int nr_pinned, unsigned int nr_bounced,
	     enum blk_pin_bounce_action action, bool by_prog)
{
	__u32 by = by_prog ? PB_BY_POLICY : PB_BY_KERNEL;
	struct pb_obs_counters *c = counters_of(bio);
	struct bouncing *b;

	/*
	 * Without a row (its table full, the drop counted) the bounce is
	 * still timed: a drop of counters leaves the histograms whole.
	 */
	if (c) {
		__sync_fetch_and_add(&c->pinned_bios, 1);
		__sync_fetch_and_add(&c->pinned_pages, nr_pinned);
	}
	if (action != bpf_core_enum_value(enum blk_pin_bounce_action, BLK_PIN_BOUNCE)) {
		b = bpf_task_storage_get(&bouncing, bpf_get_current_task_btf(), NULL, 0);
		if (b)
			b->start_ns = 0;
		if (c) {
			__sync_fetch_and_add(&c->passthrough_bios[by], 1);
			__sync_fetch_and_add(&c->passthrough_pages[by], nr_pinned);
		}
		return 0;
	}
	if (c) {
		__sync_fetch_and_add(&c->bounced_bios[by], 1);
		__sync_fetch_and_add(&c->bounced_pages[by], nr_bounced);
		__sync_fetch_and_add(&c->bounced_bytes[by], bio->bi_iter.bi_size);
	}
	/* the bounce clone is made and filled: the bounce's own cost */
	b = bpf_task_storage_get(&bouncing, bpf_get_current_task_btf(), NULL, 0);
	if (b && b->start_ns) {
		hist_add(bio->bi_bdev->bd_dev, PB_HIST_BOUNCE, bpf_ktime_get_ns() - b->start_ns);
		b->start_ns = 0;
	}
	return 0;
}

/* Only where the bio has no submission time of its own: see 'writes'. */
SEC("tp_btf/block_bio_queue")
int BPF_PROG(pb_write_queued, struct bio *bio)
{
	__u64 key = (__u64)bio, now = bpf_ktime_get_ns();

	if (pb_bio_is_write(bio) && bpf_map_update_elem(&writes, &key, &now, BPF_ANY))
		drop(PB_DROP_INFLIGHT);
	return 0;
}

/* struct bio_issue: the submission time is the low 51 bits of bi_issue. */
#define ISSUE_TIME_MASK	((1ULL << 51) - 1)

/*
 * How many bios of a merged request are looked at: far more than any
 * request holds (one of 4 KiB bios has at most max_sectors_kb / 4), so
 * that reaching it is a drop (PB_DROP_RQ_BIOS), not a way of life.
 */
#define PB_RQ_BIOS	65536

/* pinbounce never changes it; a test lowers it to reach it (tests/vm/rqbound.c). */
const volatile __u32 rq_bios_max = PB_RQ_BIOS;

/* A walk of the bios of a completed request: bpf_loop's context. */
struct pb_rq_walk {
	__u64 bio;		/* the next bio, 0 at the end */
	__u64 now;
	__u64 left;		/* bytes of the completion not reached yet */
};

/*
 * The bio of call @i: time it from its submission if a write, and count
 * its pinned page-cache pages written back and, if a candidate, itself.
 * The bio is known by its address: every read of it a probe.  A bounced
 * bio travels as its bounce clone, which points back at the bio that was
 * submitted.  Nothing branches on a value the caller set to a constant:
 * see pb_walk_page().
 */
static long pb_rq_bio(__u64 i, void *ctx)
{
	struct pb_rq_walk *w = ctx;
	struct bio *bio = (struct bio *)w->bio, *orig;
	__u32 size, dev, pinned_wb;
	__u64 start = 0, key;
	bool bounced;

	if (!bio)
		return 1;
	size = BPF_CORE_READ(bio, bi_iter.bi_size);
	if (size > w->left) {
		w->bio = 0;	/* it and those after it complete later */
		return 1;
	}
	w->left -= size;
	w->bio = (__u64)BPF_CORE_READ(bio, bi_next);
	if (!pb_opf_is_write(BPF_CORE_READ(bio, bi_opf)))
		return 0;
	bounced = bounce_kernel && (BPF_CORE_READ(bio, bi_flags) & bio_bounced_mask);
	orig = bounced ? (struct bio *)BPF_CORE_READ(bio, bi_private) : bio;
	key = (__u64)orig;
	dev = BPF_CORE_READ(bio, bi_bdev, bd_dev);
	if (bpf_core_field_exists(orig->bi_issue)) {
		start = w->now - ((w->now - BPF_CORE_READ(orig, bi_issue.value)) & ISSUE_TIME_MASK);
	} else {
		__u64 *t = bpf_map_lookup_elem(&writes, &key);

		if (t) {
			start = *t;
			bpf_map_delete_elem(&writes, &key);
		} else {
			/*
			 * Queued before we were, or evicted from the LRU: no
			 * latency sample, every count made.
			 */
			drop(PB_DROP_UNTIMED);
		}
	}
	if (start)
		hist_add(dev, bounced ? PB_HIST_WRITE_BOUNCED : PB_HIST_WRITE, w->now - start);
	/*
	 * Pinned page-cache pages that reach the disk as they were: a bounce
	 * clone carries copies, which are not page cache, and a direct
	 * write's pages are not written back by it.
	 */
	pinned_wb = bounced ? 0 : pb_bio_pinned_wb(pb_addr(bio));
	if (pinned_wb) {
		struct pb_obs_counters *c = counters_of_cgroup(dev, pb_bio_cgroup_core(bio));

		if (c)
			__sync_fetch_and_add(&c->pinned_wb_pages, pinned_wb);
	}
	/*
	 * Writeback marked it: pinned pages added to it were noted.  A bounce
	 * clone is not marked, but has the bio's disk and blkcg.
	 */
	if (bounce_kernel && (bounced || (BPF_CORE_READ(bio, bi_flags) & bio_candidate_mask))) {
		struct pb_obs_counters *c = counters_of_cgroup(dev, pb_bio_cgroup_core(bio));

		if (c)
			__sync_fetch_and_add(&c->candidate_bios, 1);
	}
	return 0;
}

/*
 * A request completes (all or the first @nr_bytes of it): each bio it
 * completes, however many it merged (pb_rq_bio()).  Bios beyond
 * rq_bios_max are not looked at, and said so.
 */
SEC("tp_btf/block_rq_complete")
int BPF_PROG(pb_write_done, struct request *rq, blk_status_t error, unsigned int nr_bytes)
{
	struct pb_rq_walk w = {
		.bio = pb_addr(rq->bio),
		.now = bpf_ktime_get_ns(),
		.left = nr_bytes,
	};

	bpf_loop(rq_bios_max, pb_rq_bio, &w, 0);
	if (w.bio)
		drop(PB_DROP_RQ_BIOS);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
