// SPDX-License-Identifier: GPL-2.0
/*
 * The observers on a terminal, an interval at a time:
 *   pinbounce stats [-d DISK] [interval [count]]   counters and rates
 *   pinbounce hist [-d DISK] [-m] [interval [count]] latency histograms
 * Without an interval, what was seen until interrupted.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "blockdev.h"
#include "cli.h"
#include "observe.h"
#include "report.h"
#include "text.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct watch {
	const char *command;
	const char *what;	/* what it traces, for the banner */
	bool millis;		/* hist -m */
	void (*print)(const struct watch *w, const struct pb_span *sp);
};

static void timestamp(char *buf, size_t size)
{
	time_t t = time(NULL);

	strftime(buf, size, "%H:%M:%S", localtime(&t));
}

static void print_json(const struct watch *w, const struct pb_span *sp, unsigned int parts)
{
	json_t *doc = pb_json_doc(w->command, sp->o);

	json_object_set_new(doc, "interval_s", json_real(pb_span_secs(sp)));
	json_object_set_new(doc, "elapsed_s", json_real(sp->cur->time - sp->base->time));
	json_object_set_new(doc, "dropped_updates", pb_json_dropped(sp));
	json_object_set_new(doc, "devices", pb_json_devices(sp, parts));
	json_print(doc);
}

/*
 * Updates the observers lost since the start: the figures below are low.
 * Then, apart, the writes counted without a latency sample (untimed):
 * nothing of them is lost but their latency.
 */
static void print_dropped(const struct pb_span *sp)
{
	const char *sep = "lost since the start (the figures are low):";
	__u64 untimed = pb_span_dropped(sp, PB_DROP_UNTIMED);

	for (int i = 0; i < PB_NR_DROPS; i++) {
		__u64 d = pb_span_dropped(sp, i);

		if (!d || !pb_drop_loses[i])
			continue;
		printf("%s %llu %s", sep, (unsigned long long)d, pb_drop_names[i]);
		sep = ",";
	}
	if (sep[0] == ',')
		putchar('\n');
	if (untimed)
		printf("untimed since the start: %llu write%s, no latency sample (not a drop)\n",
		       (unsigned long long)untimed, untimed == 1 ? "" : "s");
}

static void print_stats(const struct watch *w, const struct pb_span *sp)
{
	double secs = pb_span_secs(sp), k = secs > 0 ? 1 / secs : 0;
	__u32 devs[256];
	unsigned int n = pb_snap_devices(sp->cur, sp->only, devs, ARRAY_SIZE(devs));
	char name[64], shown[PB_TEXT_SIZE(64)], tbuf[16];

	if (json_output) {
		print_json(w, sp, PB_J_TOTAL | PB_J_RATES | PB_J_CGROUPS);
		return;
	}
	timestamp(tbuf, sizeof(tbuf));
	if (!sp->o->bounce)
		printf("%s  unavailable: bounce decisions: %s\n", tbuf, PB_NO_BOUNCE);
	/* STABLE: the disk needs stable writes, where PINWB/s is exposure */
	printf("%-8s  %-10s %6s", tbuf, "DEVICE", "STABLE");
	for (unsigned int j = 0; j < PB_NR_COUNTERS; j++)
		if (pb_counter_info[j].stats_col[0] && pb_counter_available(sp->o, j))
			printf(" %9s", pb_counter_info[j].stats_col);
	putchar('\n');
	for (unsigned int i = 0; i < n; i++) {
		struct pb_obs_counters c;

		pb_span_counters(sp, devs[i], true, &c);
		printf("%-8s  %-10s %6s", "",
		       pb_text(shown, sizeof(shown), pb_dev_name(devs[i], name, sizeof(name))),
		       pb_dev_stable(devs[i]) ? "yes" : "no");
		for (unsigned int j = 0; j < PB_NR_COUNTERS; j++) {
			const struct pb_counter_info *ci = &pb_counter_info[j];

			if (ci->stats_col[0] && pb_counter_available(sp->o, j))
				printf(" %9.*f", ci->scale > 1 ? 2 : 0,
				       pb_counter_get(&c, j, -1) * k / ci->scale);
		}
		putchar('\n');
	}
	print_dropped(sp);
}

