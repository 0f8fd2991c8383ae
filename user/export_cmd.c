// SPDX-License-Identifier: GPL-2.0
/*
 * pinbounce export [--listen ADDR:PORT] [--textfile PATH [--interval SECS] [--once]]
 *
 * The observers' counters and histograms, the policy's hits and what the
 * BPF programs cost, in the Prometheus text exposition format (0.0.4):
 * served at /metrics over HTTP (libmicrohttpd, its own polling thread),
 * written to a file for node_exporter's textfile collector, or both.
 *
 * Every scrape and every file reads the BPF maps afresh.  The counters are
 * cumulative since the exporter attached its observers; the maps are the
 * exporter's own, so other readers (stats, hist, another exporter) are
 * unaffected by it, and the one thing it takes out of them, the rows of
 * cgroups that are gone, it keeps counting in a row of their own.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <microhttpd.h>
#include "cgroup_cache.h"
#include "cli.h"
#include "observe.h"
#include "report.h"
#include "observe.skel.h"

#define USAGE		"pinbounce export [--listen ADDR:PORT] [--textfile PATH [--interval SECS] [--once]]"
#define DEFAULT_LISTEN	"127.0.0.1:9435"
#define DEFAULT_SECS	15
#define CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/*
 * A slow client (a request trickling in a byte at a time) holds a
 * connection for as long as it likes, since the timeout counts idle time
 * only: one address gets CONN_PER_IP connections at most, so that one
 * client cannot take them all from the scrapers (Prometheus scrapes one
 * at a time), CONN_MAX in all; a connection IDLE_SECS idle is closed.
 */
#define CONN_MAX	128U
#define CONN_PER_IP	4U
#define IDLE_SECS	5U
/* Each of libmicrohttpd's messages at most so often. */
#define LOG_EVERY_SECS	60

/*
 * Histogram buckets: slot i of the observers holds [2^i, 2^(i+1)) ns, all
 * below 2^(i+1) ns, so the bucket le=2^k ns adds up slots 0 to k-1.  Every
 * series has the same bounds, 2^10 ns (about 1 us: the slots below are
 * folded into it) to 2^36 ns (about 69 s); the slots above count in +Inf.
 */
#define LE_FIRST	10
#define LE_LAST		36

/* What the rows of removed cgroups had counted, by device. */
struct gone {
	__u32 dev;
	struct pb_obs_counters c;
};

struct exporter {
	struct pb_obs o;
	int stats_fd;			/* bpf_enable_stats(), or -1 */
	double start_time;		/* Unix time the observers attached */
	double process_start;		/* Unix time the process started, or 0 */
	pthread_mutex_t lock;		/* one exposition at a time, and the below */
	struct pb_cgroups *cgroups;	/* NULL: every cgroup is "cgroup:ID" */
	struct gone *gone;
	unsigned int ngone;
};

/* A metric family: its HELP and TYPE go out before its first sample. */
struct family {
	const char *name;
	const char *type;
	const char *help;
};

struct out {
	FILE *f;
	const struct family *cur;
};

/* label="value" pairs, escaped, ready to go between braces. */
struct labels {
	char s[1024];
	size_t len;
	bool full;
};

static void label(struct labels *l, const char *name, const char *value)
{
	char clean[sizeof(l->s)], buf[sizeof(l->s)];
	size_t n = 0;

	pb_utf8_escape(clean, sizeof(clean), value);
	for (const char *p = clean; *p && n + 2 < sizeof(buf); p++) {
		if (*p == '\\' || *p == '"' || *p == '\n') {
			buf[n++] = '\\';
			buf[n++] = *p == '\n' ? 'n' : *p;
		} else {
			buf[n++] = *p;
		}
	}
	buf[n] = '\0';
	n = snprintf(l->s + l->len, sizeof(l->s) - l->len, "%s%s=\"%s\"", l->len ? "," : "",
		     name, buf);
	if (n >= sizeof(l->s) - l->len) {
		l->full = true;	/* never a half label: drop it */
		l->s[l->len] = '\0';
		return;
	}
	l->len += n;
}

/* A count of nanoseconds in seconds, exactly: "68.719476736", "0.000001024". */
static void ns_secs(char *buf, size_t size, unsigned long long ns)
{
	size_t n = snprintf(buf, size, "%llu.%09llu", ns / 1000000000ULL, ns % 1000000000ULL);

	while (n > 1 && n < size && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 1 && n < size && buf[n - 1] == '.')
		buf[--n] = '\0';
}

static void sample(struct out *w, const struct family *fam, const char *suffix,
		   const struct labels *l, const char *value)
{
	if (w->cur != fam) {
		fprintf(w->f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name,
			fam->type);
		w->cur = fam;
	}
	fprintf(w->f, "%s%s%s%s%s %s\n", fam->name, suffix, l && l->len ? "{" : "",
		l ? l->s : "", l && l->len ? "}" : "", value);
}

static void sample_u64(struct out *w, const struct family *fam, const struct labels *l,
		       unsigned long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", v);
	sample(w, fam, "", l, buf);
}

