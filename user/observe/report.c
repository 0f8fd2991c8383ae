// SPDX-License-Identifier: GPL-2.0
/*
 * Counters and histograms between two snapshots of the observers, and their
 * JSON.  The BPF maps only ever grow: every figure here is a difference of
 * two snapshots, so that any number of readers can share the observers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "blockdev.h"
#include "cgroup_cache.h"
#include "cli.h"
#include "report.h"
#include "text.h"

#define NWORDS(x)	(sizeof(x) / sizeof(__u64))

const char *const pb_hist_names[PB_NR_HISTS] = {
	[PB_HIST_BOUNCE] = "bounce",
	[PB_HIST_WRITE] = "write",
	[PB_HIST_WRITE_BOUNCED] = "write_bounced",
};

static void add_words(__u64 *to, const __u64 *from, size_t n)
{
	for (size_t i = 0; i < n; i++)
		to[i] += from[i];
}

/* Counters never go back; a row that did (a map entry evicted and reborn)
 * counts from zero rather than wrapping around.
 */
static void sub_words(__u64 *to, const __u64 *minus, size_t n)
{
	for (size_t i = 0; i < n; i++)
		to[i] = to[i] >= minus[i] ? to[i] - minus[i] : 0;
}

void pb_counters_add(struct pb_obs_counters *c, const struct pb_obs_counters *plus)
{
	add_words((__u64 *)c, (const __u64 *)plus, NWORDS(*c));
}

void pb_counters_sub(struct pb_obs_counters *c, const struct pb_obs_counters *minus)
{
	sub_words((__u64 *)c, (const __u64 *)minus, NWORDS(*c));
}

void pb_hist_add(struct pb_hist *h, const struct pb_hist *plus)
{
	add_words((__u64 *)h, (const __u64 *)plus, NWORDS(*h));
}

void pb_hist_sub(struct pb_hist *h, const struct pb_hist *minus)
{
	sub_words((__u64 *)h, (const __u64 *)minus, NWORDS(*h));
}

void pb_snap_counters(const struct pb_obs_snap *s, __u32 dev, __u64 cgroup,
		      struct pb_obs_counters *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int r = 0; s && r < s->nrows; r++) {
		const struct pb_obs_row *row = &s->rows[r];

		if ((dev && row->key.dev != dev) ||
		    (cgroup != PB_ALL_CGROUPS && row->key.cgroup_id != cgroup))
			continue;
		add_words((__u64 *)out, (const __u64 *)&row->c, NWORDS(*out));
	}
}

void pb_snap_hist(const struct pb_obs_snap *s, __u32 dev, unsigned int kind,
		  struct pb_hist *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int r = 0; s && r < s->nhists; r++) {
		const struct pb_obs_hist_row *row = &s->hists[r];

		if ((dev && row->key.dev != dev) || row->key.kind != kind)
			continue;
		add_words((__u64 *)out, (const __u64 *)&row->h, NWORDS(*out));
	}
}

static void add_dev(__u32 d, __u32 only, __u32 *devs, unsigned int *n, unsigned int max)
{
	unsigned int i;

	if (!pb_dev_in(d, only))
		return;
	for (i = 0; i < *n && devs[i] != d; i++)
		;
	if (i == *n && *n < max)
		devs[(*n)++] = d;
}

unsigned int pb_snap_devices(const struct pb_obs_snap *s, __u32 only, __u32 *devs,
			     unsigned int max)
{
	unsigned int n = 0;

	for (unsigned int r = 0; r < s->nrows; r++)
		add_dev(s->rows[r].key.dev, only, devs, &n, max);
	for (unsigned int r = 0; r < s->nhists; r++)
		add_dev(s->hists[r].key.dev, only, devs, &n, max);
	return n;
}

static const struct pb_obs_snap *since(const struct pb_span *sp, bool rate_part)
{
	return rate_part && sp->prev ? sp->prev : sp->base;
}

