// SPDX-License-Identifier: GPL-2.0
/*
 * What pinbounce export serves: the observers' counters and histograms,
 * the policy's hits and what the BPF programs cost, as one exposition
 * (prom.h) built from a fresh read of the maps.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "blockdev.h"
#include "census.h"
#include "cgroup_cache.h"
#include "cli.h"
#include "metrics.h"
#include "prom.h"
#include "report.h"
#include "observe.skel.h"
#include "pins.skel.h"

/*
 * Histogram buckets: slot i of the observers holds [2^i, 2^(i+1)) ns, all
 * below 2^(i+1) ns, so the bucket le=2^k ns adds up slots 0 to k-1.  Every
 * series has the same bounds, 2^10 ns (about 1 us: the slots below are
 * folded into it) to 2^36 ns (about 69 s); the slots above count in +Inf.
 */
#define LE_FIRST	10
#define LE_LAST		36

/* The observers' counters */

static const char *const decider_names[PB_NR_DECIDERS] = {
	[PB_BY_KERNEL] = "kernel",
	[PB_BY_POLICY] = "policy",
};

/* The label of removed cgroups' rows: no cgroup's path looks like it. */
#define GONE_CGROUP	"(gone)"
/* Every counter family's help ends so. */
#define BY_CGROUP	" By device and cgroup (blkio:PATH for cgroup v1's blkio); cgroup=\"" \
		GONE_CGROUP "\" adds up the cgroups " \
		"removed since the exporter started (their own series end), so that " \
		"sums over cgroups never go back."

/* The families of the observers' counters, from PB_COUNTERS. */
#define COUNTER_FAMILY(n, series, split, stats, top, key, scale, help) \
	[PB_CTR_##n] = { "pinbounce_" #n "_total", "counter", help BY_CGROUP },

static const struct family counter_families[PB_NR_COUNTERS] = {
	PB_COUNTERS(COUNTER_FAMILY)
};

/* One device and cgroup, as the labels name them. */
struct crow {
	__u32 dev;
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

/* Devices whose series exist from the first scrape, at most. */
#define MAX_ZERO_DEVS	4096
/* The label of the zero rows: the root cgroup. */
#define ROOT_CGROUP	"/"

/*
 * A row at 0 in the root cgroup for every block device that holds data,
 * after the @m rows of *@rows: every device's counters, its stable_writes
 * gauge and its exposed pages exist from the first scrape, so that
 * increase() sees the first pinned write back (a series born at 1 shows
 * none).  merge_rows() adds each into the device's real row.  The new
 * count of rows; @m if the devices cannot be listed.
 */
static unsigned int zero_rows(struct crow **rows, unsigned int m, struct dev_names *dn)
{
	__u32 *devs = calloc(MAX_ZERO_DEVS, sizeof(*devs));
	unsigned int n = devs ? pb_block_devs(devs, MAX_ZERO_DEVS) : 0;
	struct crow *more = n ? realloc(*rows, (m + n + 1) * sizeof(**rows)) : NULL;

	if (more) {
		*rows = more;
		for (unsigned int i = 0; i < n; i++, m++) {
			memset(&more[m], 0, sizeof(more[m]));
			dev_name(dn, devs[i], more[m].device, sizeof(more[m].device));
			snprintf(more[m].cgroup, sizeof(more[m].cgroup), "%s", ROOT_CGROUP);
			more[m].dev = devs[i];
		}
	}
	free(devs);
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

		enum pb_cg_state cs = pb_cgroups_label(e->cgroups, r->key.hierarchy,
						       r->key.cgroup_id, path, sizeof(path));

		if (cs == PB_CG_GONE && !fold_gone(e, &r->key))
			continue;	/* else shown as "cgroup:ID" */
		pb_utf8_escape(rows[m].cgroup, sizeof(rows[m].cgroup), path);
		dev_name(&dn, r->key.dev, rows[m].device, sizeof(rows[m].device));
		rows[m].dev = r->key.dev;
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
		rows[m].dev = e->gone[i].dev;
		rows[m++].c = e->gone[i].c;
	}
	m = zero_rows(&rows, m, &dn);
	*n = merge_rows(rows, m);
	for (unsigned int i = 0; i < *n; i++) {
		prom_label(&rows[i].l, "device", rows[i].device);
		prom_label(&rows[i].l, "cgroup", rows[i].cgroup);
	}
	return rows;
}

static const struct family stable_writes = {
	"pinbounce_device_stable_writes", "gauge",
	"1 if the device needs stable writes (its queue's stable_writes: T10-PI, checksums in the device or the layer above), where a page changed while it is written fails the write or is stored corrupt; 0 if not.",
};

static const struct family exposed = {
	"pinbounce_exposed_pages_total", "counter",
	"Page-cache pages written back while pinned for DMA, as they were (not bounced), to a device that needs stable writes: pinbounce_pinned_wb_pages_total of such a device, added up over cgroups. Without the bounce, each is a write that may fail its integrity check or store bytes that do not match their checksum.",
};

/*
 * Per device: whether it needs stable writes, then the exposed pages of
 * those that do: each family whole, its HELP and TYPE once.
 */
static void put_exposure(struct out *w, const struct crow *rows, unsigned int n)
{
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned int r = 0; r < n; r++) {
			struct labels l = {};
			__u64 sum = 0;
			bool stable;

			/* rows are sorted by device name: the first of each */
			if (r && !strcmp(rows[r].device, rows[r - 1].device))
				continue;
			stable = pb_dev_stable(rows[r].dev);
			prom_label(&l, "device", rows[r].device);
			if (!pass) {
				prom_sample_u64(w, &stable_writes, &l, stable);
				continue;
			}
			if (!stable)
				continue;
			for (unsigned int i = r; i < n && !strcmp(rows[i].device, rows[r].device);
			     i++)
				sum += rows[i].c.pinned_wb_pages;
			prom_sample_u64(w, &exposed, &l, sum);
		}
	}
}