static void sample_f(struct out *w, const struct family *fam, const struct labels *l, double v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.6f", v);	/* Unix times to the microsecond */
	sample(w, fam, "", l, buf);
}

/* The observers' counters */

static const char *const decider_names[PB_NR_DECIDERS] = {
	[PB_BY_KERNEL] = "kernel",
	[PB_BY_POLICY] = "policy",
};

/* The label of removed cgroups' rows: no cgroup's path looks like it. */
#define GONE_CGROUP	"(gone)"
/* Every counter family's help ends so. */
#define BY_CGROUP	" By device and cgroup; cgroup=\"" GONE_CGROUP "\" adds up the cgroups " \
		"removed since the exporter started (their own series end), so that " \
		"sums over cgroups never go back."

/* The families of the observers' counters, from PB_COUNTERS. */
#define COUNTER_FAMILY(n, split, stats, top, key, scale, help) \
	[PB_CTR_##n] = { "pinbounce_" #n "_total", "counter", help BY_CGROUP },

static const struct family counter_families[PB_NR_COUNTERS] = {
	PB_COUNTERS(COUNTER_FAMILY)
};

/* One device and cgroup, as the labels name them. */
struct crow {
	char device[64];
	char cgroup[256];
	struct pb_obs_counters c;
	struct labels l;		/* device and cgroup */
};

static int crow_cmp(const void *a, const void *b)
{
	const struct crow *x = a, *y = b;
	int d = strcmp(x->device, y->device);

	return d ? d : strcmp(x->cgroup, y->cgroup);
}

/* @dev's gone row, made if new; NULL when out of memory. */
static struct gone *gone_of(struct exporter *e, __u32 dev)
{
	struct gone *more;

	for (unsigned int i = 0; i < e->ngone; i++)
		if (e->gone[i].dev == dev)
			return &e->gone[i];
	more = realloc(e->gone, (e->ngone + 1) * sizeof(*more));
	if (!more)
		return NULL;
	e->gone = more;
	more[e->ngone] = (struct gone){ .dev = dev };
	return &more[e->ngone++];
}

/*
 * Move the row of a removed cgroup out of the counters map into its
 * device's gone row: nothing it counted is lost, and the map keeps room
 * for the cgroups to come.  Read and deleted in one call, so that a write
 * completing meanwhile is not lost either; a late writeback of the dead
 * cgroup's pages makes the row again, and it moves again.
 */
static int fold_gone(struct exporter *e, const struct pb_obs_key *key)
{
	struct pb_obs_counters *per = calloc(e->o.ncpus, sizeof(*per));
	struct gone *g = gone_of(e, key->dev);
	int err = -1;

	if (g && per &&
	    !bpf_map_lookup_and_delete_elem(bpf_map__fd(e->o.skel->maps.counters), key, per)) {
		for (int cpu = 0; cpu < e->o.ncpus; cpu++)
			pb_counters_add(&g->c, &per[cpu]);
		err = 0;
	}
	free(per);
	return err;
}

/* Device names, each read once a scrape rather than for every row. */
struct dev_names {
	unsigned int n;
	struct {
		__u32 dev;
		char name[64];
	} d[16];
};

/* @dev's name as its label has it (see merge_rows()). */
static void dev_name(struct dev_names *dn, __u32 dev, char *buf, size_t size)
{
	char raw[64];
	unsigned int i;

	for (i = 0; i < dn->n && dn->d[i].dev != dev; i++)
		;
	if (i < dn->n) {
		snprintf(buf, size, "%s", dn->d[i].name);
		return;
	}
	pb_utf8_escape(buf, size, pb_dev_name(dev, raw, sizeof(raw)));
	if (dn->n < ARRAY_SIZE(dn->d)) {
		dn->d[dn->n].dev = dev;
		snprintf(dn->d[dn->n++].name, sizeof(dn->d[0].name), "%s", buf);
	}
}

/*
 * Rows with the same labels added up: a label set may appear only once.
 * The names are compared as the labels have them, escaped and cut, since
 * two names can come out alike.
 */
static unsigned int merge_rows(struct crow *rows, unsigned int n)
{
	unsigned int m = 0;

	qsort(rows, n, sizeof(*rows), crow_cmp);
	for (unsigned int i = 0; i < n; i++) {
		if (m && !crow_cmp(&rows[m - 1], &rows[i]))
			pb_counters_add(&rows[m - 1].c, &rows[i].c);
		else
			rows[m++] = rows[i];
	}
	return m;
}

/*
 * The rows of the snapshot, named, but those of removed cgroups, which
 * move into their device's cgroup="(gone)" row; then one row for each
 * label set (a cgroup removed and made again under its old path, or
 * names alike once cut or escaped, add up).
 */
static struct crow *counter_rows(struct exporter *e, const struct pb_obs_snap *s,
				 unsigned int *n)
{
	struct crow *rows = calloc(s->nrows + 1, sizeof(*rows)), *more;
	struct dev_names dn = {};
	unsigned int m = 0;

	if (!rows)
		return NULL;
	pb_cgroups_next(e->cgroups);
	for (unsigned int i = 0; i < s->nrows; i++) {
		const struct pb_obs_row *r = &s->rows[i];
		char path[PATH_MAX];

		enum pb_cg_state cs = pb_cgroups_path(e->cgroups, r->key.cgroup_id, path,
						      sizeof(path));

		if (cs == PB_CG_GONE && !fold_gone(e, &r->key))
			continue;	/* else shown as "cgroup:ID" */
		pb_utf8_escape(rows[m].cgroup, sizeof(rows[m].cgroup), path);
		dev_name(&dn, r->key.dev, rows[m].device, sizeof(rows[m].device));
		rows[m++].c = r->c;
	}
	more = realloc(rows, (m + e->ngone + 1) * sizeof(*rows));
	if (!more) {
		free(rows);	/* what was moved stays in e->gone */
		return NULL;
	}
	rows = more;
	for (unsigned int i = 0; i < e->ngone; i++) {
		memset(&rows[m], 0, sizeof(rows[m]));
		dev_name(&dn, e->gone[i].dev, rows[m].device, sizeof(rows[m].device));
		snprintf(rows[m].cgroup, sizeof(rows[m].cgroup), "%s", GONE_CGROUP);
		rows[m++].c = e->gone[i].c;
	}
	*n = merge_rows(rows, m);
	for (unsigned int i = 0; i < *n; i++) {
		label(&rows[i].l, "device", rows[i].device);
		label(&rows[i].l, "cgroup", rows[i].cgroup);
	}
	return rows;
}

static void put_counters(struct out *w, struct exporter *e, const struct pb_obs_snap *s)
{
	unsigned int n = 0;
	struct crow *rows = counter_rows(e, s, &n);

	if (!rows)
		return;
	for (unsigned int k = 0; k < PB_NR_COUNTERS; k++) {
		for (unsigned int r = 0; r < n; r++) {
			if (!pb_counter_info[k].split) {
				sample_u64(w, &counter_families[k], &rows[r].l,
					   pb_counter_get(&rows[r].c, k, -1));
				continue;
			}
			for (int d = PB_NR_DECIDERS - 1; d >= 0; d--) {
				struct labels ld = rows[r].l;

				label(&ld, "decided_by", decider_names[d]);
				sample_u64(w, &counter_families[k], &ld,
					   pb_counter_get(&rows[r].c, k, d));
			}
		}
	}
	free(rows);
}

/* The histograms */

static const struct family bounce_hist = {
	"pinbounce_bounce_duration_seconds", "histogram",
	"Time the block layer took to bounce a bio's pinned pages (allocating the bounce pages and copying), one observation per bounced bio.",
};

static const struct family write_hist = {
	"pinbounce_write_latency_seconds", "histogram",
	"Write bio latency from queueing to the completion of its request. bounced=\"true\": bios whose pinned pages were bounced; bounced=\"false\": every other write. The two are disjoint: add them up for all writes.",
};

static void put_hist(struct out *w, const struct family *fam, const struct labels *base,
		     const struct pb_hist *h)
{
	unsigned long long cum = 0;
	unsigned int slot = 0;
	char le[32], val[32];

	for (unsigned int k = LE_FIRST; k <= LE_LAST; k++) {
		struct labels l = *base;

		while (slot < k)
			cum += h->slots[slot++];
		ns_secs(le, sizeof(le), 1ULL << k);
		label(&l, "le", le);
		snprintf(val, sizeof(val), "%llu", cum);
		sample(w, fam, "_bucket", &l, val);
	}
	while (slot < PB_HIST_SLOTS)
		cum += h->slots[slot++];
	{
		struct labels l = *base;

		label(&l, "le", "+Inf");
		snprintf(val, sizeof(val), "%llu", cum);
		sample(w, fam, "_bucket", &l, val);
	}
	ns_secs(val, sizeof(val), h->sum_ns);
	sample(w, fam, "_sum", base, val);
	/* The slots, not h->count: a scrape may fall between their updates. */
	snprintf(val, sizeof(val), "%llu", cum);
	sample(w, fam, "_count", base, val);
}

#define MAX_HIST_DEVS	256

struct hdev {
	unsigned int dev;
	char name[64];
};

static int hdev_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hdev *)a)->name, ((const struct hdev *)b)->name);
}

