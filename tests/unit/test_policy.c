// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the policy language (user/policy/policy.c), with cmocka. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "lint.h"
#include "policy.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct pb_policy pol;
static struct pb_error err;

static int parse(const char *text)
{
	memset(&err, 0, sizeof(err));
	return pb_policy_parse(text, strlen(text), "test.policy", &pol, &err);
}

static const struct pb_rule *parse_one(const char *text)
{
	char msg[512];

	if (parse(text)) {
		pb_error_format(&err, msg, sizeof(msg));
		fail_msg("'%s' did not parse: %s", text, msg);
	}
	assert_int_equal(pol.nrules, 1);
	return &pol.rules[0];
}

static void test_empty_and_comments(void **state)
{
	(void)state;
	assert_int_equal(parse(""), 0);
	assert_int_equal(pol.nrules, 0);
	assert_int_equal(pol.default_action, PB_ACTION_DEFAULT);
	assert_int_equal(parse("# only a comment\n\n   \t\n  # indented\n"), 0);
	assert_int_equal(pol.nrules, 0);
}

static void test_default(void **state)
{
	(void)state;
	assert_int_equal(parse("default bounce\n"), 0);
	assert_int_equal(pol.default_action, PB_ACTION_BOUNCE);
	assert_int_equal(parse("default passthrough # trailing comment"), 0);
	assert_int_equal(pol.default_action, PB_ACTION_PASSTHROUGH);
	assert_int_equal(parse("default default\r\n"), 0);
	assert_int_equal(pol.default_action, PB_ACTION_DEFAULT);
}

#define PATHS_RULE \
	"rule p dev /dev/sdb1,/dev/disk/by-path/pci-0000:00:1f.2-ata-1,/dev/mapper/vg-lv action bounce"

static void test_dev(void **state)
{
	const struct pb_rule *r;

	(void)state;
	r = parse_one("rule pi dev sdb,sdc1,8:32,cciss!c0d0 action bounce");
	assert_int_equal(r->match, PB_MATCH_DEV);
	assert_string_equal(r->name, "pi");
	assert_int_equal(r->ndevs, 4);
	assert_string_equal(r->devs[0].name, "sdb");
	assert_string_equal(r->devs[1].name, "sdc1");
	assert_string_equal(r->devs[2].name, "");
	assert_int_equal(r->devs[2].major, 8);
	assert_int_equal(r->devs[2].minor, 32);
	assert_string_equal(r->devs[3].name, "cciss!c0d0");
	assert_int_equal(r->action, PB_ACTION_BOUNCE);
	/* paths, resolved at load: colons are theirs, not MAJOR:MINOR */
	r = parse_one(PATHS_RULE);
	assert_int_equal(r->ndevs, 3);
	assert_string_equal(r->devs[0].name, "/dev/sdb1");
	assert_string_equal(r->devs[1].name, "/dev/disk/by-path/pci-0000:00:1f.2-ata-1");
	assert_int_equal(r->devs[1].major, 0);
	assert_string_equal(r->devs[2].name, "/dev/mapper/vg-lv");
}

static void test_cgroup(void **state)
{
	const struct pb_rule *r;

	(void)state;
	r = parse_one("rule s cgroup /scratch/jobs/ action passthrough");
	assert_int_equal(r->match, PB_MATCH_CGROUP);
	assert_string_equal(r->cgroup, "/scratch/jobs");
	r = parse_one("rule root cgroup / action default");
	assert_string_equal(r->cgroup, "/");
	r = parse_one("rule dots cgroup /a.b/..c/...d action default");
	assert_string_equal(r->cgroup, "/a.b/..c/...d");
}

static void test_flags(void **state)
{
	const struct pb_rule *r;

	(void)state;
	r = parse_one("rule f flags sync,!fua,preflush,!meta action bounce");
	assert_int_equal(r->match, PB_MATCH_FLAGS);
	assert_int_equal(r->flags_set, PB_FLAG_SYNC | PB_FLAG_PREFLUSH);
	assert_int_equal(r->flags_clear, PB_FLAG_FUA | PB_FLAG_META);
}

