// SPDX-License-Identifier: GPL-2.0
/*
 * Test only: attach tests/vm/otherpolicy.bpf.c, a policy program whose maps
 * have other sizes than this build's, and pin it where pinbounce pins its
 * own (/sys/fs/bpf/pinbounce: link, policy, rule_stats, rate_state), as an
 * older or newer pinbounce would have left it.
 *
 *   otherpolicy
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include "otherpolicy.skel.h"

#define DIR	"/sys/fs/bpf/pinbounce"

int main(void)
{
	struct otherpolicy_bpf *skel;
	struct bpf_link *link;
	int err;

	if (mkdir(DIR, 0700) && errno != EEXIST) {
		fprintf(stderr, "otherpolicy: mkdir %s: %s\n", DIR, strerror(errno));
		return 1;
	}
	skel = otherpolicy_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "otherpolicy: cannot load: %s\n", strerror(errno));
		return 1;
	}
	link = bpf_program__attach(skel->progs.pb_policy);
	err = !link || bpf_link__pin(link, DIR "/link") ||
	      bpf_map__pin(skel->maps.policy, DIR "/policy") ||
	      bpf_map__pin(skel->maps.rule_stats, DIR "/rule_stats") ||
	      bpf_map__pin(skel->maps.rate_state, DIR "/rate_state");
	if (err)
		fprintf(stderr, "otherpolicy: cannot attach and pin: %s\n", strerror(errno));
	bpf_link__destroy(link);
	otherpolicy_bpf__destroy(skel);
	return err ? 1 : 0;
}
