// SPDX-License-Identifier: GPL-2.0
/*
 * pinbounce top [-d DISK] [interval]: the observers and the policy's rules
 * on a full screen, refreshed every interval (1 s by default).  Rates are
 * over the last interval, totals since top started; the device table sorts
 * by any column.  Leaves on 'q', SIGINT, SIGTERM and SIGHUP with the terminal as it
 * found it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curses.h>
#include <term.h>	/* setupterm(): many lower-case macros, keep names distinct */
#include "blockdev.h"
#include "cli.h"
#include "observe.h"
#include "report.h"
#include "text.h"

#define MAX_DEVS	256
#define KEY_WAIT_MS	200	/* longest getch() wait: how soon a signal is seen */
#define ERR_SHOW_S	10	/* how long the status line shows an error */
#define HEAD_ROWS	4	/* title, keys, status, device header */

/* Lock-free, so safe to set from a signal handler (C11 7.14.1.1). */
static atomic_int stop;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop, 1);
}

/*
 * The columns of the device table: the device, the counters that have a
 * column in top (PB_COUNTERS), then the p99 of each histogram.
 */
#define COL_DEV		0
#define MAX_COLS	(1 + PB_NR_COUNTERS + PB_NR_HISTS)

struct col {
	const char *title;
	int key;
	int counter;		/* enum pb_counter, or -1 */
	double scale;		/* of a counter: the rate shown is divided by it */
	unsigned int hist;	/* p99 of this histogram kind, with @is_hist */
	bool is_hist;
};

static struct col cols[MAX_COLS];
static int nr_cols;

static void cols_init(void)
{
	static const struct col hists[PB_NR_HISTS] = {
		{ "BNCp99", 'c', -1, 1, PB_HIST_BOUNCE, true },
		{ "WRp99", 'w', -1, 1, PB_HIST_WRITE, true },
		{ "BWRp99", 'W', -1, 1, PB_HIST_WRITE_BOUNCED, true },
	};

	if (nr_cols)
		return;
	cols[nr_cols++] = (struct col){ .title = "DEVICE", .key = 'd', .counter = -1 };
	for (unsigned int i = 0; i < PB_NR_COUNTERS; i++)
		if (pb_counter_info[i].top_col[0])
			cols[nr_cols++] = (struct col){ .title = pb_counter_info[i].top_col,
							.key = pb_counter_info[i].top_key,
							.counter = (int)i,
							.scale = pb_counter_info[i].scale };
	for (unsigned int i = 0; i < PB_NR_HISTS; i++)
		cols[nr_cols++] = hists[i];
}

/*
 * Column widths, within 80 columns: the device name's, the counters' and
 * the p99s' (at most 6 characters: "66.8ms", "999ms", "9.99s").  Titles
 * have at most the width - 2 characters: room for the sort mark and a
 * space.
 */
#define DEV_W	10
#define NUM_W	8
#define HIST_W	7

static int col_w(int col)
{
	return col == COL_DEV ? DEV_W : cols[col].is_hist ? HIST_W : NUM_W;
}

/* One device: what its two rows show and what it sorts by. */
struct dev_row {
	__u32 dev;
	char name[32];
	double rate[MAX_COLS];	/* counters per second, p99s in ns (NAN: none) */
	double total[MAX_COLS];	/* the same since top started */
	bool stable;		/* the disk needs stable writes */
};

/*
 * stderr, while curses owns the terminal and stderr is that terminal:
 * a pipe, whose last line the status line shows and which is written out
 * after the screen is restored.
 */
struct errcap {
	int saved;		/* the real stderr, -1 when not captured */
	int rfd;
	char last[256];
	double last_time;
	char log[4096];		/* the most recent messages */
	size_t len;
};

struct top {
	struct pb_obs o;
	struct pb_obs_snap base, snaps[2];
	struct pb_obs_snap *prev, *cur;
	bool sampled;		/* a whole interval lies between prev and cur */
	double interval;
	__u32 only;
	int sort;
	bool reverse;
	struct dev_row *rows;
	unsigned int nrows;
	struct pb_policy_view *view, *view_prev;
	bool view_ok, view_prev_ok;
	double view_time, view_prev_time;
	struct errcap ec;
};

