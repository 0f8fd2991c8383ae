// SPDX-License-Identifier: GPL-2.0
/*
 * pinwrite: the workload of the pinned-writeback tests.  Maps pages of a
 * file or block device shared, pins them through the pinfix fixture as an
 * RDMA NIC would, optionally lets the fixture's kernel thread keep writing
 * into them, and runs rounds of store-through-the-mapping + fsync.
 *
 *   pinwrite [-p PAGES] [-n] [-w BYTES] [-c CPU] [-r ROUNDS | -t SECONDS]
 *            [-H SECONDS] [-A SECONDS] [-K SECONDS] [-L BYTE [-S HOW]] [-U]
 *            [-C] [-s | -b] [-V] FILE
 *
 * -H holds the pages pinned (and the writer running) for SECONDS before the
 * rounds, after printing "pinwrite: holding N pages".  -A holds them after
 * the rounds, before -L, after printing "pinwrite: rounds done".  -U unpins
 * them through the fixture before the rounds, keeping the fixture open.  -K
 * keeps them pinned (and the writer running) for SECONDS at the end, after
 * printing "pinwrite: kept N pages": what the last write back sent is on
 * the disk then, and unpinning has not dirtied the pages again yet.
 * SIGUSR1 ends any of these waits early.  -C unmaps and closes FILE after
 * the rounds, before -A: the pins (and the writer) stay, and FILE's
 * filesystem can be unmounted under them (with -L, HOW must be sync or
 * none).
 *
 * -L has the fixture write BYTE into the first LATE_LEN bytes of every
 * pinned page once the rounds are over, as a device would after the write
 * back, and then fsync()s, printing "pinwrite: late fsync: ERROR" if that
 * fails and then "pinwrite: late fsync done in MS ms".  -S persists them with HOW
 * instead: fdatasync, syncfs, msync (of the pinned range), sync, or none
 * (the test unmounts), and the lines then name HOW.  -V then checks them with the rest.
 *
 * -s writes one sub-page block per page instead of storing through the
 * mapping: in round R, SUBPAGE bytes at offset ((page + R) % 4) * SUBPAGE
 * of each page with pwrite(), each followed by fsync(), so that every
 * write back has one dirty buffer, 0, 1, 2 or 3 KiB into its page.
 *
 * -b ends each round with sync_file_range() (wait, write, wait) instead of
 * fsync(): the pages are written back, and not also written from a copy
 * as fsync() writes pages pinned long term; a failure counts as a failed
 * fsync.
 *
 * -V reads the pages back from the disk with O_DIRECT.  Without a writer
 * (-w) every byte must be what the page cache holds; with one, the bytes
 * the rounds stored (the writer's may be newer than the last write back).
 *
 * Prints one line: rounds=R fsync_failures=F pinned=P verify=ok|bad|skipped
 * seconds=S, S the time the rounds took
 * and exits 0 unless setting up fails or -V finds bad data.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "pinfix.h"

#define PAGE		4096UL
#define USER_OFF	2048	/* the writer owns the start of each page */
#define USER_LEN	64
#define SUBPAGE		1024	/* the block size of the sub-page writes */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define LATE_LEN	1024	/* what -L writes, at the start of each page */

static void end_hold(int sig)
{
	(void)sig;
}

/* Wait @seconds, or until SIGUSR1, after saying so on stdout. */
static void hold_for(unsigned int seconds, const char *what, long pinned)
{
	if (!seconds)
		return;
	printf("pinwrite: %s %ld pages\n", what, pinned);
	fflush(stdout);
	sleep(seconds);
}

