// SPDX-License-Identifier: GPL-2.0
/*
 * pinbounce trace [-d DISK] [--cgroup] [--json FILE] [--expect EXPR]... [--] CMD [ARGS]
 *
 * Attach the observers, run CMD, detach, and report what the bounce code
 * did meanwhile: a summary on stderr (CMD owns stdout), the report of
 * schema pinbounce/1 in FILE (and on stdout with -j).  Each EXPR is
 * "METRIC OP NUMBER".  The exit status says what failed, with the codes
 * timeout(1) and env(1) keep for themselves:
 *   0         CMD exited 0 and every expectation held
 *   1-123     CMD's own status when it fails (its 124 and 125 too: then only
 *             the report's exit_status tells them apart)
 *   124       CMD exited 0 and an expectation does not hold, or is unknown:
 *             the observers dropped updates that may have counted in it
 *   125       trace failed: a bad command line, the observers could not be
 *             attached or the report written
 *   126, 127  CMD could not be run, or was not found
 *   128 + N   CMD was killed by signal N
 *
 * Signals: SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM and
 * SIGWINCH sent to trace are passed on to CMD, except those a terminal sent
 * to its whole foreground process group, which CMD got already.  A second
 * SIGHUP, SIGINT or SIGTERM kills CMD (SIGKILL): trace then reports and
 * exits 137.  If trace itself is killed, CMD is killed with it
 * (PR_SET_PDEATHSIG): no command outlives its trace.
 */
#define _GNU_SOURCE
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "blockdev.h"
#include "cli.h"
#include "observe.h"
#include "report.h"
#include "text.h"
#include "expect.h"
#include "cgroup2.h"

#define TRACE_EXIT_EXPECT	124
#define TRACE_EXIT_FAILED	125
#define MAX_EXPECT	64

/*
 * What an expectation can name: a flat view of the report.  Counters, alone
 * or split by who decided (_policy, _kernel); statistics of the histograms;
 * and the run's own figures.
 */
enum metric_src { M_COUNTER, M_EXPOSED, M_HIST, M_DROPPED, M_UNTIMED, M_DURATION };
enum hist_stat { H_COUNT, H_MEAN, H_P50, H_P99, H_MAX, H_NR };

struct metric {
	char name[40];
	enum metric_src src;
	unsigned int counter;	/* M_COUNTER: enum pb_counter */
	int decider;		/* M_COUNTER: enum pb_decider, -1 for both */
	unsigned int kind;	/* M_HIST: enum pb_hist_kind */
	enum hist_stat stat;
	unsigned int figure;	/* what it is read from: enum pb_figure */
};

static const char *const stat_names[H_NR] = {
	[H_COUNT] = "count", [H_MEAN] = "mean_us", [H_P50] = "p50_us", [H_P99] = "p99_us",
	[H_MAX] = "max_us",
};

#define MAX_METRICS	64

static struct metric metrics[MAX_METRICS];
static unsigned int nmetrics;

static struct metric *metric_add(const char *name, const char *suffix, enum metric_src src,
				 unsigned int figure)
{
	struct metric *m = &metrics[nmetrics++];

	snprintf(m->name, sizeof(m->name), "%s%s", name, suffix);
	m->src = src;
	m->decider = -1;
	m->figure = figure;
	return m;
}

/* The list, in the order of the report's "metrics". */
static void metrics_init(void)
{
	static const char *const decider_names[] = {
		[PB_BY_KERNEL] = "_kernel", [PB_BY_POLICY] = "_policy",
	};

	if (nmetrics)
		return;
	for (unsigned int i = 0; i < PB_NR_COUNTERS; i++) {
		metric_add(pb_counter_info[i].name, "", M_COUNTER, PB_FIG_COUNTERS)->counter = i;
		for (int d = PB_NR_DECIDERS - 1; pb_counter_info[i].split && d >= 0; d--) {
			struct metric *m = metric_add(pb_counter_info[i].name, decider_names[d],
						      M_COUNTER, PB_FIG_COUNTERS);

			m->counter = i;
			m->decider = d;
		}
	}
	/* pinned_wb_pages of the disks that need stable writes */
	metric_add("exposed_pages", "", M_EXPOSED, PB_FIG_COUNTERS);
	for (unsigned int k = 0; k < PB_NR_HISTS; k++) {
		for (unsigned int st = 0; st < H_NR; st++) {
			char prefix[32];
			struct metric *m;

			snprintf(prefix, sizeof(prefix), "%s_", pb_hist_names[k]);
			m = metric_add(prefix, stat_names[st], M_HIST, PB_FIG_HIST(k));
			m->kind = k;
			m->stat = st;
		}
	}
	/* updates lost, of any figure; and the writes without a latency sample */
	metric_add("dropped_updates", "", M_DROPPED, 0);
	metric_add("untimed_writes", "", M_UNTIMED, 0);
	metric_add("duration_s", "", M_DURATION, 0);
}