static void errcap_start(struct errcap *e)
{
	int p[2];

	memset(e, 0, sizeof(*e));
	e->saved = -1;
	e->rfd = -1;
	if (!isatty(STDERR_FILENO) || pipe2(p, O_CLOEXEC | O_NONBLOCK))
		return;
	fflush(stderr);
	e->saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (e->saved < 0 || dup2(p[1], STDERR_FILENO) < 0) {
		if (e->saved >= 0)
			close(e->saved);
		e->saved = -1;
		close(p[0]);
		close(p[1]);
		return;
	}
	close(p[1]);
	e->rfd = p[0];
}

static void errcap_keep(struct errcap *e, const char *s, size_t n)
{
	if (n >= sizeof(e->log)) {
		s += n - sizeof(e->log);
		n = sizeof(e->log);
	}
	if (e->len + n > sizeof(e->log)) {
		size_t drop = e->len + n - sizeof(e->log);

		memmove(e->log, e->log + drop, e->len - drop);
		e->len -= drop;
	}
	memcpy(e->log + e->len, s, n);
	e->len += n;
}

/* Take in what was written to stderr; remember its last line. */
static void errcap_drain(struct errcap *e)
{
	char buf[1024];
	ssize_t n;

	if (e->rfd < 0)
		return;
	while ((n = read(e->rfd, buf, sizeof(buf) - 1)) > 0) {
		char *end, *start;

		errcap_keep(e, buf, n);
		buf[n] = '\0';
		end = buf + n;
		while (end > buf && end[-1] == '\n')
			*--end = '\0';
		if (end == buf)
			continue;
		start = strrchr(buf, '\n');
		snprintf(e->last, sizeof(e->last), "%.*s", (int)sizeof(e->last) - 1,
			 start ? start + 1 : buf);
		e->last_time = pb_clock(CLOCK_MONOTONIC);
	}
}

static void errcap_stop(struct errcap *e)
{
	if (e->saved < 0)
		return;
	errcap_drain(e);
	dup2(e->saved, STDERR_FILENO);
	close(e->saved);
	close(e->rfd);
	e->saved = -1;
	e->rfd = -1;
	if (e->len && write(STDERR_FILENO, e->log, e->len) < 0)
		return;
}

/* A count or rate: 0, 12.5, 1234, 12.3M. */
static const char *fmt_num(char *buf, size_t size, double v, bool frac)
{
	if (v == 0)
		snprintf(buf, size, "0");
	else if (v < 100 && frac)
		snprintf(buf, size, "%.1f", v);
	else if (v < 1e6)
		snprintf(buf, size, "%.0f", v);
	else if (v < 1e9)
		snprintf(buf, size, "%.1fM", v / 1e6);
	else
		snprintf(buf, size, "%.1fG", v / 1e9);
	return buf;
}

static const char *fmt_mib(char *buf, size_t size, double v)
{
	snprintf(buf, size, v < 1000 ? "%.2f" : "%.0f", v);
	return buf;
}

/* A latency in nanoseconds, with its unit; "-" when there was none. */
static const char *fmt_time(char *buf, size_t size, double ns)
{
	double us = ns / 1e3;

	if (isnan(ns))
		snprintf(buf, size, "-");
	else if (us < 10)
		snprintf(buf, size, "%.1fus", us);
	else if (us < 1e3)
		snprintf(buf, size, "%.0fus", us);
	else if (us < 1e5)
		snprintf(buf, size, "%.1fms", us / 1e3);
	else if (us < 1e6)
		snprintf(buf, size, "%.0fms", us / 1e3);
	else if (us < 1e7)
		snprintf(buf, size, "%.2fs", us / 1e6);
	else if (us < 1e8)
		snprintf(buf, size, "%.1fs", us / 1e6);
	else
		snprintf(buf, size, "%.0fs", us / 1e6);
	return buf;
}

