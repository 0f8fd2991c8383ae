// SPDX-License-Identifier: GPL-2.0
/*
 * pinbounce pins [-d DISK] [interval [count]]: the census of page-cache
 * pages pinned for DMA (bpf/pins.bpf.c), on any kernel.  Which process
 * pins how many pages of which file, on which disk, since when; and
 * whether that disk needs stable writes, where writing those pages back
 * while a device changes them fails or corrupts the write.  Without an
 * interval, the census is printed when interrupted.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "blockdev.h"
#include "census.h"
#include "cgroup_cache.h"
#include "cli.h"
#include "observe.h"
#include "report.h"
#include "text.h"
#include "expect.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * Whether the pins of @r were taken before the census started: known for
 * those met only under writeback when every pin function is followed,
 * else unknown (NULL).
 */
static json_t *before_json(const struct pb_census *ps, const struct pb_pins_row *r)
{
	if (!(r->flags & PB_PIN_UNSEEN))
		return json_false();
	return pb_census_unseen_before(ps) ? json_true() : json_null();
}

/* The processes that map @r's file: the first named, and how many. */
static json_t *mappers_json(const struct pb_pins_row *r)
{
	json_t *all = json_array();

	for (unsigned int i = 0; i < r->mappers && i < PB_CENSUS_MAPPERS; i++)
		json_array_append_new(all, json_pack("{s:I,s:o}", "pid", (json_int_t)r->mapper[i],
						     "comm", pb_json_text(r->mapper_comm[i])));
	return json_pack("{s:I,s:o,s:I,s:o}", "pid", (json_int_t)r->mapper[0],
			 "comm", pb_json_text(r->mapper_comm[0]),
			 "count", (json_int_t)r->mappers, "processes", all);
}

/*
 * The FILE column of @r: its path, escaped, and where that path holds;
 * for a pin whose owner is unknown, who maps the file.
 */
static const char *file_text(const struct pb_pins_row *r, char *buf, size_t size)
{
	static char path[PB_TEXT_SIZE(PATH_MAX)];
	char comm[PB_TEXT_SIZE(PB_COMM_LEN)];
	size_t off;

	if (!r->file[0])
		off = snprintf(buf, size, "inode %llu", (unsigned long long)r->ino);
	else if (r->file_other_ns)
		off = snprintf(buf, size, "%s [in pid %u's mount namespace%s]",
			       pb_text(path, sizeof(path), r->file), r->file_pid,
			       r->file_unchecked ? "; not looked up here" :
			       r->file_here ? ", the same file here" :
			       "; here another file or none");
	else
		off = snprintf(buf, size, "%s%s", pb_text(path, sizeof(path), r->file),
			       r->file_unchecked ? " [not looked up here]" :
			       r->file_here ? "" : " [here another file or none now]");
	for (unsigned int i = 0; (r->flags & PB_PIN_UNSEEN) && i < r->mappers &&
	     i < PB_CENSUS_MAPPERS && off < size; i++)
		off += snprintf(buf + off, size - off, "%s%u %s", i ? ", " : " (mapped by ",
				r->mapper[i], pb_text(comm, sizeof(comm), r->mapper_comm[i]));
	if ((r->flags & PB_PIN_UNSEEN) && r->mappers > PB_CENSUS_MAPPERS && off < size)
		off += snprintf(buf + off, size - off, ": first %u of %u", PB_CENSUS_MAPPERS,
				r->mappers);
	if ((r->flags & PB_PIN_UNSEEN) && r->mappers && off < size)
		snprintf(buf + off, size - off, ")");
	return buf;
}

static json_t *census_json(const struct pb_census *ps, const struct pb_census_view *c,
			   struct pb_cgroups *cg, double now)
{
	json_t *arr = json_array();

