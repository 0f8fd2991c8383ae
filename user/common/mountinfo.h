/* SPDX-License-Identifier: GPL-2.0 */
/* The mounts of /proc/PID/mountinfo, one line at a time. */
#ifndef PINBOUNCE_MOUNTINFO_H
#define PINBOUNCE_MOUNTINFO_H

#include <limits.h>

struct pb_mount {
	char point[PATH_MAX];	/* the mount point, its escapes undone */
	char type[64];		/* the filesystem type: "ext4", "fuse.sshfs" */
	char super[1024];	/* the super block's options */
};

/*
 * The mount of @line, one line of mountinfo (it may go on with more, after
 * a newline), in @m: 0, or -1 if the line is not one.
 */
int pb_mountinfo_parse(const char *line, struct pb_mount *m);

#endif