static void fill_values(double *v, const struct pb_obs_counters *c, double k)
{
	for (int col = 0; col < nr_cols; col++)
		if (cols[col].counter >= 0)
			v[col] = pb_counter_get(c, cols[col].counter, -1) * k / cols[col].scale;
}

/* The rows of the devices seen, from the last interval and since start. */
static int build_rows(struct top *t)
{
	struct pb_span sp = { .o = &t->o, .base = &t->base, .cur = t->cur, .only = t->only };
	double secs, k;
	__u32 devs[MAX_DEVS];
	unsigned int n;

	sp.prev = t->sampled ? t->prev : NULL;
	secs = pb_span_secs(&sp);
	k = secs > 0 ? 1 / secs : 0;
	n = pb_snap_devices(t->cur, t->only, devs, MAX_DEVS);
	free(t->rows);
	t->nrows = 0;
	t->rows = calloc(n ? n : 1, sizeof(*t->rows));
	if (!t->rows)
		return -1;
	for (unsigned int i = 0; i < n; i++) {
		struct dev_row *r = &t->rows[i];
		struct pb_obs_counters c;

		r->dev = devs[i];
		pb_dev_name(devs[i], r->name, sizeof(r->name));
		r->stable = pb_dev_stable(devs[i]);
		pb_span_counters(&sp, devs[i], true, &c);
		fill_values(r->rate, &c, k);
		pb_span_counters(&sp, devs[i], false, &c);
		fill_values(r->total, &c, 1);
		for (int col = 0; col < nr_cols; col++) {
			struct pb_hist h, then;

			if (!cols[col].is_hist)
				continue;
			r->rate[col] = NAN;
			r->total[col] = NAN;
			if (!t->o.bounce && cols[col].hist != PB_HIST_WRITE)
				continue;
			pb_span_hist(&sp, devs[i], cols[col].hist, &h);
			r->rate[col] = pb_hist_quantile(&h, 0.99);
			pb_snap_hist(t->cur, devs[i], cols[col].hist, &h);
			pb_snap_hist(&t->base, devs[i], cols[col].hist, &then);
			pb_hist_sub(&h, &then);
			r->total[col] = pb_hist_quantile(&h, 0.99);
		}
	}
	t->nrows = n;
	return 0;
}

static int cmp_rows(const void *a, const void *b, void *arg)
{
	const struct dev_row *x = a, *y = b;
	const struct top *t = arg;
	int col = t->sort, d = 0;

	if (col == COL_DEV) {
		d = strcmp(x->name, y->name);
	} else {
		double u = x->rate[col], v = y->rate[col];

		/* Nothing to show sorts last, whichever the direction. */
		if (isnan(u) != isnan(v))
			return isnan(u) ? 1 : -1;
		if (!isnan(u) && u != v)
			d = u > v ? -1 : 1;	/* highest first */
	}
	if (d)
		return t->reverse ? -d : d;
	d = strcmp(x->name, y->name);
	return d ? d : (x->dev > y->dev) - (x->dev < y->dev);
}

/* The policy's rules and their hits, and the previous read for the rates. */
static void read_view(struct top *t)
{
	struct pb_policy_view *swap = t->view_prev;

	t->view_prev = t->view;
	t->view_prev_ok = t->view_ok;
	t->view_prev_time = t->view_time;
	t->view = swap;
	t->view_ok = !pb_policy_view_read(t->view);
	t->view_time = pb_clock(CLOCK_MONOTONIC);
}

static int sample(struct top *t)
{
	struct pb_obs_snap *old = t->prev;

	pb_obs_snap_free(old);
	t->prev = t->cur;
	t->cur = old;
	if (pb_obs_snapshot(&t->o, t->cur))
		return -1;
	t->sampled = true;
	read_view(t);
	return build_rows(t);
}

/*
 * One line of text at @row, clipped to the screen; @attr across all of it.
 * The names in it (devices, rules) are the machine's: escaped.
 */
