// SPDX-License-Identifier: GPL-2.0
/*
 * The policy language, parsed a line at a time:
 *
 *   # comment
 *   default ACTION
 *   rule NAME CLAUSE...
 *
 * with the clauses
 *
 *   dev DEV[,DEV...]         sdb (whole disk), sdb1 (partition), 8:16
 *   cgroup PATH              the bio's cgroup or one below it
 *   flags [!]FLAG[,...]      sync, fua, preflush, meta; ! for must be clear
 *   size MIN-MAX             either side may be left out; k, m, g suffixes
 *   pinned N                 at least N pinned pages
 *   action ACTION            bounce, passthrough or default (required)
 *   rate SIZE/s              bounce at most this much; then
 *   burst SIZE               up to this much at once (default: one second)
 *   then ACTION              what to do over budget (default: passthrough)
 *   audit                    count what the rule would do, change nothing
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "policy.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define MAX_WORDS	64

struct word {
	const char *s;
	size_t len;
	unsigned int col;
};

struct line {
	const char *source;
	unsigned int lineno;
	struct word w[MAX_WORDS];
	unsigned int n;
	struct pb_error *err;
};

static const char * const action_names[] = {
	[PB_ACTION_DEFAULT] = "default",
	[PB_ACTION_BOUNCE] = "bounce",
	[PB_ACTION_PASSTHROUGH] = "passthrough",
};

static const struct {
	const char *name;
	unsigned int flag;
} flag_names[] = {
	{ "sync", PB_FLAG_SYNC },
	{ "fua", PB_FLAG_FUA },
	{ "preflush", PB_FLAG_PREFLUSH },
	{ "meta", PB_FLAG_META },
};

const char *pb_action_name(enum pb_action a)
{
	if ((unsigned int)a < ARRAY_SIZE(action_names))
		return action_names[a];
	return "?";
}

static void set_error(struct pb_error *err, const char *source,
		      unsigned int line, unsigned int col, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	snprintf(err->source, sizeof(err->source), "%s", source);
	err->line = line;
	err->col = col;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void pb_error_format(const struct pb_error *err, char *buf, size_t size)
{
	if (err->line)
		snprintf(buf, size, "%s:%u:%u: %s", err->source, err->line,
			 err->col, err->msg);
	else
		snprintf(buf, size, "%s: %s", err->source, err->msg);
}

/* An error about word @i, or about the end of the line when it is missing. */
static int fail(struct line *l, unsigned int i, const char *fmt, ...)
{
	unsigned int col;
	char msg[200];
	va_list ap;

	if (i < l->n)
		col = l->w[i].col;
	else if (l->n)
		col = l->w[l->n - 1].col + l->w[l->n - 1].len;
	else
		col = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	set_error(l->err, l->source, l->lineno, col, "%s", msg);
	return -1;
}

/* The word as a printable, bounded string for messages. */
static const char *shown(const struct word *w, char *buf, size_t size)
{
	size_t n = w->len < size - 1 ? w->len : size - 1;

	for (size_t i = 0; i < n; i++)
		buf[i] = isprint((unsigned char)w->s[i]) ? w->s[i] : '?';
	buf[n] = '\0';
	return buf;
}

/* What was there instead: "got 'x'" or "got the end of the line". */
static int fail_expected(struct line *l, unsigned int i, const char *what)
{
	char buf[40];

	if (i >= l->n)
		return fail(l, i, "expected %s, got the end of the line", what);
	return fail(l, i, "expected %s, got '%s'", what,
		    shown(&l->w[i], buf, sizeof(buf)));
}

static bool is(const struct word *w, const char *s)
{
	return w->len == strlen(s) && !memcmp(w->s, s, w->len);
}

/* Split a line into words; '#' at the start of a word starts a comment. */
static int split(struct line *l, const char *s, size_t len)
{
	size_t i = 0;

	l->n = 0;
	while (i < len) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r') {
			i++;
			continue;
		}
		if (s[i] == '#')
			break;
		if (l->n == MAX_WORDS) {
			set_error(l->err, l->source, l->lineno, i + 1,
				  "too many words on one line (at most %d)",
				  MAX_WORDS);
			return -1;
		}
		l->w[l->n].s = s + i;
		l->w[l->n].col = i + 1;
		while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			i++;
		l->w[l->n].len = s + i - l->w[l->n].s;
		l->n++;
	}
	return 0;
}

