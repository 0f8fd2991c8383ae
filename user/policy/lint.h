/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What `pinbounce policy check` warns about in a policy that loads: rules
 * that can never match, and pinned pages passed through to disks that need
 * stable writes.
 */
#ifndef PB_LINT_H
#define PB_LINT_H

#include <stdbool.h>
#include "policy.h"

#define PB_LINT_MAX	(2 * PB_MAX_RULES + 1)
#define PB_LINT_LEN	384

struct pb_lint {
	unsigned int n;
	char msg[PB_LINT_MAX][PB_LINT_LEN];
};

/* What the checks need to know of the machine's disks. */
struct pb_lint_env {
	/* the whole disk of @dev (itself for a whole disk) */
	__u32 (*disk_of)(__u32 dev);
	/* whether whole disk @disk needs stable writes */
	bool (*stable)(__u32 disk);
	/* the names of the disks that need stable writes, comma-separated */
	void (*stable_disks)(char *buf, size_t size);
};

/* The disks of the running machine, from sysfs. */
extern const struct pb_lint_env pb_lint_sysfs;

/* The warnings about policy @p, resolved as @b, into @out. */
void pb_policy_lint(const struct pb_policy *p, const struct pb_bpf_policy *b,
		    const struct pb_lint_env *env, struct pb_lint *out);

#endif
