/* SPDX-License-Identifier: GPL-2.0 */
/* Definitions shared by pinbounce's BPF programs and its user space. */
#ifndef PINBOUNCE_H
#define PINBOUNCE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* The release, as pinbounce --version, pinforce --version and the exporter say. */
#define PB_VERSION	"0.1"

/*
 * What a policy decides for a writeback bio with pinned pages.  BPF
 * programs turn these into the kernel's enum blk_pin_bounce_action with
 * CO-RE, so user space never depends on the kernel's numbering.
 */
enum pb_action {
	PB_ACTION_DEFAULT = 0,		/* leave it to the kernel */
	PB_ACTION_BOUNCE = 1,		/* copy the pinned pages */
	PB_ACTION_PASSTHROUGH = 2,	/* write them as they are */
};

/* The kernel's dev_t, as bios carry it and the maps key on it. */
#define PB_MINORBITS	20
#define PB_MKDEV(major, minor)	((__u32)(major) << PB_MINORBITS | (minor))
#define PB_MAJOR(dev)	((__u32)(dev) >> PB_MINORBITS)
#define PB_MINOR(dev)	((__u32)(dev) & ((1U << PB_MINORBITS) - 1))

#define PB_MAX_RULES	64
#define PB_MAX_DEVS	8
#define PB_TEXT_MAX	32768

/* Operation flags a rule can require set or clear. */
enum pb_flag {
	PB_FLAG_SYNC = 1 << 0,
	PB_FLAG_FUA = 1 << 1,
	PB_FLAG_PREFLUSH = 1 << 2,
	PB_FLAG_META = 1 << 3,
};

/*
 * A cgroup path written inside a cgroup namespace is relative to the
 * namespace's root, which is deeper in the kernel's tree by a number of
 * levels user space cannot see: the program tries this many.
 */
#define PB_CGROUP_NS_LEVELS	16

/* Which clauses a rule has. */
enum pb_match {
	PB_MATCH_DEV = 1 << 0,
	PB_MATCH_CGROUP = 1 << 1,
	PB_MATCH_FLAGS = 1 << 2,
	PB_MATCH_SIZE = 1 << 3,
	PB_MATCH_PINNED = 1 << 4,
};

/*
 * A rule as the policy program sees it, devices and cgroups resolved.
 * Device numbers use the kernel's dev_t encoding (major << 20 | minor) on
 * both sides.
 */
struct pb_bpf_rule {
	__u32 match;			/* enum pb_match */
	__u32 ndevs;
	__u32 devs[PB_MAX_DEVS];
	__u8 dev_whole[PB_MAX_DEVS];	/* 1: the disk and all its partitions */
	__u64 cgroup_id;		/* kernfs id of the cgroup directory */
	__u32 cgroup_level;		/* its depth, 0 for the root */
	/* levels tried from there: 1, or PB_CGROUP_NS_LEVELS when written in a cgroup namespace */
	__u32 cgroup_levels;
	__u32 flags_set, flags_clear;	/* enum pb_flag */
	__u32 pinned_min;
	__u64 size_min, size_max;	/* bytes, inclusive */
	__u32 action;			/* enum pb_action */
	__u32 over_action;		/* over the rate budget */
	__u64 rate, burst;		/* bytes/s and bytes bounced; rate 0: none */
	__u32 audit;
	__u32 slot;			/* of its counters and rate bucket */
	__u64 since;			/* the generation they start at */
};

/*
 * A whole policy: what one inner map of the policy program holds.  A new
 * policy is a new map, swapped in with one update of the outer map, so no
 * bio is ever judged against a half-written rule set.
 */
struct pb_bpf_policy {
	__u64 generation;
	__u64 default_since;		/* generation the unmatched count starts at */
	__u32 nrules;
	__u32 default_action;
	struct pb_bpf_rule rules[PB_MAX_RULES];
	char text[PB_TEXT_MAX];		/* the policy, formatted */
};

/* Index of the counters of bios no rule matched. */
#define PB_SLOT_DEFAULT	PB_MAX_RULES

/*
 * Per-CPU counters of one rule slot.  They belong to one generation: the
 * first decision of a new policy on a CPU restarts that CPU's counters, so
 * readers add up only the CPUs whose generation is the current one.
 */