static int parse_action(struct line *l, unsigned int i, enum pb_action *a)
{
	for (unsigned int k = 0; k < ARRAY_SIZE(action_names); k++) {
		if (i < l->n && is(&l->w[i], action_names[k])) {
			*a = k;
			return 0;
		}
	}
	return fail_expected(l, i, "an action (bounce, passthrough or default)");
}

/* A decimal number of at most 19 digits from s[0..len). */
static int parse_u64(const char *s, size_t len, uint64_t *v)
{
	uint64_t n = 0;

	if (!len || len > 19)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	*v = n;
	return 0;
}

/* Sizes and rates above this are refused: far past any disk's rate. */
#define SIZE_MAX_BYTES	(1024ULL * 1024 * 1024 * 1024 * 1024 * 1024)	/* 1 EiB */

/*
 * A size: a number, whole or with up to 9 decimals, and a unit: binary
 * KiB/MiB/GiB/TiB (also k/m/g/t, either case), SI kB/MB/GB/TB (powers of
 * 1000, as disks and networks are sold), or B and none for bytes.  A
 * fraction is rounded down to a whole byte; a fraction of a byte is
 * refused.
 */
static int parse_size_str(const char *s, size_t len, uint64_t *v)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {
		{ "KiB", 1ULL << 10 }, { "MiB", 1ULL << 20 }, { "GiB", 1ULL << 30 },
		{ "TiB", 1ULL << 40 },
		{ "kB", 1000ULL }, { "MB", 1000000ULL }, { "GB", 1000000000ULL },
		{ "TB", 1000000000000ULL },
		{ "k", 1ULL << 10 }, { "K", 1ULL << 10 }, { "m", 1ULL << 20 }, { "M", 1ULL << 20 },
		{ "g", 1ULL << 30 }, { "G", 1ULL << 30 }, { "t", 1ULL << 40 }, { "T", 1ULL << 40 },
		{ "B", 1 },
	};
	uint64_t mult = 1, whole, frac = 0, scale = 1;
	size_t digits = len, dot;
	__uint128_t bytes;

	for (unsigned int k = 0; k < ARRAY_SIZE(units); k++) {
		size_t sl = strlen(units[k].suffix);

		if (len > sl && !memcmp(s + len - sl, units[k].suffix, sl)) {
			mult = units[k].mult;
			digits = len - sl;
			break;
		}
	}
	dot = digits;
	for (size_t i = 0; i < digits; i++)
		if (s[i] == '.')
			dot = i;
	if (parse_u64(s, dot, &whole))
		return -1;
	if (dot < digits) {
		size_t n = digits - dot - 1;

		if (mult == 1 || n > 9 || parse_u64(s + dot + 1, n, &frac))
			return -1;
		while (n--)
			scale *= 10;
	}
	bytes = (__uint128_t)whole * mult + (__uint128_t)frac * mult / scale;
	if (bytes > SIZE_MAX_BYTES)
		return -1;
	*v = (uint64_t)bytes;
	return 0;
}

static int parse_size(struct line *l, unsigned int i, uint64_t *v, const char *what)
{
	if (i >= l->n || parse_size_str(l->w[i].s, l->w[i].len, v))
		return fail_expected(l, i, what);
	return 0;
}