static void die(const char *what)
{
	fprintf(stderr, "pinwrite: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void fill(unsigned char *p, uint64_t round, uint64_t page)
{
	uint64_t v = round << 32 | page;

	for (int i = 0; i < USER_LEN; i += 8)
		memcpy(p + i, &v, 8);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Round @round of -s: one SUBPAGE block of each page, a write back each.
 * The block's bytes say which round, page and block they belong to.
 */
static unsigned long subpage_round(int fd, unsigned long pages, uint64_t round)
{
	unsigned char buf[SUBPAGE];
	unsigned long failures = 0;

	for (unsigned long i = 0; i < pages; i++) {
		unsigned long block = (i + round) % (PAGE / SUBPAGE);
		off_t off = i * PAGE + block * SUBPAGE;

		for (unsigned int b = 0; b < SUBPAGE; b++)
			buf[b] = (unsigned char)(round * 131 + i * 17 + block * 5 + b);
		if (pwrite(fd, buf, SUBPAGE, off) != SUBPAGE)
			die("pwrite");
		if (fsync(fd))
			failures++;
	}
	return failures;
}

/*
 * Read every page back from the device, bypassing the page cache: all of
 * it must equal @map, or with @writer only the bytes of the last round.
 */
static int verify(const char *path, const unsigned char *map, unsigned long pages,
		  uint64_t round, int writer)
{
	unsigned char want[USER_LEN], *buf;
	int fd = open(path, O_RDONLY | O_DIRECT), bad = 0;

	if (fd < 0)
		die("open O_DIRECT");
	if (posix_memalign((void **)&buf, PAGE, PAGE))
		die("posix_memalign");
	for (unsigned long i = 0; i < pages; i++) {
		if (pread(fd, buf, PAGE, i * PAGE) != (ssize_t)PAGE) {
			fprintf(stderr, "pinwrite: page %lu: read back failed: %s\n",
				i, strerror(errno));
			bad++;
			continue;
		}
		if (!writer) {
			const unsigned char *pc = map + i * PAGE;
			unsigned long off = 0;

			while (off < PAGE && buf[off] == pc[off])
				off++;
			if (off < PAGE) {
				fprintf(stderr,
					"pinwrite: page %lu: byte %lu on disk is 0x%02x, the page cache has 0x%02x\n",
					i, off, buf[off], pc[off]);
				bad++;
			}
			continue;
		}
		fill(want, round, i);
		if (memcmp(buf + USER_OFF, want, USER_LEN)) {
			fprintf(stderr, "pinwrite: page %lu: data of round %llu not on disk\n",
				i, (unsigned long long)round);
			bad++;
		}
	}
	free(buf);
	close(fd);
	return bad;
}

/* How -L persists the device's late bytes; from LATE_SYNC on, no FILE needed. */
enum {
	LATE_FSYNC, LATE_FDATASYNC, LATE_SYNCFS, LATE_MSYNC, LATE_SYNC, LATE_NONE
};

static const char *const late_hows[] = {
	"fsync", "fdatasync", "syncfs", "msync", "sync", "none"
};

static int late_how(const char *how)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(late_hows); i++)
		if (!strcmp(how, late_hows[i]))
			return i;
	return -1;
}

static int late_sync(int how, int fd, void *map, size_t len)
{
	switch (how) {
	case LATE_FSYNC:
		return fsync(fd);
	case LATE_FDATASYNC:
		return fdatasync(fd);
	case LATE_SYNCFS:
		return syncfs(fd);
	case LATE_MSYNC:
		return msync(map, len, MS_SYNC);
	case LATE_SYNC:
		sync();
		return 0;
	default:
		return 0;
	}
}

int main(int argc, char **argv)
{
	unsigned long pages = 16, rounds = 1, failures = 0, done = 0;
	int pin = 1, unpin = 0, check = 0, subpage = 0, closing = 0, wbonly = 0, opt, fd, pfd = -1;
	struct pinfix_writer w = { .bytes = 0, .cpu = -1 };
	double seconds = 0, start, end, elapsed;
	unsigned int hold = 0, after = 0, keep = 0;
	long late = -1;
	double late_start;
	int how = LATE_FSYNC;
	unsigned char *map;
	struct stat st;
	long pinned = 0;

	while ((opt = getopt(argc, argv, "p:nw:c:r:t:H:A:K:L:S:UCsbV")) != -1) {
		switch (opt) {
		case 'p':
			pages = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			pin = 0;
			break;
		case 'w':
			w.bytes = strtoul(optarg, NULL, 0);
			break;
		case 'c':
			w.cpu = atoi(optarg);
			break;
		case 'r':
			rounds = strtoul(optarg, NULL, 0);
			break;
		case 't':
			seconds = atof(optarg);
			break;
		case 'H':
			hold = strtoul(optarg, NULL, 0);
			break;
		case 'A':
			after = strtoul(optarg, NULL, 0);
			break;
		case 'K':
			keep = strtoul(optarg, NULL, 0);
			break;
		case 'L':
			late = strtol(optarg, NULL, 0) & 0xff;
			break;
		case 'S':
			how = late_how(optarg);
			break;
		case 'U':
			unpin = 1;
			break;
		case 'C':
			closing = 1;
			break;
		case 's':
			subpage = 1;
			break;
		case 'b':
			wbonly = 1;
			break;
		case 'V':
			check = 1;
			break;
		default:
			fprintf(stderr,
				"usage: pinwrite [-p PAGES] [-n] [-w BYTES] [-c CPU] [-r ROUNDS | -t SECONDS] [-H SECONDS] [-A SECONDS] [-K SECONDS] [-L BYTE [-S HOW]] [-U] [-C] [-s | -b] [-V] FILE\n");
			return 2;
		}
	}
	if (optind != argc - 1 || !pages || w.bytes > USER_OFF || (late >= 0 && !pin) ||
	    how < 0 || (subpage && wbonly) ||
	    (closing && (check || (late >= 0 && how < LATE_SYNC)))) {
		fprintf(stderr,
			"pinwrite: need one FILE, PAGES > 0, BYTES <= %d, no -L with -n, HOW fsync, fdatasync, syncfs, msync, sync or none, not -s with -b, no -V with -C, and -C -L only with HOW sync or none\n",
			USER_OFF);
		return 2;
	}

	fd = open(argv[optind], O_RDWR);
	if (fd < 0)
		die(argv[optind]);
	if (fstat(fd, &st))
		die("fstat");
	if (S_ISREG(st.st_mode) && (unsigned long)st.st_size < pages * PAGE) {
		fprintf(stderr, "pinwrite: %s: %lld bytes, need %lu\n", argv[optind],
			(long long)st.st_size, pages * PAGE);
		return 1;
	}
	map = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap");

	if (pin) {
		struct pinfix_pin p = { .addr = (uintptr_t)map, .len = pages * PAGE };

		pfd = open(PINFIX_DEV, O_RDWR);
		if (pfd < 0)
			die(PINFIX_DEV);
		pinned = ioctl(pfd, PINFIX_IOC_PIN, &p);
		if (pinned < 0)
			die("PINFIX_IOC_PIN");
		if (w.bytes && ioctl(pfd, PINFIX_IOC_WRITER_START, &w))
			die("PINFIX_IOC_WRITER_START");
	}

	/* a handler, not SIG_IGN: the signal must interrupt sleep() */
	signal(SIGUSR1, end_hold);
	hold_for(hold, "holding", pinned);

	if (unpin && pfd >= 0) {
		struct pinfix_status ps;

		if (ioctl(pfd, PINFIX_IOC_UNPIN) || ioctl(pfd, PINFIX_IOC_STATUS, &ps))
			die("PINFIX_IOC_UNPIN");
		pinned = ps.nr_pinned;
	}

	start = now();
	end = start + seconds;
	for (;;) {
		if (seconds ? now() >= end : done >= rounds)
			break;
		done++;
		if (subpage) {
			failures += subpage_round(fd, pages, done);
			continue;
		}
		for (unsigned long i = 0; i < pages; i++)
			fill(map + i * PAGE + USER_OFF, done, i);
		if (wbonly ? sync_file_range(fd, 0, pages * PAGE, SYNC_FILE_RANGE_WAIT_BEFORE |
					     SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) :
			   fsync(fd))
			failures++;
	}

	elapsed = now() - start;
	if (closing) {
		munmap(map, pages * PAGE);
		close(fd);
		map = NULL;
	}
	hold_for(after, "rounds done,", pinned);
	if (late >= 0) {
		struct pinfix_fill f = { .offset = 0, .len = LATE_LEN, .value = late };

		if (ioctl(pfd, PINFIX_IOC_FILL, &f))
			die("PINFIX_IOC_FILL");
		late_start = now();
		if (late_sync(how, fd, map, pages * PAGE)) {
			printf("pinwrite: late %s: %s\n", late_hows[how], strerror(errno));
			failures++;
		}
		printf("pinwrite: late %s done in %.1f ms\n", late_hows[how],
		       (now() - late_start) * 1e3);
		fflush(stdout);
	}
	hold_for(keep, "kept", pinned);
	if (pfd >= 0 && ioctl(pfd, PINFIX_IOC_WRITER_STOP))
		die("PINFIX_IOC_WRITER_STOP");
	int bad = check ? verify(argv[optind], map, pages, done, w.bytes != 0) : 0;

	printf("pinwrite: rounds=%lu fsync_failures=%lu pinned=%ld verify=%s seconds=%.3f\n",
	       done, failures, pinned, check ? (bad ? "bad" : "ok") : "skipped", elapsed);
	if (pfd >= 0)
		close(pfd);
	if (map) {
		munmap(map, pages * PAGE);
		close(fd);
	}
	return bad ? 1 : 0;
}