static void test_size_and_pinned(void **state)
{
	const struct pb_rule *r;

	(void)state;
	r = parse_one("rule s size 4k-1MiB pinned 2 action bounce");
	assert_int_equal(r->match, PB_MATCH_SIZE | PB_MATCH_PINNED);
	assert_int_equal(r->size_min, 4096);
	assert_int_equal(r->size_max, 1 << 20);
	assert_int_equal(r->pinned_min, 2);
	r = parse_one("rule s size 64K- action bounce");
	assert_int_equal(r->size_min, 65536);
	assert_true(r->size_max == UINT64_MAX);
	r = parse_one("rule s size -2g action bounce");
	assert_int_equal(r->size_min, 0);
	assert_true(r->size_max == 2ULL << 30);
	r = parse_one("rule s size 512B-512 action bounce");
	assert_int_equal(r->size_min, 512);
	assert_int_equal(r->size_max, 512);
}

static void test_rate(void **state)
{
	const struct pb_rule *r;

	(void)state;
	r = parse_one("rule r action bounce rate 200MiB/s burst 32m then default");
	assert_true(r->rate == 200ULL << 20);
	assert_true(r->burst == 32ULL << 20);
	assert_int_equal(r->over_action, PB_ACTION_DEFAULT);
	r = parse_one("rule r rate 1G/s action bounce");
	assert_true(r->burst == 1ULL << 30);
	assert_int_equal(r->over_action, PB_ACTION_PASSTHROUGH);
}

/* Fractions of a unit, and SI units (powers of 1000) beside binary ones. */
static void test_units(void **state)
{
	const struct pb_rule *r;

	(void)state;
	r = parse_one("rule r action bounce rate 1.5GiB/s burst 0.25MiB");
	assert_true(r->rate == 3ULL << 29);
	assert_true(r->burst == 1ULL << 18);
	r = parse_one("rule r action bounce rate 100MB/s burst 2.5kB");
	assert_true(r->rate == 100000000ULL);
	assert_true(r->burst == 2500);
	/* rounded down to a whole byte */
	r = parse_one("rule r action bounce rate 1.1k/s burst 0.123456789GB");
	assert_true(r->rate == 1126);
	assert_true(r->burst == 123456789);
	r = parse_one("rule s size 1.5k-1.000000001GB action bounce");
	assert_true(r->size_min == 1536);
	assert_true(r->size_max == 1000000001ULL);
	r = parse_one("rule r action bounce rate 1TiB/s burst 1TB");
	assert_true(r->rate == 1ULL << 40);
	assert_true(r->burst == 1000000000000ULL);
	/* what is refused */
	assert_int_equal(parse("rule r action bounce rate 1.5/s\n"), -1);
	assert_int_equal(parse("rule r action bounce rate 1.5B/s\n"), -1);
	assert_int_equal(parse("rule r action bounce rate .5MiB/s\n"), -1);
	assert_int_equal(parse("rule r action bounce rate 5.MiB/s\n"), -1);
	assert_int_equal(parse("rule r action bounce rate 1.0000000001MiB/s\n"), -1);
	assert_int_equal(parse("rule r action bounce rate 1.5.5MiB/s\n"), -1);
	assert_int_equal(parse("rule r action bounce rate 1KB/s\n"), -1);
	assert_int_equal(parse("rule r action bounce rate 1.1TiB/s\n"), -1);
	assert_string_equal(err.msg, "rate above 1TiB/s");
	assert_int_equal(parse("rule s size 2000000TiB- action bounce\n"), -1);
}

static void test_audit_and_order(void **state)
{
	(void)state;
	assert_int_equal(parse("default passthrough\n"
			       "rule a dev sdb action bounce audit\n"
			       "# between\n"
			       "rule b cgroup /x action passthrough\n"), 0);
	assert_int_equal(pol.nrules, 2);
	assert_string_equal(pol.rules[0].name, "a");
	assert_true(pol.rules[0].audit);
	assert_string_equal(pol.rules[1].name, "b");
	assert_false(pol.rules[1].audit);
}

