// SPDX-License-Identifier: GPL-2.0
/* The census of page-cache pages pinned for DMA: see census.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "census.h"
#include "mountinfo.h"
#include "cli.h"
#include "observe.h"
#include "pins.skel.h"

/* FOLL_LONGTERM before the gup flags became an enum (6.2): a #define */
#define FOLL_LONGTERM_6_1	0x10000

/* The functions whose pins and unpins the census follows, and its programs. */
static const struct {
	const char *func;
	size_t prog_off;
} hooks[] = {
#define HOOK(f, p)	{ #f, offsetof(struct pins_bpf, progs.p) }
	HOOK(pin_user_pages_fast, pb_pin_fast),
	HOOK(pin_user_pages, pb_pin),
	HOOK(pin_user_pages_remote, pb_pin_remote),
	HOOK(pin_user_pages_unlocked, pb_pin_unlocked),
	HOOK(unpin_user_page, pb_unpin_page),
	HOOK(unpin_user_pages, pb_unpin_pages),
	HOOK(unpin_user_pages_dirty_lock, pb_unpin_pages_dirty),
	HOOK(unpin_user_page_range_dirty_lock, pb_unpin_range),
	HOOK(unpin_folio, pb_unpin_folio),
	HOOK(unpin_user_folio, pb_unpin_user_folio),
	HOOK(unpin_folios, pb_unpin_folios),
#undef HOOK
};

_Static_assert(ARRAY_SIZE(hooks) == PB_CENSUS_HOOKS, "a link for each hook");

static struct bpf_program *hook_prog(struct pins_bpf *skel, unsigned int i)
{
	return *(struct bpf_program **)((char *)skel + hooks[i].prog_off);
}

/*
 * Open and load the census.  The programs on functions this kernel lacks
 * (unpin_folio() came in 6.11, say) are not loaded; FOLL_LONGTERM's value
 * comes from BTF.  With @hooks false, none on the pin and unpin functions;
 * with @with_sweep false, no sweep.
 */
static int census_load(struct pb_census *ps, bool with_hooks, bool with_sweep)
{
	struct btf *btf = btf__load_vmlinux_btf();
	long long longterm = btf ? pb_btf_enum_value(btf, "FOLL_LONGTERM") : -1;
	int err;

	ps->skel = pins_bpf__open();
	if (!ps->skel) {
		btf__free(btf);
		return -errno;
	}
	ps->skel->rodata->foll_longterm = longterm > 0 ? (__u32)longterm : FOLL_LONGTERM_6_1;
	/* a kernel without iterators still gets the rest */
	bpf_program__set_autoload(ps->skel->progs.pb_pins_sweep, with_sweep);
	for (unsigned int i = 0; i < ARRAY_SIZE(hooks); i++)
		if (!with_hooks || !btf ||
		    btf__find_by_name_kind(btf, hooks[i].func, BTF_KIND_FUNC) <= 0)
			bpf_program__set_autoload(hook_prog(ps->skel, i), false);
	btf__free(btf);
	if (pins_bpf__load(ps->skel)) {
		err = -errno;
		pins_bpf__destroy(ps->skel);
		ps->skel = NULL;
		return err;
	}
	return 0;
}

/* "error 524" reads better as what it means to an operator. */
static const char *attach_error(int err)
{
	return err == 524 ? "not supported by this kernel's trampolines" : strerror(err);
}

/*
 * Attach each loaded hook on its own: a kernel may refuse one (6.1's x86
 * trampolines take at most six arguments, and pin_user_pages_remote()
 * has seven) and take the others.  Says in @ps->not_followed which it
 * refused, and fails only when the one on writeback is refused.
 */
static int census_attach(struct pb_census *ps)
{
	size_t off = 0;
	int attached = 0, refused = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(hooks); i++) {
		struct bpf_program *p = hook_prog(ps->skel, i);

		if (!bpf_program__autoload(p))
			continue;
		ps->links[i] = bpf_program__attach(p);
		if (ps->links[i]) {
			attached++;
			continue;
		}
		refused = errno;
		off += (size_t)snprintf(ps->not_followed + off,
					off < sizeof(ps->not_followed) ?
					sizeof(ps->not_followed) - off : 0,
					"%s%s()", off ? ", " : "", hooks[i].func);
		if (off >= sizeof(ps->not_followed))
			off = sizeof(ps->not_followed) - 1;
	}
	if (off)
		snprintf(ps->why, sizeof(ps->why), "%s", attach_error(refused));
	if (!attached && !ps->no_hooks[0])
		snprintf(ps->no_hooks, sizeof(ps->no_hooks),
			 "the kernel refused programs on pin_user_pages*() (%s): pins are found as their pages are written back",
			 refused ? attach_error(refused) : "none loaded");
	ps->skel->links.pb_pins_queued = bpf_program__attach(ps->skel->progs.pb_pins_queued);
	if (!ps->skel->links.pb_pins_queued)
		return -errno;
	return 0;
}