static __printf(3, 4) void put(int row, attr_t attr, const char *fmt, ...)
{
	char buf[512], shown[PB_TEXT_SIZE(sizeof(buf))];
	va_list ap;

	if (row < 0 || row >= LINES)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	attrset(attr);
	if (attr & A_REVERSE)
		mvhline(row, 0, ' ', COLS);
	mvaddnstr(row, 0, pb_text(shown, sizeof(shown), buf), COLS);
	attrset(A_NORMAL);
}

static const char keys_help[] =
	"q:quit r:reverse <>:col d:DEV p:PIN g:PAGE b:BNC m:MiB t:PASS x:PINWB c,w,W:p99";

static const char *sort_order(const struct top *t)
{
	if (t->sort == COL_DEV)
		return t->reverse ? "z-a" : "a-z";
	return t->reverse ? "low first" : "high first";
}

static void draw_header(struct top *t)
{
	int up = (int)(t->cur->time - t->base.time);
	char dev[48] = "", name[32];
	const char *status = "";
	__u64 dropped = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(t->base.dropped); i++)
		if (pb_drop_loses[i] && t->cur->dropped[i] > t->base.dropped[i])
			dropped += t->cur->dropped[i] - t->base.dropped[i];
	if (t->only)
		snprintf(dev, sizeof(dev), " - %s only", pb_dev_name(t->only, name, sizeof(name)));
	put(0, A_BOLD, "pinbounce top - every %gs - up %d:%02d:%02d - sort %s, %s%s", t->interval,
	    up / 3600, up / 60 % 60, up % 60, cols[t->sort].title, sort_order(t), dev);
	put(1, A_NORMAL, "%s", keys_help);
	errcap_drain(&t->ec);
	if (t->ec.last[0] && pb_clock(CLOCK_MONOTONIC) - t->ec.last_time < ERR_SHOW_S)
		status = t->ec.last;
	if (status[0])
		put(2, A_BOLD, "%s", status);
	else if (!t->o.bounce)
		put(2, A_BOLD, "bounce counters n/a: %s", PB_NO_BOUNCE);
	else if (!t->sampled)
		put(2, A_NORMAL, "rates after the first interval");
	else if (dropped)
		put(2, A_BOLD, "the observers' tables are full: %llu updates lost since start",
		    (unsigned long long)dropped);
}

static void draw_cell(char *line, size_t size, int col, const struct top *t, const double *v,
		      bool rate)
{
	size_t len = strlen(line);
	char buf[32];
	const char *s;

	if (cols[col].counter >= 0 && !pb_counter_available(&t->o, cols[col].counter))
		s = "n/a";
	else if (cols[col].is_hist)
		s = cols[col].hist != PB_HIST_WRITE && !t->o.bounce ? "n/a" :
		    fmt_time(buf, sizeof(buf), v[col]);
	else if (rate && !t->sampled)
		s = "-";
	else if (cols[col].scale > 1 && v[col])
		s = fmt_mib(buf, sizeof(buf), v[col]);
	else
		s = fmt_num(buf, sizeof(buf), v[col], rate);
	snprintf(line + len, size - len, "%*s", col_w(col), s);
}

