// SPDX-License-Identifier: GPL-2.0
/*
 * Warnings about a policy that loads but does not do what it says: a rule
 * that an earlier one shadows (first match wins, so it never matches), and
 * a passthrough that sends pinned pages to a disk that needs stable writes,
 * where a page changed while it is written fails the write (T10-PI) or
 * stores data that no longer matches its checksum.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lint.h"

static void __attribute__((format(printf, 2, 3)))
add(struct pb_lint *out, const char *fmt, ...)
{
	va_list ap;

	if (out->n >= PB_LINT_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(out->msg[out->n++], PB_LINT_LEN, fmt, ap);
	va_end(ap);
}

/* Whether every device of rule @j is one of rule @i's, or on a disk of @i's. */
static bool devs_cover(const struct pb_bpf_rule *i, const struct pb_bpf_rule *j,
		       const struct pb_lint_env *env)
{
	for (unsigned int d = 0; d < j->ndevs; d++) {
		bool in = false;

		for (unsigned int e = 0; e < i->ndevs && !in; e++)
			in = i->devs[e] == j->devs[d] ||
			     (i->dev_whole[e] && env->disk_of(j->devs[d]) == i->devs[e]);
		if (!in)
			return false;
	}
	return true;
}

/* Whether cgroup path @sub is @top or below it. */
static bool cgroup_within(const char *top, const char *sub)
{
	size_t n = strlen(top);

	if (!strcmp(top, "/"))
		return true;
	return !strncmp(top, sub, n) && (sub[n] == '\0' || sub[n] == '/');
}

/* Whether every bio that rule @j matches, rule @i matches too. */
static bool covers(const struct pb_rule *i, const struct pb_bpf_rule *bi,
		   const struct pb_rule *j, const struct pb_bpf_rule *bj,
		   const struct pb_lint_env *env)
{
	if (i->match & PB_MATCH_DEV &&
	    (!(j->match & PB_MATCH_DEV) || !devs_cover(bi, bj, env)))
		return false;
	if (i->match & PB_MATCH_CGROUP &&
	    (!(j->match & PB_MATCH_CGROUP) || !cgroup_within(i->cgroup, j->cgroup)))
		return false;
	if (i->match & PB_MATCH_FLAGS &&
	    (!(j->match & PB_MATCH_FLAGS) || (j->flags_set & i->flags_set) != i->flags_set ||
	     (j->flags_clear & i->flags_clear) != i->flags_clear))
		return false;
	if (i->match & PB_MATCH_SIZE &&
	    (!(j->match & PB_MATCH_SIZE) || j->size_min < i->size_min ||
	     j->size_max > i->size_max))
		return false;
	if (i->match & PB_MATCH_PINNED &&
	    (!(j->match & PB_MATCH_PINNED) || j->pinned_min < i->pinned_min))
		return false;
	return true;
}

static void dev_name(const struct pb_dev_spec *d, char *buf, size_t size)
{
	if (d->name[0])
		snprintf(buf, size, "%s", d->name);
	else
		snprintf(buf, size, "%u:%u", d->major, d->minor);
}

/* Warn if rule @r passes pinned pages through, and to which disks. */
static void lint_passthrough(const struct pb_rule *r, const struct pb_bpf_rule *b,
			     const struct pb_lint_env *env, struct pb_lint *out)
{
	const char *when;
	char names[256] = "", one[PB_DEVNAME_MAX];
	size_t off = 0;

	if (r->action == PB_ACTION_PASSTHROUGH)
		when = "";
	else if (r->action == PB_ACTION_BOUNCE && r->rate && r->over_action == PB_ACTION_PASSTHROUGH)
		when = " once over its rate";
	else
		return;
	if (!(r->match & PB_MATCH_DEV)) {
		env->stable_disks(names, sizeof(names));
		if (names[0])
			add(out, "rule '%s' passes pinned pages through%s on every disk it matches, and %s need%s stable writes: a page changed while it is written fails the write or is stored with a checksum that does not match",
			    r->name, when, names, strchr(names, ',') ? "" : "s");
		return;
	}
	for (unsigned int d = 0; d < r->ndevs && d < b->ndevs; d++) {
		if (!env->stable(env->disk_of(b->devs[d])))
			continue;
		dev_name(&r->devs[d], one, sizeof(one));
		off += (size_t)snprintf(names + off, off < sizeof(names) ? sizeof(names) - off : 0,
					"%s%s", off ? ", " : "", one);
		if (off >= sizeof(names))
			off = sizeof(names) - 1;
	}
	if (names[0])
		add(out, "rule '%s' passes pinned pages through%s to %s, which need%s stable writes: a page changed while it is written fails the write or is stored with a checksum that does not match",
		    r->name, when, names, strchr(names, ',') ? "" : "s");
}

void pb_policy_lint(const struct pb_policy *p, const struct pb_bpf_policy *b,
		    const struct pb_lint_env *env, struct pb_lint *out)
{
	char names[256] = "";

	out->n = 0;
	for (unsigned int j = 0; j < p->nrules; j++) {
		const struct pb_rule *rj = &p->rules[j];
		bool shadowed = false;

		for (unsigned int i = 0; i < j && !shadowed; i++) {
			const struct pb_rule *ri = &p->rules[i];

			/* an audit rule counts and goes on; the next one decides */
			if (ri->audit || !covers(ri, &b->rules[i], rj, &b->rules[j], env))
				continue;
			add(out, "rule '%s' never matches: rule '%s' before it matches every bio it would",
			    rj->name, ri->name);
			shadowed = true;
		}
		if (!shadowed && !rj->audit)
			lint_passthrough(rj, &b->rules[j], env, out);
	}
	if (p->default_action == PB_ACTION_PASSTHROUGH) {
		env->stable_disks(names, sizeof(names));
		if (names[0])
			add(out, "default passthrough: pinned pages that no rule bounces go through to %s, which need%s stable writes",
			    names, strchr(names, ',') ? "" : "s");
	}
}

/* The machine's disks, from /sys/dev/block and /sys/class/block. */
static __u32 sysfs_disk_of(__u32 dev)
{
	char path[80], real[PATH_MAX], buf[32];
	unsigned int major, minor;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/partition", PB_MAJOR(dev), PB_MINOR(dev));
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

static bool sysfs_stable(__u32 disk)
{
	char path[80];

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/queue/stable_writes",
		 PB_MAJOR(disk), PB_MINOR(disk));
	return read_flag(path);
}

static void sysfs_stable_disks(char *buf, size_t size)
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

const struct pb_lint_env pb_lint_sysfs = {
	.disk_of = sysfs_disk_of,
	.stable = sysfs_stable,
	.stable_disks = sysfs_stable_disks,
};
