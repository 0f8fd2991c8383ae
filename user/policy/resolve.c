// SPDX-License-Identifier: GPL-2.0
/*
 * From the policy as written to the policy as the BPF program wants it:
 * device names and numbers to dev_t (and whether they mean a whole disk),
 * cgroup paths to cgroup ids and levels.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "cgroup2.h"
#include "cli.h"

/* The cgroup2 mount's path, up to this long, then a rule's cgroup path. */
#define CGROUP2_ROOT_MAX	256

/* Read a sysfs "dev" file: "MAJ:MIN". */
static int read_devno(const char *path, unsigned int *major, unsigned int *minor)
{
	char buf[32];
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -1;
	ok = fgets(buf, sizeof(buf), f) && sscanf(buf, "%u:%u", major, minor) == 2;
	fclose(f);
	return ok ? 0 : -1;
}

int pb_dev_spec_lookup(const struct pb_dev_spec *d, __u32 *dev, __u8 *whole, char *why,
		       size_t size)
{
	char path[PB_DEVNAME_MAX + 64];
	unsigned int major, minor;
	struct stat st;

	if (d->name[0] == '/') {
		/* a path, through its symlinks (/dev/disk/by-id, /dev/mapper) */
		if (stat(d->name, &st)) {
			snprintf(why, size, "no block device '%s': %s", d->name, strerror(errno));
			return -1;
		}
		if (!S_ISBLK(st.st_mode)) {
			snprintf(why, size, "'%s' is not a block device", d->name);
			return -1;
		}
		major = major(st.st_rdev);
		minor = minor(st.st_rdev);
	} else {
		if (d->name[0])
			snprintf(path, sizeof(path), "/sys/class/block/%s/dev", d->name);
		else
			snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/dev", d->major,
				 d->minor);
		if (read_devno(path, &major, &minor)) {
			if (d->name[0])
				snprintf(why, size, "no block device '%s' (%s)", d->name, path);
			else
				snprintf(why, size, "no block device %u:%u (%s)", d->major,
					 d->minor, path);
			return -1;
		}
	}
	*dev = PB_MKDEV(major, minor);
	/* A partition has a "partition" attribute; a whole disk does not. */
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/partition", major, minor);
	*whole = access(path, F_OK) != 0;
	return 0;
}

int pb_dev_lookup(const char *spec, __u32 *dev)
{
	struct pb_dev_spec d = { 0 };
	char why[PB_DEVNAME_MAX + 128], extra;
	__u8 whole;

	if (spec[0] != '/' && strchr(spec, ':')) {
		if (sscanf(spec, "%u:%u%c", &d.major, &d.minor, &extra) != 2) {
			p_err("'%s' is no device number (MAJOR:MINOR)", spec);
			return -1;
		}
	} else {
		if (strlen(spec) >= sizeof(d.name) || (spec[0] != '/' && strchr(spec, '/'))) {
			p_err("no block device '%s'", spec);
			return -1;
		}
		strcpy(d.name, spec);
	}
	if (pb_dev_spec_lookup(&d, dev, &whole, why, sizeof(why))) {
		p_err("%s", why);
		return -1;
	}
	return 0;
}

static int resolve_dev(const struct pb_rule *r, const struct pb_dev_spec *d,
		       __u32 *dev, __u8 *whole)
{
	char why[PB_DEVNAME_MAX + 128];

	if (pb_dev_spec_lookup(d, dev, whole, why, sizeof(why))) {
		p_err("rule '%s': %s", r->name, why);
		return -1;
	}
	return 0;
}

/* Whether the space-separated list in file @path names @word. */
static bool file_lists(const char *path, const char *word)
{
	char buf[256], *save, *w;
	bool found = false;
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = '\0';
		for (w = strtok_r(buf, " ", &save); w && !found; w = strtok_r(NULL, " ", &save))
			found = !strcmp(w, word);
	}
	fclose(f);
	return found;
}

/*
 * Writeback is charged to the cgroup that dirtied the pages only where the
 * io and memory controllers are enabled for it (in its parent's
 * cgroup.subtree_control); elsewhere to the nearest ancestor that has them,
 * and a rule naming the cgroup never matches.  Say so, without refusing:
 * the controllers may be enabled later.
 */
static void warn_controllers(const struct pb_rule *r, const char *path)
{
	static const char * const need[] = { "io", "memory" };
	char parent[CGROUP2_ROOT_MAX + PB_PATH_MAX + 32];
	size_t n = (size_t)snprintf(parent, sizeof(parent), "%s", path);

	while (n > 1 && parent[n - 1] == '/')	/* "/scratch/" */
		parent[--n] = '\0';
	*strrchr(parent, '/') = '\0';
	strcat(parent, "/cgroup.subtree_control");
	for (unsigned int i = 0; i < ARRAY_SIZE(need); i++) {
		if (file_lists(parent, need[i]))
			continue;
		p_warn("rule '%s': the %s controller is not enabled for cgroup '%s' (%s): its writeback is charged to an ancestor, and the rule will not match it",
		       r->name, need[i], r->cgroup, parent);
	}
}

