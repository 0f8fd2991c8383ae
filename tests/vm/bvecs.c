// SPDX-License-Identifier: GPL-2.0
/*
 * bvecs: count what the write bios queued to a disk carry
 * (tests/vm/bvecs.bpf.c) until SIGINT or SIGTERM, or SECONDS.
 *
 *   bvecs DISK [SECONDS]
 *
 * Prints "bvecs: attached" once counting, and at the end one line:
 *   bvecs: write_bios=W bvecs=B pinned=F multi_bvecs=M multi_pinned=P large=L
 * F the bvecs whose first page was page cache pinned for DMA under
 * writeback, M the bvecs of several pages, P those of them whose second
 * page was, L the bvecs of a large folio.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <bpf/libbpf.h>
#include "bvecs.skel.h"

/* include/linux/kdev_t.h */
#define KDEV(maj, min)	((maj) << 20 | (min))

int main(int argc, char **argv)
{
	struct timespec limit = { .tv_sec = 600 };
	struct bvecs_bpf *skel;
	struct stat st;
	sigset_t sigs;
	int err;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bvecs DISK [SECONDS]\n");
		return 2;
	}
	if (argc == 3)
		limit.tv_sec = atoi(argv[2]);
	if (stat(argv[1], &st) || !S_ISBLK(st.st_mode)) {
		fprintf(stderr, "bvecs: %s: not a block device\n", argv[1]);
		return 2;
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	skel = bvecs_bpf__open();
	if (!skel) {
		fprintf(stderr, "bvecs: cannot open: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->disk = KDEV(major(st.st_rdev), minor(st.st_rdev));
	err = bvecs_bpf__load(skel);
	if (!err)
		err = bvecs_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "bvecs: cannot load and attach: %s\n", strerror(-err));
		bvecs_bpf__destroy(skel);
		return 1;
	}
	printf("bvecs: attached\n");
	fflush(stdout);
	if (sigtimedwait(&sigs, NULL, &limit) < 0)
		fprintf(stderr, "bvecs: no signal in %ld s\n", (long)limit.tv_sec);
	printf("bvecs: write_bios=%llu bvecs=%llu pinned=%llu ",
	       (unsigned long long)skel->bss->write_bios, (unsigned long long)skel->bss->bvecs,
	       (unsigned long long)skel->bss->pinned);
	printf("multi_bvecs=%llu multi_pinned=%llu large=%llu\n",
	       (unsigned long long)skel->bss->multi_bvecs,
	       (unsigned long long)skel->bss->multi_pinned,
	       (unsigned long long)skel->bss->large);
	bvecs_bpf__destroy(skel);
	return 0;
}