static void test_words(void **state)
{
	static const char * const argv[] = {
		"pi", "dev", "sdb", "action", "bounce", "rate", "10m/s"
	};
	static const char * const bad[] = { "pi", "dev", "sdb", "action", "bonce" };
	struct pb_rule r;

	(void)state;
	assert_int_equal(pb_rule_parse_words(7, argv, &r, &err), 0);
	assert_string_equal(r.name, "pi");
	assert_true(r.rate == 10ULL << 20);
	assert_int_equal(pb_rule_parse_words(5, bad, &r, &err), -1);
	assert_string_equal(err.source, "command line");
	assert_int_equal(err.line, 1);
	assert_int_equal(err.col, 19);	/* "pi dev sdb action " is 18 bytes */
	assert_string_equal(err.msg,
			    "expected an action (bounce, passthrough or default), got 'bonce'");
}

static void test_add_del(void **state)
{
	struct pb_rule r = { .name = "x", .action = PB_ACTION_BOUNCE };

	(void)state;
	pb_policy_init(&pol);
	assert_int_equal(pb_policy_add(&pol, &r, &err), 0);
	assert_int_equal(pb_policy_add(&pol, &r, &err), -1);
	assert_string_equal(err.msg, "a rule named 'x' exists already");
	assert_int_equal(pb_policy_del(&pol, "nope"), -1);
	assert_int_equal(pb_policy_del(&pol, "x"), 0);
	assert_int_equal(pol.nrules, 0);
	for (int i = 0; i < PB_MAX_RULES; i++) {
		snprintf(r.name, sizeof(r.name), "r%d", i);
		assert_int_equal(pb_policy_add(&pol, &r, &err), 0);
	}
	assert_int_equal(pb_policy_add(&pol, &(struct pb_rule){ .name = "one-more" }, &err), -1);
	assert_string_equal(err.msg, "too many rules (at most 64)");
}

/* Formatting and parsing again gives the same policy. */
static void test_format_roundtrip(void **state)
{
	static const char text[] =
		"default passthrough\n"
		"rule a dev sdb,8:16 cgroup /x/y flags sync,!meta size 4KiB-1MiB pinned 3 action bounce rate 200MiB/s burst 32MiB then default audit\n"
		"rule b size 1kB- action passthrough\n"
		"rule d size 1500-3MB action bounce rate 100MB/s burst 1TiB then default\n"
		"rule c size 0-1GiB action default\n";
	struct pb_policy again;
	char buf[4096], buf2[4096];

	(void)state;
	assert_int_equal(parse(text), 0);
	assert_int_equal(pb_policy_format(&pol, buf, sizeof(buf)), 0);
	assert_string_equal(buf, text);
	assert_int_equal(pb_policy_parse(buf, strlen(buf), "again", &again, &err), 0);
	assert_memory_equal(&again, &pol, sizeof(pol));
	assert_int_equal(pb_policy_format(&again, buf2, sizeof(buf2)), 0);
	assert_string_equal(buf, buf2);
	assert_int_equal(pb_policy_format(&pol, buf, 20), -1);
}

/* A machine for the lint: sdb (8:16, stable writes) with sdb1, sdc (8:32). */
static __u32 fake_disk_of(__u32 dev)
{
	return dev == PB_MKDEV(8, 17) ? PB_MKDEV(8, 16) : dev;
}

static bool fake_stable(__u32 disk)
{
	return disk == PB_MKDEV(8, 16);
}

static void fake_stable_disks(char *buf, size_t size)
{
	snprintf(buf, size, "sdb");
}

static const struct pb_lint_env fake_env = {
	.disk_of = fake_disk_of,
	.stable = fake_stable,
	.stable_disks = fake_stable_disks,
};

/* Lint @text, its devices resolved as the fake machine has them. */
static struct pb_lint *lint(const char *text)
{
	static struct pb_bpf_policy b;
	static struct pb_lint out;

	if (parse(text))
		fail_msg("'%s' did not parse: %s", text, err.msg);
	memset(&b, 0, sizeof(b));
	for (unsigned int i = 0; i < pol.nrules; i++) {
		b.rules[i].ndevs = pol.rules[i].ndevs;
		for (unsigned int d = 0; d < pol.rules[i].ndevs; d++) {
			const char *n = pol.rules[i].devs[d].name;

			b.rules[i].devs[d] = !n[0] ? PB_MKDEV(pol.rules[i].devs[d].major,
							      pol.rules[i].devs[d].minor) :
					     !strcmp(n, "sdb") ? PB_MKDEV(8, 16) :
					     !strcmp(n, "sdb1") ? PB_MKDEV(8, 17) : PB_MKDEV(8, 32);
			b.rules[i].dev_whole[d] = strcmp(n, "sdb1") != 0;
		}
	}
	pb_policy_lint(&pol, &b, &fake_env, &out);
	return &out;
}

