// SPDX-License-Identifier: GPL-2.0
/*
 * What pinbounce leaves in the kernel, pinned under PB_PIN_DIR so that it
 * outlives the command: the policy program's link and its maps.  Every
 * change holds an exclusive lock on the directory, so two pinbounce
 * processes never interleave.
 *
 * A policy is installed by creating a new inner map that holds all of it
 * and swapping it into the one-slot outer map with a single update: a bio
 * is judged by the old policy or the new one, never by a mix, and a
 * pinbounce killed at any point leaves one or the other.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <linux/magic.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cli.h"
#include "text.h"
#include "policy.skel.h"

#define BPFFS		"/sys/fs/bpf"
#define PIN_DIR_NAME	"pinbounce"

/* Pin names in PB_PIN_DIR; the link first: unpinning it is what detaches. */
enum { PIN_LINK, PIN_OUTER, PIN_STATS, PIN_RATE, NR_PINS };
static const char * const pins[NR_PINS] = { "link", "policy", "rule_stats", "rate_state" };

/* How long a command waits for another one's change to end. */
#define LOCK_WAIT_MS	10000

/*
 * BPF_OBJ_GET and BPF_OBJ_PIN take a path, not a directory fd, on 6.1: a
 * pin is reached through /proc/self/fd of the checked directory, so that
 * no path component is looked up again after the checks.
 */
static const char *pin_path(const struct pb_state *st, int pin, char *buf, size_t size)
{
	snprintf(buf, size, "/proc/self/fd/%d/%s", st->dir_fd, pins[pin]);
	return buf;
}

static int pin_get(const struct pb_state *st, int pin)
{
	char path[64];

	return bpf_obj_get(pin_path(st, pin, path, sizeof(path)));
}

/*
 * /sys/fs/bpf is writable by everyone (mode 1777): anyone may have made
 * PB_PIN_DIR first, as a directory of their own or a symbolic link.  Only
 * a directory that root owns and nobody else can enter is used; another
 * user cannot rename or remove it in the sticky /sys/fs/bpf, nor put
 * anything in it.
 */