void pb_span_counters(const struct pb_span *sp, __u32 dev, bool rate_part,
		      struct pb_obs_counters *out)
{
	struct pb_obs_counters then;

	pb_snap_counters(sp->cur, dev, PB_ALL_CGROUPS, out);
	pb_snap_counters(since(sp, rate_part), dev, PB_ALL_CGROUPS, &then);
	pb_counters_sub(out, &then);
}

void pb_span_hist(const struct pb_span *sp, __u32 dev, unsigned int kind, struct pb_hist *out)
{
	struct pb_hist then;

	pb_snap_hist(sp->cur, dev, kind, out);
	pb_snap_hist(since(sp, true), dev, kind, &then);
	pb_hist_sub(out, &then);
}

void pb_span_counters_sel(const struct pb_span *sp, struct pb_obs_counters *out)
{
	__u32 devs[256];
	unsigned int n = pb_snap_devices(sp->cur, sp->only, devs, ARRAY_SIZE(devs));
	struct pb_obs_counters one;

	if (!sp->only) {
		pb_span_counters(sp, 0, false, out);
		return;
	}
	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < n; i++) {
		pb_span_counters(sp, devs[i], false, &one);
		pb_counters_add(out, &one);
	}
}

void pb_span_hist_sel(const struct pb_span *sp, unsigned int kind, struct pb_hist *out)
{
	__u32 devs[256];
	unsigned int n = pb_snap_devices(sp->cur, sp->only, devs, ARRAY_SIZE(devs));
	struct pb_hist one;

	if (!sp->only) {
		pb_span_hist(sp, 0, kind, out);
		return;
	}
	memset(out, 0, sizeof(*out));
	for (unsigned int i = 0; i < n; i++) {
		pb_span_hist(sp, devs[i], kind, &one);
		pb_hist_add(out, &one);
	}
}

double pb_span_secs(const struct pb_span *sp)
{
	return sp->cur->time - since(sp, true)->time;
}

bool pb_hist_range(const struct pb_hist *h, unsigned int *lo, unsigned int *hi)
{
	bool any = false;

	for (unsigned int i = 0; i < PB_HIST_SLOTS; i++) {
		if (!h->slots[i])
			continue;
		if (!any)
			*lo = i;
		*hi = i;
		any = true;
	}
	return any;
}

double pb_hist_quantile(const struct pb_hist *h, double q)
{
	double rank, seen = 0;
	__u64 total = 0;

	for (unsigned int i = 0; i < PB_HIST_SLOTS; i++)
		total += h->slots[i];
	if (!total)
		return NAN;
	rank = q * total;
	for (unsigned int i = 0; i < PB_HIST_SLOTS; i++) {
		double low = pb_slot_low(i), high = i == 63 ? 0x1p64 : (double)pb_slot_low(i + 1);

		if (!h->slots[i] || seen + h->slots[i] < rank) {
			seen += h->slots[i];
			continue;
		}
		return low + (high - low) * (rank - seen) / h->slots[i];
	}
	return NAN;	/* not reached */
}

double pb_hist_mean(const struct pb_hist *h)
{
	return h->count ? (double)h->sum_ns / h->count : NAN;
}

size_t pb_utf8_escape(char *dst, size_t size, const char *src)
{
	return pb_text_escape(dst, size, src, 0);
}

json_t *pb_json_text(const char *s)
{
	size_t size = 4 * strlen(s) + 1;
	char *buf = malloc(size);
	json_t *j;

	if (!buf)
		return NULL;
	pb_utf8_escape(buf, size, s);
	j = json_string(buf);
	free(buf);
	return j;
}