static const char *const hist_titles[PB_NR_HISTS] = {
	[PB_HIST_BOUNCE] = "bounce (allocation and copy), per bio",
	[PB_HIST_WRITE] = "write latency, submission to completion, not bounced",
	[PB_HIST_WRITE_BOUNCED] = "write latency, submission to completion, bounced",
};

/* A bucket bound in the unit: integers from 100 up, 3 digits below. */
static void bound(char *buf, size_t size, double v)
{
	if (v >= 100)
		snprintf(buf, size, "%.0f", floor(v));
	else
		snprintf(buf, size, "%.3g", v);
}

/* In the manner of biolatency: one line per log2 bucket, stars to scale. */
void pb_hist_print(const struct pb_hist *h, bool millis)
{
	const char *unit = millis ? "msecs" : "usecs";
	char a[24], b[24], c[24];
	double div = millis ? 1e6 : 1e3;
	unsigned int lo = 0, hi = 0;
	__u64 max = 0;

	if (!pb_hist_range(h, &lo, &hi)) {
		printf("     (no samples)\n");
		return;
	}
	for (unsigned int i = lo; i <= hi; i++)
		max = h->slots[i] > max ? h->slots[i] : max;
	printf("%10s%14s : count    distribution\n", unit, "");
	for (unsigned int i = lo; i <= hi; i++) {
		int stars = (int)(h->slots[i] * 40 / max);

		bound(a, sizeof(a), pb_slot_low(i) / div);
		bound(b, sizeof(b), (i < 63 ? pb_slot_low(i + 1) - 1 : UINT64_MAX) / div);
		printf("%10s -> %-10s : %-8llu |%-40.*s|\n", a, b,
		       (unsigned long long)h->slots[i], stars,
		       "****************************************");
	}
	bound(a, sizeof(a), pb_hist_mean(h) / div);
	bound(b, sizeof(b), pb_hist_quantile(h, 0.5) / div);
	bound(c, sizeof(c), pb_hist_quantile(h, 0.99) / div);
	printf("     count %llu, mean %s, p50 %s, p99 %s %s\n",
	       (unsigned long long)h->count, a, b, c, unit);
}

static void print_hist(const struct watch *w, const struct pb_span *sp)
{
	__u32 devs[256];
	unsigned int n = pb_snap_devices(sp->cur, sp->only, devs, ARRAY_SIZE(devs));
	char name[64], shown[PB_TEXT_SIZE(64)], tbuf[16];
	const char *dev;

	if (json_output) {
		print_json(w, sp, PB_J_HISTS);
		return;
	}
	timestamp(tbuf, sizeof(tbuf));
	printf("%s\n", tbuf);
	if (!sp->o->bounce)
		printf("unavailable: bounce cost and bounced-write latency: %s\n", PB_NO_BOUNCE);
	for (unsigned int i = 0; i < n; i++) {
		dev = pb_text(shown, sizeof(shown), pb_dev_name(devs[i], name, sizeof(name)));
		for (unsigned int k = 0; k < PB_NR_HISTS; k++) {
			struct pb_hist h;

			if (!sp->o->bounce && k != PB_HIST_WRITE)
				continue;
			pb_span_hist(sp, devs[i], k, &h);
			if (!h.count && k != PB_HIST_WRITE)
				continue;
			printf("\n%s: %s\n", dev, hist_titles[k]);
			pb_hist_print(&h, w->millis);
		}
	}
	print_dropped(sp);
	putchar('\n');
}

/* A number from @min, below 10^6, all of @s. */
static bool number(const char *s, double min, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return !errno && end != s && !*end && *v >= min && *v < 1e6;
}