static int check_pin_dir(int fd)
{
	struct stat st;

	if (fstat(fd, &st)) {
		p_err("cannot stat %s: %s", PB_PIN_DIR, strerror(errno));
		return -1;
	}
	if (st.st_uid != 0) {
		p_err("%s is owned by uid %u, not root: it was not made by pinbounce; check what it holds, then remove it",
		      PB_PIN_DIR, (unsigned int)st.st_uid);
		return -1;
	}
	if ((st.st_mode & 07777) != 0700) {
		p_err("%s has mode %04o, not 0700: others could change what it holds; check it, then remove it",
		      PB_PIN_DIR, (unsigned int)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

/* /sys/fs/bpf, checked to be a BPF filesystem; its fd or -1. */
static int open_bpffs(void)
{
	struct statfs sfs;
	int fd;

	fd = open(BPFFS, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		p_err("cannot open %s: %s; mount the BPF filesystem there (mount -t bpf none %s)",
		      BPFFS, strerror(errno), BPFFS);
		return -1;
	}
	if (fstatfs(fd, &sfs) || sfs.f_type != BPF_FS_MAGIC) {
		p_err("%s is not a BPF filesystem: mount one there (mount -t bpf none %s)",
		      BPFFS, BPFFS);
		close(fd);
		return -1;
	}
	return fd;
}

/* PB_PIN_DIR, made if @create, opened without following a link and checked. */
static int open_pin_dir(int bpffs, bool create)
{
	bool made = false;
	int fd;

	if (create) {
		if (!mkdirat(bpffs, PIN_DIR_NAME, 0700)) {
			made = true;
		} else if (errno != EEXIST) {
			p_err("cannot create %s: %s", PB_PIN_DIR, strerror(errno));
			return -1;
		}
	}
	fd = openat(bpffs, PIN_DIR_NAME, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && !create)
			return -ENOENT;	/* nothing pinned */
		if (errno == ELOOP || errno == ENOTDIR)
			p_err("%s is not a directory (a symbolic link or a file): it was not made by pinbounce; check it, then remove it",
			      PB_PIN_DIR);
		else
			p_err("cannot open %s: %s", PB_PIN_DIR, strerror(errno));
		return -1;
	}
	/* Whatever the umask: nobody else may enter it. */
	if ((made && fchmod(fd, 0700)) || check_pin_dir(fd)) {
		if (made)
			p_err("cannot set the mode of %s: %s", PB_PIN_DIR, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Whether an open file of process @pid is on inode @st and holds a flock. */
static bool holds_flock(int pid, const struct stat *st)
{
	char path[64], line[256];
	bool held = false;
	struct dirent *e;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir)
		return false;
	while (!held && (e = readdir(dir))) {
		struct stat fd_st;
		FILE *f;

		if (e->d_name[0] == '.' || fstatat(dirfd(dir), e->d_name, &fd_st, 0) ||
		    fd_st.st_dev != st->st_dev || fd_st.st_ino != st->st_ino)
			continue;
		/* fdinfo lists the locks held through that open file */
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%.16s", pid, e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (!held && fgets(line, sizeof(line), f))
			held = !strncmp(line, "lock:", 5) && strstr(line, " FLOCK ");
		fclose(f);
	}
	closedir(dir);
	return held;
}

/* "pid N (COMM)" of @pid in @buf, for a message (which escapes it). */
static const char *pid_name(int pid, char *buf, size_t size)
{
	char path[64], comm[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	snprintf(buf, size, "pid %d (%s)", pid,
		 comm[0] ? comm : "?");
	return buf;
}

/*
 * Name the processes that hold a flock on @fd's inode.  /proc/locks names
 * the process that took the lock, which may have exited since, or passed
 * the open directory on to a child that holds it now: a process is named
 * only if its open files show the lock (fdinfo); then the processes that
 * hold it, found in /proc.
 */
static void say_lock_holder(int fd)
{
	char line[256], who[3][PB_TEXT_SIZE(64) + 32], taker[sizeof(who[0])] = "";
	unsigned int maj, min, n = 0;
	unsigned long ino;
	struct dirent *e;
	struct stat st;
	int pid = 0;
	DIR *proc;
	FILE *f;

	if (fstat(fd, &st))
		return;
	f = fopen("/proc/locks", "re");
	if (!f)
		return;
	while (!pid && fgets(line, sizeof(line), f)) {
		int p;

		if (sscanf(line, "%*d: FLOCK %*s %*s %d %x:%x:%lu", &p, &maj, &min, &ino) == 4 &&
		    ino == st.st_ino && makedev(maj, min) == st.st_dev)
			pid = p;
	}
	fclose(f);
	if (pid > 0 && holds_flock(pid, &st)) {
		p_err("%s is locked by %s", PB_PIN_DIR, pid_name(pid, who[0], sizeof(who[0])));
		return;
	}
	if (pid > 0)
		snprintf(taker, sizeof(taker), "; pid %d, which took the lock, no longer holds it",
			 pid);
	proc = opendir("/proc");
	while (proc && n < ARRAY_SIZE(who) && (e = readdir(proc))) {
		int p = atoi(e->d_name);

		if (p > 0 && p != getpid() && holds_flock(p, &st))
			pid_name(p, who[n++], sizeof(who[0]));
	}
	if (proc)
		closedir(proc);
	if (!n)
		p_err("%s is locked, by no process this one can see%s", PB_PIN_DIR, taker);
	else
		p_err("%s is locked by %s%s%s%s%s%s", PB_PIN_DIR, who[0], n > 1 ? ", " : "",
		      n > 1 ? who[1] : "", n > 2 ? ", " : "", n > 2 ? who[2] : "", taker);
}

/* flock(), given up after @wait_ms; if 0, at once and quietly: -EWOULDBLOCK. */
static int lock_bounded(int fd, int how, int wait_ms)
{
	for (int waited = 0;; waited += 50) {
		if (!flock(fd, how | LOCK_NB))
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			p_err("cannot lock %s: %s", PB_PIN_DIR, strerror(errno));
			return -1;
		}
		if (!wait_ms)
			return -EWOULDBLOCK;
		if (waited >= wait_ms)
			break;
		usleep(50 * 1000);
	}
	p_err("gave up waiting %d s for another command's change to %s to end",
	      wait_ms / 1000, PB_PIN_DIR);
	say_lock_holder(fd);
	return -1;
}

static void unpin_all(const struct pb_state *st)
{
	for (unsigned int i = 0; i < NR_PINS; i++)
		unlinkat(st->dir_fd, pins[i], 0);
}

/*
 * Open, check and lock PB_PIN_DIR into @st.  A detach may remove the
 * directory while we wait for its lock: then the lock is on a dead inode,
 * and we start over.  Returns -ENOENT when there is nothing and @for_change
 * is false, -EWOULDBLOCK when the lock is taken and @wait_ms is 0.
 */
static int lock_dir(struct pb_state *st, bool for_change, int wait_ms)
{
	struct stat locked, now;
	int fd, err;

	for (;;) {
		fd = open_pin_dir(st->bpffs_fd, for_change);
		if (fd < 0)
			return fd;
		err = lock_bounded(fd, for_change ? LOCK_EX : LOCK_SH, wait_ms);
		if (err) {
			close(fd);
			return err;
		}
		if (!fstat(fd, &locked) &&
		    !fstatat(st->bpffs_fd, PIN_DIR_NAME, &now, AT_SYMLINK_NOFOLLOW) &&
		    locked.st_dev == now.st_dev && locked.st_ino == now.st_ino) {
			st->dir_fd = fd;
			return 0;
		}
		close(fd);
	}
}

/* A map of the policy program as this build made it. */
struct map_want {
	const char *name;
	__u32 type, key_size, value_size, max_entries;
};

static const struct map_want maps_wanted[] = {
	[PIN_OUTER] = { "policy", BPF_MAP_TYPE_ARRAY_OF_MAPS, sizeof(__u32), sizeof(__u32), 1 },
	[PIN_STATS] = { "rule_stats", BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(__u32),
			sizeof(struct pb_rule_stats), PB_MAX_RULES + 1 },
	[PIN_RATE] = { "rate_state", BPF_MAP_TYPE_ARRAY, sizeof(__u32),
		       sizeof(struct pb_rate_state), PB_MAX_RULES },
};

/* The inner map that holds a whole policy. */
static const struct map_want policy_wanted = {
	NULL, BPF_MAP_TYPE_ARRAY, sizeof(__u32), sizeof(struct pb_bpf_policy), 1
};

static bool map_is(const struct bpf_map_info *m, const struct map_want *w)
{
	return m->type == w->type && m->key_size == w->key_size &&
	       m->value_size == w->value_size && m->max_entries == w->max_entries;
}

static void say_incompatible(void)
{
	p_err("%s is pinned by an incompatible pinbounce (another build, other map sizes); run 'pinbounce detach'",
	      PB_PIN_DIR);
}

/*
 * The maps of the attached program, found through its link, each checked
 * to be what this build would have made: maps of another build (other key
 * or value sizes) would be read past the end of our buffers.  Returns 0, or
 * -1 having said why.
 */
static int maps_of_link(struct pb_state *st)
{
	int *fds[NR_PINS] = { [PIN_OUTER] = &st->outer_fd, [PIN_STATS] = &st->stats_fd,
			      [PIN_RATE] = &st->rate_fd };
	struct bpf_link_info link = {};
	struct bpf_prog_info prog = {};
	__u32 len = sizeof(link), ids[16];
	int prog_fd, fd;

	prog_fd = bpf_obj_get_info_by_fd(st->link_fd, &link, &len) ? -1 :
		  bpf_prog_get_fd_by_id(link.prog_id);
	if (prog_fd < 0) {
		p_err("cannot read the pinned link in %s: %s", PB_PIN_DIR, strerror(errno));
		return -1;
	}
	len = sizeof(prog);
	prog.nr_map_ids = ARRAY_SIZE(ids);
	prog.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &prog, &len) ||
	    strcmp(prog.name, "pb_policy") || prog.nr_map_ids > ARRAY_SIZE(ids)) {
		close(prog_fd);
		p_err("%s/link is not pinbounce's policy program: run 'pinbounce detach'",
		      PB_PIN_DIR);
		return -1;
	}
	close(prog_fd);
	for (__u32 i = 0; i < prog.nr_map_ids; i++) {
		struct bpf_map_info map = {};
		int j;

		len = sizeof(map);
		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &map, &len)) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		for (j = PIN_OUTER; j < NR_PINS; j++)
			if (*fds[j] < 0 && !strcmp(map.name, maps_wanted[j].name))
				break;
		if (j == NR_PINS) {
			close(fd);
			continue;
		}
		*fds[j] = fd;
		if (!map_is(&map, &maps_wanted[j])) {
			say_incompatible();
			return -1;
		}
	}
	if (st->outer_fd < 0 || st->stats_fd < 0 || st->rate_fd < 0) {
		say_incompatible();
		return -1;
	}
	return 0;
}