static void put_counters(struct out *w, struct exporter *e, const struct pb_obs_snap *s)
{
	unsigned int n = 0;
	struct crow *rows = counter_rows(e, s, &n);

	if (!rows)
		return;
	for (unsigned int k = 0; k < PB_NR_COUNTERS; k++) {
		if (!pb_counter_available(&e->o, k))
			continue;
		for (unsigned int r = 0; r < n; r++) {
			if (!pb_counter_info[k].split) {
				prom_sample_u64(w, &counter_families[k], &rows[r].l,
						pb_counter_get(&rows[r].c, k, -1));
				continue;
			}
			for (int d = PB_NR_DECIDERS - 1; d >= 0; d--) {
				struct labels ld = rows[r].l;

				prom_label(&ld, "decided_by", decider_names[d]);
				prom_sample_u64(w, &counter_families[k], &ld,
						pb_counter_get(&rows[r].c, k, d));
			}
		}
	}
	put_exposure(w, rows, n);
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
		prom_ns_secs(le, sizeof(le), 1ULL << k);
		prom_label(&l, "le", le);
		snprintf(val, sizeof(val), "%llu", cum);
		prom_sample(w, fam, "_bucket", &l, val);
	}
	while (slot < PB_HIST_SLOTS)
		cum += h->slots[slot++];
	{
		struct labels l = *base;

		prom_label(&l, "le", "+Inf");
		snprintf(val, sizeof(val), "%llu", cum);
		prom_sample(w, fam, "_bucket", &l, val);
	}
	prom_ns_secs(val, sizeof(val), h->sum_ns);
	prom_sample(w, fam, "_sum", base, val);
	/* The slots, not h->count: a scrape may fall between their updates. */
	snprintf(val, sizeof(val), "%llu", cum);
	prom_sample(w, fam, "_count", base, val);
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

		prom_label(&l, "device", devs[i].name);
		pb_snap_hist(s, devs[i].dev, PB_HIST_BOUNCE, &h);
		put_hist(w, &bounce_hist, &l, &h);
	}
	for (unsigned int i = 0; i < n; i++) {
		struct labels l = {}, lb;

		prom_label(&l, "device", devs[i].name);
		lb = l;
		prom_label(&l, "bounced", "false");
		pb_snap_hist(s, devs[i].dev, PB_HIST_WRITE, &h);
		put_hist(w, &write_hist, &l, &h);
		if (!o->bounce)
			continue;
		prom_label(&lb, "bounced", "true");
		pb_snap_hist(s, devs[i].dev, PB_HIST_WRITE_BOUNCED, &h);
		put_hist(w, &write_hist, &lb, &h);
	}
}

/* The BPF programs */

