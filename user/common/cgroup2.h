/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PINBOUNCE_CGROUP2_H
#define PINBOUNCE_CGROUP2_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The cgroup2 hierarchy as this process sees it: /sys/fs/cgroup when that
 * is a cgroup2 mount, else the first cgroup2 mount of /proc/self/mountinfo
 * (a hybrid host's /sys/fs/cgroup/unified).  Its path goes in @path (may
 * be NULL), and an O_DIRECTORY descriptor of it is returned, checked to be
 * cgroup2; -1 with errno ENOENT when there is none.
 */
int pb_cgroup2_open(char *path, size_t size);

/*
 * The cgroup v1 hierarchy of @controller ("blkio"): the first mount of
 * type cgroup in /proc/self/mountinfo whose super options name it, as an
 * O_DIRECTORY descriptor checked to be cgroup (v1); its path in @path (may
 * be NULL).  -1 with errno ENOENT when there is none.  *@hierarchy: its
 * hierarchy id (/proc/cgroups), the kernel's cgrp->root->hierarchy_id.
 */
int pb_cgroup_v1_open(const char *controller, unsigned int *hierarchy, char *path,
		      size_t size);

/*
 * The cgroup the block layer charges this process's writes to: on a host
 * whose blkio is cgroup v1, its blkio cgroup (*@hierarchy: blkio's id);
 * else its cgroup2 cgroup or, where the io controller is not enabled
 * there, the nearest ancestor where it is (*@hierarchy: 0).  Its path
 * from the root of its hierarchy in @rel, the mount's in @mnt; 0, or -1
 * with errno.
 */
int pb_cgroup_io_self(unsigned int *hierarchy, char *mnt, size_t mnt_size, char *rel,
		      size_t rel_size);

/*
 * Whether this process is in the initial cgroup namespace, where cgroup
 * paths are the kernel's own; false when that cannot be told.
 */
bool pb_cgroup_init_ns(void);

#endif
