// SPDX-License-Identifier: GPL-2.0
/*
 * failalloc: make every page allocation inside the block layer's bounce
 * fail (tests/vm/failalloc.bpf.c) while a command runs.
 *
 *   failalloc -- CMD [ARG...]
 *
 * Prints how many allocations were made to fail and exits with CMD's
 * status.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "run.h"
#include "failalloc.skel.h"

int main(int argc, char **argv)
{
	struct failalloc_bpf *skel;
	int status, err;

	if (argc < 3 || strcmp(argv[1], "--")) {
		fprintf(stderr, "usage: failalloc -- CMD [ARG...]\n");
		return 2;
	}
	skel = failalloc_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "failalloc: cannot load: %s (CONFIG_BPF_KPROBE_OVERRIDE?)\n",
			strerror(errno));
		return 1;
	}
	err = failalloc_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "failalloc: cannot attach: %s\n", strerror(-err));
		failalloc_bpf__destroy(skel);
		return 1;
	}
	status = run_command("failalloc", argv + 2);
	if (status < 0) {
		failalloc_bpf__destroy(skel);
		return 1;
	}
	printf("failalloc: %llu page allocations failed in the bounce, ",
	       (unsigned long long)skel->bss->failed);
	printf("the pool ran dry %llu times\n", (unsigned long long)skel->bss->pool_dry);
	failalloc_bpf__destroy(skel);
	return status;
}
