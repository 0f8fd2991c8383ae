// SPDX-License-Identifier: GPL-2.0
/* The census of page-cache pages pinned for DMA: see census.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "census.h"
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
 * The line of /proc/PID/maps that maps file @dev:@ino (the device as
 * maps prints it, hex major:minor), its path in @path.  /proc is read as
 * it comes: the path is the rest of the line, never trusted further.
 */
static bool maps_find(__u32 pid, __u32 dev, __u64 ino, char *path, size_t size)
{
	char name[64], want[64], *line = NULL;
	size_t cap = 0;
	bool found = false;
	FILE *f;

	snprintf(name, sizeof(name), "/proc/%u/maps", pid);
	f = fopen(name, "re");
	if (!f)
		return false;
	snprintf(want, sizeof(want), "%02x:%02x %llu ", PB_MAJOR(dev), PB_MINOR(dev),
		 (unsigned long long)ino);
	while (!found && getline(&line, &cap, f) > 0) {
		char *p = line;

		/* address perms offset dev inode path */
		for (int field = 0; field < 3 && p; field++) {
			p = strchr(p, ' ');
			p = p ? p + 1 : NULL;
		}
		if (!p || strncmp(p, want, strlen(want)))
			continue;
		p += strlen(want);
		p += strspn(p, " ");
		p[strcspn(p, "\n")] = '\0';
		snprintf(path, size, "%s", p);
		found = true;
	}
	free(line);
	fclose(f);
	return found;
}

/* A process that maps @r's file, for pins made before the census. */
static void find_mapper(struct pb_pins_row *r)
{
	DIR *proc = opendir("/proc");
	struct dirent *e;

	while (proc && (e = readdir(proc))) {
		char *end, name[64];
		unsigned long pid = strtoul(e->d_name, &end, 10);
		FILE *f;

		if (*end || !pid || !maps_find(pid, r->dev, r->ino, r->file, sizeof(r->file)))
			continue;
		r->mapper = pid;
		snprintf(name, sizeof(name), "/proc/%lu/comm", pid);
		f = fopen(name, "re");
		if (f) {
			if (fgets(r->mapper_comm, sizeof(r->mapper_comm), f))
				r->mapper_comm[strcspn(r->mapper_comm, "\n")] = '\0';
			fclose(f);
		}
		break;
	}
	if (proc)
		closedir(proc);
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
	for (unsigned int i = 0; paths && i < c->n; i++) {
		struct pb_pins_row *r = &c->rows[i];
		char name[64];

		if (r->flags & PB_PIN_BLOCKDEV)
			snprintf(r->file, sizeof(r->file), "/dev/%s",
				 pb_dev_name(r->dev, name, sizeof(name)));
		else if (r->flags & PB_PIN_UNSEEN)
			find_mapper(r);
		else
			maps_find(r->tgid, r->dev, r->ino, r->file, sizeof(r->file));
	}
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