static void test_lint(void **state)
{
	struct pb_lint *l;

	(void)state;
	/* a disk covers its partitions; sizes and cgroups nest */
	l = lint("rule a dev sdb action bounce\nrule b dev sdb1 size 4k-8k action bounce\n");
	assert_int_equal(l->n, 1);
	assert_string_equal(l->msg[0],
			    "rule 'b' never matches: rule 'a' before it matches every bio it would");
	l = lint("rule a dev sdb1 action bounce\nrule b dev sdb action bounce\n");
	assert_int_equal(l->n, 0);
	l = lint("rule a size 4k-1m action bounce\nrule b size 8k-2m cgroup /x action bounce\n"
		 "rule c size 4k- action bounce\nrule d action bounce\n");
	assert_int_equal(l->n, 0);
	l = lint("rule a cgroup /x flags sync action bounce\n"
		 "rule b cgroup /x/y flags sync,!fua action bounce\n"
		 "rule c cgroup /xy flags sync action bounce\n");
	assert_int_equal(l->n, 1);
	assert_string_equal(l->msg[0],
			    "rule 'b' never matches: rule 'a' before it matches every bio it would");
	/* an audit rule decides nothing: it shadows nothing */
	l = lint("rule a action bounce audit\nrule b pinned 2 action bounce\n"
		 "rule c pinned 3 action bounce\n");
	assert_int_equal(l->n, 1);
	assert_string_equal(l->msg[0],
			    "rule 'c' never matches: rule 'b' before it matches every bio it would");
	/* pinned pages passed through to a disk with stable writes */
	l = lint("rule a dev sdc,sdb1 action passthrough\nrule b dev sdc action passthrough\n"
		 "rule c dev 8:48 action bounce rate 1MiB/s then passthrough\n");
	assert_int_equal(l->n, 2);
	assert_string_equal(l->msg[0],
			    "rule 'a' passes pinned pages through to sdb1, which needs stable writes: a page changed while it is written fails the write or is stored with a checksum that does not match");
	assert_string_equal(l->msg[1],
			    "rule 'b' never matches: rule 'a' before it matches every bio it would");
	l = lint("rule a dev sdb action bounce rate 1MiB/s then passthrough\n"
		 "rule b cgroup /x action passthrough audit\ndefault passthrough\n");
	assert_int_equal(l->n, 2);
	assert_string_equal(l->msg[0],
			    "rule 'a' passes pinned pages through once over its rate to sdb, which needs stable writes: a page changed while it is written fails the write or is stored with a checksum that does not match");
	assert_string_equal(l->msg[1],
			    "default passthrough: pinned pages that no rule bounces go through to sdb, which needs stable writes");
	l = lint("rule a cgroup /x action passthrough\n");
	assert_int_equal(l->n, 1);
	assert_string_equal(l->msg[0],
			    "rule 'a' passes pinned pages through on every disk it matches, and sdb needs stable writes: a page changed while it is written fails the write or is stored with a checksum that does not match");
}

