// SPDX-License-Identifier: GPL-2.0
/*
 * The policy program: an fmod_ret program on the kernel's pinned-bounce hook
 * that walks an ordered rule list, first match wins, and returns the
 * matching rule's action.  The rule list lives in a map of its own, reached
 * through a one-slot map of maps, so that a new policy replaces the old one
 * with a single update.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "pinbounce.h"
#include "pb_common.bpf.h"
#include "pb_rate.h"

#define PAGE_BYTES	4096

struct policy_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pb_bpf_policy);
};

/* The empty policy the program starts with: everything to the kernel. */
struct policy_inner policy_empty SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct policy_inner);
} policy SEC(".maps") = {
	.values = { [0] = &policy_empty },
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PB_MAX_RULES + 1);
	__type(key, __u32);
	__type(value, struct pb_rule_stats);
} rule_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PB_MAX_RULES);
	__type(key, __u32);
	__type(value, struct pb_rate_state);
} rate_state SEC(".maps");

/* Ancestor ids of the bio's cgroup remembered per decision, by level. */
#define CG_CACHED	16

/* What one decision looks at, gathered once per bio. */
struct eval {
	struct pb_bpf_policy *pol;
	struct cgroup *cgrp;
	__u64 size;
	__u32 dev, disk;
	__u32 flags;
	__u32 pinned;
	__u32 cgroup_level;
	__u32 action;
	bool matched;
	__u32 cg_known;			/* bit L: cg_id[L] is read */
	__u64 cg_id[CG_CACHED];
};

static __u32 bio_flags(struct bio *bio)
{
	__u32 opf = bio->bi_opf, flags = 0;

	if (opf & (1U << bpf_core_enum_value(enum req_flag_bits, __REQ_SYNC)))
		flags |= PB_FLAG_SYNC;
	if (opf & (1U << bpf_core_enum_value(enum req_flag_bits, __REQ_FUA)))
		flags |= PB_FLAG_FUA;
	if (opf & (1U << bpf_core_enum_value(enum req_flag_bits, __REQ_PREFLUSH)))
		flags |= PB_FLAG_PREFLUSH;
	if (opf & (1U << bpf_core_enum_value(enum req_flag_bits, __REQ_META)))
		flags |= PB_FLAG_META;
	return flags;
}

static bool match_dev(const struct pb_bpf_rule *r, const struct eval *e)
{
	for (__u32 i = 0; i < PB_MAX_DEVS; i++) {
		if (i >= r->ndevs)
			break;
		if (r->devs[i] == (r->dev_whole[i] ? e->disk : e->dev))
			return true;
	}
	return false;
}

/* The id of the bio's cgroup's ancestor at @level, 0 if unknown. */
static __u64 ancestor_id(struct eval *e, __u32 level)
{
	struct cgroup *cgrp = e->cgrp, *anc = NULL;
	__u64 id;

	if (level < CG_CACHED && (e->cg_known & (1U << level)))
		return e->cg_id[level];
	/* cgrp in a variable of its own: no CO-RE relocation on struct eval */
	if (!bpf_core_field_exists(cgrp->ancestors) ||
	    bpf_core_read(&anc, sizeof(anc), &cgrp->ancestors[level & 0xff]) || !anc)
		return 0;
	id = BPF_CORE_READ(anc, kn, id);
	if (level < CG_CACHED) {
		e->cg_id[level] = id;
		e->cg_known |= 1U << level;
	}
	return id;
}

/*
 * Is the bio's cgroup the rule's cgroup or one below it?  The rule's level
 * is its depth as user space saw the path: written inside a cgroup
 * namespace, the namespace's root is deeper than that in the kernel's
 * tree, and user space asks for the levels below to be tried too.
 */
static bool match_cgroup(const struct pb_bpf_rule *r, struct eval *e)
{
	__u32 level = r->cgroup_level, n = r->cgroup_levels;

	if (!e->cgrp)
		return false;
	for (__u32 i = 0; i < PB_CGROUP_NS_LEVELS && i < n && level + i <= e->cgroup_level; i++)
		if (ancestor_id(e, level + i) == r->cgroup_id)
			return true;
	return false;
}

