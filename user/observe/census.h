/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The census of page-cache pages pinned for DMA (bpf/pins.bpf.c), for
 * pinbounce pins and the exporter: loaded on any kernel, read by process
 * and file.
 */
#ifndef PINBOUNCE_CENSUS_H
#define PINBOUNCE_CENSUS_H

#include <limits.h>
#include <stdbool.h>
#include "pinbounce.h"

struct pins_bpf;
struct bpf_link;

/* The processes mapping a file named, and what the paths may cost a read. */
#define PB_CENSUS_MAPPERS	4
#define PB_CENSUS_MAPS_BYTES	(16U << 20)
#define PB_CENSUS_MAPS_MS	250

struct pb_pins_row {
	__u32 tgid, dev, flags;
	__u64 ino, cgroup_id;
	char comm[PB_COMM_LEN];
	__u64 pages;
	__u64 since_ns;			/* the oldest */
	/*
	 * The path as process file_pid's maps show it, in its own mount
	 * namespace: another than the reader's if file_other_ns; whether
	 * that path, in the reader's, is this file (device and inode), unless
	 * file_unchecked: there it is on a filesystem whose lookups may wait
	 * on another user (FUSE, network), and it is not looked up.
	 */
	char file[PATH_MAX];		/* "" when not found */
	__u32 file_pid;
	bool file_other_ns, file_here, file_unchecked;
	/* PB_PIN_UNSEEN: the processes mapping the file, the first few named */
	__u32 mappers, last_mapper;
	__u32 mapper[PB_CENSUS_MAPPERS];
	char mapper_comm[PB_CENSUS_MAPPERS][PB_COMM_LEN];
};

struct pb_census_view {
	struct pb_pins_row *rows;
	unsigned int n, cap;
	__u64 pages, dropped;
	__u64 swept;			/* entries swept out since the start */
	/* the reading of /proc/PID/maps stopped at its budget, after maps_read */
	bool paths_cut;
	unsigned int maps_read;
};

/* The kernel functions the census attaches to: see census.c. */
#define PB_CENSUS_HOOKS	11

struct pb_census {
	struct pins_bpf *skel;
	struct bpf_link *links[PB_CENSUS_HOOKS];
	char no_hooks[160];	/* why no pins are followed as they are taken */
	char not_followed[256];	/* the pin functions whose calls are not */
	char why[64];		/* ... and why */
	char no_sweep[160];	/* why pages unpinned unseen are never forgotten */
};

/*
 * Whether a pin met only under writeback (PB_PIN_UNSEEN) was taken before
 * the census started: only when every pin function is followed.
 */
static inline bool pb_census_unseen_before(const struct pb_census *c)
{
	return !c->no_hooks[0] && !c->not_followed[0];
}

/*
 * Load and attach the census, following pins as they are taken where the
 * kernel lets tracing programs attach to functions (else @no_hooks says
 * why); -1 with an error printed.
 */
int pb_census_open(struct pb_census *c);
void pb_census_close(struct pb_census *c);

/*
 * The census now, by process and file, most pages first; of disk @only
 * (and its partitions) if not 0.  The pages found no longer pinned, their
 * unpin unseen, are swept out of it first.  With @paths, each file's path
 * and, of a file whose pinner is unknown, the processes that map it, from
 * one reading of /proc/PID/maps (the pinners' only, when all are known),
 * matched by device and inode, at most PB_CENSUS_MAPS_BYTES or
 * PB_CENSUS_MAPS_MS a call: not for each scrape.  -1 with an error
 * printed.
 */
int pb_census_read(const struct pb_census *c, __u32 only, bool paths,
		   struct pb_census_view *v);
void pb_census_view_free(struct pb_census_view *v);

#endif
