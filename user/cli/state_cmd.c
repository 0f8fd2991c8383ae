// SPDX-License-Identifier: GPL-2.0
/* pinbounce status, detach: what pinbounce left in the kernel. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cli.h"

/* Why a user other than root cannot know what is attached. */
#define NOT_ROOT	"only root can read what is pinned in " PB_PIN_DIR

int do_status(int argc, char **argv)
{
	struct pb_bpf_policy *b = NULL;
	bool hook = kernel_has_hook(), tp, root = geteuid() == 0;
	struct pb_state st = PB_STATE_INIT;
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);

	(void)argv;
	if (argc) {
		p_err("usage: pinbounce status");
		return PB_EXIT_USAGE;
	}
	tp = !access("/sys/kernel/tracing/events/block/block_bio_pin_bounce", F_OK) ||
	     !access("/sys/kernel/debug/tracing/events/block/block_bio_pin_bounce", F_OK);
	b = calloc(1, sizeof(*b));
	if (!b)
		return PB_EXIT_ERROR;
	/* What is attached is known only to root, and only if it can be read. */
	if (hook && root) {
		if (state_open(&st, PB_STATE_READ) ||
		    (state_attached(&st) && (bpf_obj_get_info_by_fd(st.link_fd, &info, &len) ||
					     state_read_policy(&st, b)))) {
			state_close(&st);
			free(b);
			return PB_EXIT_ERROR;
		}
	}
	if (json_output && root) {
		json_print(json_pack("{s:b,s:b,s:b,s:I,s:I,s:i,s:{}}",
				     "kernel_hook", hook, "tracepoint", tp,
				     "attached", state_attached(&st),
				     "prog_id", (json_int_t)info.prog_id,
				     "generation", (json_int_t)b->generation,
				     "rules", (int)b->nrules, "unavailable"));
	} else if (json_output) {
		json_print(json_pack("{s:b,s:b,s:n,s:n,s:n,s:n,s:{s:s}}",
				     "kernel_hook", hook, "tracepoint", tp, "attached",
				     "prog_id", "generation", "rules", "unavailable",
				     "attached", NOT_ROOT));
	} else {
		printf("kernel hook:  %s\n", hook ? "blk_pin_bounce_decide" :
		       "missing (the kernel needs the series in kernel-patch/)");
		printf("tracepoint:   %s\n", tp ? "block:block_bio_pin_bounce" : "missing");
		if (!root)
			printf("attached:     unknown: %s\n", NOT_ROOT);
		else if (state_attached(&st))
			printf("attached:     policy program (prog id %u), pinned in %s\n",
			       info.prog_id, PB_PIN_DIR);
		else
			printf("attached:     nothing\n");
		if (!root)
			printf("policy:       unknown: root only\n");
		else
			printf("policy:       generation %llu, %u rule%s\n",
			       (unsigned long long)b->generation, b->nrules,
			       b->nrules == 1 ? "" : "s");
	}
	state_close(&st);
	free(b);
	return PB_EXIT_OK;
}

int do_detach(int argc, char **argv)
{
	struct pb_state st;
	bool was;

	(void)argv;
	if (argc) {
		p_err("usage: pinbounce detach");
		return PB_EXIT_USAGE;
	}
	if (need_root(PB_ROOT_STATE) || state_open(&st, PB_STATE_DETACH))
		return PB_EXIT_ERROR;
	was = state_attached(&st);
	if (state_detach(&st))
		return PB_EXIT_ERROR;
	p_info(was ? "detached the policy program" : "nothing was attached");
	return PB_EXIT_OK;
}