/* Pin the maps of the attached program where a killed pinbounce did not. */
static int pin_maps(const struct pb_state *st)
{
	const int fds[NR_PINS] = { [PIN_OUTER] = st->outer_fd, [PIN_STATS] = st->stats_fd,
				   [PIN_RATE] = st->rate_fd };
	char path[64];

	for (int i = PIN_OUTER; i < NR_PINS; i++) {
		int fd = pin_get(st, i);

		if (fd >= 0) {
			close(fd);
			continue;
		}
		if (bpf_obj_pin(fds[i], pin_path(st, i, path, sizeof(path)))) {
			p_err("the policy is attached, but pinning %s/%s failed: %s",
			      PB_PIN_DIR, pins[i], strerror(errno));
			return -1;
		}
	}
	return 0;
}

int state_open(struct pb_state *st, enum pb_state_mode mode)
{
	bool for_change = mode == PB_STATE_CHANGE || mode == PB_STATE_DETACH;
	int err;

	*st = (struct pb_state)PB_STATE_INIT;
	st->bpffs_fd = open_bpffs();
	if (st->bpffs_fd < 0)
		return -1;
	err = lock_dir(st, for_change, mode == PB_STATE_TRY ? 0 : LOCK_WAIT_MS);
	if (err == -ENOENT)
		return 0;
	if (err == -EWOULDBLOCK) {
		state_close(st);
		return err;
	}
	if (err)
		goto fail;
	st->link_fd = pin_get(st, PIN_LINK);
	if (st->link_fd < 0) {
		/* Map pins left by a detach that was killed: inert, drop them. */
		if (for_change)
			unpin_all(st);
		return 0;
	}
	/* A detach removes the pins of any build, without reading its maps. */
	if (mode == PB_STATE_DETACH)
		return 0;
	if (maps_of_link(st) || (for_change && pin_maps(st)))
		goto fail;
	return 0;
fail:
	state_close(st);
	return -1;
}

