// SPDX-License-Identifier: GPL-2.0
/*
 * Loading the observers (bpf/observe.bpf.c) for the life of a command and
 * reading them.  On a kernel without the bounce series the programs on its
 * functions and tracepoint are not loaded: what they count is unavailable,
 * which the commands say, rather than zero.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "cli.h"
#include "observe.h"
#include "observe.skel.h"

/*
 * The rows of a per-CPU map of values of @size: --max-rows, else what
 * ROWS_BUDGET bytes hold on @ncpus CPUs, between ROWS_MIN and @most.  A
 * map is preallocated whole: on a 128-CPU machine, 4096 rows of
 * histograms would take 270 MB.
 */
#define ROWS_BUDGET	(16 << 20)
#define ROWS_MIN	256
#define ROWS_COUNTERS	4096		/* disks x cgroups */
#define ROWS_HISTS	1024		/* disks x PB_NR_HISTS */

static __u32 obs_rows(size_t size, int ncpus, __u32 most)
{
	size_t fit = ROWS_BUDGET / (size * (size_t)ncpus);

	if (obs_max_rows)
		return obs_max_rows;
	return fit < ROWS_MIN ? ROWS_MIN : fit > most ? most : (__u32)fit;
}

int pb_obs_need_root(void)
{
	return need_root(PB_ROOT_OBSERVERS);
}

/* Whether struct @name of @btf has a member @member. */
static bool has_member(const struct btf *btf, const char *name, const char *member)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	const struct btf_member *m = t ? btf_members(t) : NULL;

	for (int i = 0; t && i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(btf, m[i].name_off), member))
			return true;
	return false;
}

long long pb_btf_enum_value(const struct btf *btf, const char *name)
{
	__u32 n = btf__type_cnt(btf);

	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_enum *e;

		if (!btf_is_enum(t))
			continue;
		e = btf_enum(t);
		for (int i = 0; i < btf_vlen(t); i++)
			if (!strcmp(btf__name_by_offset(btf, e[i].name_off), name))
				return e[i].val;
	}
	return -1;
}

/* The mask of bit @name of bi_flags, 0 if this kernel has no such bit. */
static __u32 bio_flag_mask(const struct btf *btf, const char *name)
{
	long long bit = pb_btf_enum_value(btf, name);

	return bit >= 0 && bit < 32 ? 1U << bit : 0;
}

/*
 * What the running kernel offers: the bounce series (its hook, its
 * tracepoint and its bio flags), and a submission time in every bio
 * (bi_issue).
 */
static void kernel_features(struct pb_obs *o, bool *issue_time)
{
	struct btf *btf = btf__load_vmlinux_btf();
	struct observe_bpf__rodata *ro = o->skel->rodata;

	o->bounce = *issue_time = false;
	if (!btf)
		return;
	ro->bio_bounced_mask = bio_flag_mask(btf, "BIO_BOUNCED");
	ro->bio_candidate_mask = bio_flag_mask(btf, "BIO_PIN_CANDIDATE");
	o->bounce = btf__find_by_name_kind(btf, "blk_pin_bounce_decide", BTF_KIND_FUNC) > 0 &&
		    btf__find_by_name_kind(btf, "btf_trace_block_bio_pin_bounce",
					   BTF_KIND_TYPEDEF) > 0 &&
		    ro->bio_bounced_mask && ro->bio_candidate_mask;
	*issue_time = has_member(btf, "bio", "bi_issue");
	btf__free(btf);
}

int pb_obs_open(struct pb_obs *o)
{
	bool issue_time;

	memset(o, 0, sizeof(*o));
	if (pb_obs_need_root())
		return -1;
	o->ncpus = libbpf_num_possible_cpus();
	if (o->ncpus <= 0) {
		p_err("cannot count the possible CPUs");
		return -1;
	}
	o->skel = observe_bpf__open();
	if (!o->skel) {
		p_err("cannot open the observers: %s", strerror(errno));
		return -1;
	}
	kernel_features(o, &issue_time);
	o->skel->rodata->bounce_kernel = o->bounce;
	bpf_map__set_max_entries(o->skel->maps.counters,
				 obs_rows(sizeof(struct pb_obs_counters), o->ncpus, ROWS_COUNTERS));
	bpf_map__set_max_entries(o->skel->maps.hists,
				 obs_rows(sizeof(struct pb_hist), o->ncpus, ROWS_HISTS));
	if (!o->bounce) {
		bpf_program__set_autoload(o->skel->progs.pb_decide_exit, false);
		bpf_program__set_autoload(o->skel->progs.pb_decided, false);
	}
	/* bios carry their submission time: no table of writes in flight */
	if (issue_time) {
		bpf_program__set_autoload(o->skel->progs.pb_write_queued, false);
		bpf_map__set_max_entries(o->skel->maps.writes, 1);
	}
	if (observe_bpf__load(o->skel)) {
		p_err("cannot load the observers: %s", strerror(errno));
		goto fail;
	}
	/* Programs left unloaded above are skipped. */
	if (observe_bpf__attach(o->skel)) {
		p_err("cannot attach the observers: %s", strerror(errno));
		goto fail;
	}
	return 0;
fail:
	observe_bpf__destroy(o->skel);
	o->skel = NULL;
	return -1;
}