void pb_tracing(const char *what, double interval, long count)
{
	if (count)
		return;
	if (interval)
		p_info("Tracing %s... Hit Ctrl-C to end.", what);
	else
		p_info("Tracing %s... Hit Ctrl-C to print what was seen and end.", what);
}

int pb_interval_args(const char *cmd, const char *usage, int argc, char **argv,
		     double *interval, long *count)
{
	double c = 0;

	*interval = 0;
	*count = 0;
	if (argc > 2) {
		p_usage(usage, "%s: unexpected '%s' after the count", cmd, argv[2]);
		return -1;
	}
	if (argc >= 1 && !number(argv[0], PB_MIN_INTERVAL, interval)) {
		p_usage(usage,
			"%s: the interval must be a number of seconds from %g, below 1000000, not '%s'",
			cmd, PB_MIN_INTERVAL, argv[0]);
		return -1;
	}
	if (argc == 2 && (!number(argv[1], 1, &c) || c != (long)c)) {
		p_usage(usage, "%s: the count must be a whole number from 1, not '%s'", cmd,
			argv[1]);
		return -1;
	}
	*count = (long)c;
	return 0;
}

void pb_sleep(double secs, volatile sig_atomic_t *stop)
{
	struct timespec ts = { (time_t)secs, (long)((secs - (time_t)secs) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR && !*stop)
		;
}

static int watch(const struct watch *w, __u32 only, double interval, long count)
{
	struct pb_obs_snap base, prev, cur;
	struct pb_span sp = { .base = &base, .prev = &prev, .cur = &cur, .only = only };
	struct pb_obs o;
	long done = 0;
	int err = 0;

	if (pb_obs_open(&o))
		return PB_EXIT_ERROR;
	sp.o = &o;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (pb_obs_snapshot(&o, &base) || pb_obs_snapshot(&o, &prev)) {
		pb_obs_snap_free(&base);
		pb_obs_close(&o);
		return PB_EXIT_ERROR;
	}
	pb_tracing(w->what, interval, count);
	if (!interval) {
		while (!stop)
			pause();
	}
	for (;;) {
		if (interval)
			pb_sleep(interval, &stop);
		if (pb_obs_snapshot(&o, &cur)) {
			err = -1;
			break;
		}
		w->print(w, &sp);
		fflush(stdout);
		pb_obs_snap_free(&prev);
		prev = cur;
		done++;
		if (stop || !interval || (count && done >= count))
			break;
	}
	pb_obs_snap_free(&prev);
	pb_obs_snap_free(&base);
	pb_obs_close(&o);
	return err ? PB_EXIT_ERROR : PB_EXIT_OK;
}

/* [-d DISK] [-m] [interval [count]], -m for hist only. */
static int parse_and_watch(struct watch *w, int argc, char **argv, const char *usage)
{
	double interval = 0;
	__u32 only = 0;
	long count = 0;

	while (argc && argv[0][0] == '-') {
		if (!strcmp(argv[0], "-d") && argc >= 2) {
			if (pb_dev_lookup(argv[1], &only))
				return PB_EXIT_ERROR;
			argc--;
			argv++;
		} else if (!strcmp(argv[0], "-m") && !strcmp(w->command, "hist")) {
			w->millis = true;
		} else {
			p_usage(usage, "%s: unknown option '%s'", w->command, argv[0]);
			return PB_EXIT_USAGE;
		}
		argc--;
		argv++;
	}
	if (pb_interval_args(w->command, usage, argc, argv, &interval, &count))
		return PB_EXIT_USAGE;
	return watch(w, only, interval, count);
}

int do_stats(int argc, char **argv)
{
	struct watch w = { .command = "stats", .what = "pinned writeback", .print = print_stats };

	return parse_and_watch(&w, argc, argv, PB_STATS_USAGE);
}

int do_hist(int argc, char **argv)
{
	struct watch w = { .command = "hist", .what = "bounces and writes", .print = print_hist };

	return parse_and_watch(&w, argc, argv, PB_HIST_USAGE);
}
