/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PB_HOOK_H
#define PB_HOOK_H

#include <stdbool.h>

/* Does the running kernel have blk_pin_bounce_decide()?  Asks its BTF. */
bool kernel_has_hook(void);

#endif
