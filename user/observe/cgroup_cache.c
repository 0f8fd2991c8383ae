// SPDX-License-Identifier: GPL-2.0
/*
 * A row's cgroup id is its cgroup's kernfs node id, which on 64-bit kernels
 * is also the inode number of the cgroup's directory on its hierarchy's
 * mount (cgroup2, or a cgroup v1 one: the row says which hierarchy):
 * st_ino, and d_ino in readdir(), so a walk of the tree needs no stat() of
 * its own.  Node ids are not reused, so an id that a walk made after its
 * row was read did not find belongs to a cgroup that is gone for good.
 *
 * The cache holds what the last walk found, and the ids it did not find
 * (until the next walk).  A path known from an earlier report is checked
 * with one fstatat() before it is believed: its cgroup may have been
 * removed or renamed since.  An id not in the cache, or a check that
 * fails, makes a new walk, at most one per report.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cgroup2.h"
#include "cgroup_cache.h"

struct cg_entry {
	__u64 id;		/* 0: a free slot */
	char *path;		/* NULL: the last walk did not find it */
};

/* One hierarchy's cgroups. */
struct tree {
	struct cg_entry *tab;	/* open addressing, linear probing */
	size_t cap;		/* a power of two */
	size_t used;		/* at most cap / 2: a probe always ends */
	int root;		/* the hierarchy's mount, or -1 */
	bool walked;		/* in this report */
	bool walk_failed;	/* then: what it did not find may still exist */
};

struct pb_cgroups {
	struct tree v2;
	struct tree blkio;	/* cgroup v1's blkio */
	unsigned int blkio_hierarchy;	/* its hierarchy id, 0 if none */
};

/* The breadth-first walk's cgroups still to list: paths the cache owns. */
struct queue {
	const char **paths;
	size_t n, cap;
};

/* @id's entry, or the free slot where it goes. */
static struct cg_entry *slot(const struct tree *c, __u64 id)
{
	size_t i = (size_t)((id * 0x9e3779b97f4a7c15ULL) >> 32) & (c->cap - 1);

	while (c->tab[i].id && c->tab[i].id != id)
		i = (i + 1) & (c->cap - 1);
	return &c->tab[i];
}

static int grow(struct tree *c)
{
	struct cg_entry *old = c->tab, *tab = calloc(2 * c->cap, sizeof(*tab));
	size_t cap = c->cap;

	if (!tab)
		return -1;
	c->tab = tab;
	c->cap = 2 * cap;
	for (size_t i = 0; i < cap; i++)
		if (old[i].id)
			*slot(c, old[i].id) = old[i];
	free(old);
	return 0;
}

/* @id with @path, given away (NULL: not found); NULL when out of memory. */
static struct cg_entry *add(struct tree *c, __u64 id, char *path)
{
	struct cg_entry *e;

	if (2 * (c->used + 1) > c->cap && grow(c)) {
		free(path);
		return NULL;
	}
	e = slot(c, id);
	if (e->id) {
		free(e->path);
	} else {
		e->id = id;
		c->used++;
	}
	e->path = path;
	return e;
}

static void clear(struct tree *c)
{
	for (size_t i = 0; i < c->cap; i++)
		free(c->tab[i].path);
	memset(c->tab, 0, c->cap * sizeof(*c->tab));
	c->used = 0;
}

static int push(struct queue *q, const char *path)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 64;
		const char **more = realloc(q->paths, cap * sizeof(*more));

		if (!more)
			return -1;
		q->paths = more;
		q->cap = cap;
	}
	q->paths[q->n++] = path;
	return 0;
}

/* Relative to the mount, for the *at() calls: "." for the root. */
static const char *rel(const char *path)
{
	return path[1] ? path + 1 : ".";
}

static bool is_dot(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..");
}

/* A directory entry that is a cgroup: into the cache, and onto @q. */
static int add_dir(struct tree *c, const char *dir, const struct dirent64 *de,
		   struct queue *q)
{
	struct cg_entry *e;
	char *path;

	/* Seen already: moved while we walk.  Keep the first. */
	if (de->d_type != DT_DIR || is_dot(de->d_name) || slot(c, de->d_ino)->id)
		return 0;
	if (asprintf(&path, "%s%s%s", dir, dir[1] ? "/" : "", de->d_name) < 0)
		return -1;
	e = add(c, de->d_ino, path);
	return e ? push(q, e->path) : -1;
}

/*
 * The cgroups in cgroup @dir.  getdents64() rather than readdir(): half
 * the system calls, on a tree where every cgroup is a directory to read.
 */
