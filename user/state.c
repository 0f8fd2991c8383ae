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
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cli.h"
#include "policy.skel.h"

#define PIN_LINK	PB_PIN_DIR "/link"
#define PIN_OUTER	PB_PIN_DIR "/policy"
#define PIN_STATS	PB_PIN_DIR "/rule_stats"
#define PIN_RATE	PB_PIN_DIR "/rate_state"

/* The link first: unpinning it is what detaches. */
static const char * const pins[] = { PIN_LINK, PIN_OUTER, PIN_STATS, PIN_RATE };

static int bpffs_ready(void)
{
	struct stat st;

	if (stat("/sys/fs/bpf", &st) || !S_ISDIR(st.st_mode)) {
		p_err("no /sys/fs/bpf: mount the BPF filesystem there (mount -t bpf none /sys/fs/bpf)");
		return -1;
	}
	return 0;
}

static void unpin_all(void)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(pins); i++)
		unlink(pins[i]);
}

/*
 * Open and lock PB_PIN_DIR.  A detach may remove the directory while we
 * wait for its lock: then the lock is on a dead inode, and we start over.
 */
static int lock_dir(bool for_change)
{
	struct stat locked, now;
	int fd;

	for (;;) {
		if (for_change && mkdir(PB_PIN_DIR, 0700) && errno != EEXIST) {
			p_err("cannot create %s: %s", PB_PIN_DIR, strerror(errno));
			return -1;
		}
		fd = open(PB_PIN_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT && !for_change)
				return -ENOENT;	/* nothing pinned, nothing to lock */
			p_err("cannot open %s: %s", PB_PIN_DIR, strerror(errno));
			return -1;
		}
		if (flock(fd, for_change ? LOCK_EX : LOCK_SH)) {
			p_err("cannot lock %s: %s", PB_PIN_DIR, strerror(errno));
			close(fd);
			return -1;
		}
		if (!fstat(fd, &locked) && !stat(PB_PIN_DIR, &now) &&
		    locked.st_dev == now.st_dev && locked.st_ino == now.st_ino)
			return fd;
		close(fd);
	}
}

/*
 * The link is the one thing that says what is attached: it is pinned last
 * when attaching and unpinned first when detaching.  The maps are found
 * through its program, so a pinbounce killed before it pinned them (or
 * while detaching) leaves nothing the next one cannot see through.
 */
static int maps_of_link(struct pb_state *st)
{
	struct {
		const char *name;
		int *fd;
	} want[] = {
		{ "policy", &st->outer_fd },
		{ "rule_stats", &st->stats_fd },
		{ "rate_state", &st->rate_fd },
	};
	struct bpf_link_info link = {};
	struct bpf_prog_info prog = {};
	__u32 len = sizeof(link), ids[16];
	int prog_fd, fd;

	if (bpf_obj_get_info_by_fd(st->link_fd, &link, &len))
		return -1;
	prog_fd = bpf_prog_get_fd_by_id(link.prog_id);
	if (prog_fd < 0)
		return -1;
	len = sizeof(prog);
	prog.nr_map_ids = ARRAY_SIZE(ids);
	prog.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &prog, &len) ||
	    strcmp(prog.name, "pb_policy") || prog.nr_map_ids > ARRAY_SIZE(ids)) {
		close(prog_fd);
		return -1;
	}
	close(prog_fd);
	for (__u32 i = 0; i < prog.nr_map_ids; i++) {
		struct bpf_map_info map = {};
		bool kept = false;

		len = sizeof(map);
		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		for (unsigned int j = 0; j < ARRAY_SIZE(want) && !kept; j++) {
			if (j == 0 && bpf_obj_get_info_by_fd(fd, &map, &len))
				break;
			if (*want[j].fd < 0 && !strcmp(map.name, want[j].name)) {
				*want[j].fd = fd;
				kept = true;
			}
		}
		if (!kept)
			close(fd);
	}
	return st->outer_fd < 0 || st->stats_fd < 0 || st->rate_fd < 0 ? -1 : 0;
}

/* Pin the maps of the attached program where a killed pinbounce did not. */
static int pin_maps(const struct pb_state *st)
{
	const int fds[] = { st->outer_fd, st->stats_fd, st->rate_fd };

	for (unsigned int i = 0; i < ARRAY_SIZE(fds); i++) {
		int fd = bpf_obj_get(pins[i + 1]);

		if (fd >= 0) {
			close(fd);
			continue;
		}
		if (bpf_obj_pin(fds[i], pins[i + 1])) {
			p_err("the policy is attached, but pinning %s failed: %s",
			      pins[i + 1], strerror(errno));
			return -1;
		}
	}
	return 0;
}

int state_open(struct pb_state *st, bool for_change)
{
	*st = (struct pb_state)PB_STATE_INIT;
	if (bpffs_ready())
		return -1;
	st->dir_fd = lock_dir(for_change);
	if (st->dir_fd == -ENOENT) {
		st->dir_fd = -1;
		return 0;
	}
	if (st->dir_fd < 0)
		return -1;
	st->link_fd = bpf_obj_get(PIN_LINK);
	if (st->link_fd < 0) {
		/* Map pins left by a detach that was killed: inert, drop them. */
		if (for_change)
			unpin_all();
		return 0;
	}
	if (maps_of_link(st)) {
		p_err("%s/link is not pinbounce's policy program: run 'pinbounce detach'",
		      PB_PIN_DIR);
		state_close(st);
		return -1;
	}
	if (for_change && pin_maps(st)) {
		state_close(st);
		return -1;
	}
	return 0;
}

void state_close(struct pb_state *st)
{
	int *fds[] = { &st->link_fd, &st->outer_fd, &st->stats_fd, &st->rate_fd,
		       &st->dir_fd };

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
	__u32 zero = 0, inner_id;
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
	err = bpf_link__pin(link, PIN_LINK);
	if (err)
		p_err("cannot pin the policy link in %s: %s", PB_PIN_DIR, strerror(-err));
	bpf_link__destroy(link);	/* the pin keeps it attached */
	if (!err) {
		st->link_fd = bpf_obj_get(PIN_LINK);
		err = st->link_fd < 0 || maps_of_link(st) || pin_maps(st);
	}
out:
	policy_bpf__destroy(skel);
	return err ? -1 : 0;
}

int state_install(struct pb_state *st, struct pb_bpf_policy *pol)
{
	struct pb_bpf_policy *cur;
	int err;

	if (!state_attached(st)) {
		pol->generation = 1;
		return attach_policy(st, pol);
	}
	cur = malloc(sizeof(*cur));
	if (!cur) {
		p_err("out of memory");
		return -1;
	}
	err = state_read_policy(st, cur);
	if (!err) {
		pol->generation = cur->generation + 1;
		err = swap_policy(st->outer_fd, pol);
	}
	free(cur);
	return err;
}

int state_detach(struct pb_state *st)
{
	int err = 0;

	/* Unpinning the link detaches the program; the lock is still held. */
	unpin_all();
	if (rmdir(PB_PIN_DIR) && errno != ENOENT) {
		p_err("cannot remove %s: %s", PB_PIN_DIR, strerror(errno));
		err = -1;
	}
	state_close(st);
	return err;
}