struct pb_rule_stats {
	__u64 generation;
	__u64 hits[3];			/* by action taken, enum pb_action */
	__u64 audit_hits[3];		/* what audit rules would have done */
	__u64 over_budget;		/* decisions that hit the rate limit */
};

/* Rate limiter state of one rule slot, shared by all CPUs. */
struct pb_rate_state {
	__u64 generation;
	__s64 tokens;			/* bytes that may still be bounced */
	__u64 last_ns;			/* the time tokens were earned up to */
	__u64 rem;			/* byte-microseconds not yet a byte */
};

/*
 * The observers (bpf/observe.bpf.c).  Counters are kept per CPU for each
 * device and cgroup; readers add the CPUs up and diff snapshots, nothing
 * is ever cleared.
 */
enum pb_decider {
	PB_BY_KERNEL = 0,		/* the kernel's default */
	PB_BY_POLICY = 1,		/* a BPF program (a policy rule) */
	PB_NR_DECIDERS,
};

struct pb_obs_key {
	__u32 dev;			/* kernel dev_t of the bio's device */
	/*
	 * The hierarchy of the blkcg's cgroup: 0 for cgroup2, else that of
	 * cgroup v1's blkio (its hierarchy id, /proc/cgroups), where
	 * cgroup_id is a node of another tree, not a cgroup2 one.
	 */
	__u32 hierarchy;
	__u64 cgroup_id;		/* the bio's blkcg, 0 for none */
};

#include "pb_counters.h"

struct pb_obs_counters {
	PB_COUNTERS(PB_COUNTER_FIELD)
};

enum pb_counter {
	PB_COUNTERS(PB_COUNTER_ID)
	PB_NR_COUNTERS,
};

/*
 * What the observers could not record, by kind.  The first three are
 * updates lost to a full table; an untimed write lost nothing but its
 * latency sample, every count of it made; a request of more bios than the
 * walk of a completion looks at loses all updates of the bios beyond.
 * Which figures each kind leaves incomplete: pb_drop_loses[]
 * (user/observe/report.c).
 */
enum pb_drop {
	PB_DROP_COUNTERS = 0,		/* a row of counters, its table full */
	PB_DROP_HISTS = 1,		/* a histogram, its table full */
	PB_DROP_INFLIGHT = 2,		/* a write's start time, its table full */
	PB_DROP_UNTIMED = 3,		/* a write that completed with no start time */
	PB_DROP_RQ_BIOS = 4,		/* a request with bios beyond the walk's bound */
	PB_NR_DROPS,
};

/* Latency histograms: log2 buckets of nanoseconds, slot i holds [2^i, 2^(i+1)). */
#define PB_HIST_SLOTS	64

enum pb_hist_kind {
	PB_HIST_BOUNCE = 0,		/* the bounce itself: allocation and copy */
	PB_HIST_WRITE = 1,		/* write bio not bounced, submission to completion */
	PB_HIST_WRITE_BOUNCED = 2,	/* ... and one whose pinned pages bounced */
	PB_NR_HISTS,
};

struct pb_hist_key {
	__u32 dev;
	__u32 kind;			/* enum pb_hist_kind */
};

struct pb_hist {
	__u64 slots[PB_HIST_SLOTS];
	__u64 sum_ns;
	__u64 count;
};

/*
 * The census of page-cache pages pinned for DMA (bpf/pins.bpf.c): one
 * entry a pinned page, keyed by the address of its struct page.
 */
enum pb_pin_flags {
	PB_PIN_LONGTERM = 1 << 0,	/* FOLL_LONGTERM: held until released */
	/* pinned before the census started: met under writeback, owner unknown */
	PB_PIN_UNSEEN = 1 << 1,
	/* a block device's own page cache: dev is that device */
	PB_PIN_BLOCKDEV = 1 << 2,
};

#define PB_COMM_LEN	16

struct pb_pin {
	__u64 since_ns;			/* CLOCK_MONOTONIC, when seen first */
	__u64 ino;			/* the file's inode number */
	__u64 cgroup_id;		/* the pinning task's cgroup v2 */
	__u32 dev;			/* its superblock's dev_t (kernel encoding) */
	__u32 tgid, pid;
	__u32 flags;			/* enum pb_pin_flags */
	char comm[PB_COMM_LEN];
};

/* Census updates lost, by cause: the table full. */
enum pb_pin_drop {
	PB_PIN_DROP_FULL = 0,
	PB_PIN_NR_DROPS,
};

#endif
