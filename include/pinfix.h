/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pinfix: test-only device that pins user pages for DMA the way RDMA and
 * V4L2 drivers do, and can keep writing into them from a kernel thread, as
 * a device would.  Shared by the module and the tests.
 */
#ifndef PINFIX_H
#define PINFIX_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define PINFIX_DEV		"/dev/pinfix"
#define PINFIX_MAX_PAGES	65536

struct pinfix_pin {
	__u64 addr;		/* page aligned start of the user range */
	__u64 len;		/* page aligned length in bytes */
};

struct pinfix_writer {
	__u32 bytes;		/* bytes rewritten at the start of each page */
	__s32 cpu;		/* CPU to run on, or -1 for any */
};

struct pinfix_fill {
	__u32 offset;		/* first byte written in each page */
	__u32 len;		/* bytes written in each page */
	__u32 value;		/* the byte written (low 8 bits) */
	__u32 pad;
};

struct pinfix_status {
	__u64 nr_pinned;	/* pages pinned by this file */
	__u64 passes;		/* writer passes over all pages so far */
	__u32 writer_running;
	__u32 pad;
};

/* Pin the range with FOLL_WRITE | FOLL_LONGTERM; returns pages pinned. */
#define PINFIX_IOC_PIN		_IOW('P', 1, struct pinfix_pin)
/* Stop the writer and unpin everything this file pinned. */
#define PINFIX_IOC_UNPIN	_IO('P', 2)
#define PINFIX_IOC_WRITER_START	_IOW('P', 3, struct pinfix_writer)
#define PINFIX_IOC_WRITER_STOP	_IO('P', 4)
#define PINFIX_IOC_STATUS	_IOR('P', 5, struct pinfix_status)
/* Write once into every pinned page, as a device DMA-ing now would. */
#define PINFIX_IOC_FILL		_IOW('P', 6, struct pinfix_fill)

#endif
