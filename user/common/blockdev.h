/* SPDX-License-Identifier: GPL-2.0 */
/* The machine's block devices, as sysfs describes them. */
#ifndef PINBOUNCE_BLOCKDEV_H
#define PINBOUNCE_BLOCKDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* The whole disk of @dev (kernel dev_t encoding); @dev itself if a disk. */
__u32 pb_disk_of(__u32 dev);

/* Whether whole disk @disk needs stable writes (queue/stable_writes). */
bool pb_disk_stable(__u32 disk);

/* Whether device @dev, a disk or a partition, needs stable writes. */
static inline bool pb_dev_stable(__u32 dev)
{
	return pb_disk_stable(pb_disk_of(dev));
}

/* The names of the disks that need stable writes, comma-separated. */
void pb_stable_disks(char *buf, size_t size);

/*
 * The numbers of the machine's block devices that hold data (disks and
 * partitions of a size above 0: not an unbound loop device), at most
 * @max of them into @devs; how many.
 */
unsigned int pb_block_devs(__u32 *devs, unsigned int max);

#endif