/*
 * The census's tests need a kernel that refuses the programs on the pin
 * and unpin functions, as lockdown and some sandboxes do: this pretends.
 */
static bool hooks_refused_for_tests(void)
{
	const char *v = getenv("PINBOUNCE_TEST_NO_PIN_HOOKS");

	return v && !strcmp(v, "1");
}

/*
 * The census, following pins as they are taken where the kernel lets
 * tracing programs attach to functions; where it does not (a kernel in
 * lockdown, a sandbox without fentry), only the pinned pages met as they
 * are written back, and why.
 */
int pb_census_open(struct pb_census *ps)
{
	libbpf_print_fn_t print;
	int err;

	memset(ps, 0, sizeof(*ps));
	if (pb_obs_need_root())
		return -1;
	/* libbpf's log of a refusal that has its answer below is noise */
	print = libbpf_set_print(NULL);
	err = hooks_refused_for_tests() ? -EPERM : census_load(ps, true, true);
	if (err) {
		snprintf(ps->no_hooks, sizeof(ps->no_hooks),
			 "the kernel refused programs on pin_user_pages*() (%s): pins are found as their pages are written back",
			 strerror(-err));
		err = census_load(ps, false, true);
	}
	if (err) {
		snprintf(ps->no_sweep, sizeof(ps->no_sweep), "%s", strerror(-err));
		err = census_load(ps, false, false);
	}
	if (!err)
		err = census_attach(ps);
	libbpf_set_print(print);
	if (err) {
		p_err("cannot attach the census: %s", strerror(-err));
		pb_census_close(ps);
		return -1;
	}
	return 0;
}

/* The row of @p's process and file, made if new; NULL when out of memory. */
static struct pb_pins_row *row_of(struct pb_census_view *c, const struct pb_pin *p)
{
	struct pb_pins_row *more;

	for (unsigned int i = 0; i < c->n; i++) {
		struct pb_pins_row *r = &c->rows[i];

		if (r->tgid == p->tgid && r->dev == p->dev && r->ino == p->ino &&
		    r->cgroup_id == p->cgroup_id && r->flags == p->flags &&
		    !strncmp(r->comm, p->comm, sizeof(r->comm)))
			return r;
	}
	if (c->n == c->cap) {
		more = reallocarray(c->rows, c->cap ? 2 * c->cap : 64, sizeof(*more));
		if (!more)
			return NULL;
		c->rows = more;
		c->cap = c->cap ? 2 * c->cap : 64;
	}
	c->rows[c->n] = (struct pb_pins_row){
		.tgid = p->tgid, .dev = p->dev, .flags = p->flags, .ino = p->ino,
		.cgroup_id = p->cgroup_id, .since_ns = p->since_ns,
	};
	memcpy(c->rows[c->n].comm, p->comm, sizeof(p->comm));
	c->rows[c->n].comm[PB_COMM_LEN - 1] = '\0';
	return &c->rows[c->n++];
}

/*
 * One reading of /proc/PID/maps for the paths of a census: the rows to
 * name by file (device, inode), sorted, and what is left of the budget.
 */
struct maps_walk {
	struct pb_census_view *c;
	unsigned int *by_file;		/* row indexes, by device and inode */
	unsigned int n;
	bool mappers;			/* every process: mappers of unseen rows */
	struct stat self_ns;		/* the reader's mount namespace */
	size_t bytes;
	unsigned long lines;
	double deadline;
};

static int file_cmp(const struct pb_pins_row *r, __u32 dev, __u64 ino)
{
	if (r->dev != dev)
		return r->dev < dev ? -1 : 1;
	return r->ino < ino ? -1 : r->ino > ino;
}

