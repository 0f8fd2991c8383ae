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
 * Whether this process is in the initial cgroup namespace, where cgroup
 * paths are the kernel's own; false when that cannot be told.
 */
bool pb_cgroup_init_ns(void);

#endif