static void put_hists(struct out *w, const struct pb_obs *o, const struct pb_obs_snap *s)
{
	__u32 ids[MAX_HIST_DEVS];
	unsigned int n = pb_snap_devices(s, 0, ids, MAX_HIST_DEVS);
	struct hdev devs[MAX_HIST_DEVS];
	struct pb_hist h;

	for (unsigned int i = 0; i < n; i++) {
		devs[i].dev = ids[i];
		pb_dev_name(ids[i], devs[i].name, sizeof(devs[i].name));
	}
	qsort(devs, n, sizeof(*devs), hdev_cmp);
	for (unsigned int i = 0; o->bounce && i < n; i++) {
		struct labels l = {};

		label(&l, "device", devs[i].name);
		pb_snap_hist(s, devs[i].dev, PB_HIST_BOUNCE, &h);
		put_hist(w, &bounce_hist, &l, &h);
	}
	for (unsigned int i = 0; i < n; i++) {
		struct labels l = {}, lb;

		label(&l, "device", devs[i].name);
		lb = l;
		label(&l, "bounced", "false");
		pb_snap_hist(s, devs[i].dev, PB_HIST_WRITE, &h);
		put_hist(w, &write_hist, &l, &h);
		if (!o->bounce)
			continue;
		label(&lb, "bounced", "true");
		pb_snap_hist(s, devs[i].dev, PB_HIST_WRITE_BOUNCED, &h);
		put_hist(w, &write_hist, &lb, &h);
	}
}

