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

int state_open(struct pb_state *st, bool for_change)
{
	*st = (struct pb_state){ -1, -1, -1, -1 };
	if (bpffs_ready())
		return -1;
	if (for_change && mkdir(PB_PIN_DIR, 0700) && errno != EEXIST) {
		p_err("cannot create %s: %s", PB_PIN_DIR, strerror(errno));
		return -1;
	}
	st->dir_fd = open(PB_PIN_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dir_fd < 0) {
		if (errno == ENOENT)
			return 0;	/* nothing pinned, nothing to lock */
		p_err("cannot open %s: %s", PB_PIN_DIR, strerror(errno));
		return -1;
	}
	if (flock(st->dir_fd, for_change ? LOCK_EX : LOCK_SH)) {
		p_err("cannot lock %s: %s", PB_PIN_DIR, strerror(errno));
		state_close(st);
		return -1;
	}
	st->link_fd = bpf_obj_get(PIN_LINK);
	/* Without its link, what is pinned is left from a killed first load. */
	if (st->link_fd >= 0) {
		st->outer_fd = bpf_obj_get(PIN_OUTER);
		st->stats_fd = bpf_obj_get(PIN_STATS);
		if (st->outer_fd < 0 || st->stats_fd < 0) {
			p_err("%s is incomplete: run 'pinbounce detach'", PB_PIN_DIR);
			state_close(st);
			return -1;
		}
	}
	return 0;
}

void state_close(struct pb_state *st)
{
	int *fds[] = { &st->link_fd, &st->outer_fd, &st->stats_fd, &st->dir_fd };

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

static void unpin_all(void)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(pins); i++)
		unlink(pins[i]);
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

/* First load: program, maps and link, pinned with the link last. */
static int attach_policy(struct pb_state *st, const struct pb_bpf_policy *pol)
{
	struct policy_bpf *skel;
	struct bpf_link *link;
	int err;

	unpin_all();	/* leftovers of a load killed before its link was pinned */
	skel = policy_bpf__open_and_load();
	if (!skel) {
		p_err("cannot load the policy program: %s", strerror(errno));
		return -1;
	}
	err = swap_policy(bpf_map__fd(skel->maps.policy), pol);
	if (!err)
		err = bpf_map__pin(skel->maps.policy, PIN_OUTER) ||
		      bpf_map__pin(skel->maps.rule_stats, PIN_STATS) ||
		      bpf_map__pin(skel->maps.rate_state, PIN_RATE);
	if (err) {
		p_err("cannot pin the policy maps in %s: %s", PB_PIN_DIR, strerror(errno));
		goto out;
	}
	link = bpf_program__attach(skel->progs.pb_policy);
	if (!link) {
		err = -1;
		p_err("cannot attach to blk_pin_bounce_decide: %s", strerror(errno));
		goto out;
	}
	err = bpf_link__pin(link, PIN_LINK);
	if (err)
		p_err("cannot pin the policy link: %s", strerror(-err));
	bpf_link__destroy(link);	/* the pin keeps it attached */
	if (!err) {
		st->link_fd = bpf_obj_get(PIN_LINK);
		st->outer_fd = bpf_obj_get(PIN_OUTER);
		st->stats_fd = bpf_obj_get(PIN_STATS);
	}
out:
	if (err)
		unpin_all();
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