void state_close(struct pb_state *st)
{
	int *fds[] = { &st->link_fd, &st->outer_fd, &st->stats_fd, &st->rate_fd,
		       &st->dir_fd, &st->bpffs_fd };

	for (unsigned int i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

bool state_attached(const struct pb_state *st)
{
	return st->link_fd >= 0;
}

int state_read_policy(const struct pb_state *st, struct pb_bpf_policy *out)
{
	struct bpf_map_info info = {};
	__u32 zero = 0, inner_id, len = sizeof(info);
	int inner_fd, err;

	memset(out, 0, sizeof(*out));
	if (!state_attached(st))
		return 0;
	if (bpf_map_lookup_elem(st->outer_fd, &zero, &inner_id)) {
		p_err("cannot read the policy map: %s", strerror(errno));
		return -1;
	}
	inner_fd = bpf_map_get_fd_by_id(inner_id);
	if (inner_fd < 0) {
		p_err("cannot open the policy in use (map %u): %s", inner_id, strerror(errno));
		return -1;
	}
	if (bpf_obj_get_info_by_fd(inner_fd, &info, &len) || !map_is(&info, &policy_wanted)) {
		say_incompatible();
		close(inner_fd);
		return -1;
	}
	err = bpf_map_lookup_elem(inner_fd, &zero, out);
	if (err)
		p_err("cannot read the policy in use: %s", strerror(errno));
	close(inner_fd);
	return err ? -1 : 0;
}

/*
 * Swap @pol in as the whole policy; the outer map holds the only ref.  The
 * new map copies the BTF of the one in use: the kernel only accepts inner
 * maps that look alike, BTF included.
 */
static int swap_policy(int outer_fd, const struct pb_bpf_policy *pol)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	struct bpf_map_info info = {};
	__u32 zero = 0, id, len = sizeof(info);
	int inner_fd, cur_fd, btf_fd = -1, err;

	cur_fd = bpf_map_lookup_elem(outer_fd, &zero, &id) ? -1 : bpf_map_get_fd_by_id(id);
	if (cur_fd < 0) {
		p_err("cannot open the policy in use: %s", strerror(errno));
		return -1;
	}
	err = bpf_obj_get_info_by_fd(cur_fd, &info, &len);
	close(cur_fd);
	if (!err && info.btf_id) {
		btf_fd = bpf_btf_get_fd_by_id(info.btf_id);
		opts.btf_fd = btf_fd;
		opts.btf_key_type_id = info.btf_key_type_id;
		opts.btf_value_type_id = info.btf_value_type_id;
	}
	if (err || (info.btf_id && btf_fd < 0)) {
		p_err("cannot read the type of the policy in use: %s", strerror(errno));
		return -1;
	}
	inner_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "pb_policy", sizeof(__u32),
				  sizeof(*pol), 1, &opts);
	if (btf_fd >= 0)
		close(btf_fd);
	if (inner_fd < 0) {
		p_err("cannot create a policy map: %s", strerror(errno));
		return -1;
	}
	err = bpf_map_update_elem(inner_fd, &zero, pol, BPF_ANY);
	if (err) {
		p_err("cannot write the policy map: %s", strerror(errno));
	} else if (bpf_map_update_elem(outer_fd, &zero, &inner_fd, BPF_ANY)) {
		err = -1;
		p_err("cannot swap in the new policy: %s", strerror(errno));
	}
	close(inner_fd);
	return err ? -1 : 0;
}