/* The BPF programs */

static const struct family progs_attached = {
	"pinbounce_bpf_programs_attached", "gauge",
	"BPF programs attached: the exporter's observers (those this kernel can run) and the policy program, when a policy is attached.",
};

static const struct family prog_runs = {
	"pinbounce_bpf_program_runs_total", "counter",
	"Times the BPF program ran while the kernel's BPF run-time statistics were enabled (the exporter enables them while it runs; see pinbounce_bpf_stats_enabled).",
};

static const struct family prog_secs = {
	"pinbounce_bpf_program_run_seconds_total", "counter",
	"Time the BPF program ran while the kernel's BPF run-time statistics were enabled.",
};

static const struct family stats_enabled = {
	"pinbounce_bpf_stats_enabled", "gauge",
	"1 if the kernel's BPF run-time statistics are enabled, which the pinbounce_bpf_program_run* counters need.",
};

struct prog_stat {
	char name[BPF_OBJ_NAME_LEN + 16];
	unsigned long long runs, ns;
};

static bool prog_stat(int fd, const char *name, struct prog_stat *p)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return false;
	snprintf(p->name, sizeof(p->name), "%s", name ? name : info.name);
	p->runs = info.run_cnt;
	p->ns = info.run_time_ns;
	return true;
}

/* The program of the pinned policy link, checked as every command does; or -1. */
static int policy_prog_fd(void)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	struct pb_state st;
	int fd = -1;

	/* Nothing pinned: no need to check and lock the policy's directory. */
	if (access(PB_PIN_DIR "/link", F_OK) || state_open(&st, PB_STATE_READ))
		return -1;
	if (state_attached(&st) && !bpf_obj_get_info_by_fd(st.link_fd, &info, &len))
		fd = bpf_prog_get_fd_by_id(info.prog_id);
	state_close(&st);
	return fd;
}

static bool stats_on(const struct exporter *e)
{
	FILE *f;
	int c;

	if (e->stats_fd >= 0)
		return true;
	f = fopen("/proc/sys/kernel/bpf_stats_enabled", "r");
	if (!f)
		return false;
	c = fgetc(f);
	fclose(f);
	return c == '1';
}

static void put_programs(struct out *w, const struct exporter *e)
{
	struct prog_stat ps[16];
	struct bpf_program *prog;
	unsigned int n = 0;
	int fd;

	bpf_object__for_each_program(prog, e->o.skel->obj) {
		fd = bpf_program__fd(prog);
		if (fd >= 0 && n < ARRAY_SIZE(ps) && prog_stat(fd, bpf_program__name(prog), &ps[n]))
			n++;
	}
	fd = policy_prog_fd();
	if (fd >= 0) {
		if (n < ARRAY_SIZE(ps) && prog_stat(fd, NULL, &ps[n]))
			n++;
		close(fd);
	}
	sample_u64(w, &stats_enabled, NULL, stats_on(e));
	sample_u64(w, &progs_attached, NULL, n);
	for (unsigned int i = 0; i < n; i++) {
		struct labels l = {};

		label(&l, "program", ps[i].name);
		sample_u64(w, &prog_runs, &l, ps[i].runs);
	}
	for (unsigned int i = 0; i < n; i++) {
		struct labels l = {};
		char v[32];

		label(&l, "program", ps[i].name);
		ns_secs(v, sizeof(v), ps[i].ns);
		sample(w, &prog_secs, "", &l, v);
	}
}

/* The policy */

static const struct family policy_attached = {
	"pinbounce_policy_attached", "gauge",
	"1 if a pinbounce policy program is attached to the kernel's bounce hook, 0 if the kernel decides alone.",
};

static const struct family policy_generation = {
	"pinbounce_policy_generation", "gauge",
	"Generation of the policy in force, one more at every change (load, add, del, clear); 0 when no policy is attached. The rule counters restart at every generation.",
};

static const struct family rule_hits = {
	"pinbounce_policy_rule_hits_total", "counter",
	"Decisions made by the policy rule, by the action taken; from 0 when the rule is loaded or added (policy add and del keep the others').",
};

static const struct family rule_audit = {
	"pinbounce_policy_rule_audit_hits_total", "counter",
	"Decisions an audit rule would have made, by action (the bio went on to the next rules); from 0 when the rule is loaded or added (policy add and del keep the others').",
};