static const char *metric_name(unsigned int i)
{
	return metrics[i].name;
}

struct run {
	struct pb_span sp;
	double duration;
	__u64 dropped;		/* updates lost: the kinds that lose a figure */
	/* --cgroup: the writes charged to CMD's cgroup, and those below it */
	bool cgroup;
	unsigned int hierarchy;	/* its hierarchy: 0 cgroup2, else v1 blkio's */
	char cg_mnt[PATH_MAX], cg_rel[PATH_MAX];
};

/* Histograms are kept by disk, not by cgroup. */
#define NO_CGROUP_HISTS	"unavailable: histograms are per disk, not per cgroup (--cgroup)"

/*
 * Pinned page-cache pages written as they were to the disks, of those
 * selected, that need stable writes: the writes that fail or corrupt.
 */
static __u64 exposed_pages(const struct pb_span *sp)
{
	__u32 devs[256];
	unsigned int n = pb_snap_devices(sp->cur, sp->only, devs, ARRAY_SIZE(devs));
	__u64 sum = 0;

	for (unsigned int i = 0; i < n; i++) {
		struct pb_obs_counters c;

		if (!pb_dev_stable(devs[i]))
			continue;
		pb_span_counters(sp, devs[i], false, &c);
		sum += c.pinned_wb_pages;
	}
	return sum;
}

/*
 * The value of @m over the run; NAN with @why set when there is none: the
 * kernel cannot show it, or a histogram has no samples.
 */
/* Whether this kernel cannot show @m at all. */
static bool unavailable(const struct run *r, const struct metric *m)
{
	return (m->src == M_COUNTER && !pb_counter_available(r->sp.o, m->counter)) ||
	       (m->src == M_HIST && !r->sp.o->bounce && m->kind != PB_HIST_WRITE) ||
	       (m->src == M_HIST && r->cgroup);
}

static double value_of(const struct run *r, const struct metric *m, const char **why)
{
	*why = NULL;
	if (m->src == M_DROPPED)
		return r->dropped;
	if (m->src == M_UNTIMED)
		return pb_span_dropped(&r->sp, PB_DROP_UNTIMED);
	if (m->src == M_DURATION)
		return r->duration;
	if (m->src == M_EXPOSED)
		return exposed_pages(&r->sp);
	if (unavailable(r, m)) {
		*why = m->src == M_HIST && r->cgroup ? NO_CGROUP_HISTS :
		       "unavailable: " PB_NO_BOUNCE;
		return NAN;
	}
	if (m->src == M_COUNTER) {
		struct pb_obs_counters c;

		pb_span_counters_sel(&r->sp, &c);
		return pb_counter_get(&c, m->counter, m->decider);
	}
	{
		struct pb_hist h;
		unsigned int lo, hi;
		double v = NAN;

		pb_span_hist_sel(&r->sp, m->kind, &h);
		switch (m->stat) {
		case H_COUNT:
			return h.count;
		case H_MEAN:
			v = pb_hist_mean(&h) / 1e3;
			break;
		case H_P50:
			v = pb_hist_quantile(&h, 0.5) / 1e3;
			break;
		case H_P99:
			v = pb_hist_quantile(&h, 0.99) / 1e3;
			break;
		case H_MAX:
			if (pb_hist_range(&h, &lo, &hi))
				v = (hi < 63 ? pb_slot_low(hi + 1) : 0x1p64) / 1e3;
			break;
		case H_NR:
			break;
		}
		if (isnan(v))
			*why = "no samples";
		return v;
	}
}