/*
 * First load: program and maps, the policy swapped in, then the link pinned
 * as the one step that makes it all take effect and outlive us.  Killed
 * before that, the kernel frees everything with our descriptors.
 */
static int attach_policy(struct pb_state *st, const struct pb_bpf_policy *pol)
{
	struct policy_bpf *skel;
	struct bpf_link *link;
	char path[64];
	int err;

	skel = policy_bpf__open_and_load();
	if (!skel) {
		p_err("cannot load the policy program: %s", strerror(errno));
		return -1;
	}
	err = swap_policy(bpf_map__fd(skel->maps.policy), pol);
	if (err)
		goto out;
	link = bpf_program__attach(skel->progs.pb_policy);
	if (!link) {
		err = -1;
		p_err("cannot attach to blk_pin_bounce_decide: %s", strerror(errno));
		goto out;
	}
	err = bpf_link__pin(link, pin_path(st, PIN_LINK, path, sizeof(path)));
	if (err)
		p_err("cannot pin the policy link in %s: %s", PB_PIN_DIR, strerror(-err));
	bpf_link__destroy(link);	/* the pin keeps it attached */
	if (!err) {
		st->link_fd = pin_get(st, PIN_LINK);
		err = st->link_fd < 0 || maps_of_link(st) || pin_maps(st);
	}
out:
	policy_bpf__destroy(skel);
	return err ? -1 : 0;
}

/*
 * Generation @gen for @pol: rules resolved afresh (since 0) get a slot no
 * kept rule uses and counters that start now.
 */
static void assign_slots(struct pb_bpf_policy *pol, __u64 gen)
{
	__u64 used = 0;

	pol->generation = gen;
	if (!pol->default_since)
		pol->default_since = gen;
	for (unsigned int i = 0; i < pol->nrules; i++)
		if (pol->rules[i].since && pol->rules[i].slot < PB_MAX_RULES)
			used |= 1ULL << pol->rules[i].slot;
		else
			pol->rules[i].since = 0;
	for (unsigned int i = 0; i < pol->nrules; i++) {
		if (pol->rules[i].since)
			continue;
		pol->rules[i].slot = __builtin_ctzll(~used);	/* nrules <= 64 */
		pol->rules[i].since = gen;
		used |= 1ULL << pol->rules[i].slot;
	}
}

int state_install(struct pb_state *st, struct pb_bpf_policy *pol)
{
	struct pb_bpf_policy *cur;
	int err;

	if (!state_attached(st)) {
		assign_slots(pol, 1);
		return attach_policy(st, pol);
	}
	cur = malloc(sizeof(*cur));
	if (!cur) {
		p_err("out of memory");
		return -1;
	}
	err = state_read_policy(st, cur);
	if (!err) {
		assign_slots(pol, cur->generation + 1);
		err = swap_policy(st->outer_fd, pol);
	}
	free(cur);
	return err;
}

int state_detach(struct pb_state *st)
{
	int err = 0;

	/* Unpinning the link detaches the program; the lock is still held. */
	unpin_all(st);
	if (unlinkat(st->bpffs_fd, PIN_DIR_NAME, AT_REMOVEDIR) && errno != ENOENT) {
		p_err("cannot remove %s: %s", PB_PIN_DIR, strerror(errno));
		err = -1;
	}
	state_close(st);
	return err;
}