static const struct family rule_over = {
	"pinbounce_policy_rule_over_budget_total", "counter",
	"Decisions of the rule that found its rate budget spent and took its 'then' action; from 0 when the rule is loaded or added (policy add and del keep the others').",
};

static const struct family unmatched = {
	"pinbounce_policy_unmatched_total", "counter",
	"Decisions on bios no rule matched, by the action of the policy's default; from 0 at every policy load (policy add and del keep it).",
};

static const char *const action_names[] = {
	[PB_ACTION_DEFAULT] = "default",
	[PB_ACTION_BOUNCE] = "bounce",
	[PB_ACTION_PASSTHROUGH] = "passthrough",
};

static void put_actions(struct out *w, const struct family *fam, const char *rule,
			const unsigned long long *hits)
{
	for (unsigned int a = 0; a < ARRAY_SIZE(action_names); a++) {
		struct labels l = {};

		if (rule)
			label(&l, "rule", rule);
		label(&l, "action", action_names[a]);
		sample_u64(w, fam, &l, hits[a]);
	}
}

static void put_policy(struct out *w)
{
	struct pb_policy_view *v = calloc(1, sizeof(*v));

	if (!v)
		return;
	/* Nothing pinned: no need to take the lock of the policy's directory. */
	if (access(PB_PIN_DIR "/link", F_OK) || pb_policy_view_read(v))
		v->attached = false;
	sample_u64(w, &policy_attached, NULL, v->attached);
	sample_u64(w, &policy_generation, NULL, v->attached ? v->generation : 0);
	if (!v->attached) {
		free(v);
		return;
	}
	for (unsigned int i = 0; i < v->nrules; i++)
		put_actions(w, &rule_hits, v->rules[i].name,
			    (const unsigned long long *)v->rules[i].s.hits);
	for (unsigned int i = 0; i < v->nrules; i++)
		if (v->rules[i].audit)
			put_actions(w, &rule_audit, v->rules[i].name,
				    (const unsigned long long *)v->rules[i].s.audit_hits);
	for (unsigned int i = 0; i < v->nrules; i++) {
		struct labels l = {};

		label(&l, "rule", v->rules[i].name);
		sample_u64(w, &rule_over, &l, v->rules[i].s.over_budget);
	}
	put_actions(w, &unmatched, NULL, (const unsigned long long *)v->unmatched.hits);
	free(v);
}

/* The exporter itself */

static const struct family series_available = {
	"pinbounce_series_available", "gauge",
	"1 if the running kernel lets the exporter observe the series, 0 if not: counters, bounce and write_bounced need the pinbounce kernel series (kernel-patch/); write is always observed.",
};

static const struct family build_info = {
	"pinbounce_build_info", "gauge",
	"Always 1: the version of pinbounce and of the libbpf it runs with.",
};

static const struct family start_time = {
	"pinbounce_start_time_seconds", "gauge",
	"Unix time the exporter attached its observers: their counters and histograms count from then.",
};

static const struct family dropped = {
	"pinbounce_observer_dropped_updates_total", "counter",
	"Updates the observers lost: a row of counters or a histogram, their table full (counters, histograms), a write's start time, its table full (inflight), a write that completed with no start time, evicted from the table of writes in flight or queued before the exporter started (untimed).",
};

static const struct family process_start = {
	"process_start_time_seconds", "gauge",
	"Start time of the process since unix epoch in seconds.",
};

static const struct family scrape_secs = {
	"pinbounce_scrape_duration_seconds", "gauge",
	"Time it took to read the BPF maps and build this exposition.",
};

static void put_self(struct out *w, const struct exporter *e, const struct pb_obs_snap *s,
		     bool http)
{
	const struct {
		const char *name;
		bool on;
	} series[] = {
		{ "counters", e->o.bounce },
		{ "bounce", e->o.bounce },
		{ "write_bounced", e->o.bounce },
		{ "write", true },
	};
	struct labels l = {};

	for (size_t i = 0; i < ARRAY_SIZE(series); i++) {
		struct labels ls = {};

		label(&ls, "series", series[i].name);
		sample_u64(w, &series_available, &ls, series[i].on);
	}
	label(&l, "version", PB_VERSION);
	label(&l, "libbpf", libbpf_version_string());
	sample_u64(w, &build_info, &l, 1);
	sample_f(w, &start_time, NULL, e->start_time);
	if (http && e->process_start > 0)
		sample_f(w, &process_start, NULL, e->process_start);
	for (size_t i = 0; i < PB_NR_DROPS; i++) {
		struct labels lt = {};

		label(&lt, "table", pb_drop_names[i]);
		sample_u64(w, &dropped, &lt, s->dropped[i]);
	}
}

/*
 * The whole exposition, malloc'ed, or NULL.  @http adds the process_*
 * metrics, which node_exporter has already of its own.
 */
