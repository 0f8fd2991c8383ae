/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the observers saw between snapshots, as the commands report it: the
 * arithmetic on counters and histograms, and the JSON of schema
 * "pinbounce/1" (doc/pinbounce-1.schema.json), shared by every -j output and
 * the trace report.
 */
#ifndef PB_REPORT_H
#define PB_REPORT_H

#include <jansson.h>
#include "observe.h"

#define PB_SCHEMA	"pinbounce/1"

/* pb_snap_counters(): every cgroup added up. */
#define PB_ALL_CGROUPS	((__u64)-1)

/* What the kernel without the bounce series cannot show. */
#define PB_NO_BOUNCE	"the kernel has no bounce series (kernel-patch/)"

/*
 * A stretch of time: totals are @cur - @base, rates and histograms are
 * @cur - @prev (@cur - @base when @prev is NULL).  @only limits it to one
 * device (0: all).
 */
struct pb_span {
	const struct pb_obs *o;
	const struct pb_obs_snap *base, *prev, *cur;
	__u32 only;
};

/* Parts of a device's JSON object. */
enum {
	PB_J_TOTAL = 1 << 0,
	PB_J_RATES = 1 << 1,
	PB_J_CGROUPS = 1 << 2,
	PB_J_HISTS = 1 << 3,
};

void pb_counters_add(struct pb_obs_counters *c, const struct pb_obs_counters *plus);
void pb_counters_sub(struct pb_obs_counters *c, const struct pb_obs_counters *minus);
void pb_snap_counters(const struct pb_obs_snap *s, __u32 dev, __u64 cgroup,
		      struct pb_obs_counters *out);
/* The devices of @s (@only alone, if not 0), in the order first seen. */
unsigned int pb_snap_devices(const struct pb_obs_snap *s, __u32 only, __u32 *devs,
			     unsigned int max);

void pb_snap_hist(const struct pb_obs_snap *s, __u32 dev, unsigned int kind,
		  struct pb_hist *out);
void pb_hist_add(struct pb_hist *h, const struct pb_hist *plus);
void pb_hist_sub(struct pb_hist *h, const struct pb_hist *minus);
/* Of the span's device @dev (0: all). */
void pb_span_counters(const struct pb_span *sp, __u32 dev, bool rate_part,
		      struct pb_obs_counters *out);
void pb_span_hist(const struct pb_span *sp, __u32 dev, unsigned int kind, struct pb_hist *out);
/* The same, since the base, for every device -d selected (@sp->only). */
void pb_span_counters_sel(const struct pb_span *sp, struct pb_obs_counters *out);
void pb_span_hist_sel(const struct pb_span *sp, unsigned int kind, struct pb_hist *out);
double pb_span_secs(const struct pb_span *sp);

/*
 * The @q quantile in nanoseconds, interpolated linearly inside its log2
 * bucket as Prometheus' histogram_quantile() does; NAN when empty.
 */
double pb_hist_quantile(const struct pb_hist *h, double q);
double pb_hist_mean(const struct pb_hist *h);
/* The lowest and highest non-empty slots; false when empty. */
bool pb_hist_range(const struct pb_hist *h, unsigned int *lo, unsigned int *hi);
/* Slot @i holds [pb_slot_low(i), pb_slot_low(i + 1)) nanoseconds. */
static inline __u64 pb_slot_low(unsigned int i)
{
	return i ? 1ULL << i : 0;
}

extern const char *const pb_hist_names[PB_NR_HISTS];

/* Text in the manner of biolatency, in usecs (msecs with @millis). */
void pb_hist_print(const struct pb_hist *h, bool millis);

/*
 * @src in @dst as valid UTF-8, for the Prometheus exposition and the JSON
 * alike (cgroup and device names are whatever bytes their makers chose):
 * pb_text_escape() without PB_TEXT_CONTROLS, as both formats escape
 * controls their own way (text.h).
 */
size_t pb_utf8_escape(char *dst, size_t size, const char *src);
/* A JSON string of @s, escaped so; NULL when out of memory. */
json_t *pb_json_text(const char *s);

/*
 * Write @len bytes of @data to output file @path, for trace --json and
 * export --textfile:
 * - "-": standard output;
 * - a regular file, or nothing yet: replaced whole or not at all, by a new
 *   file PATH.tmp.XXXXXX of a random name in the same directory (O_EXCL),
 *   mode 0644, synced and renamed over @path;
 * - a character device or a FIFO (/dev/null, a terminal, a pipe): written
 *   through, as a shell's redirection would, never replaced;
 * - a symbolic link: followed to a character device or a FIFO
 *   (/dev/stdout), refused otherwise: the link is never replaced;
 * - anything else (a directory, a block device, a socket): refused.
 * An error is printed, naming @path and what it is.
 */
int pb_replace_file(const char *path, const char *data, size_t len);
/* Whether pb_replace_file() would take @path; -1 with the error printed. */
int pb_output_check(const char *path);

/* {"schema", "command", "bounce_observed", "unavailable"}. */
json_t *pb_json_doc(const char *command, const struct pb_obs *o);
/* What struct pb_obs_counters holds, from PB_COUNTERS in pinbounce.h. */
struct pb_counter_info {
	const char *name;
	size_t off;			/* in struct pb_obs_counters */
	bool series;			/* counted only with the bounce series */
	bool split;			/* by enum pb_decider */
	const char *stats_col, *top_col;	/* "": not shown */
	int top_key;
	double scale;			/* a column shows the rate / scale */
	const char *help;
};

extern const struct pb_counter_info pb_counter_info[PB_NR_COUNTERS];
/* Whether @o counts counter @i: on this kernel, not unavailable. */
bool pb_counter_available(const struct pb_obs *o, unsigned int i);
/* Counter @i of @c: the sum over deciders, or @decider's alone (>= 0). */
__u64 pb_counter_get(const struct pb_obs_counters *c, unsigned int i, int decider);
/* The counters, those @o cannot count null. */
json_t *pb_json_counters(const struct pb_obs *o, const struct pb_obs_counters *c);
json_t *pb_json_hist(const struct pb_hist *h);
/* Updates the observers lost to full tables, since @sp->base. */
/* The names of enum pb_drop, in JSON and as Prometheus labels. */
extern const char *const pb_drop_names[PB_NR_DROPS];
json_t *pb_json_dropped(const struct pb_span *sp);

/* The figures the observers keep, as a drop can leave them incomplete. */
enum pb_figure {
	PB_FIG_COUNTERS = 1 << 0,	/* every counter, of every disk and cgroup */
	PB_FIG_HIST_BOUNCE = 1 << 1,	/* the histograms, by enum pb_hist_kind */
	PB_FIG_HIST_WRITE = 1 << 2,
	PB_FIG_HIST_WRITE_BOUNCED = 1 << 3,
};

/* The figure of histogram kind @k. */
#define PB_FIG_HIST(k)	(PB_FIG_HIST_BOUNCE << (k))

/*
 * What a drop of each kind may have left low or incomplete (enum
 * pb_figure); 0 for one that lost no update (untimed).
 */
extern const unsigned int pb_drop_loses[PB_NR_DROPS];
/* Drops of kind @i since @sp->base. */
__u64 pb_span_dropped(const struct pb_span *sp, unsigned int i);
/* The span's devices, each with the @parts asked for. */
json_t *pb_json_devices(const struct pb_span *sp, unsigned int parts);

#endif