static bool match(const struct pb_bpf_rule *r, struct eval *e)
{
	if ((r->match & PB_MATCH_DEV) && !match_dev(r, e))
		return false;
	if ((r->match & PB_MATCH_FLAGS) &&
	    ((e->flags & r->flags_set) != r->flags_set || (e->flags & r->flags_clear)))
		return false;
	if ((r->match & PB_MATCH_SIZE) && (e->size < r->size_min || e->size > r->size_max))
		return false;
	if ((r->match & PB_MATCH_PINNED) && e->pinned < r->pinned_min)
		return false;
	if ((r->match & PB_MATCH_CGROUP) && !match_cgroup(r, e))
		return false;
	return true;
}

static bool rate_allow(__u32 slot, const struct pb_bpf_rule *r, __u64 gen, __s64 bytes)
{
	struct pb_rate_state *st = bpf_map_lookup_elem(&rate_state, &slot);

	return st && pb_rate_take(st, gen, bpf_ktime_get_ns(), r->rate, r->burst, bytes);
}

static void count(__u32 slot, __u64 gen, __u32 action, bool audit, bool over)
{
	struct pb_rule_stats *s = bpf_map_lookup_elem(&rule_stats, &slot);

	if (!s || action > PB_ACTION_PASSTHROUGH)
		return;
	if (s->generation != gen) {
		__builtin_memset(s, 0, sizeof(*s));
		s->generation = gen;
	}
	if (audit)
		__sync_fetch_and_add(&s->audit_hits[action], 1);
	else
		__sync_fetch_and_add(&s->hits[action], 1);
	if (over)
		__sync_fetch_and_add(&s->over_budget, 1);
}

static long eval_rule(__u32 i, void *ctx)
{
	struct eval *e = ctx;
	struct pb_bpf_rule *r;
	__u32 action;
	bool over = false;

	if (i >= PB_MAX_RULES)
		return 1;
	r = &e->pol->rules[i];
	if (!match(r, e))
		return 0;
	action = r->action;
	if (r->rate && action == PB_ACTION_BOUNCE &&
	    !rate_allow(r->slot, r, r->since, (__s64)e->pinned * PAGE_BYTES)) {
		action = r->over_action;
		over = true;
	}
	count(r->slot, r->since, action, r->audit, over);
	if (r->audit)
		return 0;
	e->action = action;
	e->matched = true;
	return 1;
}

SEC("fmod_ret/blk_pin_bounce_decide")
int BPF_PROG(pb_policy, struct bio *bio, unsigned int nr_pinned, int ret)
{
	struct eval e = {};
	__u32 zero = 0;
	void *inner;

	/* Another program decided already. */
	if (ret)
		return ret;
	inner = bpf_map_lookup_elem(&policy, &zero);
	if (!inner)
		return 0;
	e.pol = bpf_map_lookup_elem(inner, &zero);
	if (!e.pol)
		return 0;

	/* The hook's arguments are typed: direct loads, no probe reads. */
	e.dev = bio->bi_bdev->bd_dev;
	e.disk = bio->bi_bdev->bd_disk->part0->bd_dev;
	e.size = bio->bi_iter.bi_size;
	e.flags = bio_flags(bio);
	e.pinned = nr_pinned;
	e.cgrp = pb_bio_cgroup(bio);
	if (e.cgrp)
		e.cgroup_level = e.cgrp->level;

	bpf_loop(e.pol->nrules, eval_rule, &e, 0);
	if (!e.matched) {
		e.action = e.pol->default_action;
		count(PB_SLOT_DEFAULT, e.pol->default_since, e.action, false, false);
	}

	switch (e.action) {
	case PB_ACTION_BOUNCE:
		return bpf_core_enum_value(enum blk_pin_bounce_action, BLK_PIN_BOUNCE);
	case PB_ACTION_PASSTHROUGH:
		return bpf_core_enum_value(enum blk_pin_bounce_action, BLK_PIN_PASSTHROUGH);
	default:
		return 0;
	}
}

char LICENSE[] SEC("license") = "GPL";