static char *exposition(struct exporter *e, bool http, size_t *len)
{
	struct pb_obs_snap s;
	char *buf = NULL;
	struct out w = {};
	double t0;
	int bad;

	pthread_mutex_lock(&e->lock);
	t0 = pb_clock(CLOCK_MONOTONIC);
	w.f = open_memstream(&buf, len);
	if (!w.f) {
		pthread_mutex_unlock(&e->lock);
		p_err("export: out of memory");
		return NULL;
	}
	if (pb_obs_snapshot(&e->o, &s)) {
		fclose(w.f);
		free(buf);
		pthread_mutex_unlock(&e->lock);
		return NULL;
	}
	if (e->o.bounce)
		put_counters(&w, e, &s);
	put_hists(&w, &e->o, &s);
	put_self(&w, e, &s, http);
	put_programs(&w, e);
	put_policy(&w);
	pb_obs_snap_free(&s);
	sample_f(&w, &scrape_secs, NULL, pb_clock(CLOCK_MONOTONIC) - t0);
	bad = ferror(w.f);
	bad |= fclose(w.f);
	pthread_mutex_unlock(&e->lock);
	if (bad) {
		free(buf);
		p_err("export: out of memory");
		return NULL;
	}
	return buf;
}

/* HTTP */

static const char index_page[] =
	"<html><head><title>pinbounce exporter</title></head>\n"
	"<body><h1>pinbounce exporter</h1>\n"
	"<p><a href=\"/metrics\">Metrics</a></p></body></html>\n";

/* @body: malloc'ed and given away with @must_free, else static. */
static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int status,
			       const char *type, const char *body, size_t len, bool must_free)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body, must_free ?
					    MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		if (must_free)
			free((void *)body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **req_cls)
{
	static const char not_found[] = "Not found: the metrics are at /metrics\n";
	static const char not_allowed[] = "Only GET and HEAD\n";
	static const char failed[] = "Cannot read the observers (see the exporter's stderr)\n";
	const char *plain = "text/plain; charset=utf-8";
	char *body;
	size_t len;

	(void)version;
	(void)upload_data;
	(void)upload_size;
	(void)req_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED, plain, not_allowed,
			       strlen(not_allowed), false);
	if (!strcmp(url, "/"))
		return respond(conn, MHD_HTTP_OK, "text/html; charset=utf-8", index_page,
			       strlen(index_page), false);
	if (strcmp(url, "/metrics"))
		return respond(conn, MHD_HTTP_NOT_FOUND, plain, not_found, strlen(not_found),
			       false);
	body = exposition(cls, true, &len);
	if (!body)
		return respond(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, plain, failed,
			       strlen(failed), false);
	return respond(conn, MHD_HTTP_OK, CONTENT_TYPE, body, len, true);
}

/*
 * Whether a message of format @fmt is due, each at most once every
 * LOG_EVERY_SECS: a flood of connections, each refused with a message,
 * must not flood the log too.  @skipped: how many were not since.
 */
static bool log_due(const char *fmt, unsigned long *skipped)
{
	static struct {
		const char *fmt;	/* libmicrohttpd's, which stay */
		double last;
		unsigned long skipped;
	} seen[16];
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	double now = pb_clock(CLOCK_MONOTONIC);
	unsigned int i, old = 0;
	bool due;

	pthread_mutex_lock(&lock);
	for (i = 0; i < ARRAY_SIZE(seen) && seen[i].fmt != fmt; i++)
		if (seen[i].last < seen[old].last)
			old = i;
	if (i == ARRAY_SIZE(seen)) {
		i = old;	/* the one least recently said makes room */
		seen[i].fmt = fmt;
		seen[i].last = -LOG_EVERY_SECS;
		seen[i].skipped = 0;
	}
	due = now - seen[i].last >= LOG_EVERY_SECS;
	if (due) {
		*skipped = seen[i].skipped;
		seen[i].last = now;
		seen[i].skipped = 0;
	} else {
		seen[i].skipped++;
	}
	pthread_mutex_unlock(&lock);
	return due;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	unsigned long skipped;
	char msg[512];
	size_t n;

	(void)cls;
	if (!log_due(fmt, &skipped))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	if (skipped)
		p_err("export: http: %s (and %lu more like it not shown)", msg, skipped);
	else
		p_err("export: http: %s", msg);
}

/*
 * "a.b.c.d:port" or "[ipv6]:port" into @sa; on a bad one, false and what
 * was wrong with it in @why.
 */