/* The device table from @row, in at most @space rows. */
static void draw_devices(struct top *t, int row, int space)
{
	int per = 2, fit;
	char line[256];

	if (space < 1)
		return;
	line[0] = '\0';
	for (int col = 0; col < nr_cols; col++) {
		char title[16];
		size_t len = strlen(line);

		snprintf(title, sizeof(title), "%s%s", t->sort == col ? "*" : "", cols[col].title);
		snprintf(line + len, sizeof(line) - len, col == COL_DEV ? "%-*s" : "%*s",
			 col_w(col), title);
	}
	put(row++, A_REVERSE, "%s", line);
	space--;
	if (space < 1)
		return;
	if (!t->nrows) {
		put(row, A_NORMAL, "no writeback seen yet%s", t->only ? " on this device" : "");
		return;
	}
	fit = space / per;
	if ((unsigned int)fit < t->nrows)
		fit = (space - 1) / per;	/* and a line that says so */
	for (unsigned int i = 0; i < t->nrows && (int)i < fit; i++) {
		const struct dev_row *r = &t->rows[i];

		snprintf(line, sizeof(line), "%-*.*s", DEV_W, DEV_W - 1, r->name);
		for (int col = 1; col < nr_cols; col++)
			draw_cell(line, sizeof(line), col, t, r->rate, true);
		put(row++, A_NORMAL, "%s", line);
		/* SW: the disk needs stable writes, where PINWB is exposure */
		snprintf(line, sizeof(line), "%-*s", DEV_W, r->stable ? "  total SW" : "  total");
		for (int col = 1; col < nr_cols; col++)
			draw_cell(line, sizeof(line), col, t, r->total, false);
		put(row++, A_DIM, "%s", line);
	}
	if ((unsigned int)fit < t->nrows)
		put(row, A_NORMAL, "... %u more device%s: enlarge the window or use -d",
		    t->nrows - fit, t->nrows - fit == 1 ? "" : "s");
}

#define RULE_W	18
#define HITS_W	8

static const struct pb_rule_view *prev_rule(const struct top *t, const char *name)
{
	const struct pb_policy_view *p = t->view_prev;

	for (unsigned int i = 0; i < p->nrules; i++)
		if (!strcmp(p->rules[i].name, name))
			return &p->rules[i];
	return NULL;
}

/*
 * One rule's line: hits per second since the previous read, hits since its
 * generation began.  Counters restart with each generation: across a change
 * the new generation's hits all fell within the interval.
 */
static void draw_rule(const struct top *t, int row, const char *name, bool audit,
		      const struct pb_rule_stats *s, const struct pb_rule_stats *before)
{
	static const int order[3] = { PB_ACTION_BOUNCE, PB_ACTION_PASSTHROUGH, PB_ACTION_DEFAULT };
	const __u64 *hits = audit ? s->audit_hits : s->hits;
	const __u64 *was = before ? (audit ? before->audit_hits : before->hits) : NULL;
	double secs = t->view_time - t->view_prev_time;
	char line[256], label[64], buf[32];
	size_t len;

	snprintf(label, sizeof(label), "%s%s", name, audit ? " (audit)" : "");
	len = snprintf(line, sizeof(line), "%-*.*s", RULE_W, RULE_W - 1, label);
	for (int i = 0; i < 3; i++) {
		__u64 h = hits[order[i]], w = was && was[order[i]] <= h ? was[order[i]] : 0;
		bool known = t->view_prev_ok && secs > 0;

		len += snprintf(line + len, sizeof(line) - len, "%*s", HITS_W,
				known ? fmt_num(buf, sizeof(buf), (h - w) / secs, true) : "-");
	}
	for (int i = 0; i < 3; i++)
		len += snprintf(line + len, sizeof(line) - len, "%*s", NUM_W,
				fmt_num(buf, sizeof(buf), hits[order[i]], false));
	snprintf(line + len, sizeof(line) - len, "%*s", NUM_W,
		 fmt_num(buf, sizeof(buf), s->over_budget, false));
	put(row, A_NORMAL, "%s", line);
}