json_t *pb_json_doc(const char *command, const struct pb_obs *o)
{
	json_t *doc = json_pack("{s:s,s:s,s:b}", "schema", PB_SCHEMA, "command", command,
				"bounce_observed", o->bounce);
	json_t *gone = json_object();

	if (!o->bounce) {
		json_object_set_new(gone, "counters", json_string(PB_NO_BOUNCE));
		json_object_set_new(gone, "bounce", json_string(PB_NO_BOUNCE));
		json_object_set_new(gone, "write_bounced", json_string(PB_NO_BOUNCE));
	}
	json_object_set_new(doc, "unavailable", gone);
	return doc;
}

#define PB_COUNTER_INFO(n, se, sp, st, tp, key, sc, hp) \
	[PB_CTR_##n] = { .name = #n, .off = offsetof(struct pb_obs_counters, n), .series = se, \
			 .split = sp, .stats_col = st, .top_col = tp, .top_key = key, .scale = sc, \
			 .help = hp },

const struct pb_counter_info pb_counter_info[PB_NR_COUNTERS] = {
	PB_COUNTERS(PB_COUNTER_INFO)
};

bool pb_counter_available(const struct pb_obs *o, unsigned int i)
{
	return o->bounce || !pb_counter_info[i].series;
}

__u64 pb_counter_get(const struct pb_obs_counters *c, unsigned int i, int decider)
{
	const __u64 *v = (const __u64 *)((const char *)c + pb_counter_info[i].off);

	if (!pb_counter_info[i].split)
		return v[0];
	return decider >= 0 ? v[decider] : v[PB_BY_POLICY] + v[PB_BY_KERNEL];
}

json_t *pb_json_counters(const struct pb_obs *ob, const struct pb_obs_counters *c)
{
	json_t *o = json_object();

	for (unsigned int i = 0; i < PB_NR_COUNTERS; i++) {
		json_t *v = json_integer(pb_counter_get(c, i, -1));

		if (!pb_counter_available(ob, i)) {
			json_decref(v);
			v = json_null();
		} else if (pb_counter_info[i].split) {
			json_decref(v);
			v = json_pack("{s:I,s:I}",
				      "policy", (json_int_t)pb_counter_get(c, i, PB_BY_POLICY),
				      "kernel", (json_int_t)pb_counter_get(c, i, PB_BY_KERNEL));
		}
		json_object_set_new(o, pb_counter_info[i].name, v);
	}
	return o;
}

static json_t *rates_json(const struct pb_obs *ob, const struct pb_obs_counters *c,
			  double secs)
{
	double k = secs > 0 ? 1 / secs : 0;
	json_t *o = json_object();

	for (unsigned int i = 0; i < PB_NR_COUNTERS; i++)
		json_object_set_new(o, pb_counter_info[i].name,
				    pb_counter_available(ob, i) ?
				    json_real(pb_counter_get(c, i, -1) * k) : json_null());
	return o;
}

/* A number, or null for the NAN of an empty histogram. */
static json_t *json_num(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

json_t *pb_json_hist(const struct pb_hist *h)
{
	json_t *buckets = json_array();
	unsigned int lo = 0, hi = 0;
	bool any = pb_hist_range(h, &lo, &hi);

	for (unsigned int i = lo; any && i <= hi; i++) {
		json_int_t high = i < 63 ? (json_int_t)pb_slot_low(i + 1) - 1 : INT64_MAX;

		json_array_append_new(buckets, json_pack("{s:I,s:I,s:I}",
							 "low_ns", (json_int_t)pb_slot_low(i),
							 "high_ns", high,
							 "count", (json_int_t)h->slots[i]));
	}
	return json_pack("{s:I,s:I,s:o,s:o,s:o,s:o}", "count", (json_int_t)h->count,
			 "sum_ns", (json_int_t)h->sum_ns, "mean_ns", json_num(pb_hist_mean(h)),
			 "p50_ns", json_num(pb_hist_quantile(h, 0.5)),
			 "p99_ns", json_num(pb_hist_quantile(h, 0.99)), "buckets", buckets);
}

/* The counters of row @key in @s, 0 if it has none. */
static void base_row(const struct pb_obs_snap *s, const struct pb_obs_key *key,
		     struct pb_obs_counters *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int r = 0; s && r < s->nrows; r++) {
		const struct pb_obs_row *row = &s->rows[r];

		if (row->key.dev == key->dev && row->key.hierarchy == key->hierarchy &&
		    row->key.cgroup_id == key->cgroup_id) {
			*out = row->c;
			return;
		}
	}
}