static bool parse_listen(const char *spec, struct sockaddr_storage *sa, socklen_t *salen,
			 char *why, size_t size)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
	struct sockaddr_in *in = (struct sockaddr_in *)sa;
	const char *colon, *port;
	char host[INET6_ADDRSTRLEN + 1];
	unsigned long p;
	size_t hlen;
	char *end;

	memset(sa, 0, sizeof(*sa));
	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');

		if (!rb || rb[1] != ':') {
			snprintf(why, size, "'%s': expected [IPV6]:PORT", spec);
			return false;
		}
		hlen = rb - spec - 1;
		port = rb + 2;
	} else {
		colon = strrchr(spec, ':');
		if (!colon) {
			snprintf(why, size, "'%s': expected ADDR:PORT (e.g. %s) or [IPV6]:PORT",
				 spec, DEFAULT_LISTEN);
			return false;
		}
		hlen = colon - spec;
		port = colon + 1;
		if (memchr(spec, ':', hlen)) {
			snprintf(why, size, "'%s': an IPv6 address goes in brackets: [ADDR]:PORT",
				 spec);
			return false;
		}
	}
	if (hlen >= sizeof(host)) {
		snprintf(why, size, "'%s': the address is too long", spec);
		return false;
	}
	memcpy(host, spec[0] == '[' ? spec + 1 : spec, hlen);
	host[hlen] = '\0';
	errno = 0;
	p = strtoul(port, &end, 10);
	if (!*port || *end || errno || p < 1 || p > 65535 || *port < '0' || *port > '9') {
		snprintf(why, size, "'%s': the port '%s' is not a number from 1 to 65535", spec,
			 port);
		return false;
	}
	if (spec[0] == '[') {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(p);
		*salen = sizeof(*in6);
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1)
			return true;
		snprintf(why, size, "'%s': '%s' is not an IPv6 address", spec, host);
		return false;
	}
	in->sin_family = AF_INET;
	in->sin_port = htons(p);
	*salen = sizeof(*in);
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1)
		return true;
	snprintf(why, size, "'%s': '%s' is not an IPv4 address (a.b.c.d)", spec, host);
	return false;
}

static int listen_on(const struct sockaddr_storage *sa, socklen_t salen, const char *spec)
{
	int one = 1, fd;

	fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		p_err("export: cannot listen on %s: %s", spec, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)sa, salen) || listen(fd, 64)) {
		p_err("export: cannot listen on %s: %s%s", spec, strerror(errno),
		      errno == EADDRINUSE ? " (another exporter or program has that port)" : "");
		close(fd);
		return -1;
	}
	return fd;
}

/* The text file, replaced whole: node_exporter never reads half of it. */
static int write_textfile(struct exporter *e, const char *path)
{
	size_t len;
	char *body = exposition(e, false, &len);
	int err;

	if (!body)
		return -1;
	err = pb_replace_file(path, body, len);
	free(body);
	return err;
}

/* Process start time from /proc: boot time plus the start in clock ticks. */
static double process_start_time(void)
{
	unsigned long long ticks = 0, btime = 0;
	char buf[1024], *p;
	size_t n = 0;
	FILE *f;

	f = fopen("/proc/self/stat", "r");
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* After "pid (comm)": state is field 3, starttime field 22. */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu", &ticks) != 1)
		return 0;
	f = fopen("/proc/stat", "r");
	if (!f)
		return 0;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "btime %llu", &btime) == 1)
			break;
	fclose(f);
	return btime ? btime + (double)ticks / sysconf(_SC_CLK_TCK) : 0;
}

/* The command line */

struct export_opts {
	const char *listen;		/* NULL: no HTTP */
	const char *textfile;
	double interval;
	bool interval_set;
	bool once;
};

/* @arg, up to an '=' @len bytes in, is option @name. */
static bool is_opt(const char *arg, size_t len, const char *name)
{
	return len == strlen(name) && !strncmp(arg, name, len);
}

static int parse_opts(int argc, char **argv, struct export_opts *opt)
{
	bool listen = false;

	memset(opt, 0, sizeof(*opt));
	opt->interval = DEFAULT_SECS;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *eq = strchr(arg, '='), *v;
		size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
		char *end;

		if (!strcmp(arg, "--once")) {
			opt->once = true;
			continue;
		}
		if (!is_opt(arg, len, "--listen") && !is_opt(arg, len, "--textfile") &&
		    !is_opt(arg, len, "--interval")) {
			p_err("export: unknown argument '%s'\nusage: %s", arg, USAGE);
			return -1;
		}
		if (!eq && i + 1 >= argc) {
			p_err("export: %s needs a value\nusage: %s", arg, USAGE);
			return -1;
		}
		v = eq ? eq + 1 : argv[++i];
		if (is_opt(arg, len, "--listen")) {
			opt->listen = v;
			listen = true;
		} else if (is_opt(arg, len, "--textfile")) {
			opt->textfile = v;
		} else {
			errno = 0;
			opt->interval = strtod(v, &end);
			if (errno || end == v || *end || !(opt->interval >= 0.1) ||
			    opt->interval > 86400) {
				p_err("export: --interval '%s': expected seconds, from 0.1 to 86400\nusage: %s",
				      v, USAGE);
				return -1;
			}
			opt->interval_set = true;
		}
	}
	if (!opt->textfile && (opt->interval_set || opt->once)) {
		p_err("export: --interval and --once go with --textfile\nusage: %s", USAGE);
		return -1;
	}
	if (opt->once && listen) {
		p_err("export: --once writes the text file and exits: not with --listen\nusage: %s",
		      USAGE);
		return -1;
	}
	if (opt->textfile && !*opt->textfile) {
		p_err("export: --textfile needs a path\nusage: %s", USAGE);
		return -1;
	}
	if (!opt->textfile && !listen)
		opt->listen = DEFAULT_LISTEN;
	return 0;
}