	for (unsigned int i = 0; i < c->n; i++) {
		const struct pb_pins_row *r = &c->rows[i];
		bool unseen = r->flags & PB_PIN_UNSEEN;
		char dev[32], name[64], path[PATH_MAX];
		json_t *o;

		snprintf(dev, sizeof(dev), "%u:%u", PB_MAJOR(r->dev), PB_MINOR(r->dev));
		o = json_pack("{s:o,s:o,s:s,s:o,s:b,s:I,s:o,s:I,s:b,s:o,s:f}",
			      "pid", unseen ? json_null() : json_integer(r->tgid),
			      "comm", unseen ? json_null() : pb_json_text(r->comm),
			      "dev", dev,
			      "device", pb_json_text(pb_dev_name(r->dev, name, sizeof(name))),
			      "stable_writes", pb_dev_stable(r->dev),
			      "ino", (json_int_t)r->ino,
			      "file", r->file[0] ? pb_json_text(r->file) : json_null(),
			      "pages", (json_int_t)r->pages,
			      "longterm", !!(r->flags & PB_PIN_LONGTERM),
			      "before_census", before_json(ps, r),
			      "age_s", now - r->since_ns / 1e9);
		if (!unseen) {
			pb_cgroups_path(cg, r->cgroup_id, path, sizeof(path));
			json_object_set_new(o, "cgroup", pb_json_text(path));
		} else {
			json_object_set_new(o, "cgroup", json_null());
		}
		json_object_set_new(o, "file_ns_pid", r->file_other_ns ?
				    json_integer(r->file_pid) : json_null());
		json_object_set_new(o, "file_here", r->file[0] && !r->file_unchecked ?
				    json_boolean(r->file_here) : json_null());
		if (unseen && r->mappers)
			json_object_set_new(o, "mapped_by", mappers_json(r));
		json_array_append_new(arr, o);
	}
	return arr;
}

static void census_print(const struct pb_census *ps, const struct pb_census_view *c,
			 struct pb_cgroups *cg)
{
	double now = pb_clock(CLOCK_MONOTONIC);
	__u64 exposed = 0;
	char name[64], dev[PB_TEXT_SIZE(64)], comm[PB_TEXT_SIZE(PB_COMM_LEN)], tbuf[16];
	static char file[PB_TEXT_SIZE(PATH_MAX) + 128 + PB_CENSUS_MAPPERS * 80];
	time_t t = time(NULL);

	pb_cgroups_next(cg);
	if (json_output) {
		json_t *gone = json_object();

		if (ps->no_hooks[0])
			json_object_set_new(gone, "pin_tracking", json_string(ps->no_hooks));
		if (ps->no_sweep[0])
			json_object_set_new(gone, "sweep", json_string(ps->no_sweep));
		json_print(json_pack("{s:s,s:s,s:o,s:o,s:I,s:I,s:I,s:o,s:o}", "schema", PB_SCHEMA,
				     "command", "pins", "unavailable", gone, "not_followed",
				     ps->not_followed[0] && !ps->no_hooks[0] ?
				     json_pack("{s:s,s:s}", "functions", ps->not_followed,
					       "why", ps->why) : json_null(),
				     "pages", (json_int_t)c->pages,
				     "dropped", (json_int_t)c->dropped,
				     "swept", (json_int_t)c->swept,
				     "paths_cut_short", !c->paths_cut ? json_null() :
				     json_pack("{s:I,s:I,s:I}",
					       "maps_read", (json_int_t)c->maps_read,
					       "budget_bytes", (json_int_t)PB_CENSUS_MAPS_BYTES,
					       "budget_ms", (json_int_t)PB_CENSUS_MAPS_MS),
				     "pins", census_json(ps, c, cg, now)));
		return;
	}
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", localtime(&t));
	if (ps->no_hooks[0])
		printf("%-8s  unavailable: pin tracking: %s\n", tbuf, ps->no_hooks);
	else if (ps->not_followed[0])
		printf("%-8s  not followed: pins taken by %s (%s)\n", tbuf, ps->not_followed,
		       ps->why);
	if (ps->no_sweep[0])
		printf("%-8s  unavailable: sweep: %s\n", tbuf, ps->no_sweep);
	printf("%-8s  %-7s %-15s %6s %-4s %8s  %-10s %-6s %s\n", tbuf, "PID", "COMM", "PAGES",
	       "LONG", "AGE", "DEVICE", "STABLE", "FILE");
	for (unsigned int i = 0; i < c->n; i++) {
		const struct pb_pins_row *r = &c->rows[i];
		bool unseen = r->flags & PB_PIN_UNSEEN, stable = pb_dev_stable(r->dev);
		char pid[16], age[16];

		if (stable)
			exposed += r->pages;
		snprintf(pid, sizeof(pid), unseen ? "-" : "%u", r->tgid);
		snprintf(age, sizeof(age), "%.1fs", now - r->since_ns / 1e9);
		printf("%-8s  %-7s %-15s %6llu %-4s %8s  %-10s %-6s %s\n", "", pid,
		       !unseen ? pb_text(comm, sizeof(comm), r->comm) :
		       pb_census_unseen_before(ps) ? "(before start)" : "(owner unknown)",
		       (unsigned long long)r->pages,
		       unseen ? "-" : r->flags & PB_PIN_LONGTERM ? "yes" : "no", age,
		       pb_text(dev, sizeof(dev), pb_dev_name(r->dev, name, sizeof(name))),
		       stable ? "yes" : "no", file_text(r, file, sizeof(file)));
	}
	printf("%-8s  %llu pinned page-cache pages, %llu on disks that need stable writes\n", "",
	       (unsigned long long)c->pages, (unsigned long long)exposed);
	if (c->paths_cut)
		printf("%-8s  paths: %s (%u MiB, %u ms) after %u processes: %s\n", "",
		       "the reading of /proc/PID/maps stopped at its budget",
		       PB_CENSUS_MAPS_BYTES >> 20, PB_CENSUS_MAPS_MS, c->maps_read,
		       "some files unnamed, some mappers not counted");
	if (c->dropped)
		printf("%-8s  the census table is full: %llu pins not counted (figures low)\n", "",
		       (unsigned long long)c->dropped);
}