static const struct family progs_attached = {
	"pinbounce_bpf_programs_attached", "gauge",
	"BPF programs attached: the exporter's observers (those this kernel can run) and the policy program, when a policy is attached.  The census's sweep (pb_pins_sweep), which each scrape runs, is loaded, not attached: it has run counters and is not counted here.",
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
	struct prog_stat ps[32];
	struct bpf_program *prog;
	unsigned int n = 0, unattached = 0;
	int fd;

	bpf_object__for_each_program(prog, e->o.skel->obj) {
		fd = bpf_program__fd(prog);
		if (fd >= 0 && n < ARRAY_SIZE(ps) && prog_stat(fd, bpf_program__name(prog), &ps[n]))
			n++;
	}
	if (e->census.skel) {
		bpf_object__for_each_program(prog, e->census.skel->obj) {
			fd = bpf_program__fd(prog);
			if (fd >= 0 && n < ARRAY_SIZE(ps) &&
			    prog_stat(fd, bpf_program__name(prog), &ps[n])) {
				n++;
				unattached += prog == e->census.skel->progs.pb_pins_sweep;
			}
		}
	}
	if (e->policy->prog && n < ARRAY_SIZE(ps)) {
		snprintf(ps[n].name, sizeof(ps[n].name), "pb_policy");
		ps[n].runs = e->policy->runs;
		ps[n++].ns = e->policy->ns;
	}
	prom_sample_u64(w, &stats_enabled, NULL, stats_on(e));
	prom_sample_u64(w, &progs_attached, NULL, n - unattached);
	for (unsigned int i = 0; i < n; i++) {
		struct labels l = {};

		prom_label(&l, "program", ps[i].name);
		prom_sample_u64(w, &prog_runs, &l, ps[i].runs);
	}
	for (unsigned int i = 0; i < n; i++) {
		struct labels l = {};
		char v[32];

		prom_label(&l, "program", ps[i].name);
		prom_ns_secs(v, sizeof(v), ps[i].ns);
		prom_sample(w, &prog_secs, "", &l, v);
	}
}

/* The census */

static const struct family census_pages = {
	"pinbounce_census_pinned_pages", "gauge",
	"Page-cache pages pinned for DMA now (pinbounce pins), by the device of their file and whether the pins are long-term (FOLL_LONGTERM: RDMA, vfio, io_uring buffers). Pins taken before the exporter started are counted once their pages are written back.",
};

static const struct family census_tracking = {
	"pinbounce_census_pin_tracking", "gauge",
	"1 if the census follows pins as they are taken; 0 if the kernel refused its programs on pin_user_pages*() and pins are found only as their pages are written back.",
};

static void put_census(struct out *w, struct exporter *e)
{
	struct pb_census_view v;
	struct {
		__u32 dev;
		bool longterm;
		__u64 pages;
	} sum[64];
	unsigned int n = 0;

	if (!e->census.skel || pb_census_read(&e->census, 0, false, &v))
		return;
	prom_sample_u64(w, &census_tracking, NULL, !e->census.no_hooks[0]);
	for (unsigned int i = 0; i < v.n; i++) {
		const struct pb_pins_row *r = &v.rows[i];
		bool lt = r->flags & PB_PIN_LONGTERM;
		unsigned int j;

		for (j = 0; j < n && (sum[j].dev != r->dev || sum[j].longterm != lt); j++)
			;
		if (j == n) {
			if (n == ARRAY_SIZE(sum))
				continue;
			sum[n++] = (typeof(sum[0])){ .dev = r->dev, .longterm = lt };
		}
		sum[j].pages += r->pages;
	}
	for (unsigned int j = 0; j < n; j++) {
		struct labels l = {};
		char raw[64], name[64];

		pb_utf8_escape(name, sizeof(name), pb_dev_name(sum[j].dev, raw, sizeof(raw)));
		prom_label(&l, "device", name);
		prom_label(&l, "longterm", sum[j].longterm ? "true" : "false");
		prom_sample_u64(w, &census_pages, &l, sum[j].pages);
	}
	pb_census_view_free(&v);
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
			prom_label(&l, "rule", rule);
		prom_label(&l, "action", action_names[a]);
		prom_sample_u64(w, fam, &l, hits[a]);
	}
}

static const struct family policy_age = {
	"pinbounce_policy_read_age_seconds", "gauge",
	"Seconds since the policy series (pinbounce_policy_*, the policy program's run counters) were read: 0, but while a policy command holds the lock of /sys/fs/bpf/pinbounce for a change (or is stopped in one), when a scrape serves what it read last rather than wait; since the exporter started if it never could read them.",
};

/*
 * The policy and its program's run counters, from one look at PB_PIN_DIR
 * into @e->policy.  A policy command holds the lock of the directory for
 * as long as its change takes, or as long as it is stopped (^Z): a scrape
 * does not wait for it, but keeps what it read last, which
 * pinbounce_policy_read_age_seconds says.
 */
