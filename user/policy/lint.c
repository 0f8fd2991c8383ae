// SPDX-License-Identifier: GPL-2.0
/*
 * Warnings about a policy that loads but does not do what it says: a rule
 * that an earlier one shadows (first match wins, so it never matches), and
 * a passthrough that sends pinned pages to a disk that needs stable writes,
 * where a page changed while it is written fails the write (T10-PI) or
 * stores data that no longer matches its checksum.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "blockdev.h"
#include "lint.h"

#define EXPLAIN	"a page changed while it is written fails the write or is stored with a checksum that does not match"

static void __attribute__((format(printf, 2, 3)))
add(struct pb_lint *out, const char *fmt, ...)
{
	va_list ap;

	if (out->n >= PB_LINT_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(out->msg[out->n++], PB_LINT_LEN, fmt, ap);
	va_end(ap);
}

/* Whether every device of rule @j is one of rule @i's, or on a disk of @i's. */
static bool devs_cover(const struct pb_bpf_rule *i, const struct pb_bpf_rule *j,
		       const struct pb_lint_env *env)
{
	for (unsigned int d = 0; d < j->ndevs; d++) {
		bool in = false;

		for (unsigned int e = 0; e < i->ndevs && !in; e++)
			in = i->devs[e] == j->devs[d] ||
			     (i->dev_whole[e] && env->disk_of(j->devs[d]) == i->devs[e]);
		if (!in)
			return false;
	}
	return true;
}

/* Whether cgroup path @sub is @top or below it. */
static bool cgroup_within(const char *top, const char *sub)
{
	size_t n = strlen(top);

	if (!strcmp(top, "/"))
		return true;
	return !strncmp(top, sub, n) && (sub[n] == '\0' || sub[n] == '/');
}

/* Whether every bio that rule @j matches, rule @i matches too. */
static bool covers(const struct pb_rule *i, const struct pb_bpf_rule *bi,
		   const struct pb_rule *j, const struct pb_bpf_rule *bj,
		   const struct pb_lint_env *env)
{
	if (i->match & PB_MATCH_DEV &&
	    (!(j->match & PB_MATCH_DEV) || !devs_cover(bi, bj, env)))
		return false;
	if (i->match & PB_MATCH_CGROUP &&
	    (!(j->match & PB_MATCH_CGROUP) || !cgroup_within(i->cgroup, j->cgroup)))
		return false;
	if (i->match & PB_MATCH_FLAGS &&
	    (!(j->match & PB_MATCH_FLAGS) || (j->flags_set & i->flags_set) != i->flags_set ||
	     (j->flags_clear & i->flags_clear) != i->flags_clear))
		return false;
	if (i->match & PB_MATCH_SIZE &&
	    (!(j->match & PB_MATCH_SIZE) || j->size_min < i->size_min ||
	     j->size_max > i->size_max))
		return false;
	if (i->match & PB_MATCH_PINNED &&
	    (!(j->match & PB_MATCH_PINNED) || j->pinned_min < i->pinned_min))
		return false;
	return true;
}

/* Warn if rule @r passes pinned pages through, and to which disks. */
static void lint_passthrough(const struct pb_rule *r, const struct pb_bpf_rule *b,
			     const struct pb_lint_env *env, struct pb_lint *out)
{
	const char *when;
	char names[256] = "", one[PB_DEVNAME_MAX];
	size_t off = 0;

	if (r->action == PB_ACTION_PASSTHROUGH)
		when = "";
	else if (r->action == PB_ACTION_BOUNCE && r->rate &&
		 r->over_action == PB_ACTION_PASSTHROUGH)
		when = " once over its rate";
	else
		return;
	if (!(r->match & PB_MATCH_DEV)) {
		env->stable_disks(names, sizeof(names));
		if (names[0])
			add(out,
			    "rule '%s' passes pinned pages through%s on every disk it matches, and %s need%s stable writes: %s",
			    r->name, when, names, strchr(names, ',') ? "" : "s", EXPLAIN);
		return;
	}
	for (unsigned int d = 0; d < r->ndevs && d < b->ndevs; d++) {
		if (!env->stable(env->disk_of(b->devs[d])))
			continue;
		pb_dev_spec_name(&r->devs[d], one, sizeof(one));
		off += (size_t)snprintf(names + off, off < sizeof(names) ? sizeof(names) - off : 0,
					"%s%s", off ? ", " : "", one);
		if (off >= sizeof(names))
			off = sizeof(names) - 1;
	}
	if (names[0])
		add(out,
		    "rule '%s' passes pinned pages through%s to %s, which need%s stable writes: %s",
		    r->name, when, names, strchr(names, ',') ? "" : "s", EXPLAIN);
}

void pb_policy_lint(const struct pb_policy *p, const struct pb_bpf_policy *b,
		    const struct pb_lint_env *env, struct pb_lint *out)
{
	char names[256] = "";

	out->n = 0;
	for (unsigned int j = 0; j < p->nrules; j++) {
		const struct pb_rule *rj = &p->rules[j];
		bool shadowed = false;

		for (unsigned int i = 0; i < j && !shadowed; i++) {
			const struct pb_rule *ri = &p->rules[i];

			/* an audit rule counts and goes on; the next one decides */
			if (ri->audit || !covers(ri, &b->rules[i], rj, &b->rules[j], env))
				continue;
			add(out,
			    "rule '%s' never matches: rule '%s' before it matches every bio it would",
			    rj->name, ri->name);
			shadowed = true;
		}
		if (!shadowed && !rj->audit)
			lint_passthrough(rj, &b->rules[j], env, out);
	}
	if (p->default_action == PB_ACTION_PASSTHROUGH) {
		env->stable_disks(names, sizeof(names));
		if (names[0])
			add(out,
			    "default passthrough: pinned pages that no rule bounces go through to %s, which need%s stable writes",
			    names, strchr(names, ',') ? "" : "s");
	}
}

const struct pb_lint_env pb_lint_sysfs = {
	.disk_of = pb_disk_of,
	.stable = pb_disk_stable,
	.stable_disks = pb_stable_disks,
};