static json_t *metrics_json(const struct run *r)
{
	json_t *obj = json_object();

	for (unsigned int i = 0; i < nmetrics; i++) {
		const char *why;
		double v = value_of(r, &metrics[i], &why);

		if (isnan(v))
			json_object_set_new(obj, metrics[i].name, json_null());
		else if (metrics[i].src == M_COUNTER || metrics[i].src == M_EXPOSED ||
			 metrics[i].src == M_DROPPED || metrics[i].src == M_UNTIMED ||
			 (metrics[i].src == M_HIST && metrics[i].stat == H_COUNT))
			json_object_set_new(obj, metrics[i].name, json_integer((json_int_t)v));
		else
			json_object_set_new(obj, metrics[i].name, json_real(v));
	}
	return obj;
}

/*
 * The updates dropped during @r that may have counted in @m (pb_drop_loses),
 * and their kinds with their counts in @what: "counters 16".  The drops
 * are not kept by disk: -d does not rule any out.
 */
static __u64 dropped_for(const struct run *r, const struct metric *m, char *what, size_t size)
{
	size_t len = 0;
	__u64 sum = 0;

	what[0] = '\0';
	for (unsigned int i = 0; i < PB_NR_DROPS; i++) {
		__u64 d = pb_span_dropped(&r->sp, i);

		if (!d || !(pb_drop_loses[i] & m->figure))
			continue;
		sum += d;
		if (len < size)
			len += snprintf(what + len, size - len, "%s%s %llu", len ? ", " : "",
					pb_drop_names[i], (unsigned long long)d);
	}
	return sum;
}

enum outcome { PASSED, FAILED, UNKNOWN };

static const char *const outcome_names[] = {
	[PASSED] = "passed", [FAILED] = "failed", [UNKNOWN] = "unknown",
};

/*
 * One expectation: FAILED, with @why set, when the kernel cannot show its
 * value or a histogram has no samples; UNKNOWN, with @why, when updates
 * that may have counted in it were dropped, whatever the value seen;
 * else whether it holds.
 */
static enum outcome judge(const struct run *r, const struct pb_expect *e, double *v, char *why,
			  size_t size)
{
	const char *none;
	char kinds[96];
	__u64 lost;

	*v = value_of(r, &metrics[e->metric], &none);
	why[0] = '\0';
	if (unavailable(r, &metrics[e->metric])) {
		snprintf(why, size, "%s", none);
		return FAILED;
	}
	lost = dropped_for(r, &metrics[e->metric], kinds, sizeof(kinds));
	if (lost) {
		snprintf(why, size, "%llu update%s dropped (%s) may have counted in %s",
			 (unsigned long long)lost, lost == 1 ? "" : "s", kinds,
			 metrics[e->metric].name);
		return UNKNOWN;
	}
	if (none) {
		snprintf(why, size, "%s", none);
		return FAILED;
	}
	return pb_expect_holds(e, *v) ? PASSED : FAILED;
}

/*
 * Check every expectation, saying on stderr which failed or is unknown and
 * the value seen: FAILED if one failed, else UNKNOWN if one is unknown.
 */
static enum outcome check(const struct run *r, const struct pb_expect *ex, unsigned int n,
			  json_t *out)
{
	enum outcome all = PASSED;

	for (unsigned int i = 0; i < n; i++) {
		char why[256];
		double v;
		enum outcome o = judge(r, &ex[i], &v, why, sizeof(why));
		json_t *e = json_pack("{s:s,s:s,s:s,s:f,s:o,s:b,s:s}", "expect", ex[i].text,
				      "metric", metrics[ex[i].metric].name,
				      "op", pb_op_name(ex[i].op),
				      "threshold", ex[i].threshold,
				      "value", isnan(v) ? json_null() : json_real(v),
				      "passed", o == PASSED, "outcome", outcome_names[o]);

		if (why[0])
			json_object_set_new(e, "reason", json_string(why));
		json_array_append_new(out, e);
		if (o == PASSED)
			continue;
		if (all != FAILED)
			all = o;
		if (o == UNKNOWN)
			fprintf(stderr,
				"pinbounce trace: expectation unknown: %s: %s (seen: %.6g)\n",
				ex[i].text, why, v);
		else if (why[0])
			fprintf(stderr, "pinbounce trace: expectation failed: %s: %s\n",
				ex[i].text, why);
		else
			fprintf(stderr, "pinbounce trace: expectation failed: %s (%s is %.6g)\n",
				ex[i].text, metrics[ex[i].metric].name, v);
	}
	return all;
}

/*
 * The updates dropped, by kind, and the writes completed untimed: counted,
 * without a latency sample.
 */
