/* SPDX-License-Identifier: GPL-2.0 */
/* Definitions shared by pinbounce's BPF programs and its user space. */
#ifndef PINBOUNCE_H
#define PINBOUNCE_H

/*
 * What a policy decides for a writeback bio with pinned pages.  BPF
 * programs turn these into the kernel's enum blk_pin_bounce_action with
 * CO-RE, so user space never depends on the kernel's numbering.
 */
enum pb_action {
	PB_ACTION_DEFAULT = 0,		/* leave it to the kernel */
	PB_ACTION_BOUNCE = 1,		/* copy the pinned pages */
	PB_ACTION_PASSTHROUGH = 2,	/* write them as they are */
};

#endif