static int read_policy(struct exporter *e)
{
	struct policy_seen *ps = e->policy;
	struct bpf_link_info info = {};
	struct prog_stat p;
	__u32 len = sizeof(info);
	struct pb_state st;
	int err, fd;

	if (!ps) {
		ps = calloc(1, sizeof(*ps));
		if (!ps) {
			p_err("export: out of memory");
			return -1;
		}
		e->policy = ps;
	}
	/* Nothing pinned: no need to check and lock the policy's directory. */
	err = access(PB_PIN_DIR "/link", F_OK) ? -ENOENT : state_open(&st, PB_STATE_TRY);
	if (err == -EWOULDBLOCK) {
		ps->fresh = false;
		return 0;
	}
	memset(ps, 0, sizeof(*ps));
	ps->when = pb_clock(CLOCK_MONOTONIC);
	ps->fresh = true;
	if (err)
		return 0;	/* none, or said why and served as none */
	if (pb_policy_view_of(&st, &ps->view))
		ps->view.attached = false;
	/* The program of the pinned link, which state_open() checked is pb_policy. */
	if (state_attached(&st) && !bpf_obj_get_info_by_fd(st.link_fd, &info, &len)) {
		fd = bpf_prog_get_fd_by_id(info.prog_id);
		if (fd >= 0 && prog_stat(fd, NULL, &p)) {
			ps->prog = true;
			ps->runs = p.runs;
			ps->ns = p.ns;
		}
		if (fd >= 0)
			close(fd);
	}
	state_close(&st);
	return 0;
}

static void put_policy(struct out *w, const struct exporter *e)
{
	const struct pb_policy_view *v = &e->policy->view;
	double age = 0;

	if (!e->policy->when)
		age = pb_clock(CLOCK_REALTIME) - e->start_time;
	else if (!e->policy->fresh)
		age = pb_clock(CLOCK_MONOTONIC) - e->policy->when;
	prom_sample_f(w, &policy_age, NULL, age);
	prom_sample_u64(w, &policy_attached, NULL, v->attached);
	prom_sample_u64(w, &policy_generation, NULL, v->attached ? v->generation : 0);
	if (!v->attached)
		return;
	for (unsigned int i = 0; i < v->nrules; i++)
		put_actions(w, &rule_hits, v->rules[i].name,
			    (const unsigned long long *)v->rules[i].s.hits);
	for (unsigned int i = 0; i < v->nrules; i++)
		if (v->rules[i].audit)
			put_actions(w, &rule_audit, v->rules[i].name,
				    (const unsigned long long *)v->rules[i].s.audit_hits);
	for (unsigned int i = 0; i < v->nrules; i++) {
		struct labels l = {};

		prom_label(&l, "rule", v->rules[i].name);
		prom_sample_u64(w, &rule_over, &l, v->rules[i].s.over_budget);
	}
	put_actions(w, &unmatched, NULL, (const unsigned long long *)v->unmatched.hits);
}

/* The exporter itself */

static const struct family series_available = {
	"pinbounce_series_available", "gauge",
	"1 if the running kernel lets the exporter observe the series, 0 if not: counters (those of the bounce's decisions), bounce and write_bounced need the pinbounce kernel series (kernel-patch/); write and pinned_wb_pages are always observed.",
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
	"Updates the observers lost: a row of counters or a histogram, their table full (counters, histograms), a write's start time, its table full (inflight), the bios of a request beyond the 65536 its completion looks at (request_bios). Non-zero: the figures they would have added to may be low.",
};

static const struct family untimed = {
	"pinbounce_observer_untimed_writes_total", "counter",
	"Writes counted in full that completed with no start time, queued before the exporter started or evicted from the table of writes in flight: only their latency sample is missing, no update was lost.",
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

		prom_label(&ls, "series", series[i].name);
		prom_sample_u64(w, &series_available, &ls, series[i].on);
	}
	prom_label(&l, "version", PB_VERSION);
	prom_label(&l, "libbpf", libbpf_version_string());
	prom_sample_u64(w, &build_info, &l, 1);
	prom_sample_f(w, &start_time, NULL, e->start_time);
	if (http && e->process_start > 0)
		prom_sample_f(w, &process_start, NULL, e->process_start);
	for (size_t i = 0; i < PB_NR_DROPS; i++) {
		struct labels lt = {};

		if (!pb_drop_loses[i])
			continue;
		prom_label(&lt, "table", pb_drop_names[i]);
		prom_sample_u64(w, &dropped, &lt, s->dropped[i]);
	}
	prom_sample_u64(w, &untimed, NULL, s->dropped[PB_DROP_UNTIMED]);
}

/*
 * The whole exposition, malloc'ed, or NULL.  @http adds the process_*
 * metrics, which node_exporter has already of its own.
 */
char *metrics_exposition(struct exporter *e, bool http, size_t *len)
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
	if (read_policy(e) || pb_obs_snapshot(&e->o, &s)) {
		fclose(w.f);
		free(buf);
		pthread_mutex_unlock(&e->lock);
		return NULL;
	}
	put_counters(&w, e, &s);
	put_hists(&w, &e->o, &s);
	put_self(&w, e, &s, http);
	put_programs(&w, e);
	put_census(&w, e);
	put_policy(&w, e);
	pb_obs_snap_free(&s);
	prom_sample_f(&w, &scrape_secs, NULL, pb_clock(CLOCK_MONOTONIC) - t0);
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