/* The cgroups of the JSON reports: at most one walk of each tree per report. */
static struct pb_cgroups *json_cgroups;

static json_t *cgroups_json(const struct pb_span *sp, __u32 dev)
{
	json_t *arr = json_array();
	char path[PATH_MAX];

	for (unsigned int r = 0; r < sp->cur->nrows; r++) {
		const struct pb_obs_row *row = &sp->cur->rows[r];
		struct pb_obs_counters c, then;

		if (row->key.dev != dev)
			continue;
		c = row->c;
		base_row(sp->base, &row->key, &then);
		pb_counters_sub(&c, &then);
		pb_cgroups_label(json_cgroups, row->key.hierarchy, row->key.cgroup_id, path,
				 sizeof(path));
		json_array_append_new(arr, json_pack("{s:I,s:i,s:o,s:o}", "cgroup_id",
						     (json_int_t)row->key.cgroup_id,
						     "cgroup_hierarchy", (int)row->key.hierarchy,
						     "cgroup", pb_json_text(path),
						     "total", pb_json_counters(sp->o, &c)));
	}
	return arr;
}

static json_t *hists_json(const struct pb_span *sp, __u32 dev)
{
	json_t *obj = json_object();

	for (unsigned int k = 0; k < PB_NR_HISTS; k++) {
		struct pb_hist h;

		if (!sp->o->bounce && k != PB_HIST_WRITE) {
			json_object_set_new(obj, pb_hist_names[k], json_null());
			continue;
		}
		pb_span_hist(sp, dev, k, &h);
		json_object_set_new(obj, pb_hist_names[k], pb_json_hist(&h));
	}
	return obj;
}

json_t *pb_json_devices(const struct pb_span *sp, unsigned int parts)
{
	json_t *arr = json_array();
	__u32 devs[256];
	unsigned int n = pb_snap_devices(sp->cur, sp->only, devs, ARRAY_SIZE(devs));

	if (parts & PB_J_CGROUPS) {
		if (!json_cgroups)
			json_cgroups = pb_cgroups_new();	/* NULL: "cgroup:ID" */
		pb_cgroups_next(json_cgroups);
	}
	for (unsigned int i = 0; i < n; i++) {
		struct pb_obs_counters c;
		char name[64], num[32];
		json_t *d;

		snprintf(num, sizeof(num), "%u:%u", PB_MAJOR(devs[i]), PB_MINOR(devs[i]));
		d = json_pack("{s:o,s:s,s:b}", "device",
			      pb_json_text(pb_dev_name(devs[i], name, sizeof(name))), "dev", num,
			      "stable_writes", pb_dev_stable(devs[i]));
		if (parts & PB_J_TOTAL) {
			pb_span_counters(sp, devs[i], false, &c);
			json_object_set_new(d, "total", pb_json_counters(sp->o, &c));
		}
		if (parts & PB_J_RATES) {
			pb_span_counters(sp, devs[i], true, &c);
			json_object_set_new(d, "per_second",
					    rates_json(sp->o, &c, pb_span_secs(sp)));
		}
		if (parts & PB_J_CGROUPS)
			json_object_set_new(d, "cgroups", cgroups_json(sp, devs[i]));
		if (parts & PB_J_HISTS)
			json_object_set_new(d, "histograms", hists_json(sp, devs[i]));
		json_array_append_new(arr, d);
	}
	return arr;
}

