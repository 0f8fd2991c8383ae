/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The census of page-cache pages pinned for DMA (bpf/pins.bpf.c), for
 * pinbounce pins and the exporter: loaded on any kernel, read by process
 * and file.
 */
#ifndef PINBOUNCE_CENSUS_H
#define PINBOUNCE_CENSUS_H

#include <limits.h>
#include <stdbool.h>
#include "pinbounce.h"

struct pins_bpf;
struct bpf_link;

struct pb_pins_row {
	__u32 tgid, dev, flags;
	__u64 ino, cgroup_id;
	char comm[PB_COMM_LEN];
	__u64 pages;
	__u64 since_ns;			/* the oldest */
	char file[PATH_MAX];		/* "" when not found */
	__u32 mapper;			/* PB_PIN_UNSEEN: a process mapping it */
	char mapper_comm[PB_COMM_LEN];
};

struct pb_census_view {
	struct pb_pins_row *rows;
	unsigned int n, cap;
	__u64 pages, dropped;
	__u64 swept;			/* entries swept out since the start */
};

/* The kernel functions the census attaches to: see census.c. */
#define PB_CENSUS_HOOKS	11

struct pb_census {
	struct pins_bpf *skel;
	struct bpf_link *links[PB_CENSUS_HOOKS];
	char no_hooks[160];	/* why no pins are followed as they are taken */
	char not_followed[256];	/* the pin functions whose calls are not */
	char why[64];		/* ... and why */
	char no_sweep[160];	/* why pages unpinned unseen are never forgotten */
};

/*
 * Whether a pin met only under writeback (PB_PIN_UNSEEN) was taken before
 * the census started: only when every pin function is followed.
 */
static inline bool pb_census_unseen_before(const struct pb_census *c)
{
	return !c->no_hooks[0] && !c->not_followed[0];
}

/*
 * Load and attach the census, following pins as they are taken where the
 * kernel lets tracing programs attach to functions (else @no_hooks says
 * why); -1 with an error printed.
 */
int pb_census_open(struct pb_census *c);
void pb_census_close(struct pb_census *c);

/*
 * The census now, by process and file, most pages first; of disk @only
 * (and its partitions) if not 0.  The pages found no longer pinned, their
 * unpin unseen, are swept out of it first.  With @paths, each file's path and the
 * process that maps a file pinned before the census, from /proc (a walk
 * of every process's maps for those: not for each scrape).  -1 with an
 * error printed.
 */
int pb_census_read(const struct pb_census *c, __u32 only, bool paths,
		   struct pb_census_view *v);
void pb_census_view_free(struct pb_census_view *v);

#endif
