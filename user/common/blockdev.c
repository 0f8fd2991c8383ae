// SPDX-License-Identifier: GPL-2.0
/* The machine's block devices, from /sys/dev/block and /sys/block. */
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pinbounce.h"
#include "blockdev.h"

__u32 pb_disk_of(__u32 dev)
{
	char path[80], real[PATH_MAX], buf[32];
	unsigned int major, minor;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/partition", PB_MAJOR(dev),
		 PB_MINOR(dev));
	if (access(path, F_OK))
		return dev;
	/* a partition's directory is inside its disk's */
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/..", PB_MAJOR(dev), PB_MINOR(dev));
	if (!realpath(path, real) || strlen(real) + 5 > sizeof(real))
		return dev;
	strcat(real, "/dev");
	f = fopen(real, "re");
	if (!f)
		return dev;
	if (!fgets(buf, sizeof(buf), f) || sscanf(buf, "%u:%u", &major, &minor) != 2) {
		fclose(f);
		return dev;
	}
	fclose(f);
	return PB_MKDEV(major, minor);
}

static bool read_flag(const char *path)
{
	FILE *f = fopen(path, "re");
	int c;

	if (!f)
		return false;
	c = fgetc(f);
	fclose(f);
	return c == '1';
}

bool pb_disk_stable(__u32 disk)
{
	char path[80];

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/stable_writes",
		 PB_MAJOR(disk), PB_MINOR(disk));
	return read_flag(path);
}

void pb_stable_disks(char *buf, size_t size)
{
	DIR *dir = opendir("/sys/block");
	struct dirent *e;
	size_t off = 0;
	char path[300];

	buf[0] = '\0';
	if (!dir)
		return;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/queue/stable_writes", e->d_name);
		if (!read_flag(path))
			continue;
		off += (size_t)snprintf(buf + off, off < size ? size - off : 0, "%s%s",
					off ? ", " : "", e->d_name);
		if (off >= size)
			off = size - 1;
	}
	closedir(dir);
}

/* The first line of sysfs file @dir/@name into @buf; false if none. */
static bool read_line(const char *dir, const char *name, char *buf, size_t size)
{
	char path[PATH_MAX];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "/sys/class/block/%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fgets(buf, (int)size, f);
	fclose(f);
	return ok;
}

unsigned int pb_block_devs(__u32 *devs, unsigned int max)
{
	DIR *dir = opendir("/sys/class/block");
	unsigned int n = 0, major, minor;
	unsigned long long sectors;
	struct dirent *e;
	char buf[32];

	if (!dir)
		return 0;
	while (n < max && (e = readdir(dir))) {
		if (e->d_name[0] == '.' ||
		    !read_line(e->d_name, "size", buf, sizeof(buf)) ||
		    sscanf(buf, "%llu", &sectors) != 1 || !sectors ||
		    !read_line(e->d_name, "dev", buf, sizeof(buf)) ||
		    sscanf(buf, "%u:%u", &major, &minor) != 2)
			continue;
		devs[n++] = PB_MKDEV(major, minor);
	}
	closedir(dir);
	return n;
}
