// SPDX-License-Identifier: GPL-2.0
/* pinbounce policy {load|check|add|del|show|clear|help}. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cli.h"
#include "lint.h"
#include "text.h"

#define MAX_POLICY_FILE	(1024 * 1024)

/* Reading the kernel's BTF is slow: once per process, and not at all when
 * our program is attached to the hook already.
 */
static int need_hook(void)
{
	static int known;	/* 1 the hook is there, -1 it is not */

	if (!known)
		known = !access(PB_PIN_DIR "/link", F_OK) || kernel_has_hook() ? 1 : -1;
	if (known > 0)
		return 0;
	p_err("this kernel has no pinned-bounce hook (blk_pin_bounce_decide): it needs the series in kernel-patch/, see kernel-patch/README.md");
	return -1;
}

/* Read FILE, or standard input for "-", whole. */
static char *read_policy_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *buf;

	if (!f) {
		p_err("%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(MAX_POLICY_FILE + 1);
	if (!buf) {
		p_err("out of memory");
	} else {
		*len = fread(buf, 1, MAX_POLICY_FILE + 1, f);
		if (ferror(f) || *len > MAX_POLICY_FILE) {
			p_err("%s: %s", path, ferror(f) ? strerror(errno) : "larger than 1 MiB");
			free(buf);
			buf = NULL;
		}
	}
	if (f != stdin)
		fclose(f);
	return buf;
}

static int parse_file(const char *path, struct pb_policy *p)
{
	struct pb_error err;
	char msg[512];
	size_t len;
	char *text;
	int ret;

	text = read_policy_file(path, &len);
	if (!text)
		return -1;
	ret = pb_policy_parse(text, len, strcmp(path, "-") ? path : "<stdin>", p, &err);
	free(text);
	if (ret) {
		pb_error_format(&err, msg, sizeof(msg));
		p_err("%s", msg);
	}
	return ret;
}

/*
 * Resolve @p and make it the policy in force, under the lock; the rules it
 * keeps from @old (resolved as @old_b) keep what they resolved to.
 */
static int install(struct pb_state *st, const struct pb_policy *p,
		   const struct pb_policy *old, const struct pb_bpf_policy *old_b)
{
	struct pb_bpf_policy *b = malloc(sizeof(*b));
	int err;

	if (!b) {
		p_err("out of memory");
		return -1;
	}
	err = pb_policy_resolve(p, old, old_b, b);
	if (!err)
		err = state_install(st, b);
	if (!err) {
		if (json_output)
			json_print(json_pack("{s:I,s:i}", "generation", (json_int_t)b->generation,
					     "rules", (int)p->nrules));
		else
			p_info("policy generation %llu in force: %u rule%s, default %s",
			       (unsigned long long)b->generation, p->nrules,
			       p->nrules == 1 ? "" : "s", pb_action_name(p->default_action));
	}
	free(b);
	return err;
}

/* The policy in force, parsed back from the text stored with it. */
static int current_policy(const struct pb_state *st, struct pb_policy *p,
			  struct pb_bpf_policy *b)
{
	struct pb_error err;
	char msg[512];

	if (state_read_policy(st, b))
		return -1;
	if (pb_policy_parse(b->text, strnlen(b->text, sizeof(b->text)),
			    "policy in force", p, &err)) {
		pb_error_format(&err, msg, sizeof(msg));
		p_err("%s", msg);
		return -1;
	}
	return 0;
}

/*
 * Common frame of the commands that change the policy; callers check first
 * that they may (need_root, need_hook), before reading any input.  With
 * @keep, the rules the edit leaves alone are not resolved again and keep
 * their counters (add, del); without, the policy starts afresh (load).
 */
static int change(int (*edit)(struct pb_policy *p, void *arg), void *arg, bool keep)
{
	struct pb_bpf_policy *b = NULL;
	struct pb_policy *p = NULL, *old = NULL;
	struct pb_state st;
	int err = -1;

	p = malloc(sizeof(*p));
	old = malloc(sizeof(*old));
	b = malloc(sizeof(*b));
	if (!p || !old || !b) {
		p_err("out of memory");
		goto out;
	}
	if (state_open(&st, PB_STATE_CHANGE))
		goto out;
	if (!current_policy(&st, p, b)) {
		*old = *p;
		if (!edit(p, arg))
			err = keep ? install(&st, p, old, b) : install(&st, p, NULL, NULL);
	}
	state_close(&st);
out:
	free(p);
	free(old);
	free(b);
	return err ? PB_EXIT_ERROR : PB_EXIT_OK;
}

static int edit_replace(struct pb_policy *p, void *arg)
{
	*p = *(struct pb_policy *)arg;
	return 0;
}

static int edit_add(struct pb_policy *p, void *arg)
{
	struct pb_error err;

	if (pb_policy_add(p, arg, &err)) {
		p_err("%s", err.msg);
		return -1;
	}
	return 0;
}

static int edit_del(struct pb_policy *p, void *arg)
{
	if (pb_policy_del(p, arg)) {
		p_err("no rule named '%s' in the policy in force", (char *)arg);
		return -1;
	}
	return 0;
}

static int do_load(int argc, char **argv)
{
	struct pb_policy *p;
	int ret;

	if (argc != 1) {
		p_err("usage: pinbounce policy load FILE|-");
		return PB_EXIT_USAGE;
	}
	if (need_root(PB_ROOT_STATE) || need_hook())
		return PB_EXIT_ERROR;
	p = malloc(sizeof(*p));
	if (!p) {
		p_err("out of memory");
		return PB_EXIT_ERROR;
	}
	ret = parse_file(argv[0], p) ? PB_EXIT_ERROR : change(edit_replace, p, false);
	free(p);
	return ret;
}

/*
 * Everything load would check on this machine, short of the kernel: the
 * disks and cgroups the rules name must be here.  --syntax checks only
 * what does not depend on the machine, for a policy written elsewhere.
 */
static int do_check(int argc, char **argv)
{
	bool syntax = false, strict = false;
	struct pb_bpf_policy *b = NULL;
	struct pb_policy *p = NULL;
	struct pb_lint *lint = NULL;
	int ret = PB_EXIT_ERROR, err;
	json_t *warnings;

	for (; argc > 1 && argv[0][0] == '-' && argv[0][1]; argc--, argv++) {
		if (!strcmp(argv[0], "--syntax"))
			syntax = true;
		else if (!strcmp(argv[0], "--strict"))
			strict = true;
		else
			break;
	}
	if (argc != 1 || (syntax && strict)) {
		p_err("usage: pinbounce policy check [--syntax | --strict] FILE|-");
		return PB_EXIT_USAGE;
	}
	p = malloc(sizeof(*p));
	b = malloc(sizeof(*b));
	lint = calloc(1, sizeof(*lint));
	if (!p || !b || !lint) {
		p_err("out of memory");
		goto out;
	}
	if (parse_file(argv[0], p))
		goto out;
	if (syntax) {
		err = pb_policy_format(p, b->text, sizeof(b->text));
		if (err)
			p_err("the policy is longer than %d bytes once formatted", PB_TEXT_MAX);
	} else {
		err = pb_policy_resolve(p, NULL, NULL, b);
		if (!err)
			pb_policy_lint(p, b, &pb_lint_sysfs, lint);
	}
	if (err)
		goto out;
	warnings = json_array();
	for (unsigned int i = 0; i < lint->n; i++) {
		if (json_output)
			json_array_append_new(warnings, json_string(lint->msg[i]));
		else
			p_warn("%s: %s", argv[0], lint->msg[i]);
	}
	if (json_output)
		json_print(json_pack("{s:s,s:i,s:o}", "file", argv[0], "rules", (int)p->nrules,
				     "warnings", warnings));
	else
		json_decref(warnings);
	if (strict && lint->n) {
		p_err("%s: %u warning%s, and --strict", argv[0], lint->n, lint->n == 1 ? "" : "s");
		goto out;
	}
	if (!json_output)
		p_info("%s: %u rule%s, default %s%s", argv[0], p->nrules,
		       p->nrules == 1 ? "" : "s", pb_action_name(p->default_action),
		       lint->n ? " (with warnings)" : "");
	ret = PB_EXIT_OK;
out:
	free(p);
	free(b);
	free(lint);
	return ret;
}

static int do_add(int argc, char **argv)
{
	struct pb_error err;
	struct pb_rule r;
	char msg[512];

	if (argc < 1) {
		p_err("usage: pinbounce policy add NAME CLAUSE...");
		return PB_EXIT_USAGE;
	}
	if (need_root(PB_ROOT_STATE) || need_hook())
		return PB_EXIT_ERROR;
	if (pb_rule_parse_words(argc, (const char *const *)argv, &r, &err)) {
		pb_error_format(&err, msg, sizeof(msg));
		p_err("%s", msg);
		return PB_EXIT_ERROR;
	}
	return change(edit_add, &r, true);
}

static int do_del(int argc, char **argv)
{
	if (argc != 1) {
		p_err("usage: pinbounce policy del NAME");
		return PB_EXIT_USAGE;
	}
	if (need_root(PB_ROOT_STATE) || need_hook())
		return PB_EXIT_ERROR;
	return change(edit_del, argv[0], true);
}

static int edit_clear(struct pb_policy *p, void *arg)
{
	(void)arg;
	pb_policy_init(p);
	return 0;
}

static int do_clear(int argc, char **argv)
{
	(void)argv;
	if (argc) {
		p_err("usage: pinbounce policy clear");
		return PB_EXIT_USAGE;
	}
	if (need_root(PB_ROOT_STATE) || need_hook())
		return PB_EXIT_ERROR;
	return change(edit_clear, NULL, true);
}

/* Sum one slot's per-CPU counters, if they count from generation @gen. */
static int read_stats(int fd, __u32 slot, __u64 gen, struct pb_rule_stats *sum)
{
	int ncpus = libbpf_num_possible_cpus();
	struct pb_rule_stats *v;

	memset(sum, 0, sizeof(*sum));
	if (ncpus < 1)
		return -1;
	v = calloc(ncpus, sizeof(*v));
	if (!v || bpf_map_lookup_elem(fd, &slot, v)) {
		free(v);
		return -1;
	}
	for (int c = 0; c < ncpus; c++) {
		if (v[c].generation != gen)
			continue;
		for (int a = 0; a < 3; a++) {
			sum->hits[a] += v[c].hits[a];
			sum->audit_hits[a] += v[c].audit_hits[a];
		}
		sum->over_budget += v[c].over_budget;
	}
	free(v);
	return 0;
}

static json_t *json_counts(const __u64 *c)
{
	return json_pack("{s:I,s:I,s:I}", "bounce", (json_int_t)c[PB_ACTION_BOUNCE],
			 "passthrough", (json_int_t)c[PB_ACTION_PASSTHROUGH],
			 "default", (json_int_t)c[PB_ACTION_DEFAULT]);
}

static void print_counts(const char *label, const __u64 *c)
{
	printf("%s bounce=%llu passthrough=%llu default=%llu", label,
	       (unsigned long long)c[PB_ACTION_BOUNCE],
	       (unsigned long long)c[PB_ACTION_PASSTHROUGH],
	       (unsigned long long)c[PB_ACTION_DEFAULT]);
}

/* The rules of @p and their hits in @st, as generation @b->generation counts. */
static void view_fill(const struct pb_state *st, const struct pb_policy *p,
		      const struct pb_bpf_policy *b, struct pb_policy_view *v)
{
	memset(v, 0, sizeof(*v));
	v->attached = state_attached(st);
	v->generation = b->generation;
	v->nrules = p->nrules;
	for (unsigned int i = 0; i < p->nrules; i++) {
		snprintf(v->rules[i].name, sizeof(v->rules[i].name), "%s", p->rules[i].name);
		v->rules[i].audit = p->rules[i].audit;
		if (v->attached)
			read_stats(st->stats_fd, b->rules[i].slot, b->rules[i].since,
				   &v->rules[i].s);
	}
	if (v->attached)
		read_stats(st->stats_fd, PB_SLOT_DEFAULT, b->default_since, &v->unmatched);
}

int pb_policy_view_of(const struct pb_state *st, struct pb_policy_view *v)
{
	struct pb_bpf_policy *b = malloc(sizeof(*b));
	struct pb_policy *p = malloc(sizeof(*p));
	int err = -1;

	memset(v, 0, sizeof(*v));
	if (!b || !p) {
		p_err("out of memory");
	} else if (!current_policy(st, p, b)) {
		view_fill(st, p, b, v);
		err = 0;
	}
	free(b);
	free(p);
	return err;
}

int pb_policy_view_read(struct pb_policy_view *v)
{
	struct pb_state st = PB_STATE_INIT;
	int err = -1;

	memset(v, 0, sizeof(*v));
	if (!state_open(&st, PB_STATE_READ))
		err = pb_policy_view_of(&st, v);
	state_close(&st);
	return err;
}

/*
 * What the name resolves to now, against @dev, what it resolved to at
 * load: "" when the same, "gone" when it names nothing, else the new
 * MAJOR:MINOR.
 */
static void dev_now(const struct pb_dev_spec *d, __u32 dev, char *buf, size_t size)
{
	char why[PB_DEVNAME_MAX + 128];
	__u32 now;
	__u8 whole;

	if (pb_dev_spec_lookup(d, &now, &whole, why, sizeof(why)))
		snprintf(buf, size, "gone");
	else if (now != dev)
		snprintf(buf, size, "%u:%u", PB_MAJOR(now), PB_MINOR(now));
	else
		buf[0] = '\0';
}

/* What rule @r was resolved to at load, as @b holds it. */
static json_t *resolved_json(const struct pb_rule *r, const struct pb_bpf_rule *b)
{
	json_t *o = json_object(), *devs;

	if (r->match & PB_MATCH_DEV) {
		devs = json_array();
		for (unsigned int d = 0; d < b->ndevs && d < PB_MAX_DEVS; d++) {
			char name[PB_DEVNAME_MAX], num[32], now[32];

			pb_dev_spec_name(&r->devs[d], name, sizeof(name));
			snprintf(num, sizeof(num), "%u:%u", PB_MAJOR(b->devs[d]),
				 PB_MINOR(b->devs[d]));
			dev_now(&r->devs[d], b->devs[d], now, sizeof(now));
			json_array_append_new(devs, json_pack("{s:s,s:s,s:b,s:s?}", "written", name,
							      "dev", num,
							      "with_partitions", b->dev_whole[d],
							      "now", now[0] ? now : NULL));
		}
		json_object_set_new(o, "devices", devs);
	}
	if (r->match & PB_MATCH_CGROUP)
		json_object_set_new(o, "cgroup",
				    json_pack("{s:I,s:i,s:b}", "id", (json_int_t)b->cgroup_id,
					      "level", (int)b->cgroup_level,
					      "namespace", b->cgroup_levels > 1));
	return o;
}

static void print_resolved(const struct pb_rule *r, const struct pb_bpf_rule *b)
{
	const char *sep = "";

	if (!(r->match & (PB_MATCH_DEV | PB_MATCH_CGROUP)))
		return;
	printf("\t# resolved at load:");
	for (unsigned int d = 0; r->match & PB_MATCH_DEV && d < b->ndevs && d < PB_MAX_DEVS; d++) {
		char name[PB_DEVNAME_MAX], shown[PB_TEXT_SIZE(PB_DEVNAME_MAX)], now[32];

		pb_dev_spec_name(&r->devs[d], name, sizeof(name));
		dev_now(&r->devs[d], b->devs[d], now, sizeof(now));
		printf("%s %s=%u:%u%s", sep, pb_text(shown, sizeof(shown), name),
		       PB_MAJOR(b->devs[d]), PB_MINOR(b->devs[d]),
		       b->dev_whole[d] ? " and its partitions" : "");
		if (!strcmp(now, "gone"))
			printf(" (gone)");
		else if (now[0])
			printf(" (now %s: load the policy again)", now);
		sep = ",";
	}
	if (r->match & PB_MATCH_CGROUP)
		printf("%s cgroup id %llu at level %u%s", sep, (unsigned long long)b->cgroup_id,
		       b->cgroup_level,
		       b->cgroup_levels > 1 ? " (in a cgroup namespace: and below)" : "");
	putchar('\n');
}

static int do_show(int argc, char **argv)
{
	struct pb_policy_view *v = malloc(sizeof(*v));
	struct pb_bpf_policy *b = malloc(sizeof(*b));
	struct pb_policy *p = malloc(sizeof(*p));
	struct pb_state st = PB_STATE_INIT;
	int ret = PB_EXIT_ERROR;
	char line[1024], shown[PB_TEXT_SIZE(sizeof(line))];
	json_t *rules;

	(void)argv;
	if (argc) {
		p_err("usage: pinbounce policy show");
		ret = PB_EXIT_USAGE;
		goto out;
	}
	if (!b || !p || !v || need_root(PB_ROOT_STATE) || state_open(&st, PB_STATE_READ) ||
	    current_policy(&st, p, b))
		goto out;
	view_fill(&st, p, b, v);
	if (!json_output) {
		printf("# generation %llu%s\ndefault %s\n\t#", (unsigned long long)b->generation,
		       v->attached ? "" : " (nothing attached)",
		       pb_action_name(p->default_action));
		print_counts(" unmatched:", v->unmatched.hits);
		putchar('\n');
	}
	rules = json_array();
	for (unsigned int i = 0; i < p->nrules; i++) {
		const struct pb_rule_stats *s = &v->rules[i].s;
		const struct pb_rule *r = &p->rules[i];

		pb_rule_format(r, line, sizeof(line));
		if (json_output) {
			json_t *o = json_pack("{s:s,s:s,s:b,s:o,s:o,s:I,s:o}",
					      "name", r->name, "rule", line, "audit", r->audit,
					      "hits", json_counts(s->hits),
					      "audit_hits", json_counts(s->audit_hits),
					      "over_budget", (json_int_t)s->over_budget,
					      "resolved", resolved_json(r, &b->rules[i]));

			json_array_append_new(rules, o);
			continue;
		}
		printf("%s\n", pb_text(shown, sizeof(shown), line));
		print_resolved(r, &b->rules[i]);
		printf("\t#");
		print_counts(r->audit ? " would:" : "", r->audit ? s->audit_hits : s->hits);
		if (r->rate)
			printf(" over_budget=%llu", (unsigned long long)s->over_budget);
		putchar('\n');
	}
	if (json_output)
		json_print(json_pack("{s:I,s:s,s:o,s:o}",
				     "generation", (json_int_t)b->generation,
				     "default", pb_action_name(p->default_action),
				     "unmatched", json_counts(v->unmatched.hits), "rules", rules));
	else
		json_decref(rules);
	ret = PB_EXIT_OK;
out:
	state_close(&st);
	free(v);
	free(b);
	free(p);
	return ret;
}

int pb_policy_help(FILE *out)
{
	return pb_help_text(out,
		"Usage: pinbounce policy load FILE|-      replace the whole policy\n"
		"       pinbounce policy check [--syntax | --strict] FILE|-\n"
		"                                        refuse what load would refuse here (its\n"
		"                                        disks and cgroups must exist), without\n"
		"                                        touching the kernel, and warn of rules that\n"
		"                                        never match and of pinned pages passed\n"
		"                                        through to disks that need stable writes;\n"
		"                                        --strict: warnings fail; --syntax: the\n"
		"                                        grammar and the size only\n"
		"       pinbounce policy add NAME CLAUSE... append a rule\n"
		"       pinbounce policy del NAME         remove a rule\n"
		"       pinbounce policy show             the policy in force, with hit counts\n"
		"       pinbounce policy clear            no rules: the kernel decides\n"
		"\n"
		"A policy is 'default ACTION' and 'rule NAME CLAUSE...' lines; see pinbounce.policy(5).\n");
}

int do_policy(int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ .name = "load", .func = do_load, .usage = "pinbounce policy load FILE|-",
		  .arg_may_be_help = true },
		{ .name = "check", .func = do_check,
		  .usage = "pinbounce policy check [--syntax | --strict] FILE|-",
		  .arg_may_be_help = true },
		{ .name = "add", .func = do_add, .usage = "pinbounce policy add NAME CLAUSE...",
		  .arg_may_be_help = true },
		{ .name = "del", .func = do_del, .usage = "pinbounce policy del NAME",
		  .arg_may_be_help = true },
		{ .name = "show", .func = do_show, .usage = "pinbounce policy show" },
		{ .name = "clear", .func = do_clear, .usage = "pinbounce policy clear" },
		{},
	};

	return cmd_select(cmds, argc, argv, pb_policy_help);
}
