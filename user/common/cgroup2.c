// SPDX-License-Identifier: GPL-2.0
/* Where the cgroup2 hierarchy is, and whether its paths are the kernel's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include "cgroup2.h"
#include "mountinfo.h"

#define DEFAULT_ROOT	"/sys/fs/cgroup"
/* include/linux/proc_ns.h: the inode of the initial cgroup namespace */
#define PROC_CGROUP_INIT_INO	0xEFFFFFFBU

static int open_cgroup2(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct statfs fs;

	if (fd < 0)
		return -1;
	if (fstatfs(fd, &fs) || fs.f_type != CGROUP2_SUPER_MAGIC) {
		close(fd);
		errno = ENOENT;
		return -1;
	}
	return fd;
}

int pb_cgroup2_open(char *path, size_t size)
{
	struct pb_mount m;
	char *line = NULL;
	size_t cap = 0;
	int fd = open_cgroup2(DEFAULT_ROOT);
	FILE *f;

	if (fd >= 0) {
		if (path)
			snprintf(path, size, "%s", DEFAULT_ROOT);
		return fd;
	}
	f = fopen("/proc/self/mountinfo", "re");
	if (!f) {
		errno = ENOENT;
		return -1;
	}
	while (fd < 0 && getline(&line, &cap, f) > 0) {
		if (pb_mountinfo_parse(line, &m) || strcmp(m.type, "cgroup2"))
			continue;
		fd = open_cgroup2(m.point);
		if (fd >= 0 && path)
			snprintf(path, size, "%s", m.point);
	}
	free(line);
	fclose(f);
	if (fd < 0)
		errno = ENOENT;
	return fd;
}

/* Whether comma-separated @list has @word. */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (!strncmp(p, word, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
	}
	return false;
}

/* @controller's hierarchy id in /proc/cgroups, 0 if none. */
static unsigned int v1_hierarchy(const char *controller)
{
	unsigned int hier, id = 0;
	char name[64];
	FILE *f = fopen("/proc/cgroups", "re");
	int c;

	if (!f)
		return 0;
	/* #subsys_name hierarchy num_cgroups enabled */
	while (!id && (c = fscanf(f, "%63s %u %*u %*u", name, &hier)) != EOF) {
		if (c == 2 && !strcmp(name, controller))
			id = hier;
		else if (c != 2 && fscanf(f, "%*[^\n]") == EOF)
			break;
	}
	fclose(f);
	return id;
}

int pb_cgroup_v1_open(const char *controller, unsigned int *hierarchy, char *path,
		      size_t size)
{
	struct pb_mount m;
	char *line = NULL;
	size_t cap = 0;
	int fd = -1;
	FILE *f;

	*hierarchy = v1_hierarchy(controller);
	f = fopen("/proc/self/mountinfo", "re");
	if (!*hierarchy || !f) {
		if (f)
			fclose(f);
		errno = ENOENT;
		return -1;
	}
	while (fd < 0 && getline(&line, &cap, f) > 0) {
		struct statfs fs;

		if (pb_mountinfo_parse(line, &m) || strcmp(m.type, "cgroup") ||
		    !has_word(m.super, controller))
			continue;
		fd = open(m.point, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0 && (fstatfs(fd, &fs) || fs.f_type != CGROUP_SUPER_MAGIC)) {
			close(fd);
			fd = -1;
		}
		if (fd >= 0 && path)
			snprintf(path, size, "%s", m.point);
	}
	free(line);
	fclose(f);
	if (fd < 0)
		errno = ENOENT;
	return fd;
}

/*
 * This process's cgroup in the hierarchy whose /proc/self/cgroup line
 * names @controller ("" for cgroup2's "0::" line), into @rel; 0 or -1.
 */
static int self_cgroup(const char *controller, char *rel, size_t size)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char *line = NULL, *ctl, *path;
	size_t cap = 0;
	int ret = -1;

	if (!f)
		return -1;
	while (ret && getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		ctl = strchr(line, ':');
		path = ctl ? strchr(ctl + 1, ':') : NULL;
		if (!path)
			continue;
		*path++ = '\0';
		*ctl++ = '\0';
		if ((*controller ? has_word(ctl, controller) : !strcmp(line, "0") && !*ctl) &&
		    path[0] == '/' && strlen(path) < size) {
			snprintf(rel, size, "%s", path);
			ret = 0;
		}
	}
	free(line);
	fclose(f);
	return ret;
}

/* Whether the io controller is enabled for the children of @dir (@dirfd). */
static bool io_below(int dirfd, const char *dir)
{
	char path[PATH_MAX], buf[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", *dir ? dir : ".");
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (char *w = strtok(buf, "\t\n "); w; w = strtok(NULL, "\t\n "))
		if (!strcmp(w, "io"))
			return true;
	return false;
}

int pb_cgroup_io_self(unsigned int *hierarchy, char *mnt, size_t mnt_size, char *rel,
		      size_t rel_size)
{
	int fd = pb_cgroup_v1_open("blkio", hierarchy, mnt, mnt_size);

	if (fd >= 0) {
		close(fd);
		if (self_cgroup("blkio", rel, rel_size))
			return -1;
		return 0;
	}
	*hierarchy = 0;
	fd = pb_cgroup2_open(mnt, mnt_size);
	if (fd < 0)
		return -1;
	if (self_cgroup("", rel, rel_size)) {
		close(fd);
		return -1;
	}
	/* up to the first cgroup whose parent gives its children io */
	while (strcmp(rel, "/")) {
		char *slash = strrchr(rel, '/');

		*slash = '\0';
		if (io_below(fd, rel + 1)) {
			*slash = '/';
			break;
		}
		if (slash == rel)
			snprintf(rel, rel_size, "/");
	}
	close(fd);
	return 0;
}

bool pb_cgroup_init_ns(void)
{
	struct stat st;

	return !stat("/proc/self/ns/cgroup", &st) && st.st_ino == PROC_CGROUP_INIT_INO;
}