void pb_obs_close(struct pb_obs *o)
{
	observe_bpf__destroy(o->skel);
	o->skel = NULL;
}

/*
 * Read every entry of the per-CPU hash @fd, its CPUs' values of @vsize
 * bytes (64-bit words) added up, into an array of rows of @rsize bytes: the
 * key, then the value, at @voff.
 */
static int read_percpu(int fd, int ncpus, size_t ksize, size_t vsize, size_t rsize,
		       size_t voff, void **rows, unsigned int *nrows)
{
	unsigned char key[16], next[16];
	unsigned int cap = 0;
	void *prev = NULL;
	__u64 *vals;

	vals = calloc(ncpus, vsize);
	if (!vals)
		return -1;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		unsigned char *row;
		__u64 *sum;

		memcpy(key, next, ksize);
		prev = key;
		if (bpf_map_lookup_elem(fd, key, vals))
			continue;	/* gone meanwhile */
		if (*nrows == cap) {
			void *more;

			cap = cap ? 2 * cap : 16;
			more = realloc(*rows, cap * rsize);
			if (!more) {
				free(vals);
				return -1;
			}
			*rows = more;
		}
		row = (unsigned char *)*rows + (size_t)(*nrows)++ * rsize;
		memset(row, 0, rsize);
		memcpy(row, key, ksize);
		sum = (__u64 *)(row + voff);
		for (int cpu = 0; cpu < ncpus; cpu++) {
			const __u64 *from = (const __u64 *)((const char *)vals + cpu * vsize);

			for (size_t i = 0; i < vsize / sizeof(__u64); i++)
				sum[i] += from[i];
		}
	}
	free(vals);
	return 0;
}

int pb_obs_snapshot(const struct pb_obs *o, struct pb_obs_snap *s)
{
	__u64 *per;

	memset(s, 0, sizeof(*s));
	if (read_percpu(bpf_map__fd(o->skel->maps.counters), o->ncpus, sizeof(struct pb_obs_key),
			sizeof(struct pb_obs_counters), sizeof(struct pb_obs_row),
			offsetof(struct pb_obs_row, c), (void **)&s->rows, &s->nrows) ||
	    read_percpu(bpf_map__fd(o->skel->maps.hists), o->ncpus, sizeof(struct pb_hist_key),
			sizeof(struct pb_hist), sizeof(struct pb_obs_hist_row),
			offsetof(struct pb_obs_hist_row, h), (void **)&s->hists, &s->nhists))
		goto oom;
	per = calloc(o->ncpus, sizeof(*per));
	if (!per)
		goto oom;
	for (__u32 i = 0; i < PB_NR_DROPS; i++) {
		if (!bpf_map_lookup_elem(bpf_map__fd(o->skel->maps.dropped), &i, per))
			for (int cpu = 0; cpu < o->ncpus; cpu++)
				s->dropped[i] += per[cpu];
	}
	free(per);
	s->time = pb_clock(CLOCK_MONOTONIC);
	return 0;
oom:
	pb_obs_snap_free(s);
	p_err("out of memory");
	return -1;
}

void pb_obs_snap_free(struct pb_obs_snap *s)
{
	free(s->rows);
	free(s->hists);
	s->rows = NULL;
	s->hists = NULL;
	s->nrows = 0;
	s->nhists = 0;
}

/* The whole disk of partition @dev, or @dev itself; cached. */
static __u32 disk_of(__u32 dev)
{
	static struct {
		__u32 dev, disk;
	} cache[64];
	static unsigned int next;
	unsigned int major, minor;
	char path[64];
	__u32 disk = dev;
	FILE *f;

	for (unsigned int i = 0; i < ARRAY_SIZE(cache); i++)
		if (cache[i].dev == dev && dev)
			return cache[i].disk;
	/* A partition's sysfs directory is in its disk's, which has "dev". */
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/partition", PB_MAJOR(dev),
		 PB_MINOR(dev));
	if (!access(path, F_OK)) {
		snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/../dev", PB_MAJOR(dev),
			 PB_MINOR(dev));
		f = fopen(path, "re");
		if (f) {
			if (fscanf(f, "%u:%u", &major, &minor) == 2)
				disk = PB_MKDEV(major, minor);
			fclose(f);
		}
	}
	cache[next].dev = dev;
	cache[next].disk = disk;
	next = (next + 1) % ARRAY_SIZE(cache);
	return disk;
}

bool pb_dev_in(__u32 dev, __u32 only)
{
	return !only || dev == only || (disk_of(dev) == only && disk_of(only) == only);
}

const char *pb_dev_name(__u32 dev, char *buf, size_t size)
{
	char path[64], link[PATH_MAX];
	unsigned int major = PB_MAJOR(dev), minor = PB_MINOR(dev);
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major, minor);
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		snprintf(buf, size, "%s", strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
	} else {
		snprintf(buf, size, "%u:%u", major, minor);
	}
	return buf;
}