/* The policy pane from @row, in at most @space rows. */
static void draw_rules(struct top *t, int row, int space)
{
	const struct pb_policy_view *v = t->view;
	bool same = t->view_prev_ok && t->view_prev->attached &&
		    t->view_prev->generation == v->generation;
	int fit = space - 2;

	if (space < 1)
		return;
	if (!t->view_ok) {
		put(row, A_BOLD, "POLICY  cannot read the policy");
		return;
	}
	if (!v->attached) {
		put(row, A_BOLD, "POLICY  no policy attached: the kernel decides");
		return;
	}
	put(row++, A_BOLD, "POLICY  generation %llu, %u rule%s; hits/s, then hits this generation",
	    (unsigned long long)v->generation, v->nrules, v->nrules == 1 ? "" : "s");
	if (space < 2)
		return;
	put(row++, A_REVERSE, "%-*s%*s%*s%*s%*s%*s%*s%*s", RULE_W, "RULE", HITS_W, "BNC/s",
	    HITS_W, "PASS/s", HITS_W, "DFLT/s", NUM_W, "BOUNCE", NUM_W, "PASS", NUM_W, "DEFAULT",
	    NUM_W, "OVER");
	if ((unsigned int)fit < v->nrules + 1)
		fit--;
	for (unsigned int i = 0; i < v->nrules && (int)i < fit; i++) {
		const struct pb_rule_view *r = &v->rules[i];
		const struct pb_rule_view *b = same ? prev_rule(t, r->name) : NULL;

		draw_rule(t, row++, r->name, r->audit, &r->s, b ? &b->s : NULL);
	}
	if ((unsigned int)fit >= v->nrules + 1)
		draw_rule(t, row, "(no rule)", false, &v->unmatched,
			  same ? &t->view_prev->unmatched : NULL);
	else if (fit >= 0)
		put(row, A_NORMAL, "... %u more rows: enlarge the window",
		    v->nrules + 1 - (fit > 0 ? fit : 0));
}

static void draw(struct top *t)
{
	const struct pb_policy_view *v = t->view;
	int avail = LINES - HEAD_ROWS + 1, per = 2;
	int need_dev = 1 + (t->nrows ? (int)t->nrows * per : 1);
	int need_pol = t->view_ok && v->attached ? 3 + (int)v->nrules : 1;
	int pol, dev;

	if (t->nrows)
		qsort_r(t->rows, t->nrows, sizeof(*t->rows), cmp_rows, t);
	erase();
	draw_header(t);
	/* The rules get what the devices leave, and at least half. */
	pol = avail - 1 - need_dev;
	if (pol < avail / 2)
		pol = avail / 2;
	if (pol > need_pol)
		pol = need_pol;
	dev = avail - 1 - pol;
	draw_devices(t, HEAD_ROWS - 1, dev);
	/* The rules right below the devices, whatever room is left below them. */
	if (dev > need_dev) {
		pol += dev - need_dev;
		dev = need_dev;
	}
	draw_rules(t, HEAD_ROWS - 1 + dev + 1, pol);
	refresh();
}

/* Whether @ch ends top. */
static bool on_key(struct top *t, int ch)
{
	switch (ch) {
	case 'q':
	case 'Q':
		return true;
	case 'r':
		t->reverse = !t->reverse;
		break;
	case '<':
	case KEY_LEFT:
		t->sort = (t->sort + nr_cols - 1) % nr_cols;
		t->reverse = false;
		break;
	case '>':
	case KEY_RIGHT:
		t->sort = (t->sort + 1) % nr_cols;
		t->reverse = false;
		break;
	case 'L' & 0x1f:	/* ^L: repaint all */
		clearok(curscr, TRUE);
		break;
	default:
		for (int col = 0; col < nr_cols; col++) {
			if (cols[col].key == ch) {
				t->sort = col;
				t->reverse = false;
			}
		}
		break;
	}
	return false;
}

static int top_loop(struct top *t)
{
	double next = pb_clock(CLOCK_MONOTONIC) + t->interval;

	draw(t);
	while (!atomic_load(&stop)) {
		double left = next - pb_clock(CLOCK_MONOTONIC);
		int ch;

		if (left <= 0) {
			if (sample(t))
				return -1;
			next += t->interval;
			if (next <= pb_clock(CLOCK_MONOTONIC))
				next = pb_clock(CLOCK_MONOTONIC) + t->interval;
			draw(t);
			continue;
		}
		timeout(left * 1000 < KEY_WAIT_MS ? (int)(left * 1000) + 1 : KEY_WAIT_MS);
		ch = getch();
		if (ch == ERR)
			continue;
		if (on_key(t, ch))
			break;
		draw(t);	/* also what KEY_RESIZE asks for */
	}
	return 0;
}

