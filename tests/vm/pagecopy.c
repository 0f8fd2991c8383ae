// SPDX-License-Identifier: GPL-2.0
/*
 * pagecopy: what copying one page costs here, the yardstick for the bounce.
 * Copies PAGES pages (default 64) into as many others with memcpy(), both
 * sets resident and warm as a page just written and a bounce page just
 * allocated are, for SECONDS (default 1), and prints
 *   pagecopy: pages=N copies=N ns_per_page=X
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE 4096UL

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long pages = argc > 1 ? strtoul(argv[1], NULL, 0) : 64;
	double seconds = argc > 2 ? atof(argv[2]) : 1, start, elapsed;
	unsigned long copies = 0, i;
	unsigned char *src, *dst;

	if (argc > 3 || pages == 0 || pages > 65536 || seconds <= 0) {
		fprintf(stderr, "usage: pagecopy [PAGES [SECONDS]]\n");
		return 2;
	}
	if (posix_memalign((void **)&src, PAGE, pages * PAGE) ||
	    posix_memalign((void **)&dst, PAGE, pages * PAGE)) {
		fprintf(stderr, "pagecopy: out of memory\n");
		return 1;
	}
	memset(src, 0x5a, pages * PAGE);
	memset(dst, 0, pages * PAGE);
	start = now();
	do {
		for (i = 0; i < pages; i++) {
			memcpy(dst + i * PAGE, src + i * PAGE, PAGE);
			/* keep the compiler from proving the copy useless */
			__asm__ volatile("" : : "r"(dst) : "memory");
		}
		copies += pages;
		elapsed = now() - start;
	} while (elapsed < seconds);
	printf("pagecopy: pages=%lu copies=%lu ns_per_page=%.1f\n", pages, copies,
	       elapsed * 1e9 / copies);
	free(src);
	free(dst);
	return 0;
}