/*
 * What pins --expect can name: of one print, the pinned page-cache pages,
 * those on disks that need stable writes, those pinned long term, and the
 * pins the full census could not count.
 */
enum { PM_PAGES, PM_STABLE_PAGES, PM_LONGTERM_PAGES, PM_DROPPED, PM_NR };

static const struct {
	const char *name, *what;
} pins_metrics[PM_NR] = {
	[PM_PAGES] = { "pages", "pinned page-cache pages" },
	[PM_STABLE_PAGES] = { "stable_pages", "... of files on disks that need stable writes" },
	[PM_LONGTERM_PAGES] = { "longterm_pages", "... pinned long term (RDMA, vfio, V4L2)" },
	[PM_DROPPED] = { "dropped", "pins the full census could not count" },
};

static const char *pins_metric(unsigned int i)
{
	return pins_metrics[i].name;
}

#define PINS_EXIT_EXPECT	124
#define PINS_MAX_EXPECT		16
/* What --check expects. */
#define CHECK_EXPR		"stable_pages == 0"

int pb_pins_help(FILE *out)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	int ret;

	if (!f)
		return PB_EXIT_ERROR;
	fprintf(f,
		"Usage: " PB_PINS_USAGE "\n"
		"\n"
		"Every interval, the page-cache pages pinned for DMA: by whom, of which\n"
		"file, on which disk.  Without an interval, when interrupted.\n"
		"\n"
		"--expect EXPR: 'METRIC OP NUMBER', OP one of < <= > >= == !=, METRIC one of\n");
	for (unsigned int i = 0; i < PM_NR; i++)
		fprintf(f, "  %-15s %s\n", pins_metrics[i].name, pins_metrics[i].what);
	fprintf(f,
		"checked at every print (one, unless a count is given); with pins not\n"
		"counted, an expectation on the others is unknown.\n"
		"--check: --expect '" CHECK_EXPR "'.\n"
		"\n"
		"Exit status: 0 success, every expectation held; 124 one did not, or is\n"
		"unknown; 1 error; 2 bad command line.\n");
	if (fclose(f)) {
		free(text);
		return PB_EXIT_ERROR;
	}
	ret = pb_help_text(out, text);
	free(text);
	return ret;
}

/*
 * Whether every expectation holds on census view @c; each that does not
 * is said on stderr.  With pins the full census did not count, only one
 * on "dropped" is known: the others fail as unknown.
 */