/* The first row of file @dev:@ino in @w->by_file, or @w->n. */
static unsigned int file_first(const struct maps_walk *w, __u32 dev, __u64 ino)
{
	unsigned int lo = 0, hi = w->n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (file_cmp(&w->c->rows[w->by_file[mid]], dev, ino) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int by_file_cmp(const void *a, const void *b, void *view)
{
	const struct pb_census_view *c = view;
	const struct pb_pins_row *x = &c->rows[*(const unsigned int *)a];
	const struct pb_pins_row *y = &c->rows[*(const unsigned int *)b];

	return file_cmp(x, y->dev, y->ino);
}

/* Whether process @pid is in the reader's mount namespace. */
static bool same_mnt_ns(const struct maps_walk *w, __u32 pid)
{
	char name[64];
	struct stat st;

	snprintf(name, sizeof(name), "/proc/%u/ns/mnt", pid);
	return !stat(name, &st) && st.st_dev == w->self_ns.st_dev &&
	       st.st_ino == w->self_ns.st_ino;
}

static void read_comm(__u32 pid, char *comm, size_t size)
{
	char name[64];
	FILE *f;

	comm[0] = '\0';
	snprintf(name, sizeof(name), "/proc/%u/comm", pid);
	f = fopen(name, "re");
	if (!f)
		return;
	if (fgets(comm, size, f))
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}

/*
 * A line of process @pid's maps that maps file @dev:@ino at @path: name
 * the rows of that file with it.  A row's path comes from its pinner's
 * maps when its pinner is known, else from a mapper, one in the reader's
 * mount namespace rather than another's.
 */
static void maps_match(struct maps_walk *w, __u32 pid, __u32 dev, __u64 ino,
		       const char *path, int *ns)
{
	for (unsigned int i = file_first(w, dev, ino); i < w->n; i++) {
		struct pb_pins_row *r = &w->c->rows[w->by_file[i]];
		bool unseen = r->flags & PB_PIN_UNSEEN;

		if (file_cmp(r, dev, ino))
			break;
		if (!unseen && r->tgid != pid)
			continue;
		/* a process maps a file many times: its lines come together */
		if (unseen && r->last_mapper != pid) {
			r->last_mapper = pid;
			if (r->mappers < PB_CENSUS_MAPPERS) {
				r->mapper[r->mappers] = pid;
				read_comm(pid, r->mapper_comm[r->mappers],
					  sizeof(r->mapper_comm[0]));
			}
			r->mappers++;
		}
		if (r->file[0] && !r->file_other_ns)
			continue;
		if (*ns < 0)
			*ns = same_mnt_ns(w, pid);
		if (r->file[0] && !*ns)
			continue;
		snprintf(r->file, sizeof(r->file), "%s", path);
		r->file_pid = pid;
		r->file_other_ns = !*ns;
	}
}

/*
 * Read /proc/@pid/maps for the rows of @w, within its budget; false once
 * the budget is spent.  /proc is read as it comes: a line is "address
 * perms offset major:minor inode path", the device in hex, the path the
 * rest of the line (a newline in it escaped), never trusted further.
 */
static bool maps_read(struct maps_walk *w, __u32 pid)
{
	char name[64], *line = NULL;
	size_t cap = 0;
	bool within = true;
	ssize_t len;
	int ns = -1;
	FILE *f;

	/* the clock read every 1024 lines, and for each process */
	if (pb_clock(CLOCK_MONOTONIC) > w->deadline)
		return false;
	snprintf(name, sizeof(name), "/proc/%u/maps", pid);
	f = fopen(name, "re");
	if (!f)
		return true;
	w->c->maps_read++;
	while ((len = getline(&line, &cap, f)) > 0) {
		unsigned long major, minor;
		unsigned long long ino;
		char *p = line, *end;

		if ((size_t)len >= w->bytes ||
		    (!(++w->lines % 1024) && pb_clock(CLOCK_MONOTONIC) > w->deadline)) {
			within = false;
			break;
		}
		w->bytes -= len;
		for (int field = 0; field < 3 && p; field++) {
			p = strchr(p, ' ');
			p = p ? p + 1 : NULL;
		}
		if (!p)
			continue;
		major = strtoul(p, &end, 16);
		if (*end != ':')
			continue;
		minor = strtoul(end + 1, &end, 16);
		if (*end != ' ')
			continue;
		ino = strtoull(end + 1, &end, 10);
		if (!ino || *end != ' ' || major > PB_MAJOR(~0U) || minor > PB_MINOR(~0U))
			continue;
		end += strspn(end, " ");
		end[strcspn(end, "\n")] = '\0';
		maps_match(w, pid, PB_MKDEV(major, minor), ino, end, &ns);
	}
	free(line);
	fclose(f);
	return within;
}

/* Where the walk of every process starts next: after the last cut short. */
static unsigned int walk_from;

static int pid_cmp(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/*
 * The processes of /proc, by pid, from the first at or after walk_from,
 * wrapping round: a budget cut short by some never starves the others.
 */
static __u32 *proc_pids(unsigned int *n)
{
	__u32 *pids = NULL, *more;
	unsigned int cap = 0, start = 0;
	DIR *proc = opendir("/proc");
	struct dirent *e;

	*n = 0;
	while (proc && (e = readdir(proc))) {
		char *end;
		unsigned long pid = strtoul(e->d_name, &end, 10);

		if (*end || !pid || pid > UINT32_MAX)
			continue;
		if (*n == cap) {
			more = reallocarray(pids, cap ? 2 * cap : 1024, sizeof(*pids));
			if (!more)
				break;
			pids = more;
			cap = cap ? 2 * cap : 1024;
		}
		pids[(*n)++] = pid;
	}
	if (proc)
		closedir(proc);
	if (!*n)
		return pids;
	qsort(pids, *n, sizeof(*pids), pid_cmp);
	while (start < *n && pids[start] < __atomic_load_n(&walk_from, __ATOMIC_RELAXED))
		start++;
	if (start < *n) {
		/* rotate: pids[start..] first */
		__u32 *rot = malloc(*n * sizeof(*rot));

		if (rot) {
			memcpy(rot, pids + start, (*n - start) * sizeof(*rot));
			memcpy(rot + *n - start, pids, start * sizeof(*rot));
			free(pids);
			pids = rot;
		}
	}
	return pids;
}

/*
 * Filesystems whose lookups no other user can hold up.  A FUSE daemon or a
 * network server may never answer, and a stat() of a path taken from
 * another process's maps would wait with it; paths elsewhere are not
 * looked up.  (An overlay in the reader's mount namespace was made by
 * root, over what root chose.)
 */
static const char *const local_fs[] = {
	"ext2", "ext3", "ext4", "xfs", "btrfs", "f2fs", "tmpfs", "ramfs", "devtmpfs",
	"vfat", "exfat", "ntfs3", "zonefs", "bcachefs", "jfs", "nilfs2", "squashfs",
	"erofs", "iso9660", "udf", "overlay",
};

/* /proc/self/mountinfo, read once per listing, up to this much */
#define MOUNTINFO_MAX	(1024 * 1024)

static char *mountinfo_read(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *buf = f ? malloc(MOUNTINFO_MAX + 1) : NULL;
	size_t n = 0;

	if (buf) {
		n = fread(buf, 1, MOUNTINFO_MAX, f);
		buf[n] = '\0';
	}
	if (f)
		fclose(f);
	return buf;
}

/*
 * Whether @path is on a local filesystem: the type of the last mount in
 * @mounts (mountinfo) whose point is @path or a folder above it.
 */
static bool on_local_fs(const char *mounts, const char *path)
{
	struct pb_mount m;
	size_t best = 0;
	bool local = false;

	for (const char *l = mounts; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		size_t len;

		if (pb_mountinfo_parse(l, &m))
			continue;
		len = strlen(m.point);
		if (len == 1)
			len = 0;	/* "/" */
		if (strncmp(path, m.point, len) || (path[len] != '/' && path[len]) || len < best)
			continue;
		best = len;
		local = false;
		for (size_t i = 0; i < ARRAY_SIZE(local_fs); i++)
			local |= !strcmp(m.type, local_fs[i]);
	}
	return local;
}

/* Whether the path of @r names its file (device, inode) here. */
static void path_check(struct pb_pins_row *r, const char *mounts)
{
	struct stat st;

	r->file_unchecked = r->file[0] != '/' || !on_local_fs(mounts, r->file);
	r->file_here = !r->file_unchecked && !stat(r->file, &st) &&
		       major(st.st_dev) == PB_MAJOR(r->dev) &&
		       minor(st.st_dev) == PB_MINOR(r->dev) && st.st_ino == r->ino;
}

/* The paths of the census's files, and who maps those of unknown pinners. */
static void census_paths(struct pb_census_view *c)
{
	struct maps_walk w = {
		.c = c, .bytes = PB_CENSUS_MAPS_BYTES,
		.deadline = pb_clock(CLOCK_MONOTONIC) + PB_CENSUS_MAPS_MS / 1000.0,
	};
	__u32 *pids = NULL;
	unsigned int npids = 0;
	char name[64], *mounts;

	w.by_file = malloc((c->n ? c->n : 1) * sizeof(*w.by_file));
	if (!w.by_file)
		return;
	stat("/proc/self/ns/mnt", &w.self_ns);
	for (unsigned int i = 0; i < c->n; i++) {
		struct pb_pins_row *r = &c->rows[i];

		if (r->flags & PB_PIN_BLOCKDEV) {
			snprintf(r->file, sizeof(r->file), "/dev/%s",
				 pb_dev_name(r->dev, name, sizeof(name)));
			r->file_here = true;
			continue;
		}
		w.mappers |= r->flags & PB_PIN_UNSEEN;
		w.by_file[w.n++] = i;
	}
	qsort_r(w.by_file, w.n, sizeof(*w.by_file), by_file_cmp, c);
	if (w.mappers) {
		pids = proc_pids(&npids);
	} else {
		/* the pinners, each once */
		pids = malloc((w.n ? w.n : 1) * sizeof(*pids));
		for (unsigned int i = 0; pids && i < w.n; i++)
			pids[npids++] = c->rows[w.by_file[i]].tgid;
		if (pids)
			qsort(pids, npids, sizeof(*pids), pid_cmp);
	}
	for (unsigned int i = 0; pids && i < npids; i++) {
		if (i && pids[i] == pids[i - 1] && !w.mappers)
			continue;
		if (!maps_read(&w, pids[i])) {
			c->paths_cut = true;
			if (w.mappers)
				__atomic_store_n(&walk_from, pids[i], __ATOMIC_RELAXED);
			break;
		}
	}
	if (!c->paths_cut && w.mappers)
		__atomic_store_n(&walk_from, 0, __ATOMIC_RELAXED);
	mounts = mountinfo_read();
	for (unsigned int i = 0; i < w.n; i++)
		if (c->rows[w.by_file[i]].file[0])
			path_check(&c->rows[w.by_file[i]], mounts);
	free(mounts);
	free(pids);
	free(w.by_file);
}

static int row_cmp(const void *a, const void *b)
{
	const struct pb_pins_row *x = a, *y = b;

	if (x->pages != y->pages)
		return x->pages < y->pages ? 1 : -1;
	return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
}

/*
 * Run the sweep: one walk of the census, at most its 65536 entries, on
 * this CPU.
 */
static int census_sweep(const struct pb_census *ps)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	const struct bpf_program *p = ps->skel->progs.pb_pins_sweep;

	if (!bpf_program__autoload(p))
		return 0;
	return bpf_prog_test_run_opts(bpf_program__fd(p), &opts) ? -errno : 0;
}

/* The census in the kernel now, by process and file; of disk @only if set. */
int pb_census_read(const struct pb_census *ps, __u32 only, bool paths,
		   struct pb_census_view *c)
{
	int fd = bpf_map__fd(ps->skel->maps.census), ncpus = libbpf_num_possible_cpus();
	__u64 key, next, *drops;
	__u32 zero = 0;
	bool first = true;
	int err;

	memset(c, 0, sizeof(*c));
	err = census_sweep(ps);
	if (err) {
		p_err("cannot sweep the census: %s", strerror(-err));
		return -1;
	}
	c->swept = ps->skel->bss->census_swept;
	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		struct pb_pin p;
		struct pb_pins_row *r;

		first = false;
		key = next;
		if (bpf_map_lookup_elem(fd, &key, &p))
			continue;	/* unpinned meanwhile */
		if (only && !pb_dev_in(p.dev, only))
			continue;
		r = row_of(c, &p);
		if (!r) {
			p_err("out of memory");
			pb_census_view_free(c);
			return -1;
		}
		r->pages++;
		c->pages++;
		if (p.since_ns < r->since_ns)
			r->since_ns = p.since_ns;
	}
	drops = ncpus > 0 ? calloc(ncpus, sizeof(*drops)) : NULL;
	if (drops && !bpf_map_lookup_elem(bpf_map__fd(ps->skel->maps.census_dropped), &zero, drops))
		for (int i = 0; i < ncpus; i++)
			c->dropped += drops[i];
	free(drops);
	if (paths)
		census_paths(c);
	if (c->n)
		qsort(c->rows, c->n, sizeof(*c->rows), row_cmp);
	return 0;
}

void pb_census_view_free(struct pb_census_view *c)
{
	free(c->rows);
	c->rows = NULL;
	c->n = 0;
	c->cap = 0;
}

void pb_census_close(struct pb_census *ps)
{
	for (unsigned int i = 0; i < PB_CENSUS_HOOKS; i++) {
		bpf_link__destroy(ps->links[i]);
		ps->links[i] = NULL;
	}
	pins_bpf__destroy(ps->skel);
	ps->skel = NULL;
}
