/* SPDX-License-Identifier: GPL-2.0 */
/* The exposition of pinbounce export, and what it is built from. */
#ifndef PINBOUNCE_METRICS_H
#define PINBOUNCE_METRICS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include "census.h"
#include "cli.h"
#include "observe.h"

/* What the rows of removed cgroups had counted, by device. */
struct gone {
	__u32 dev;
	struct pb_obs_counters c;
};

/* What the exporter read of the policy last (see read_policy() in metrics.c). */
struct policy_seen {
	struct pb_policy_view view;	/* .attached false: none, or never read */
	bool prog;			/* the policy program's counters below */
	unsigned long long runs, ns;
	double when;			/* CLOCK_MONOTONIC of the read, 0: never */
	bool fresh;			/* read by the exposition being built */
};

struct exporter {
	struct pb_obs o;
	struct pb_census census;	/* .skel NULL: not loaded */
	int stats_fd;			/* bpf_enable_stats(), or -1 */
	double start_time;		/* Unix time the observers attached */
	double process_start;		/* Unix time the process started, or 0 */
	/*
	 * One exposition at a time, and the below: what an exposition reads
	 * and keeps (the cgroup cache, the gone rows, the policy seen, the
	 * caches of device names) is not for two threads at once.
	 */
	pthread_mutex_t lock;
	struct pb_cgroups *cgroups;	/* NULL: every cgroup is "cgroup:ID" */
	struct gone *gone;
	unsigned int ngone;
	struct policy_seen *policy;	/* NULL until the first exposition */
};

/*
 * The whole exposition, malloc'ed, or NULL.  @http adds the process_*
 * metrics, which node_exporter has already of its own.
 */
char *metrics_exposition(struct exporter *e, bool http, size_t *len);

#endif
