/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The policy language: an ordered list of rules, first match wins, and a
 * default action.  One parser for policy files and for rules given on the
 * command line.  See pinbounce.policy(5).
 */
#ifndef PB_POLICY_H
#define PB_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pinbounce.h"

#define PB_NAME_MAX	32	/* rule names, with the NUL */
#define PB_DEVNAME_MAX	128	/* device names and paths, with the NUL */
#define PB_PATH_MAX	256	/* cgroup paths, with the NUL */
#define PB_RATE_MAX	(1024ULL * 1024 * 1024 * 1024)	/* bytes/s and bytes */

/*
 * A device as written: a name (sdb, sdb1), a path (/dev/sdb1,
 * /dev/disk/by-id/..., /dev/mapper/NAME) or a number (8:16).
 */
struct pb_dev_spec {
	char name[PB_DEVNAME_MAX];	/* name or path; empty when given by number */
	unsigned int major, minor;
};

struct pb_rule {
	char name[PB_NAME_MAX];
	unsigned int match;		/* enum pb_match */
	unsigned int ndevs;
	struct pb_dev_spec devs[PB_MAX_DEVS];
	char cgroup[PB_PATH_MAX];	/* absolute, inside the cgroup2 tree */
	unsigned int flags_set;		/* enum pb_flag that must be set */
	unsigned int flags_clear;	/* and that must be clear */
	uint64_t size_min, size_max;	/* bytes, inclusive */
	uint32_t pinned_min;		/* pages */
	enum pb_action action;
	uint64_t rate;			/* bytes per second bounced; 0: none */
	uint64_t burst;			/* bytes */
	enum pb_action over_action;	/* once the rate budget is spent */
	bool audit;			/* count what it would do, change nothing */
};

struct pb_policy {
	enum pb_action default_action;
	unsigned int nrules;
	struct pb_rule rules[PB_MAX_RULES];
};

/* Where a parse went wrong, and what was expected there. */
struct pb_error {
	char source[128];
	unsigned int line, col;		/* 1-based; 0 when not about a place */
	char msg[256];
};

void pb_policy_init(struct pb_policy *p);

/*
 * Parse a whole policy (a file's text).  On error, returns -1, fills @err
 * and leaves @p as pb_policy_init() made it: nothing of a bad policy is
 * ever half-applied.
 */
int pb_policy_parse(const char *text, size_t len, const char *source,
		    struct pb_policy *p, struct pb_error *err);

/* Parse one rule given as words, as `pinbounce policy add` gets them. */
int pb_rule_parse_words(int argc, const char *const *argv, struct pb_rule *r,
			struct pb_error *err);

/* Add @r to @p: fails when the name is taken or the policy is full. */
int pb_policy_add(struct pb_policy *p, const struct pb_rule *r,
		  struct pb_error *err);
/* Remove the rule called @name; -1 if there is none. */
int pb_policy_del(struct pb_policy *p, const char *name);

/* The policy in the language again; parses back to the same policy. */
int pb_policy_format(const struct pb_policy *p, char *buf, size_t size);
int pb_rule_format(const struct pb_rule *r, char *buf, size_t size);

const char *pb_action_name(enum pb_action a);
/* A device as a rule names it: its name, path or MAJOR:MINOR. */
void pb_dev_spec_name(const struct pb_dev_spec *d, char *buf, size_t size);
/* "src:line:col: msg", or "src: msg" when the error has no place. */
void pb_error_format(const struct pb_error *err, char *buf, size_t size);

#endif