/* Every error: where it is reported and what it says. */
static const struct {
	const char *text;
	unsigned int line, col;
	const char *msg;
} errors[] = {
	{
		"bogus", 1, 1,
		"expected 'rule' or 'default', got 'bogus'"
	},
	{
		"default", 1, 8,
		"expected an action (bounce, passthrough or default), got the end of the line"
	},
	{
		"default bounce now", 1, 16,
		"expected the end of the line, got 'now'"
	},
	{
		"default bounce\ndefault bounce", 2, 1,
		"'default' given twice"
	},
	{
		"rule", 1, 5,
		"expected a rule name (a letter, then letters, digits, '-', '_' or '.', at most 31), got the end of the line"
	},
	{
		"rule 9x action bounce", 1, 6,
		"expected a rule name (a letter, then letters, digits, '-', '_' or '.', at most 31), got '9x'"
	},
	{
		"rule aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa action bounce", 1, 6,
		"expected a rule name (a letter, then letters, digits, '-', '_' or '.', at most 31), got 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'"
	},
	{
		"rule a", 1, 7,
		"rule 'a' has no 'action' clause"
	},
	{
		"rule a dev sdb", 1, 15,
		"rule 'a' has no 'action' clause"
	},
	{
		"rule a action", 1, 14,
		"expected an action (bounce, passthrough or default), got the end of the line"
	},
	{
		"rule a action bonce", 1, 15,
		"expected an action (bounce, passthrough or default), got 'bonce'"
	},
	{
		"rule a action bounce action bounce", 1, 22,
		"'action' given twice in one rule"
	},
	{
		"rule a frob 1 action bounce", 1, 8,
		"expected a clause (dev, cgroup, flags, size, pinned, action, rate, burst, then or audit), got 'frob'"
	},
	{
		"rule a dev", 1, 11,
		"expected a device (sdb, sdb1 or 8:16), got the end of the line"
	},
	{
		"rule a dev 8: action bounce", 1, 12,
		"expected a device as MAJOR:MINOR (at most 4095:1048575), got '8:'"
	},
	{
		"rule a dev 4096:0 action bounce", 1, 12,
		"expected a device as MAJOR:MINOR (at most 4095:1048575), got '4096:0'"
	},
	{
		"rule a dev sdb,,sdc action bounce", 1, 12,
		"expected a device name such as sdb or sdb1, a path such as /dev/disk/by-id/NAME, or MAJOR:MINOR, got ''"
	},
	{
		"rule a dev 1sdb action bounce", 1, 12,
		"expected a device name such as sdb or sdb1, a path such as /dev/disk/by-id/NAME, or MAJOR:MINOR, got '1sdb'"
	},
	{
		"rule a dev sdb,sdb action bounce", 1, 12,
		"device 'sdb' listed twice"
	},
	{
		"rule a dev a,b,c,d,e,f,g,h,i action bounce", 1, 12,
		"too many devices in one rule (at most 8)"
	},
	{
		"rule a cgroup", 1, 14,
		"expected a cgroup path such as /scratch, got the end of the line"
	},
	{
		"rule a cgroup scratch action bounce", 1, 15,
		"expected a cgroup path starting with '/', got 'scratch'"
	},
	{
		"rule a cgroup /a//b action bounce", 1, 15,
		"cgroup path with an empty component"
	},
	{
		"rule a cgroup /a/../b action bounce", 1, 15,
		"cgroup path with a '.' or '..' component"
	},
	{
		"rule a cgroup /a/. action bounce", 1, 15,
		"cgroup path with a '.' or '..' component"
	},
	{
		"rule a flags", 1, 13,
		"expected operation flags (sync, fua, preflush, meta), got the end of the line"
	},
	{
		"rule a flags sync,read action bounce", 1, 14,
		"expected a flag (sync, fua, preflush or meta, ! to negate), got 'read'"
	},
	{
		"rule a flags sync,!sync action bounce", 1, 14,
		"flag 'sync' given twice"
	},
	{
		"rule a size 4k action bounce", 1, 13,
		"expected a size range such as 4k-1m, 64k- or -1m, got '4k'"
	},
	{
		"rule a size - action bounce", 1, 13,
		"expected a size range such as 4k-1m, 64k- or -1m, got '-'"
	},
	{
		"rule a size 4x-8k action bounce", 1, 13,
		"expected a size range such as 4k-1m, 64k- or -1m, got '4x-8k'"
	},
	{
		"rule a size 8k-4k action bounce", 1, 13,
		"size range ends before it starts"
	},
	{
		"rule a size 99999999999999999999- action bounce", 1, 13,
		"expected a size range such as 4k-1m, 64k- or -1m, got '99999999999999999999-'"
	},
	{
		"rule a pinned 0 action bounce", 1, 15,
		"expected a number of pinned pages from 1 to 65536, got '0'"
	},
	{
		"rule a pinned many action bounce", 1, 15,
		"expected a number of pinned pages from 1 to 65536, got 'many'"
	},
	{
		"rule a action bounce rate 200MiB", 1, 27,
		"expected a rate such as 200MiB/s, 1.5GiB/s or 100MB/s, got '200MiB'"
	},
	{
		"rule a action bounce rate 0/s", 1, 27,
		"expected a rate such as 200MiB/s, 1.5GiB/s or 100MB/s, got '0/s'"
	},
	{
		"rule a action bounce burst 1m", 1, 22,
		"'burst' needs a 'rate' clause in the same rule"
	},
	{
		"rule a action bounce then bounce", 1, 22,
		"'then' needs a 'rate' clause in the same rule"
	},
	{
		"rule a action bounce rate 2048GiB/s", 1, 27,
		"rate above 1TiB/s"
	},
	{
		"rule a action bounce rate 1m/s burst 2048G", 1, 38,
		"burst above 1TiB"
	},
	{
		"rule a action bounce rate 1m/s burst 0", 1, 38,
		"a burst of 0 bytes bounces nothing"
	},
	{
		"rule a action bounce rate 1m/s burst lots", 1, 38,
		"expected a burst size such as 32MiB, got 'lots'"
	},
	{
		"rule a action bounce rate 1m/s then maybe", 1, 37,
		"expected an action (bounce, passthrough or default), got 'maybe'"
	},
	{
		"rule a action passthrough rate 1m/s", 1, 36,
		"'rate' limits what a rule bounces: it needs 'action bounce'"
	},
	{
		"rule a action bounce audit audit", 1, 28,
		"'audit' given twice in one rule"
	},
	{
		"rule a action bounce\n# ok\nrule a action default", 3, 6,
		"a rule named 'a' exists already"
	},
	{
		"rule a action \x01 bounce", 1, 15,
		"expected an action (bounce, passthrough or default), got '?'"
	},
};

