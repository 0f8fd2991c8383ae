// SPDX-License-Identifier: GPL-2.0
/*
 * Loading the observers (bpf/observe.bpf.c) for the life of a command and
 * reading them.  On a kernel without the bounce series the programs on its
 * functions and tracepoint are not loaded: what they count is unavailable,
 * which the commands say, rather than zero.
 */
#include <errno.h>
#include <limits.h>
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

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool kernel_has_bounce(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool found;

	if (!btf)
		return false;
	found = btf__find_by_name_kind(btf, "__blk_queue_bounce", BTF_KIND_FUNC) > 0 &&
		btf__find_by_name_kind(btf, "btf_trace_block_bio_pin_bounce",
				       BTF_KIND_TYPEDEF) > 0;
	btf__free(btf);
	return found;
}

int pb_obs_open(struct pb_obs *o)
{
	memset(o, 0, sizeof(*o));
	o->ncpus = libbpf_num_possible_cpus();
	if (o->ncpus <= 0) {
		p_err("cannot count the possible CPUs");
		return -1;
	}
	o->bounce = kernel_has_bounce();
	o->skel = observe_bpf__open();
	if (!o->skel) {
		p_err("cannot open the observers: %s", strerror(errno));
		return -1;
	}
	o->skel->rodata->bounce_kernel = o->bounce;
	if (!o->bounce) {
		bpf_program__set_autoload(o->skel->progs.pb_bounce_enter, false);
		bpf_program__set_autoload(o->skel->progs.pb_bounce_exit, false);
		bpf_program__set_autoload(o->skel->progs.pb_decided, false);
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

int pb_obs_snapshot(const struct pb_obs *o, struct pb_obs_snap *s)
{
	int fd = bpf_map__fd(o->skel->maps.counters);
	struct pb_obs_counters *vals;
	struct pb_obs_key key, next, *prev = NULL;
	unsigned int cap = 0;

	memset(s, 0, sizeof(*s));
	vals = calloc(o->ncpus, sizeof(*vals));
	if (!vals)
		goto oom;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct pb_obs_row *row;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;	/* gone meanwhile */
		if (s->nrows == cap) {
			struct pb_obs_row *more;

			cap = cap ? 2 * cap : 16;
			more = realloc(s->rows, cap * sizeof(*more));
			if (!more)
				goto oom;
			s->rows = more;
		}
		row = &s->rows[s->nrows++];
		memset(row, 0, sizeof(*row));
		row->key = key;
		for (int cpu = 0; cpu < o->ncpus; cpu++) {
			__u64 *to = (__u64 *)&row->c;
			const __u64 *from = (const __u64 *)&vals[cpu];

			for (size_t i = 0; i < sizeof(row->c) / sizeof(__u64); i++)
				to[i] += from[i];
		}
	}
	for (__u32 i = 0; i < 3; i++) {
		__u64 *per = (__u64 *)vals;	/* room for ncpus counters */

		if (!bpf_map_lookup_elem(bpf_map__fd(o->skel->maps.dropped), &i, per))
			for (int cpu = 0; cpu < o->ncpus; cpu++)
				s->dropped[i] += per[cpu];
	}
	free(vals);
	s->time = now();
	return 0;
oom:
	free(vals);
	pb_obs_snap_free(s);
	p_err("out of memory");
	return -1;
}

void pb_obs_snap_free(struct pb_obs_snap *s)
{
	free(s->rows);
	s->rows = NULL;
	s->nrows = 0;
}

const char *pb_dev_name(__u32 dev, char *buf, size_t size)
{
	char path[64], link[PATH_MAX];
	unsigned int major = dev >> 20, minor = dev & 0xfffff;
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
