// SPDX-License-Identifier: GPL-2.0
/*
 * pinforce: attach bpf/force.bpf.c to the kernel's pinned-bounce hook with
 * one action for every bio, run a command, detach.
 *
 *   pinforce bounce|passthrough -- CMD [ARG...]
 *
 * Prints how many decisions the program made and exits with CMD's status.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "run.h"
#include "pinbounce.h"
#include "hook.h"
#include "force.skel.h"

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

#define USAGE	"usage: pinforce bounce|passthrough -- CMD [ARG...]\n" \
		"       pinforce --help | --version\n"

int main(int argc, char **argv)
{
	struct force_bpf *skel;
	int action, status, err;

	if (argc == 2 && !strcmp(argv[1], "--help")) {
		printf("%s", USAGE);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("pinforce %s\n", PB_VERSION);
		return 0;
	}
	if (argc < 4 || strcmp(argv[2], "--")) {
		fprintf(stderr, "%s", USAGE);
		return 2;
	}
	if (!strcmp(argv[1], "bounce")) {
		action = PB_ACTION_BOUNCE;
	} else if (!strcmp(argv[1], "passthrough")) {
		action = PB_ACTION_PASSTHROUGH;
	} else {
		fprintf(stderr, "pinforce: unknown action '%s'\n", argv[1]);
		return 2;
	}

	libbpf_set_print(quiet_libbpf);
	if (!kernel_has_hook()) {
		fprintf(stderr,
			"pinforce: this kernel has no blk_pin_bounce_decide(): it needs the series in kernel-patch/\n");
		return 1;
	}
	skel = force_bpf__open();
	if (!skel) {
		fprintf(stderr, "pinforce: cannot open BPF object: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->force_action = action;
	err = force_bpf__load(skel);
	if (!err)
		err = force_bpf__attach(skel);
	if (err) {
		fprintf(stderr,
			"pinforce: cannot attach to blk_pin_bounce_decide: %s (is this a kernel with kernel-patch/ applied?)\n",
			strerror(-err));
		force_bpf__destroy(skel);
		return 1;
	}

	status = run_command("pinforce", argv + 3);
	if (status < 0) {
		force_bpf__destroy(skel);
		return 1;
	}
	printf("pinforce: %llu decisions forced to %s\n",
	       (unsigned long long)skel->bss->decisions, argv[1]);
	force_bpf__destroy(skel);
	return status;
}