/*
 * The cgroup2 mount and whether its paths are the kernel's, looked up once
 * a process; false, with an error, when there is no cgroup2 mount.
 */
static bool cgroup2_root(const char **root, bool *init_ns)
{
	static char path[CGROUP2_ROOT_MAX];
	static bool ns, done;
	int fd;

	if (!done) {
		fd = pb_cgroup2_open(path, sizeof(path));
		if (fd < 0) {
			p_err("no cgroup2 hierarchy mounted (none at /sys/fs/cgroup or in /proc/self/mountinfo): cgroup rules need one");
			return false;
		}
		close(fd);
		ns = pb_cgroup_init_ns();
		done = true;
	}
	*root = path;
	*init_ns = ns;
	return true;
}

static int resolve_cgroup(const struct pb_rule *r, struct pb_bpf_rule *b)
{
	char path[CGROUP2_ROOT_MAX + PB_PATH_MAX];
	struct {
		struct file_handle fh;
		__u64 id;
	} h = { .fh.handle_bytes = sizeof(__u64) };
	const char *root;
	bool init_ns;
	int mount_id;
	struct stat st;

	if (!cgroup2_root(&root, &init_ns))
		return -1;
	snprintf(path, sizeof(path), "%s%s", root, r->cgroup);
	errno = 0;
	if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
		p_err("rule '%s': no cgroup '%s' (%s: %s)", r->name, r->cgroup, path,
		      errno ? strerror(errno) : "not a directory");
		return -1;
	}
	/*
	 * The cgroup id is its kernfs node id, which a file handle carries;
	 * without CONFIG_FHANDLE it is the inode number on 64-bit kernels.
	 */
	if (!name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0))
		b->cgroup_id = h.id;
	else
		b->cgroup_id = st.st_ino;
	b->cgroup_level = 0;
	for (const char *s = r->cgroup; *s; s++)
		if (*s == '/' && s[1])
			b->cgroup_level++;
	/*
	 * Written in a cgroup namespace, the path's depth is counted from the
	 * namespace's root, whose own depth user space cannot see.
	 */
	b->cgroup_levels = init_ns ? 1 : PB_CGROUP_NS_LEVELS;
	if (b->cgroup_level)
		warn_controllers(r, path);
	return 0;
}

static int resolve_rule(const struct pb_rule *r, struct pb_bpf_rule *b)
{
	b->match = r->match;
	b->ndevs = r->ndevs;
	for (unsigned int d = 0; d < r->ndevs; d++)
		if (resolve_dev(r, &r->devs[d], &b->devs[d], &b->dev_whole[d]))
			return -1;
	if ((r->match & PB_MATCH_CGROUP) && resolve_cgroup(r, b))
		return -1;
	b->flags_set = r->flags_set;
	b->flags_clear = r->flags_clear;
	b->pinned_min = r->pinned_min;
	b->size_min = r->size_min;
	b->size_max = r->size_max;
	b->action = r->action;
	b->over_action = r->over_action;
	b->rate = r->rate;
	b->burst = r->burst;
	b->audit = r->audit;
	return 0;
}

/* The rule of @old named as @r and written the same, or -1. */
static int same_rule(const struct pb_rule *r, const struct pb_policy *old)
{
	char a[1024], b[1024];

	pb_rule_format(r, a, sizeof(a));
	for (unsigned int j = 0; j < old->nrules; j++) {
		if (strcmp(r->name, old->rules[j].name))
			continue;
		pb_rule_format(&old->rules[j], b, sizeof(b));
		return strcmp(a, b) ? -1 : (int)j;
	}
	return -1;
}

int pb_policy_resolve(const struct pb_policy *p, const struct pb_policy *old,
		      const struct pb_bpf_policy *old_b, struct pb_bpf_policy *out)
{
	memset(out, 0, sizeof(*out));
	out->nrules = p->nrules;
	out->default_action = p->default_action;
	if (old)
		out->default_since = old_b->default_since;
	for (unsigned int i = 0; i < p->nrules; i++) {
		int j = old ? same_rule(&p->rules[i], old) : -1;

		if (j >= 0)
			out->rules[i] = old_b->rules[j];
		else if (resolve_rule(&p->rules[i], &out->rules[i]))
			return -1;
	}
	if (pb_policy_format(p, out->text, sizeof(out->text))) {
		p_err("the policy is longer than %d bytes once formatted", PB_TEXT_MAX);
		return -1;
	}
	return 0;
}