static int list_dir(struct tree *c, const char *dir, struct queue *q)
{
	int fd = openat(c->root, rel(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char buf[32768] __attribute__((aligned(8)));
	ssize_t n;
	int err = 0;

	if (fd < 0)	/* removed meanwhile, and so are the cgroups it had */
		return errno == ENOENT ? 0 : -1;
	while (!err && (n = getdents64(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; !err && off < n;) {
			const struct dirent64 *de = (const struct dirent64 *)(buf + off);

			err = add_dir(c, dir, de, q);
			off += de->d_reclen;
		}
	}
	if (n < 0 && errno != ENOENT)
		err = -1;
	close(fd);
	return err;
}

/* Every cgroup of the tree, breadth first, in place of what the cache had. */
static int walk(struct tree *c)
{
	struct queue q = {};
	struct cg_entry *e;
	struct stat st;
	char *root;
	int err;

	clear(c);
	root = strdup("/");
	if (!root || fstat(c->root, &st)) {
		free(root);
		return -1;
	}
	e = add(c, st.st_ino, root);	/* which frees @root if it fails */
	if (!e)
		return -1;
	err = push(&q, e->path);
	for (size_t i = 0; !err && i < q.n; i++)
		err = list_dir(c, q.paths[i], &q);
	free(q.paths);
	return err;
}

/* Whether @e's cgroup is still at its path: removed or renamed, it is not. */
static bool still_there(const struct tree *c, const struct cg_entry *e)
{
	struct stat st;

	return !fstatat(c->root, rel(e->path), &st, AT_SYMLINK_NOFOLLOW) && st.st_ino == e->id;
}

/* @id in tree @c: its path in @buf when found. */
static enum pb_cg_state tree_path(struct tree *c, __u64 id, char *buf, size_t size)
{
	struct cg_entry *e;

	if (c->root < 0 || !id)
		return PB_CG_UNKNOWN;
	e = slot(c, id);
	if (!c->walked && (!e->id || (e->path && !still_there(c, e)))) {
		c->walked = true;
		c->walk_failed = walk(c) != 0;
		e = slot(c, id);
	}
	if (!e->id) {
		if (c->walk_failed)
			return PB_CG_UNKNOWN;
		add(c, id, NULL);	/* if out of memory, the next report walks */
		return PB_CG_GONE;
	}
	if (!e->path)
		return PB_CG_GONE;
	snprintf(buf, size, "%s", e->path);
	return PB_CG_FOUND;
}

enum pb_cg_state pb_cgroups_path(struct pb_cgroups *c, __u64 id, char *buf, size_t size)
{
	snprintf(buf, size, "cgroup:%llu", (unsigned long long)id);
	return c ? tree_path(&c->v2, id, buf, size) : PB_CG_UNKNOWN;
}

enum pb_cg_state pb_cgroups_label(struct pb_cgroups *c, unsigned int hierarchy, __u64 id,
				  char *buf, size_t size)
{
	enum pb_cg_state st;
	char path[PATH_MAX];

	if (!hierarchy)
		return pb_cgroups_path(c, id, buf, size);
	if (!c || hierarchy != c->blkio_hierarchy) {
		snprintf(buf, size, "cgroup%u:cgroup:%llu", hierarchy, (unsigned long long)id);
		return PB_CG_UNKNOWN;
	}
	snprintf(path, sizeof(path), "cgroup:%llu", (unsigned long long)id);
	st = tree_path(&c->blkio, id, path, sizeof(path));
	snprintf(buf, size, "%s%s", PB_CG_BLKIO_PREFIX, path);
	return st;
}

void pb_cgroups_next(struct pb_cgroups *c)
{
	if (c) {
		c->v2.walked = false;
		c->blkio.walked = false;
	}
}

static int tree_init(struct tree *t)
{
	t->cap = 64;
	t->tab = calloc(t->cap, sizeof(*t->tab));
	return t->tab ? 0 : -1;
}

static void tree_free(struct tree *t)
{
	if (t->tab) {
		clear(t);
		free(t->tab);
	}
	if (t->root >= 0)
		close(t->root);
}

struct pb_cgroups *pb_cgroups_new(void)
{
	struct pb_cgroups *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->v2.root = -1;
	c->blkio.root = -1;
	if (tree_init(&c->v2) || tree_init(&c->blkio)) {
		pb_cgroups_free(c);
		return NULL;
	}
	/* without a hierarchy, its rows are left unnamed */
	c->v2.root = pb_cgroup2_open(NULL, 0);
	c->blkio.root = pb_cgroup_v1_open("blkio", &c->blkio_hierarchy, NULL, 0);
	return c;
}

void pb_cgroups_free(struct pb_cgroups *c)
{
	if (!c)
		return;
	tree_free(&c->v2);
	tree_free(&c->blkio);
	free(c);
}
