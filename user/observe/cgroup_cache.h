/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cgroup ids, as the observers' rows carry them, to paths below the cgroup2
 * mount or, for a row of cgroup v1's blkio hierarchy (a hybrid host's), below
 * the blkio mount, kept between reports: a report that resolves every row walks the
 * tree at most once, and only when a row's cgroup is new, moved or gone.
 */
#ifndef PB_CGROUP_CACHE_H
#define PB_CGROUP_CACHE_H

#include <stddef.h>
#include <linux/types.h>

enum pb_cg_state {
	PB_CG_FOUND,		/* the path is in the buffer */
	PB_CG_GONE,		/* removed since its row was read */
	PB_CG_UNKNOWN,		/* cannot tell: id 0, no such tree, a walk failed */
};

struct pb_cgroups;

/*
 * The trees are those of the cgroup2 mount (pb_cgroup2_open()) and of the
 * blkio v1 mount (pb_cgroup_v1_open()); without one, every id of its
 * hierarchy is PB_CG_UNKNOWN.  NULL: out of memory.
 */
struct pb_cgroups *pb_cgroups_new(void);
void pb_cgroups_free(struct pb_cgroups *c);

/*
 * A new report: the ids looked up from now on were read before this call,
 * so that a walk of the tree made after it tells which of them are gone.
 */
void pb_cgroups_next(struct pb_cgroups *c);

/*
 * The path of cgroup @id ("/" for the root) in @buf when found, else
 * "cgroup:ID".  @c may be NULL: PB_CG_UNKNOWN.
 */
enum pb_cg_state pb_cgroups_path(struct pb_cgroups *c, __u64 id, char *buf, size_t size);

/* What a label of a cgroup of v1's blkio hierarchy starts with. */
#define PB_CG_BLKIO_PREFIX	"blkio:"

/*
 * The label of cgroup @id of hierarchy @hierarchy (0: cgroup2, as
 * pb_cgroups_path(); else a cgroup v1 hierarchy id, the kernel's
 * cgrp->root->hierarchy_id): blkio's as "blkio:PATH", or "blkio:cgroup:ID"
 * when not found; another v1 hierarchy's, "cgroupH:cgroup:ID", unknown.
 */
enum pb_cg_state pb_cgroups_label(struct pb_cgroups *c, unsigned int hierarchy, __u64 id,
				  char *buf, size_t size);

#endif