const char *const pb_drop_names[PB_NR_DROPS] = {
	[PB_DROP_COUNTERS] = "counters",
	[PB_DROP_HISTS] = "histograms",
	[PB_DROP_INFLIGHT] = "inflight",
	[PB_DROP_UNTIMED] = "untimed",
	[PB_DROP_RQ_BIOS] = "request_bios",
};

/*
 * A row of counters dropped loses every counter of one disk and cgroup; a
 * histogram dropped, one sample of any kind (the drop does not say which);
 * a start time dropped, the write's latency sample.  An untimed write is
 * counted in full: only its latency is missing, that of a write submitted
 * before the observers attached (outside the span) or, the table of writes
 * in flight full (65536 of them), of one whose start time it evicted.  A
 * request whose bios the walk of its completion did not reach the end of
 * (more than 65536) loses what those bios would have added: their counters
 * (pinned pages written back, candidates) and their write latency samples.
 */
const unsigned int pb_drop_loses[PB_NR_DROPS] = {
	[PB_DROP_COUNTERS] = PB_FIG_COUNTERS,
	[PB_DROP_HISTS] = PB_FIG_HIST_BOUNCE | PB_FIG_HIST_WRITE | PB_FIG_HIST_WRITE_BOUNCED,
	[PB_DROP_INFLIGHT] = PB_FIG_HIST_WRITE | PB_FIG_HIST_WRITE_BOUNCED,
	[PB_DROP_UNTIMED] = 0,
	[PB_DROP_RQ_BIOS] = PB_FIG_COUNTERS | PB_FIG_HIST_WRITE | PB_FIG_HIST_WRITE_BOUNCED,
};

__u64 pb_span_dropped(const struct pb_span *sp, unsigned int i)
{
	__u64 now = sp->cur->dropped[i], then = sp->base->dropped[i];

	return now >= then ? now - then : 0;
}

json_t *pb_json_dropped(const struct pb_span *sp)
{
	json_t *o = json_object();

	for (int i = 0; i < PB_NR_DROPS; i++)
		json_object_set_new(o, pb_drop_names[i], json_integer(pb_span_dropped(sp, i)));
	return o;
}

/* fsync() the directory of @path, so that a rename in it is durable. */
static void fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	fsync(fd);
	close(fd);
}

/*
 * A new file PATH.tmp.XXXXXX beside @path, its name in @tmp: mkostemp()
 * picks a name nobody can have planted (O_EXCL: neither a file nor a
 * symlink of another user's is taken over) in the same directory, where
 * rename() is atomic.  Readable by all, as the file it replaces is meant
 * to be (node_exporter need not run as root).
 */
static int create_tmp(const char *path, char *tmp, size_t size)
{
	int n = snprintf(tmp, size, "%s.tmp.XXXXXX", path), fd;

	if (n < 0 || (size_t)n >= size) {
		p_err("%s: the path is too long", path);
		return -1;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		p_err("cannot write %s: cannot create a file beside it: %s", path,
		      strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0644)) {
		p_err("cannot make %s readable: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	return fd;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t w = write(fd, data, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!w)
				errno = EIO;
			return -1;
		}
		data += w;
		len -= w;
	}
	return 0;
}

static const char *kind_of(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "a regular file";
	case S_IFDIR:
		return "a directory";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFIFO:
		return "a FIFO";
	case S_IFSOCK:
		return "a socket";
	case S_IFLNK:
		return "a symbolic link";
	}
	return "of an unknown type";
}

/* How an output file is written: see report.h. */
enum out_how { OUT_STDOUT, OUT_NEW, OUT_REPLACE, OUT_THROUGH, OUT_THROUGH_LINK };

