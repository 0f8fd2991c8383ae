// SPDX-License-Identifier: GPL-2.0
/*
 * pinbounce stats [-d DISK] [interval [count]]: what the bounce code saw
 * per device, as counters since the command started and rates per interval.
 * Without an interval, the totals when interrupted.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "observe.h"

#define PB_SCHEMA	"pinbounce/1"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The counters of device @dev (all devices for 0), cgroups added up. */
static void dev_total(const struct pb_obs_snap *s, __u32 dev, struct pb_obs_counters *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int r = 0; r < s->nrows; r++) {
		const __u64 *from = (const __u64 *)&s->rows[r].c;
		__u64 *to = (__u64 *)out;

		if (dev && s->rows[r].key.dev != dev)
			continue;
		for (size_t i = 0; i < sizeof(*out) / sizeof(__u64); i++)
			to[i] += from[i];
	}
}

static json_t *by_decider(const __u64 v[PB_NR_DECIDERS])
{
	return json_pack("{s:I,s:I}", "policy", (json_int_t)v[PB_BY_POLICY],
			 "kernel", (json_int_t)v[PB_BY_KERNEL]);
}

static json_t *counters_json(const struct pb_obs_counters *c)
{
	return json_pack("{s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:o}",
			 "candidate_bios", (json_int_t)c->candidate_bios,
			 "pinned_bios", (json_int_t)c->pinned_bios,
			 "pinned_pages", (json_int_t)c->pinned_pages,
			 "bounced_bios", by_decider(c->bounced_bios),
			 "bounced_pages", by_decider(c->bounced_pages),
			 "bounced_bytes", by_decider(c->bounced_bytes),
			 "passthrough_bios", by_decider(c->passthrough_bios),
			 "passthrough_pages", by_decider(c->passthrough_pages));
}

/* The devices seen so far, in the order of the newest snapshot. */
static unsigned int devices(const struct pb_obs_snap *s, __u32 only, __u32 *devs,
			    unsigned int max)
{
	unsigned int n = 0;

	for (unsigned int r = 0; r < s->nrows && n < max; r++) {
		__u32 d = s->rows[r].key.dev;
		unsigned int i;

		if (only && d != only)
			continue;
		for (i = 0; i < n && devs[i] != d; i++)
			;
		if (i == n)
			devs[n++] = d;
	}
	return n;
}

static double rate(__u64 now, __u64 then, double secs)
{
	return secs > 0 && now >= then ? (now - then) / secs : 0;
}

/* What a line of the report shows: counters added over who decided. */
enum { R_CAND, R_PINNED, R_PGPIN, R_BOUNCED, R_PGBNC, R_BYTES, R_PASS, R_NR };

static const char * const rate_names[R_NR] = {
	"candidate_bios", "pinned_bios", "pinned_pages", "bounced_bios",
	"bounced_pages", "bounced_bytes", "passthrough_bios",
};

static void flatten(const struct pb_obs_counters *c, __u64 v[R_NR])
{
	v[R_CAND] = c->candidate_bios;
	v[R_PINNED] = c->pinned_bios;
	v[R_PGPIN] = c->pinned_pages;
	v[R_BOUNCED] = c->bounced_bios[0] + c->bounced_bios[1];
	v[R_PGBNC] = c->bounced_pages[0] + c->bounced_pages[1];
	v[R_BYTES] = c->bounced_bytes[0] + c->bounced_bytes[1];
	v[R_PASS] = c->passthrough_bios[0] + c->passthrough_bios[1];
}

#define UNAVAILABLE	"pinned-page counters: the kernel has no bounce series (kernel-patch/)"

static json_t *device_json(__u32 dev, const struct pb_obs_counters *c, const double r[R_NR])
{
	json_t *per = json_object();
	char name[64], num[32];

	for (int i = 0; i < R_NR; i++)
		json_object_set_new(per, rate_names[i], json_real(r[i]));
	snprintf(num, sizeof(num), "%u:%u", dev >> 20, dev & 0xfffff);
	return json_pack("{s:s,s:s,s:o,s:o}", "device", pb_dev_name(dev, name, sizeof(name)),
			 "dev", num, "total", counters_json(c), "per_second", per);
}