static void test_errors(void **state)
{
	char buf[512];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(errors); i++) {
		if (parse(errors[i].text) != -1)
			fail_msg("'%s' parsed, but should not", errors[i].text);
		if (err.line != errors[i].line || err.col != errors[i].col ||
		    strcmp(err.msg, errors[i].msg)) {
			pb_error_format(&err, buf, sizeof(buf));
			fail_msg("'%s':\n  expected %u:%u: %s\n  got      %s",
				 errors[i].text, errors[i].line, errors[i].col,
				 errors[i].msg, buf);
		}
		/* Nothing of a bad policy is kept. */
		assert_int_equal(pol.nrules, 0);
		assert_int_equal(pol.default_action, PB_ACTION_DEFAULT);
	}
}

static void test_error_format(void **state)
{
	char buf[512];

	(void)state;
	assert_int_equal(parse("rule a action bounce\nrule b action bonce\n"), -1);
	pb_error_format(&err, buf, sizeof(buf));
	assert_string_equal(buf,
			    "test.policy:2:15: expected an action (bounce, passthrough or default), got 'bonce'");
	assert_int_equal(pb_policy_parse("a\0b", 3, "bin", &pol, &err), -1);
	pb_error_format(&err, buf, sizeof(buf));
	assert_string_equal(buf, "bin: a NUL byte at offset 1: not a policy file");
}

static void test_too_many(void **state)
{
	char text[8192] = "";
	size_t off = 0;

	(void)state;
	for (int i = 0; i <= PB_MAX_RULES; i++)
		off += snprintf(text + off, sizeof(text) - off, "rule r%d action bounce\n", i);
	assert_int_equal(parse(text), -1);
	assert_int_equal(err.line, PB_MAX_RULES + 1);
	assert_string_equal(err.msg, "too many rules (at most 64)");

	memset(text, 0, sizeof(text));
	off = snprintf(text, sizeof(text), "rule a");
	for (int i = 0; i < 70; i++)
		off += snprintf(text + off, sizeof(text) - off, " audit");
	assert_int_equal(parse(text), -1);
	assert_string_equal(err.msg, "too many words on one line (at most 64)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_and_comments),
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_dev),
		cmocka_unit_test(test_cgroup),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_size_and_pinned),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_lint),
		cmocka_unit_test(test_audit_and_order),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_add_del),
		cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_format),
		cmocka_unit_test(test_too_many),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
