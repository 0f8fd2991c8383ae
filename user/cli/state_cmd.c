// SPDX-License-Identifier: GPL-2.0
/* pinbounce status, detach: what pinbounce left in the kernel. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "census.h"
#include "cli.h"
#include "observe.h"
#include "report.h"
#include "text.h"

/* Why a user other than root cannot know what is attached. */
#define NOT_ROOT	"only root can read what is pinned in " PB_PIN_DIR
/* Why a user other than root cannot know what works. */
#define NOT_ROOT_WORKS	"only root can load the programs that find out what works"

/* What works on this kernel: found by loading the observers and the census. */
struct works {
	bool probed;		/* root could load them */
	bool observers;		/* write latency and exposure */
	bool bounce;		/* the bounce series */
	bool pin_tracking;	/* pins followed as they are taken */
	char no_observers[128];
	char no_tracking[160];
};

static void probe(struct works *w, bool hook)
{
	struct pb_census ps;
	struct pb_obs o;

	w->probed = true;
	w->bounce = hook;
	if (!pb_obs_open(&o)) {
		w->observers = true;
		w->bounce = o.bounce;
		pb_obs_close(&o);
	} else {
		snprintf(w->no_observers, sizeof(w->no_observers),
			 "the kernel refused the observers (see the error above)");
	}
	if (!pb_census_open(&ps)) {
		w->pin_tracking = !ps.no_hooks[0];
		snprintf(w->no_tracking, sizeof(w->no_tracking), "%s", ps.no_hooks);
		pb_census_close(&ps);
	} else {
		snprintf(w->no_tracking, sizeof(w->no_tracking),
			 "the kernel refused the census (see the error above)");
	}
}

#define NO_SERIES	"the kernel has no bounce series (kernel-patch/): pinned pages are written as they are"

static json_t *works_json(const struct works *w, json_t *unavailable)
{
	if (!w->probed) {
		json_object_set_new(unavailable, "works", json_string(NOT_ROOT_WORKS));
		return json_null();
	}
	if (!w->bounce)
		json_object_set_new(unavailable, "bounce", json_string(NO_SERIES));
	if (!w->observers)
		json_object_set_new(unavailable, "observers", pb_json_text(w->no_observers));
	if (!w->pin_tracking)
		json_object_set_new(unavailable, "pin_tracking", pb_json_text(w->no_tracking));
	return json_pack("{s:b,s:b,s:b,s:b}", "bounce", w->bounce, "exposure", w->observers,
			 "write_latency", w->observers, "pin_tracking", w->pin_tracking);
}

static void works_print(const struct works *w)
{
	char clean[PB_TEXT_SIZE(160)];

	printf("on this kernel:\n");
	if (!w->probed) {
		printf("  unknown: %s\n", NOT_ROOT_WORKS);
		return;
	}
	printf("  bounce:        %s\n", w->bounce ?
	       "yes: pinned pages bounce where the policy or the kernel's default says" :
	       "no: " NO_SERIES);
	printf("  exposure:      %s\n", w->observers ?
	       "yes: pinned pages written back are counted (stats, trace, export)" :
	       "no: the kernel refused the observers");
	printf("  write latency: %s\n", w->observers ? "yes" : "no");
	pb_text_escape(clean, sizeof(clean), w->no_tracking, PB_TEXT_CONTROLS);
	if (w->pin_tracking)
		printf("  pin tracking:  yes: pins are followed as they are taken\n");
	else
		printf("  pin tracking:  no: %s\n", clean);
}

int do_status(int argc, char **argv)
{
	struct pb_bpf_policy *b = NULL;
	bool hook = kernel_has_hook(), tp, root = geteuid() == 0;
	struct pb_state st = PB_STATE_INIT;
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	struct works w = {};
	json_t *unavailable;

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
	if (root)
		probe(&w, hook);
	if (json_output && root) {
		unavailable = json_object();
		json_print(json_pack("{s:b,s:b,s:b,s:I,s:I,s:i,s:o,s:o}",
				     "kernel_hook", hook, "tracepoint", tp,
				     "attached", state_attached(&st),
				     "prog_id", (json_int_t)info.prog_id,
				     "generation", (json_int_t)b->generation,
				     "rules", (int)b->nrules, "works", works_json(&w, unavailable),
				     "unavailable", unavailable));
	} else if (json_output) {
		unavailable = json_pack("{s:s}", "attached", NOT_ROOT);
		json_print(json_pack("{s:b,s:b,s:n,s:n,s:n,s:n,s:o,s:o}",
				     "kernel_hook", hook, "tracepoint", tp, "attached",
				     "prog_id", "generation", "rules",
				     "works", works_json(&w, unavailable),
				     "unavailable", unavailable));
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
		works_print(&w);
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
