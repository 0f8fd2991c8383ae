// SPDX-License-Identifier: GPL-2.0
/*
 * pinhold: page-cache pages pinned for DMA on any kernel, without a
 * fixture, for the host tests of pinbounce pins.
 *
 *   pinhold PAGES FILE DIRECT [unmap]
 *
 * Maps PAGES pages of FILE shared and dirties them, then writes them to
 * DIRECT (a file on a filesystem with direct I/O) with O_DIRECT, in one
 * pwritev() whose second buffer is memory a userfaultfd holds: the
 * direct write pins FILE's pages (FOLL_PIN) and then waits on the fault
 * in the second buffer, the pins held.  Then FILE is written back with
 * fsync(), its pages pinned, and "pinhold: pinned N pages, written back"
 * printed; with "unmap", FILE is unmapped first (the pins stay), so that
 * no process maps it.  A line on standard input (or its end) resolves the fault:
 * the write completes and unpins the pages; "pinhold: unpinned" is
 * printed and pinhold exits 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#define PAGE	4096UL

static struct iovec iov[2];
static int direct;
static ssize_t written = -1;
static int write_errno;

static void die(const char *what)
{
	fprintf(stderr, "pinhold: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void *writer(void *arg)
{
	(void)arg;
	written = pwritev(direct, iov, 2, 0);
	write_errno = errno;
	return NULL;
}

int main(int argc, char **argv)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {};
	struct uffdio_zeropage zero = {};
	struct uffd_msg msg;
	struct pollfd pfd;
	unsigned long pages;
	pthread_t thread;
	char line[16], *file, *hole;
	int fd, uffd;

	pages = argc > 1 ? strtoul(argv[1], NULL, 10) : 0;
	if ((argc != 4 && (argc != 5 || strcmp(argv[4], "unmap"))) || !pages || pages > 4096) {
		fprintf(stderr, "usage: pinhold PAGES FILE DIRECT [unmap]\n");
		return 2;
	}
	fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, pages * PAGE))
		die(argv[2]);
	direct = open(argv[3], O_RDWR | O_CREAT | O_DIRECT, 0644);
	if (direct < 0)
		die(argv[3]);
	file = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	hole = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (file == MAP_FAILED || hole == MAP_FAILED)
		die("mmap");
	memset(file, 'p', pages * PAGE);
	if (fsync(fd))
		die("fsync");
	memset(file, 'q', pages * PAGE);

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api))
		die("userfaultfd");
	reg.range.start = (unsigned long)hole;
	reg.range.len = PAGE;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		die("UFFDIO_REGISTER");

	iov[0] = (struct iovec){ file, pages * PAGE };
	iov[1] = (struct iovec){ hole, PAGE };
	errno = pthread_create(&thread, NULL, writer, NULL);
	if (errno)
		die("pthread_create");
	/* The fault on the second buffer: the first one's pages are pinned. */
	pfd = (struct pollfd){ .fd = uffd, .events = POLLIN };
	if (poll(&pfd, 1, 10000) != 1 || read(uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT) {
		errno = errno ? errno : ETIMEDOUT;
		die("no fault from the direct write");
	}
	if (argc == 5 && munmap(file, pages * PAGE))
		die("munmap");
	if (fsync(fd))
		die("fsync while pinned");
	printf("pinhold: pinned %lu pages, written back\n", pages);
	fflush(stdout);

	if (!fgets(line, sizeof(line), stdin) && ferror(stdin))
		die("stdin");
	zero.range = reg.range;
	if (ioctl(uffd, UFFDIO_ZEROPAGE, &zero))
		die("UFFDIO_ZEROPAGE");
	pthread_join(thread, NULL);
	if (written != (ssize_t)((pages + 1) * PAGE)) {
		errno = write_errno;
		die("the direct write");
	}
	printf("pinhold: unpinned\n");
	return 0;
}