/* Wait up to @secs (forever if negative) for SIGINT or SIGTERM: true if one came. */
static bool wait_signal(const sigset_t *set, double secs)
{
	double until = pb_clock(CLOCK_MONOTONIC) + secs;

	for (;;) {
		struct timespec ts;
		double left = until - pb_clock(CLOCK_MONOTONIC);
		int sig;

		if (secs < 0) {
			sig = sigwaitinfo(set, NULL);
		} else {
			if (left <= 0)
				return false;
			ts.tv_sec = (time_t)left;
			ts.tv_nsec = (long)((left - ts.tv_sec) * 1e9);
			sig = sigtimedwait(set, NULL, &ts);
		}
		if (sig > 0)
			return true;
		if (errno != EINTR && errno != EAGAIN)
			return false;
	}
}

static int run(struct exporter *e, const struct export_opts *opt, int sock, int family,
	       const sigset_t *sigs)
{
	struct MHD_Daemon *d = NULL;
	int ret = PB_EXIT_OK;
	double next;

	if (sock >= 0) {
		d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC |
				     MHD_USE_ERROR_LOG | (family == AF_INET6 ? MHD_USE_IPv6 : 0),
				     0, NULL, NULL, on_request, e,
				     MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
				     MHD_OPTION_LISTEN_SOCKET, sock,
				     MHD_OPTION_CONNECTION_TIMEOUT, IDLE_SECS,
				     MHD_OPTION_CONNECTION_LIMIT, CONN_MAX,
				     MHD_OPTION_PER_IP_CONNECTION_LIMIT, CONN_PER_IP,
				     MHD_OPTION_END);
		if (!d) {
			/* MHD owns @sock from here, closed or not: exiting anyway. */
			p_err("export: cannot start the HTTP server on %s", opt->listen);
			return PB_EXIT_ERROR;
		}
		p_info("export: serving http://%s/metrics", opt->listen);
	}
	if (opt->textfile) {
		if (opt->once && opt->interval_set) {
			p_info("export: observing for %g s, then writing %s", opt->interval,
			       opt->textfile);
			wait_signal(sigs, opt->interval);
		}
		if (write_textfile(e, opt->textfile)) {
			ret = PB_EXIT_ERROR;
			goto out;
		}
		if (opt->once)
			goto out;
		p_info("export: writing %s every %g s", opt->textfile, opt->interval);
	}
	next = pb_clock(CLOCK_MONOTONIC) + opt->interval;
	while (!wait_signal(sigs, opt->textfile ? next - pb_clock(CLOCK_MONOTONIC) : -1)) {
		double now = pb_clock(CLOCK_MONOTONIC);

		if (!opt->textfile)
			continue;
		write_textfile(e, opt->textfile);	/* says why when it fails; keeps going */
		next += opt->interval;
		if (next <= now)
			next = now + opt->interval;
	}
out:
	if (d)
		MHD_stop_daemon(d);	/* closes @sock */
	return ret;
}

int do_export(int argc, char **argv)
{
	struct exporter e = { .stats_fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };
	struct sockaddr_storage sa = {};
	struct export_opts opt;
	sigset_t sigs, old;
	socklen_t salen = 0;
	char why[256];
	int sock = -1, ret;

	if (parse_opts(argc, argv, &opt))
		return PB_EXIT_USAGE;
	if (opt.listen && !parse_listen(opt.listen, &sa, &salen, why, sizeof(why))) {
		p_err("export: --listen %s\nusage: %s", why, USAGE);
		return PB_EXIT_USAGE;
	}
	if (pb_obs_need_root())
		return PB_EXIT_ERROR;
	/* Taken by sigwaitinfo() alone, here and in every thread started after. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, &old);
	if (opt.listen) {
		sock = listen_on(&sa, salen, opt.listen);
		if (sock < 0) {
			ret = PB_EXIT_ERROR;
			goto out_mask;
		}
	}
	if (pb_obs_open(&e.o)) {
		if (sock >= 0)
			close(sock);
		ret = PB_EXIT_ERROR;
		goto out_mask;
	}
	e.cgroups = pb_cgroups_new();
	e.start_time = pb_clock(CLOCK_REALTIME);
	e.process_start = process_start_time();
	if (!e.o.bounce)
		p_info("export: no pinned-page counters nor bounce histograms: %s", PB_NO_BOUNCE);
	e.stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (e.stats_fd < 0)
		p_info("export: cannot enable the BPF run-time statistics (%s): the program run counters will not count",
		       strerror(errno));
	ret = run(&e, &opt, sock, sa.ss_family, &sigs);
	if (e.stats_fd >= 0)
		close(e.stats_fd);
	pb_obs_close(&e.o);
	pb_cgroups_free(e.cgroups);
	free(e.gone);
out_mask:
	/* A signal that came while we were finishing anyway must not kill us now. */
	while (sigtimedwait(&sigs, NULL, &(struct timespec){ 0 }) > 0)
		;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}