static bool valid_devname(const char *s, size_t len)
{
	if (len && len < PB_DEVNAME_MAX && s[0] == '/') {
		/* a path: resolved when the policy is loaded */
		for (size_t i = 0; i < len; i++)
			if (!isgraph((unsigned char)s[i]))
				return false;
		return true;
	}
	if (!len || len >= PB_DEVNAME_MAX || !isalpha((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' &&
		    s[i] != '!')
			return false;
	return true;
}

static int parse_dev(struct line *l, unsigned int i, const char *s, size_t len,
		     struct pb_dev_spec *d)
{
	const char *colon = len && s[0] != '/' ? memchr(s, ':', len) : NULL;
	uint64_t maj, min;

	memset(d, 0, sizeof(*d));
	if (colon) {
		if (parse_u64(s, colon - s, &maj) ||
		    parse_u64(colon + 1, s + len - colon - 1, &min) ||
		    maj > 4095 || min > 1048575)
			return fail(l, i,
				    "expected a device as MAJOR:MINOR (at most 4095:1048575), got '%.*s'",
				    (int)(len > 30 ? 30 : len), s);
		d->major = maj;
		d->minor = min;
		return 0;
	}
	if (!valid_devname(s, len))
		return fail(l, i,
			    "expected a device name such as sdb or sdb1, a path such as /dev/disk/by-id/NAME, or MAJOR:MINOR, got '%.*s'",
			    (int)(len > 30 ? 30 : len), s);
	memcpy(d->name, s, len);
	return 0;
}

typedef int item_fn(struct line *l, unsigned int i, const char *s, size_t len,
		    struct pb_rule *r);

/* Call @item for each comma-separated item of word @i, @what if none. */
static int parse_list(struct line *l, unsigned int i, const char *what,
		      item_fn *item, struct pb_rule *r)
{
	const char *s, *end, *comma;

	if (i >= l->n)
		return fail_expected(l, i, what);
	s = l->w[i].s;
	end = s + l->w[i].len;
	for (;;) {
		comma = memchr(s, ',', end - s);
		if (!comma)
			comma = end;
		if (item(l, i, s, comma - s, r))
			return -1;
		if (comma == end)
			return 0;
		s = comma + 1;
	}
}

static int dev_item(struct line *l, unsigned int i, const char *s, size_t len,
		    struct pb_rule *r)
{
	if (r->ndevs == PB_MAX_DEVS)
		return fail(l, i, "too many devices in one rule (at most %d)", PB_MAX_DEVS);
	if (parse_dev(l, i, s, len, &r->devs[r->ndevs]))
		return -1;
	for (unsigned int k = 0; k < r->ndevs; k++)
		if (!memcmp(&r->devs[k], &r->devs[r->ndevs], sizeof(r->devs[k])))
			return fail(l, i, "device '%.*s' listed twice", (int)len, s);
	r->ndevs++;
	return 0;
}

static int parse_cgroup(struct line *l, unsigned int i, struct pb_rule *r)
{
	const struct word *w;
	size_t len;

	if (i >= l->n)
		return fail_expected(l, i, "a cgroup path such as /scratch");
	w = &l->w[i];
	len = w->len;
	if (w->s[0] != '/')
		return fail_expected(l, i, "a cgroup path starting with '/'");
	while (len > 1 && w->s[len - 1] == '/')
		len--;
	if (len >= PB_PATH_MAX)
		return fail(l, i, "cgroup path longer than %d bytes", PB_PATH_MAX - 1);
	for (size_t k = 0; k < len; k++) {
		if (!isprint((unsigned char)w->s[k]))
			return fail(l, i, "cgroup path with an unprintable byte");
		if (w->s[k] == '/' && k + 1 < len && w->s[k + 1] == '/')
			return fail(l, i, "cgroup path with an empty component");
		if (w->s[k] == '/' && k + 2 <= len && w->s[k + 1] == '.' &&
		    (k + 2 == len || w->s[k + 2] == '/' ||
		     (w->s[k + 2] == '.' && (k + 3 == len || w->s[k + 3] == '/'))))
			return fail(l, i, "cgroup path with a '.' or '..' component");
	}
	memcpy(r->cgroup, w->s, len);
	r->cgroup[len] = '\0';
	return 0;
}

static int flag_item(struct line *l, unsigned int i, const char *s, size_t len,
		     struct pb_rule *r)
{
	bool neg = len && *s == '!';
	unsigned int flag = 0;

	if (neg) {
		s++;
		len--;
	}
	for (unsigned int k = 0; k < ARRAY_SIZE(flag_names); k++)
		if (len == strlen(flag_names[k].name) && !memcmp(s, flag_names[k].name, len))
			flag = flag_names[k].flag;
	if (!flag)
		return fail(l, i,
			    "expected a flag (sync, fua, preflush or meta, ! to negate), got '%.*s'",
			    (int)(len > 30 ? 30 : len), s);
	if ((r->flags_set | r->flags_clear) & flag)
		return fail(l, i, "flag '%.*s' given twice", (int)len, s);
	if (neg)
		r->flags_clear |= flag;
	else
		r->flags_set |= flag;
	return 0;
}

static int parse_range(struct line *l, unsigned int i, struct pb_rule *r)
{
	const char *s, *dash;
	size_t len;

	if (i >= l->n)
		return fail_expected(l, i, "a size range such as 4k-1m, 64k- or -1m");
	s = l->w[i].s;
	len = l->w[i].len;
	dash = memchr(s, '-', len);
	if (!dash || len == 1)
		return fail_expected(l, i, "a size range such as 4k-1m, 64k- or -1m");
	r->size_min = 0;
	r->size_max = UINT64_MAX;
	if ((dash > s && parse_size_str(s, dash - s, &r->size_min)) ||
	    (dash + 1 < s + len &&
	     parse_size_str(dash + 1, s + len - dash - 1, &r->size_max)))
		return fail_expected(l, i, "a size range such as 4k-1m, 64k- or -1m");
	if (r->size_min > r->size_max)
		return fail(l, i, "size range ends before it starts");
	return 0;
}

static int parse_rate(struct line *l, unsigned int i, struct pb_rule *r)
{
	const struct word *w = i < l->n ? &l->w[i] : NULL;

	if (!w || w->len < 3 || memcmp(w->s + w->len - 2, "/s", 2) ||
	    parse_size_str(w->s, w->len - 2, &r->rate) || !r->rate)
		return fail_expected(l, i, "a rate such as 200MiB/s, 1.5GiB/s or 100MB/s");
	if (r->rate > PB_RATE_MAX)
		return fail(l, i, "rate above 1TiB/s");
	return 0;
}

static bool valid_name(const struct word *w)
{
	if (!w->len || w->len >= PB_NAME_MAX || !isalpha((unsigned char)w->s[0]))
		return false;
	for (size_t i = 0; i < w->len; i++)
		if (!isalnum((unsigned char)w->s[i]) && w->s[i] != '-' &&
		    w->s[i] != '_' && w->s[i] != '.')
			return false;
	return true;
}

/* Parse the words of a rule from word @i on (the rule's name). */
static int parse_rule(struct line *l, unsigned int i, struct pb_rule *r)
{
	unsigned int seen = 0, burst_at = 0, then_at = 0;
	bool has_action = false;

	enum {
		SEEN_DEV = 1, SEEN_CGROUP = 2, SEEN_FLAGS = 4, SEEN_SIZE = 8,
		SEEN_PINNED = 16, SEEN_ACTION = 32, SEEN_RATE = 64,
		SEEN_BURST = 128, SEEN_THEN = 256, SEEN_AUDIT = 512,
	};
	static const struct {
		const char *kw;
		unsigned int bit;
	} clauses[] = {
		{ "dev", SEEN_DEV }, { "cgroup", SEEN_CGROUP },
		{ "flags", SEEN_FLAGS }, { "size", SEEN_SIZE },
		{ "pinned", SEEN_PINNED }, { "action", SEEN_ACTION },
		{ "rate", SEEN_RATE }, { "burst", SEEN_BURST },
		{ "then", SEEN_THEN }, { "audit", SEEN_AUDIT },
	};

	memset(r, 0, sizeof(*r));
	r->over_action = PB_ACTION_PASSTHROUGH;
	if (i >= l->n || !valid_name(&l->w[i]))
		return fail_expected(l, i,
			    "a rule name (a letter, then letters, digits, '-', '_' or '.', at most 31)");
	memcpy(r->name, l->w[i].s, l->w[i].len);
	i++;

	while (i < l->n) {
		const struct word *w = &l->w[i];
		unsigned int bit = 0, at = i;
		char buf[40];
		uint64_t n;
		int ret = 0;

		for (unsigned int k = 0; k < ARRAY_SIZE(clauses); k++)
			if (is(w, clauses[k].kw))
				bit = clauses[k].bit;
		if (!bit)
			return fail(l, i,
				    "expected a clause (dev, cgroup, flags, size, pinned, action, rate, burst, then or audit), got '%s'",
				    shown(w, buf, sizeof(buf)));
		if (seen & bit)
			return fail(l, i,
				    "'%s' given twice in one rule", shown(w, buf, sizeof(buf)));
		seen |= bit;
		i++;
		switch (bit) {
		case SEEN_DEV:
			ret = parse_list(l, i++, "a device (sdb, sdb1 or 8:16)", dev_item, r);
			r->match |= PB_MATCH_DEV;
			break;
		case SEEN_CGROUP:
			ret = parse_cgroup(l, i++, r);
			r->match |= PB_MATCH_CGROUP;
			break;
		case SEEN_FLAGS:
			ret = parse_list(l, i++, "operation flags (sync, fua, preflush, meta)",
					 flag_item, r);
			r->match |= PB_MATCH_FLAGS;
			break;
		case SEEN_SIZE:
			ret = parse_range(l, i++, r);
			r->match |= PB_MATCH_SIZE;
			break;
		case SEEN_PINNED:
			if (i >= l->n || parse_u64(l->w[i].s, l->w[i].len, &n) ||
			    n < 1 || n > 65536)
				return fail_expected(l, i,
					    "a number of pinned pages from 1 to 65536");
			r->pinned_min = n;
			r->match |= PB_MATCH_PINNED;
			i++;
			break;
		case SEEN_ACTION:
			ret = parse_action(l, i++, &r->action);
			has_action = true;
			break;
		case SEEN_RATE:
			ret = parse_rate(l, i++, r);
			break;
		case SEEN_BURST:
			ret = parse_size(l, i++, &r->burst, "a burst size such as 32MiB");
			if (!ret && !r->burst)
				return fail(l, i - 1, "a burst of 0 bytes bounces nothing");
			if (!ret && r->burst > PB_RATE_MAX)
				return fail(l, i - 1, "burst above 1TiB");
			burst_at = at;
			break;
		case SEEN_THEN:
			ret = parse_action(l, i++, &r->over_action);
			then_at = at;
			break;
		case SEEN_AUDIT:
			r->audit = true;
			break;
		}
		if (ret)
			return ret;
	}
	if (!has_action)
		return fail(l, l->n, "rule '%s' has no 'action' clause", r->name);
	if ((burst_at || then_at) && !r->rate)
		return fail(l, burst_at ? burst_at : then_at,
			    "'%s' needs a 'rate' clause in the same rule",
			    burst_at ? "burst" : "then");
	if (r->rate && r->action != PB_ACTION_BOUNCE)
		return fail(l, l->n, "'rate' limits what a rule bounces: it needs 'action bounce'");
	if (r->rate && !r->burst)
		r->burst = r->rate;
	return 0;
}

void pb_policy_init(struct pb_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->default_action = PB_ACTION_DEFAULT;
}

int pb_policy_add(struct pb_policy *p, const struct pb_rule *r,
		  struct pb_error *err)
{
	for (unsigned int i = 0; i < p->nrules; i++) {
		if (!strcmp(p->rules[i].name, r->name)) {
			set_error(err, "policy", 0, 0, "a rule named '%s' exists already",
				  r->name);
			return -1;
		}
	}
	if (p->nrules == PB_MAX_RULES) {
		set_error(err, "policy", 0, 0, "too many rules (at most %d)",
			  PB_MAX_RULES);
		return -1;
	}
	p->rules[p->nrules++] = *r;
	return 0;
}

int pb_policy_del(struct pb_policy *p, const char *name)
{
	for (unsigned int i = 0; i < p->nrules; i++) {
		if (!strcmp(p->rules[i].name, name)) {
			memmove(&p->rules[i], &p->rules[i + 1],
				(p->nrules - i - 1) * sizeof(p->rules[0]));
			p->nrules--;
			return 0;
		}
	}
	return -1;
}

static int parse_line(struct line *l, struct pb_policy *p, bool *seen_default)
{
	struct pb_rule r;
	struct pb_error dup;

	if (!l->n)
		return 0;
	if (is(&l->w[0], "default")) {
		if (*seen_default)
			return fail(l, 0, "'default' given twice");
		*seen_default = true;
		if (parse_action(l, 1, &p->default_action))
			return -1;
		if (l->n > 2)
			return fail_expected(l, 2, "the end of the line");
		return 0;
	}
	if (!is(&l->w[0], "rule"))
		return fail_expected(l, 0, "'rule' or 'default'");
	if (parse_rule(l, 1, &r))
		return -1;
	if (pb_policy_add(p, &r, &dup))
		return fail(l, 1, "%s", dup.msg);
	return 0;
}

int pb_policy_parse(const char *text, size_t len, const char *source,
		    struct pb_policy *p, struct pb_error *err)
{
	struct line l = { .source = source, .err = err };
	bool seen_default = false;
	const char *s = text, *end = text + len, *nl;

	pb_policy_init(p);
	if (memchr(text, '\0', len)) {
		size_t at = (const char *)memchr(text, '\0', len) - text;

		set_error(err, source, 0, 0, "a NUL byte at offset %zu: not a policy file", at);
		return -1;
	}
	while (s < end) {
		nl = memchr(s, '\n', end - s);
		if (!nl)
			nl = end;
		l.lineno++;
		if (split(&l, s, nl - s) || parse_line(&l, p, &seen_default)) {
			pb_policy_init(p);
			return -1;
		}
		s = nl + 1;
	}
	return 0;
}

int pb_rule_parse_words(int argc, const char *const *argv, struct pb_rule *r,
			struct pb_error *err)
{
	struct line l = { .source = "command line", .lineno = 1, .err = err };
	unsigned int col = 1;

	if (argc > MAX_WORDS) {
		set_error(err, l.source, 0, 0, "too many words in one rule (at most %d)",
			  MAX_WORDS);
		return -1;
	}
	/* Columns count as if the words were joined by single spaces. */
	for (int i = 0; i < argc; i++) {
		l.w[i].s = argv[i];
		l.w[i].len = strlen(argv[i]);
		l.w[i].col = col;
		col += l.w[i].len + 1;
	}
	l.n = argc;
	return parse_rule(&l, 0, r);
}

/* Appends to buf like snprintf; *off may run past size (then nothing more is written). */
static void append(char *buf, size_t size, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(*off < size ? buf + *off : NULL, *off < size ? size - *off : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += n;
}

/* @v in the largest unit that divides it: binary first, else SI, else bytes. */
static void append_size(char *buf, size_t size, size_t *off, uint64_t v)
{
	static const char * const bin[] = { "", "KiB", "MiB", "GiB", "TiB" };
	static const char * const si[] = { "", "kB", "MB", "GB", "TB" };
	const char * const *units = bin;
	unsigned int u = 0;

	if (v && !(v & 1023)) {
		for (; u < 4 && !(v & 1023); u++)
			v >>= 10;
	} else if (v && !(v % 1000)) {
		units = si;
		for (; u < 4 && !(v % 1000); u++)
			v /= 1000;
	}
	append(buf, size, off, "%llu%s", (unsigned long long)v, units[u]);
}

static size_t format_rule(const struct pb_rule *r, char *buf, size_t size)
{
	size_t off = 0;

	append(buf, size, &off, "rule %s", r->name);
	if (r->match & PB_MATCH_DEV) {
		append(buf, size, &off, " dev ");
		for (unsigned int i = 0; i < r->ndevs; i++) {
			const struct pb_dev_spec *d = &r->devs[i];

			if (d->name[0])
				append(buf, size, &off, "%s%s", i ? "," : "", d->name);
			else
				append(buf, size, &off, "%s%u:%u", i ? "," : "",
				       d->major, d->minor);
		}
	}
	if (r->match & PB_MATCH_CGROUP)
		append(buf, size, &off, " cgroup %s", r->cgroup);
	if (r->match & PB_MATCH_FLAGS) {
		const char *sep = " flags ";

		for (unsigned int k = 0; k < ARRAY_SIZE(flag_names); k++) {
			if (r->flags_set & flag_names[k].flag)
				append(buf, size, &off, "%s%s", sep, flag_names[k].name);
			else if (r->flags_clear & flag_names[k].flag)
				append(buf, size, &off, "%s!%s", sep, flag_names[k].name);
			else
				continue;
			sep = ",";
		}
	}
	if (r->match & PB_MATCH_SIZE) {
		append(buf, size, &off, " size ");
		append_size(buf, size, &off, r->size_min);
		append(buf, size, &off, "-");
		if (r->size_max != UINT64_MAX)
			append_size(buf, size, &off, r->size_max);
	}
	if (r->match & PB_MATCH_PINNED)
		append(buf, size, &off, " pinned %u", r->pinned_min);
	append(buf, size, &off, " action %s", pb_action_name(r->action));
	if (r->rate) {
		append(buf, size, &off, " rate ");
		append_size(buf, size, &off, r->rate);
		append(buf, size, &off, "/s burst ");
		append_size(buf, size, &off, r->burst);
		append(buf, size, &off, " then %s", pb_action_name(r->over_action));
	}
	if (r->audit)
		append(buf, size, &off, " audit");
	return off;
}

void pb_dev_spec_name(const struct pb_dev_spec *d, char *buf, size_t size)
{
	if (d->name[0])
		snprintf(buf, size, "%s", d->name);
	else
		snprintf(buf, size, "%u:%u", d->major, d->minor);
}

int pb_rule_format(const struct pb_rule *r, char *buf, size_t size)
{
	return format_rule(r, buf, size) < size ? 0 : -1;
}

int pb_policy_format(const struct pb_policy *p, char *buf, size_t size)
{
	size_t off = 0;

	append(buf, size, &off, "default %s\n", pb_action_name(p->default_action));
	for (unsigned int i = 0; i < p->nrules; i++) {
		off += format_rule(&p->rules[i], off < size ? buf + off : NULL,
				   off < size ? size - off : 0);
		append(buf, size, &off, "\n");
	}
	return off < size ? 0 : -1;
}