static void summary_drops(const struct run *r)
{
	__u64 untimed = pb_span_dropped(&r->sp, PB_DROP_UNTIMED);
	const char *sep = " (";

	if (r->dropped) {
		fprintf(stderr, "; %llu update%s dropped", (unsigned long long)r->dropped,
			r->dropped == 1 ? "" : "s");
		for (unsigned int i = 0; i < PB_NR_DROPS; i++) {
			__u64 d = pb_span_dropped(&r->sp, i);

			if (!d || !pb_drop_loses[i])
				continue;
			fprintf(stderr, "%s%s %llu", sep, pb_drop_names[i], (unsigned long long)d);
			sep = ", ";
		}
		fputc(')', stderr);
	}
	if (untimed)
		fprintf(stderr, "; %llu write%s untimed (no latency sample, not a drop)",
			(unsigned long long)untimed, untimed == 1 ? "" : "s");
}

static void summary(const struct run *r)
{
	__u32 devs[256];
	unsigned int n = pb_snap_devices(r->sp.cur, r->sp.only, devs, ARRAY_SIZE(devs));
	char name[64], shown[PB_TEXT_SIZE(64)], cg[PB_TEXT_SIZE(256)];

	fprintf(stderr, "pinbounce trace: %.3f s", r->duration);
	summary_drops(r);
	if (!r->sp.o->bounce)
		fprintf(stderr, "; bounce decisions and cost unavailable: %s", PB_NO_BOUNCE);
	if (r->cgroup)
		fprintf(stderr, "; cgroup %s and below (latency, kept by disk, not shown)",
			pb_text(cg, sizeof(cg), r->cg_rel));
	fputc('\n', stderr);
	for (unsigned int i = 0; i < n; i++) {
		struct pb_obs_counters c;
		struct pb_hist h, hb;

		fprintf(stderr, "  %-10s ",
			pb_text(shown, sizeof(shown), pb_dev_name(devs[i], name, sizeof(name))));
		pb_span_counters(&r->sp, devs[i], false, &c);
		fprintf(stderr, "pinned pages written back %llu%s; ",
			(unsigned long long)c.pinned_wb_pages,
			!c.pinned_wb_pages ? "" : pb_dev_stable(devs[i]) ?
			" (exposed: the disk needs stable writes)" : " (no stable writes)");
		if (r->sp.o->bounce) {
			fprintf(stderr, "pinned %llu bios %llu pages, ",
				(unsigned long long)c.pinned_bios,
				(unsigned long long)c.pinned_pages);
			fprintf(stderr, "bounced %llu bios %llu pages (policy %llu, kernel %llu), ",
				(unsigned long long)(c.bounced_bios[0] + c.bounced_bios[1]),
				(unsigned long long)(c.bounced_pages[0] + c.bounced_pages[1]),
				(unsigned long long)c.bounced_bios[PB_BY_POLICY],
				(unsigned long long)c.bounced_bios[PB_BY_KERNEL]);
			fprintf(stderr, "passthrough %llu bios",
				(unsigned long long)(c.passthrough_bios[0] +
						     c.passthrough_bios[1]));
			pb_span_hist(&r->sp, devs[i], PB_HIST_BOUNCE, &h);
			if (h.count && !r->cgroup)
				fprintf(stderr, ", bounce p50 %.1f p99 %.1f us",
					pb_hist_quantile(&h, 0.5) / 1e3,
					pb_hist_quantile(&h, 0.99) / 1e3);
		}
		if (r->cgroup) {
			fputc('\n', stderr);
			continue;
		}
		/* all writes: those that bounced and those that did not */
		pb_span_hist(&r->sp, devs[i], PB_HIST_WRITE, &h);
		pb_span_hist(&r->sp, devs[i], PB_HIST_WRITE_BOUNCED, &hb);
		pb_hist_add(&h, &hb);
		fprintf(stderr, "%s%llu writes", r->sp.o->bounce ? "; " : "",
			(unsigned long long)h.count);
		if (h.count)
			fprintf(stderr, ", p50 %.1f p99 %.1f us", pb_hist_quantile(&h, 0.5) / 1e3,
				pb_hist_quantile(&h, 0.99) / 1e3);
		fputc('\n', stderr);
	}
}