/* How @path is to be written, what it is in @st; -1 with an error printed. */
static int out_how(const char *path, struct stat *st)
{
	struct stat target;

	/* /dev/stdout is standard output, whatever it is (a file in CI). */
	if (!strcmp(path, "-") || !strcmp(path, "/dev/stdout"))
		return OUT_STDOUT;
	if (lstat(path, st)) {
		if (errno == ENOENT)
			return OUT_NEW;
		p_err("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISREG(st->st_mode))
		return OUT_REPLACE;
	if (S_ISCHR(st->st_mode) || S_ISFIFO(st->st_mode))
		return OUT_THROUGH;
	if (!S_ISLNK(st->st_mode)) {
		p_err("cannot write %s: it is %s", path, kind_of(st->st_mode));
		return -1;
	}
	/* A link is followed to a device or a FIFO (/dev/stdout), never replaced. */
	if (stat(path, &target)) {
		p_err("cannot write %s: a symbolic link to nothing (%s); not replaced",
		      path, strerror(errno));
		return -1;
	}
	if (!S_ISCHR(target.st_mode) && !S_ISFIFO(target.st_mode)) {
		p_err("cannot write %s: a symbolic link to %s, which is not replaced; name the file itself, or - for standard output",
		      path, kind_of(target.st_mode));
		return -1;
	}
	*st = target;
	return OUT_THROUGH_LINK;
}

int pb_output_check(const char *path)
{
	char tmp[PATH_MAX];
	struct stat st;
	int how = out_how(path, &st), fd;

	if (how != OUT_NEW && how != OUT_REPLACE)
		return how < 0 ? -1 : 0;
	/* Whether a temporary can be made beside it: the directory's mode. */
	fd = create_tmp(path, tmp, sizeof(tmp));
	if (fd < 0)
		return -1;
	close(fd);
	unlink(tmp);
	return 0;
}

/*
 * Into the character device or FIFO @path, which @st describes (through a
 * symbolic link if @link), as a shell's redirection would: a FIFO waits
 * for its reader.  A name that no longer leads there is refused.
 */
static int write_through(const char *path, const struct stat *st, bool link,
			 const char *data, size_t len)
{
	struct stat now;
	int fd;

	fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC | (link ? 0 : O_NOFOLLOW));
	if (fd < 0) {
		p_err("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &now) || now.st_dev != st->st_dev || now.st_ino != st->st_ino ||
	    (!S_ISCHR(now.st_mode) && !S_ISFIFO(now.st_mode))) {
		p_err("cannot write %s: it changed while being opened", path);
		close(fd);
		return -1;
	}
	if (write_all(fd, data, len) || close(fd)) {
		p_err("cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Rename @tmp to @path, which @how says was absent or a regular file. */
static int rename_over(const char *tmp, const char *path, int how)
{
	struct stat st;

	if (how == OUT_NEW) {
		if (!renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE))
			return 0;
		if (errno != EINVAL)	/* a filesystem without RENAME_NOREPLACE */
			goto fail;
	} else if (lstat(path, &st) || !S_ISREG(st.st_mode)) {
		p_err("cannot replace %s: it is no longer a regular file", path);
		return -1;
	}
	if (!rename(tmp, path))
		return 0;
fail:
	p_err("cannot replace %s: %s", path,
	      errno == EEXIST ? "it was created while being written" : strerror(errno));
	return -1;
}

int pb_replace_file(const char *path, const char *data, size_t len)
{
	char tmp[PATH_MAX];
	struct stat st;
	int how = out_how(path, &st), fd;

	if (how < 0)
		return -1;
	if (how == OUT_STDOUT) {
		fflush(stdout);
		if (write_all(STDOUT_FILENO, data, len)) {
			p_err("cannot write to standard output: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	if (how == OUT_THROUGH || how == OUT_THROUGH_LINK)
		return write_through(path, &st, how == OUT_THROUGH_LINK, data, len);
	fd = create_tmp(path, tmp, sizeof(tmp));
	if (fd < 0)
		return -1;
	if (write_all(fd, data, len) || fsync(fd)) {
		p_err("cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd)) {
		p_err("cannot write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename_over(tmp, path, how)) {
		unlink(tmp);
		return -1;
	}
	fsync_dir_of(path);
	return 0;
}