static bool pins_judge(const struct pb_census_view *c, const struct pb_expect *ex,
		       unsigned int nex)
{
	double v[PM_NR] = { [PM_PAGES] = c->pages, [PM_DROPPED] = c->dropped };
	bool all = true;

	for (unsigned int i = 0; i < c->n; i++) {
		if (pb_dev_stable(c->rows[i].dev))
			v[PM_STABLE_PAGES] += c->rows[i].pages;
		if (c->rows[i].flags & PB_PIN_LONGTERM)
			v[PM_LONGTERM_PAGES] += c->rows[i].pages;
	}
	for (unsigned int i = 0; i < nex; i++) {
		const char *m = pins_metrics[ex[i].metric].name;

		if (c->dropped && ex[i].metric != PM_DROPPED) {
			fprintf(stderr,
				"pinbounce pins: expectation unknown: %s (the census is full: %llu pins not counted)\n",
				ex[i].text, (unsigned long long)c->dropped);
			all = false;
		} else if (!pb_expect_holds(&ex[i], v[ex[i].metric])) {
			fprintf(stderr, "pinbounce pins: expectation failed: %s (%s is %.0f)\n",
				ex[i].text, m, v[ex[i].metric]);
			all = false;
		}
	}
	return all;
}

/* -d DISK, --expect EXPR, --check: the words they took, or -1. */
static int pins_options(int argc, char **argv, __u32 *only, struct pb_expect *ex,
			unsigned int *nex)
{
	static const struct pb_metric_names names = {
		.n = PM_NR, .name = pins_metric, .help = "pinbounce pins help",
	};
	int i = 0;

	while (i < argc && argv[i][0] == '-' && argv[i][1]) {
		const char *a = argv[i], *val = NULL;

		if (!strcmp(a, "--check")) {
			val = CHECK_EXPR;
		} else if (!strncmp(a, "--expect=", 9)) {
			val = a + 9;
		} else if (!strcmp(a, "--expect") || !strcmp(a, "-d")) {
			if (i + 1 == argc) {
				p_usage(PB_PINS_USAGE, "pins: %s needs a value", a);
				return -1;
			}
			val = argv[++i];
			if (!strcmp(a, "-d")) {
				if (pb_dev_lookup(val, only))
					return -1;
				i++;
				continue;
			}
		} else {
			p_usage(PB_PINS_USAGE, "pins: unknown option '%s'", a);
			return -1;
		}
		if (*nex == PINS_MAX_EXPECT) {
			p_usage(PB_PINS_USAGE, "pins: more than %d expectations", PINS_MAX_EXPECT);
			return -1;
		}
		if (pb_expect_parse(val, &names, &ex[(*nex)++]))
			return -1;
		i++;
	}
	return i;
}

int do_pins(int argc, char **argv)
{
	struct pb_expect ex[PINS_MAX_EXPECT];
	struct pb_cgroups *cg = NULL;
	unsigned int nex = 0;
	struct pb_census ps;
	double interval = 0;
	long count = 0, done = 0;
	__u32 only = 0;
	int ret = PB_EXIT_OK, n;
	bool held = true;

	n = pins_options(argc, argv, &only, ex, &nex);
	if (n < 0)
		return PB_EXIT_USAGE;
	argc -= n;
	argv += n;
	if (pb_interval_args("pins", PB_PINS_USAGE, argc, argv, &interval, &count))
		return PB_EXIT_USAGE;
	if (nex && !interval) {
		p_usage(PB_PINS_USAGE,
			"pins: --expect and --check need an interval: how long to watch (pins taken before pins starts are met only as they are written back)");
		return PB_EXIT_USAGE;
	}
	if (nex && !count)
		count = 1;
	if (pb_census_open(&ps))
		return PB_EXIT_ERROR;
	cg = pb_cgroups_new();
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	pb_tracing("pins of page-cache pages", interval, count);
	while (!interval && !stop)
		pause();
	for (;;) {
		struct pb_census_view c;

		if (interval)
			pb_sleep(interval, &stop);
		if (pb_census_read(&ps, only, true, &c)) {
			ret = PB_EXIT_ERROR;
			break;
		}
		census_print(&ps, &c, cg);
		fflush(stdout);
		if (nex && !pins_judge(&c, ex, nex))
			held = false;
		pb_census_view_free(&c);
		done++;
		if (stop || !interval || (count && done >= count))
			break;
	}
	pb_cgroups_free(cg);
	pb_census_close(&ps);
	if (ret == PB_EXIT_OK && !held)
		ret = PINS_EXIT_EXPECT;
	return ret;
}
