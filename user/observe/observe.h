/* SPDX-License-Identifier: GPL-2.0 */
/* The observers, as the commands that read them see them. */
#ifndef PB_OBSERVE_H
#define PB_OBSERVE_H

#include <stdbool.h>
#include "pinbounce.h"

struct observe_bpf;

struct pb_obs {
	struct observe_bpf *skel;
	bool bounce;		/* the kernel has the bounce series */
	int ncpus;
};

/* Counters of one device and cgroup, all CPUs added up. */
struct pb_obs_row {
	struct pb_obs_key key;
	struct pb_obs_counters c;
};

/* A histogram of one device, all CPUs added up. */
struct pb_obs_hist_row {
	struct pb_hist_key key;
	struct pb_hist h;
};

struct pb_obs_snap {
	struct pb_obs_row *rows;
	unsigned int nrows;
	struct pb_obs_hist_row *hists;
	unsigned int nhists;
	__u64 dropped[PB_NR_DROPS];	/* enum pb_drop */
	double time;		/* CLOCK_MONOTONIC seconds */
};

/* "Error: ... needs root" unless we are; for commands that check early. */
int pb_obs_need_root(void);
/* Load and attach what this kernel supports; root only. */
int pb_obs_open(struct pb_obs *o);
void pb_obs_close(struct pb_obs *o);
int pb_obs_snapshot(const struct pb_obs *o, struct pb_obs_snap *s);
void pb_obs_snap_free(struct pb_obs_snap *s);

/*
 * Whether a row of device @dev is one -d @only asks for: any with @only 0,
 * else @only itself and, if @only is a whole disk, its partitions.
 */
bool pb_dev_in(__u32 dev, __u32 only);

struct btf;
/* The value of enumerator @name in any enum of @btf, or -1. */
long long pb_btf_enum_value(const struct btf *btf, const char *name);
/* "sdb" or "8:16" for a kernel dev_t; @buf holds at least 32 bytes. */
const char *pb_dev_name(__u32 dev, char *buf, size_t size);

#endif
