/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The observers' counters, as an X-macro table: checkpatch's checks of
 * ordinary macros (parentheses, arguments used once, no trailing
 * semicolon, line length for the help texts) do not apply to it, and
 * tests/host.sh checks this file without them.
 */
#ifndef PB_COUNTERS_H
#define PB_COUNTERS_H

/*
 * Every counter of the observers, each written once, here:
 *   X(NAME, SERIES, SPLIT, STATS, TOP, KEY, SCALE, HELP)
 * NAME is the member of struct pb_obs_counters that the BPF programs add
 * to, the counter's name in JSON and in trace's expectations, and
 * pinbounce_NAME_total in Prometheus.  SERIES 1: only a kernel with the
 * bounce series counts it (elsewhere it is unavailable, not 0).  SPLIT 1:
 * counted apart by who decided (enum pb_decider).  STATS and TOP head its
 * column in stats and in top ("": none), KEY is top's key to sort by it;
 * a column shows the rate divided by SCALE (bytes in MiB).  HELP is its
 * Prometheus help.  Adding a counter is adding a line, and the code that
 * counts it.
 */
#define PB_COUNTERS(X)								\
	X(candidate_bios, 1, 0, "CAND/s", "", 0, 1,			\
	  "Writeback write bios marked for the block layer's pinned-page check, pinned pages or not.") \
	X(pinned_bios, 1, 0, "PINNED/s", "PIN/s", 'p', 1,		\
	  "Candidate bios with pinned pages: the bios a bounce decision was made on.") \
	X(pinned_pages, 1, 0, "PGPIN/s", "PAGE/s", 'g', 1,		\
	  "Pinned pages in the bios decided on.")				\
	X(bounced_bios, 1, 1, "BOUNCE/s", "BNC/s", 'b', 1,		\
	  "Bios whose pinned pages were bounced (copied before the write), by who decided: a policy program or the kernel's default.") \
	X(bounced_pages, 1, 1, "PGBNC/s", "", 0, 1,			\
	  "Pinned pages bounced, by who decided.")				\
	X(bounced_bytes, 1, 1, "MiB/s", "MiB/s", 'm', 1 << 20,		\
	  "Size in bytes of the bounced bios (whole bios, pinned pages or not), by who decided.") \
	X(passthrough_bios, 1, 1, "PASS/s", "PASS/s", 't', 1,		\
	  "Bios with pinned pages written as they are (not bounced), by who decided.") \
	X(passthrough_pages, 1, 1, "", "", 0, 1,			\
	  "Pinned pages written as they are (not bounced), by who decided.") \
	X(pinned_wb_pages, 0, 0, "PINWB/s", "PINWB/s", 'x', 1,		\
	  "Page-cache pages written back while pinned for DMA, as they were (not bounced), counted as their write completes, on any kernel (not a direct write, whatever its buffer maps): on a disk that needs stable writes (pinbounce_device_stable_writes) a device may have changed them after their checksum or guard tag was computed.")

#define PB_COUNTER_FIELD_0(name)	__u64 name;
#define PB_COUNTER_FIELD_1(name)	__u64 name[PB_NR_DECIDERS];
#define PB_COUNTER_FIELD(name, series, split, stats, top, key, scale, help) \
	PB_COUNTER_FIELD_##split(name)

#define PB_COUNTER_ID(name, ...)	PB_CTR_##name,

#endif
