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

/*
 * [*start, *end) of the kernel function @name: its address and the next
 * higher one in /proc/kallsyms.  Returns 0, or -1 if it is not there.
 */
static int func_range(const char *name, volatile __u64 *start, volatile __u64 *end)
{
	unsigned long long addr, lo = 0, hi = ~0ULL;
	char type, sym[256];
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		return -1;
	while (fscanf(f, "%llx %c %255s%*[^\n]", &addr, &type, sym) == 3)
		if (!lo && (type == 't' || type == 'T') && !strcmp(sym, name))
			lo = addr;
	rewind(f);
	while (lo && fscanf(f, "%llx %c %255s%*[^\n]", &addr, &type, sym) == 3)
		if (addr > lo && addr < hi)
			hi = addr;
	fclose(f);
	if (!lo || hi == ~0ULL)
		return -1;
	*start = lo;
	*end = hi;
	return 0;
}

int main(int argc, char **argv)
{
	struct failalloc_bpf *skel;
	int status, err;

	if (argc < 3 || strcmp(argv[1], "--")) {
		fprintf(stderr, "usage: failalloc -- CMD [ARG...]\n");
		return 2;
	}
	skel = failalloc_bpf__open();
	if (!skel) {
		fprintf(stderr, "failalloc: cannot open: %s\n", strerror(errno));
		return 1;
	}
	if (func_range("__blk_queue_bounce", &skel->rodata->bounce_start,
		       &skel->rodata->bounce_end)) {
		fprintf(stderr, "failalloc: __blk_queue_bounce not in /proc/kallsyms\n");
		failalloc_bpf__destroy(skel);
		return 1;
	}
	err = failalloc_bpf__load(skel);
	if (err) {
		fprintf(stderr, "failalloc: cannot load: %s (CONFIG_BPF_KPROBE_OVERRIDE?)\n",
			strerror(-err));
		failalloc_bpf__destroy(skel);
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