static void print_interval(const struct pb_obs *o, const struct pb_obs_snap *cur,
			   const struct pb_obs_snap *prev, __u32 only, double start)
{
	double secs = cur->time - prev->time;
	__u32 devs[64];
	unsigned int n = devices(cur, only, devs, ARRAY_SIZE(devs));
	json_t *arr = json_array();
	char name[64], tbuf[16];
	time_t t = time(NULL);

	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", localtime(&t));
	if (!json_output && !o->bounce)
		printf("%s  unavailable: %s\n", tbuf, UNAVAILABLE);
	else if (!json_output)
		printf("%-8s  %-10s %9s %9s %9s %9s %9s %9s %9s\n", tbuf, "DEVICE", "CAND/s",
		       "PINNED/s", "PGPIN/s", "BOUNCE/s", "PGBNC/s", "MiB/s", "PASS/s");
	for (unsigned int i = 0; o->bounce && i < n; i++) {
		struct pb_obs_counters c, p;
		__u64 vc[R_NR], vp[R_NR];
		double r[R_NR];

		dev_total(cur, devs[i], &c);
		dev_total(prev, devs[i], &p);
		flatten(&c, vc);
		flatten(&p, vp);
		for (int k = 0; k < R_NR; k++)
			r[k] = rate(vc[k], vp[k], secs);
		if (json_output) {
			json_array_append_new(arr, device_json(devs[i], &c, r));
			continue;
		}
		printf("%-8s  %-10s %9.0f %9.0f %9.0f %9.0f %9.0f %9.2f %9.0f\n", "",
		       pb_dev_name(devs[i], name, sizeof(name)), r[R_CAND], r[R_PINNED],
		       r[R_PGPIN], r[R_BOUNCED], r[R_PGBNC], r[R_BYTES] / (1 << 20), r[R_PASS]);
	}
	if (json_output) {
		json_t *doc = json_pack("{s:s,s:s,s:f,s:f,s:b,s:o}", "schema", PB_SCHEMA,
					"command", "stats", "interval_s", secs,
					"elapsed_s", cur->time - start,
					"bounce_observed", o->bounce, "devices", arr);

		if (!o->bounce)
			json_object_set_new(doc, "unavailable", json_pack("[s]", UNAVAILABLE));
		json_print(doc);
	} else {
		json_decref(arr);
	}
	fflush(stdout);
}

/* A positive number, all of @s. */
static bool positive(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return !errno && end != s && !*end && *v > 0;
}

int do_stats(int argc, char **argv)
{
	struct pb_obs_snap prev, cur;
	double interval = 0, count = 0, start;
	long done = 0;
	struct pb_obs o;
	__u32 only = 0;
	int err = 0;

	if (argc >= 2 && !strcmp(argv[0], "-d")) {
		if (pb_dev_lookup(argv[1], &only))
			return PB_EXIT_ERROR;
		argc -= 2;
		argv += 2;
	}
	if (argc > 2 || (argc >= 1 && !positive(argv[0], &interval)) ||
	    (argc == 2 && (!positive(argv[1], &count) || count != (long)count))) {
		p_err("usage: pinbounce stats [-d DISK] [interval [count]]");
		return PB_EXIT_USAGE;
	}
	if (geteuid()) {
		p_err("pinbounce needs root to attach its observers");
		return PB_EXIT_ERROR;
	}
	if (pb_obs_open(&o))
		return PB_EXIT_ERROR;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (pb_obs_snapshot(&o, &prev)) {
		pb_obs_close(&o);
		return PB_EXIT_ERROR;
	}
	start = prev.time;
	if (!interval) {
		while (!stop)
			pause();
	}
	for (;;) {
		if (interval) {
			struct timespec ts = { (time_t)interval,
					       (long)((interval - (time_t)interval) * 1e9) };

			while (nanosleep(&ts, &ts) && errno == EINTR && !stop)
				;
		}
		if (pb_obs_snapshot(&o, &cur)) {
			err = -1;
			break;
		}
		print_interval(&o, &cur, &prev, only, start);
		pb_obs_snap_free(&prev);
		prev = cur;
		done++;
		if (stop || !interval || (count && done >= count))
			break;
	}
	pb_obs_snap_free(&prev);
	pb_obs_close(&o);
	return err ? PB_EXIT_ERROR : PB_EXIT_OK;
}