/* A terminal that curses can drive, checked without newterm()'s leak on failure. */
static int check_terminal(void)
{
	const char *term = getenv("TERM");
	char *cup;
	int err = 0;

	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
		p_err("top needs a terminal on stdin and stdout ('pinbounce stats INTERVAL' logs)");
		return -1;
	}
	if (setupterm(NULL, STDOUT_FILENO, &err) != OK) {
		p_err("top: cannot use the terminal type '%s'%s", term ? term : "",
		      err == 0 ? ": not in the terminfo database" : "");
		return -1;
	}
	cup = tigetstr("cup");
	del_curterm(cur_term);
	if (!cup || cup == (char *)-1) {
		p_err("top: the terminal type '%s' cannot move the cursor", term ? term : "");
		return -1;
	}
	return 0;
}

static int top_screen(struct top *t)
{
	struct sigaction sa = { .sa_handler = on_signal }, old[3];
	static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
	SCREEN *scr;
	int err;

	if (pb_obs_need_root())
		return PB_EXIT_ERROR;
	if (check_terminal())
		return PB_EXIT_ERROR;
	t->view = calloc(1, sizeof(*t->view));
	t->view_prev = calloc(1, sizeof(*t->view_prev));
	if (!t->view || !t->view_prev) {
		p_err("out of memory");
		return PB_EXIT_ERROR;
	}
	if (pb_obs_open(&t->o))
		return PB_EXIT_ERROR;
	t->prev = &t->snaps[0];
	t->cur = &t->snaps[1];
	if (pb_obs_snapshot(&t->o, &t->base) || pb_obs_snapshot(&t->o, t->cur))
		return PB_EXIT_ERROR;
	read_view(t);
	if (build_rows(t)) {
		p_err("out of memory");
		return PB_EXIT_ERROR;
	}
	/* Ours before curses starts, so that it leaves them alone. */
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	errcap_start(&t->ec);
	scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		errcap_stop(&t->ec);
		p_err("top: cannot start curses on this terminal");
		err = -1;
		goto restore;
	}
	set_term(scr);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	err = top_loop(t);
	endwin();
	delscreen(scr);
	errcap_stop(&t->ec);
restore:
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	return err ? PB_EXIT_ERROR : PB_EXIT_OK;
}

/* A number of seconds, all of @s. */
static bool seconds(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return !errno && end != s && !*end && isfinite(*v);
}

int do_top(int argc, char **argv)
{
	struct top t = { .interval = 1, .sort = COL_DEV + 1 };	/* the first counter */
	int ret;

	cols_init();
	if (json_output) {
		p_err("top has no JSON output: use 'pinbounce -j stats INTERVAL'");
		return PB_EXIT_USAGE;
	}
	while (argc && argv[0][0] == '-' && argv[0][1]) {
		if (strcmp(argv[0], "-d")) {
			p_usage(PB_TOP_USAGE, "top: unknown option '%s'", argv[0]);
			return PB_EXIT_USAGE;
		}
		if (argc < 2) {
			p_usage(PB_TOP_USAGE, "top: -d needs a disk");
			return PB_EXIT_USAGE;
		}
		if (pb_dev_lookup(argv[1], &t.only))
			return PB_EXIT_ERROR;
		argc -= 2;
		argv += 2;
	}
	if (argc > 1) {
		p_usage(PB_TOP_USAGE, "top: unexpected '%s' after the interval", argv[1]);
		return PB_EXIT_USAGE;
	}
	if (argc && (!seconds(argv[0], &t.interval) || t.interval < PB_MIN_INTERVAL ||
		     t.interval > 86400)) {
		p_usage(PB_TOP_USAGE,
			"top: the interval must be a number of seconds from %g to 86400, not '%s'",
			PB_MIN_INTERVAL, argv[0]);
		return PB_EXIT_USAGE;
	}
	ret = top_screen(&t);
	free(t.rows);
	free(t.view);
	free(t.view_prev);
	pb_obs_snap_free(&t.base);
	pb_obs_snap_free(&t.snaps[0]);
	pb_obs_snap_free(&t.snaps[1]);
	pb_obs_close(&t.o);
	return ret;
}