/* The report, indented, in @path whole or not at all. */
static int write_report(const char *path, json_t *doc)
{
	char *text = json_dumps(doc, JSON_INDENT(2)), *line;
	size_t len = text ? strlen(text) : 0;
	int err;

	line = text ? realloc(text, len + 2) : NULL;
	if (!line) {
		free(text);
		p_err("out of memory");
		return -1;
	}
	line[len++] = '\n';
	line[len] = '\0';
	err = pb_replace_file(path, line, len);
	free(line);
	return err;
}

static const int forwarded[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH,
};

static volatile sig_atomic_t child_pid, stops, killed;

static void forward(int sig, siginfo_t *si, void *uc)
{
	pid_t pid = child_pid;

	(void)uc;
	if (pid <= 0)
		return;
	if ((sig == SIGHUP || sig == SIGINT || sig == SIGTERM) && stops++) {
		/* A second request to stop: the command did not. */
		killed = 1;
		kill(pid, SIGKILL);
		return;
	}
	/* From the terminal, to the whole group: the command has it too. */
	if (si->si_code == SI_KERNEL)
		return;
	kill(pid, sig);
}

static void handle_signals(bool on)
{
	struct sigaction sa = { .sa_sigaction = forward, .sa_flags = SA_SIGINFO | SA_RESTART };

	if (!on)
		sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (unsigned int i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaction(forwarded[i], &sa, NULL);
}

/*
 * Run @argv to its end; its wait status in @status.  An exec failure is
 * reported through a close-on-exec pipe, as 127 (not found) or 126.
 */
static int run_command(char **argv, int *status)
{
	int pipefd[2], child_errno = 0;
	char cmd[PB_TEXT_SIZE(256)];
	pid_t pid, parent = getpid();
	ssize_t n;

	if (pipe2(pipefd, O_CLOEXEC)) {
		p_err("pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		p_err("fork: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (!pid) {
		close(pipefd[0]);
		/* Killed with trace; trace may have died before this line. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(125);
		execvp(argv[0], argv);
		child_errno = errno;
		if (write(pipefd[1], &child_errno, sizeof(child_errno)) < 0)
			_exit(127);
		_exit(child_errno == ENOENT ? 127 : 126);
	}
	child_pid = pid;
	handle_signals(true);
	close(pipefd[1]);
	do
		n = read(pipefd[0], &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR) {
			p_err("waitpid: %s", strerror(errno));
			return -1;
		}
	}
	child_pid = 0;
	handle_signals(false);
	pb_text(cmd, sizeof(cmd), argv[0]);
	if (killed)
		fprintf(stderr, "pinbounce trace: %s did not stop when asked: killed it\n", cmd);
	if (n == sizeof(child_errno))
		fprintf(stderr, "pinbounce trace: cannot run %s: %s\n", cmd,
			strerror(child_errno));
	return 0;
}

/*
 * --cgroup: the cgroup CMD's writes are charged to, which CMD inherits
 * from trace.  The root's are the machine's: refused.
 */
static int cgroup_resolve(struct run *r)
{
	if (pb_cgroup_io_self(&r->hierarchy, r->cg_mnt, sizeof(r->cg_mnt), r->cg_rel,
			      sizeof(r->cg_rel))) {
		p_err("trace --cgroup: cannot find this process's cgroup: %s", strerror(errno));
		return -1;
	}
	if (!strcmp(r->cg_rel, "/")) {
		p_err("trace --cgroup: this process's writes are charged to the root cgroup (of blkio, or of cgroup2 where no cgroup above it enables io): they cannot be told apart from the machine's; run trace in a cgroup of its own (systemd-run --scope -p IOAccounting=yes, say)");
		return -1;
	}
	return 0;
}

/* The cgroup ids (directory inode numbers) of the cgroup and those below. */
static __u64 *cg_ids;
static unsigned int cg_nids, cg_cap;

static int collect_id(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (flag != FTW_D)
		return 0;
	if (cg_nids == cg_cap) {
		unsigned int cap = cg_cap ? 2 * cg_cap : 64;
		__u64 *more = realloc(cg_ids, cap * sizeof(*more));

		if (!more)
			return -1;
		cg_ids = more;
		cg_cap = cap;
	}
	cg_ids[cg_nids++] = st->st_ino;
	return 0;
}

/* The rows of @s that are not the cgroup's, or below it, taken out. */
static void rows_only(const struct run *r, struct pb_obs_snap *s)
{
	unsigned int m = 0;

	for (unsigned int i = 0; i < s->nrows; i++) {
		const struct pb_obs_key *k = &s->rows[i].key;
		bool mine = false;

		for (unsigned int j = 0; j < cg_nids && !mine; j++)
			mine = k->hierarchy == r->hierarchy && k->cgroup_id == cg_ids[j];
		if (mine)
			s->rows[m++] = s->rows[i];
	}
	s->nrows = m;
}

/* --cgroup: the counters of the cgroup and those below it, as CMD left it. */
static int cgroup_only(const struct run *r, struct pb_obs_snap *base, struct pb_obs_snap *cur)
{
	char path[2 * PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), "%s%s", r->cg_mnt, r->cg_rel);
	cg_nids = 0;
	ret = nftw(path, collect_id, 16, FTW_PHYS | FTW_MOUNT);
	if (ret) {
		p_err("trace --cgroup: cannot walk %s: %s", path,
		      ret < 0 ? strerror(errno) : "out of memory");
		free(cg_ids);
		cg_ids = NULL;
		cg_cap = 0;
		return -1;
	}
	rows_only(r, base);
	rows_only(r, cur);
	/* kept by disk: none is the cgroup's */
	base->nhists = 0;
	cur->nhists = 0;
	free(cg_ids);
	cg_ids = NULL;
	cg_cap = 0;
	return 0;
}

int pb_trace_help(FILE *out)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	int ret;

	if (!f)
		return PB_EXIT_ERROR;
	fprintf(f,
		"Usage: pinbounce trace [-d DISK] [--cgroup] [--json FILE] [--expect EXPR]... [--] CMD [ARGS]\n"
		"\n"
		"(--json=FILE and --expect=EXPR too.)  --cgroup: count only the writes charged\n"
		"to CMD's cgroup (trace's own) and those below it; histograms, kept by disk,\n"
		"are then unavailable.\n"
		"\n"
		"EXPR is 'METRIC OP NUMBER', OP one of < <= > >= == !=, METRIC one of:\n");
	metrics_init();
	for (unsigned int i = 0; i < nmetrics; i++)
		fprintf(f, "%s%-26s", i % 3 ? "" : "\n  ", metrics[i].name);
	fprintf(f,
		"\n\n(_us metrics are microseconds; a metric the kernel cannot show, or a\n"
		"histogram without samples, fails its expectation; one that updates\n"
		"dropped by a full table may have counted in is unknown.)\n"
		"\n"
		"Exit status: 0 CMD succeeded and every expectation held; CMD's own when\n"
		"it fails (128+N if killed by signal N); 124 CMD succeeded and an\n"
		"expectation does not hold, or is unknown; 125 trace failed or a bad\n"
		"command line; 126 CMD could not run; 127 CMD not found.  Signals are\n"
		"passed on to CMD; a second SIGINT, SIGTERM or SIGHUP kills it.\n");
	if (fclose(f)) {
		free(text);
		return PB_EXIT_ERROR;
	}
	ret = pb_help_text(out, text);
	free(text);
	return ret;
}

/* The help on stderr after a bad command line: trace's own status. */
static int usage(void)
{
	pb_trace_help(stderr);
	return TRACE_EXIT_FAILED;
}

int do_trace(int argc, char **argv)
{
	struct pb_metric_names names = { .name = metric_name, .help = "pinbounce trace help" };
	struct pb_expect ex[MAX_EXPECT];
	struct pb_obs_snap base, cur;
	struct run r = { .sp = { .base = &base, .cur = &cur } };
	const char *json_file = NULL;
	unsigned int nex = 0;
	int status = 0, ret;
	char cmd[PB_TEXT_SIZE(256)];
	struct pb_obs o;
	json_t *doc, *results, *args;
	enum outcome outcome;

	metrics_init();
	names.n = nmetrics;
	while (argc && argv[0][0] == '-') {
		/* --json FILE or --json=FILE, as getopt_long takes them */
		const char *opt = argv[0], *eq = opt[1] == '-' ? strchr(opt, '=') : NULL;
		size_t len = eq ? (size_t)(eq - opt) : strlen(opt);
		const char *val;

		argc--;
		argv++;
		if (!strcmp(opt, "--"))
			break;
		if (!strcmp(opt, "--cgroup")) {
			r.cgroup = true;
			continue;
		}
		if (!eq && !argc) {
			p_err("trace: %s needs an argument", opt);
			return usage();
		}
		val = eq ? eq + 1 : argv[0];
		if (!strcmp(opt, "-d")) {
			if (pb_dev_lookup(val, &r.sp.only))
				return TRACE_EXIT_FAILED;
		} else if (pb_is_opt(opt, len, "--json")) {
			json_file = val;
		} else if (pb_is_opt(opt, len, "--expect")) {
			if (nex == MAX_EXPECT) {
				p_err("trace: at most %d expectations", MAX_EXPECT);
				return TRACE_EXIT_FAILED;
			}
			if (pb_expect_parse(val, &names, &ex[nex++]))
				return TRACE_EXIT_FAILED;
		} else {
			p_err("trace: unknown option '%s'", opt);
			return usage();
		}
		if (!eq) {
			argc--;
			argv++;
		}
	}
	if (!argc) {
		p_err("trace: no command to run");
		return usage();
	}
	/* A report that cannot be written is known before the command runs. */
	if (json_file && pb_output_check(json_file))
		return TRACE_EXIT_FAILED;
	if (r.cgroup && cgroup_resolve(&r))
		return TRACE_EXIT_FAILED;
	if (pb_obs_open(&o))
		return TRACE_EXIT_FAILED;
	r.sp.o = &o;
	if (pb_obs_snapshot(&o, &base)) {
		pb_obs_close(&o);
		return TRACE_EXIT_FAILED;
	}
	if (run_command(argv, &status) || pb_obs_snapshot(&o, &cur)) {
		pb_obs_snap_free(&base);
		pb_obs_close(&o);
		return TRACE_EXIT_FAILED;
	}
	pb_obs_close(&o);
	if (r.cgroup && cgroup_only(&r, &base, &cur)) {
		pb_obs_snap_free(&base);
		pb_obs_snap_free(&cur);
		return TRACE_EXIT_FAILED;
	}
	r.duration = cur.time - base.time;
	for (int i = 0; i < PB_NR_DROPS; i++)
		if (pb_drop_loses[i])
			r.dropped += pb_span_dropped(&r.sp, i);

	doc = pb_json_doc("trace", &o);
	args = json_array();
	for (int i = 0; i < argc; i++)
		json_array_append_new(args, pb_json_text(argv[i]));
	json_object_set_new(doc, "argv", args);
	json_object_set_new(doc, "exit_status", WIFEXITED(status) ?
			    json_integer(WEXITSTATUS(status)) : json_null());
	json_object_set_new(doc, "signal", WIFSIGNALED(status) ?
			    json_integer(WTERMSIG(status)) : json_null());
	json_object_set_new(doc, "duration_s", json_real(r.duration));
	json_object_set_new(doc, "metrics", metrics_json(&r));
	results = json_array();
	outcome = check(&r, ex, nex, results);
	json_object_set_new(doc, "expectations", results);
	json_object_set_new(doc, "dropped_updates", pb_json_dropped(&r.sp));
	json_object_set_new(doc, "devices", pb_json_devices(&r.sp, PB_J_TOTAL | PB_J_CGROUPS |
							    (r.cgroup ? 0 : PB_J_HISTS)));
	json_object_set_new(doc, "cgroup", !r.cgroup ? json_null() :
			    json_pack("{s:o,s:i}", "path", pb_json_text(r.cg_rel),
				      "hierarchy", (int)r.hierarchy));
	if (WIFSIGNALED(status))
		ret = 128 + WTERMSIG(status);
	else if (WEXITSTATUS(status))
		ret = WEXITSTATUS(status);
	else
		ret = outcome == PASSED ? PB_EXIT_OK : TRACE_EXIT_EXPECT;
	json_object_set_new(doc, "result", json_string(ret == PB_EXIT_OK ? "pass" :
				ret != TRACE_EXIT_EXPECT || status ? "command_failed" :
				outcome == UNKNOWN ? "unknown" : "expectation_failed"));
	if (ret && status)
		fprintf(stderr, "pinbounce trace: %s %s %d\n", pb_text(cmd, sizeof(cmd), argv[0]),
			WIFSIGNALED(status) ? "killed by signal" : "exited with",
			WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	summary(&r);
	if (json_file && write_report(json_file, doc))
		ret = ret ? ret : TRACE_EXIT_FAILED;
	if (json_output)
		json_print(doc);
	else
		json_decref(doc);
	pb_obs_snap_free(&base);
	pb_obs_snap_free(&cur);
	return ret;
}
