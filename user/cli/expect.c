// SPDX-License-Identifier: GPL-2.0
/* Expectations on a command's figures: see expect.h. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "expect.h"

static const char *const op_names[] = {
	[PB_OP_LT] = "<", [PB_OP_LE] = "<=", [PB_OP_GT] = ">", [PB_OP_GE] = ">=",
	[PB_OP_EQ] = "==", [PB_OP_NE] = "!=",
};

const char *pb_op_name(enum pb_op op)
{
	return op_names[op];
}

int pb_expect_parse(const char *text, const struct pb_metric_names *names,
		    struct pb_expect *e)
{
	const char *p = text, *name;
	bool found = false;
	size_t len;
	char *end;

	e->text = text;
	while (*p == ' ')
		p++;
	name = p;
	while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')
		p++;
	len = p - name;
	for (unsigned int i = 0; i < names->n && !found; i++) {
		const char *m = names->name(i);

		if (strlen(m) == len && !strncmp(m, name, len)) {
			e->metric = i;
			found = true;
		}
	}
	if (!found) {
		p_err("--expect '%s': unknown metric '%.*s' (see '%s')", text, (int)len, name,
		      names->help);
		return -1;
	}
	while (*p == ' ')
		p++;
	/* two-character operators first: "<=" before "<" */
	for (size_t len_op = 2; len_op >= 1; len_op--) {
		for (unsigned int o = 0; o < ARRAY_SIZE(op_names); o++) {
			size_t n = strlen(op_names[o]);

			if (n == len_op && !strncmp(p, op_names[o], n)) {
				e->op = o;
				p += n;
				goto number;
			}
		}
	}
	p_err("--expect '%s': expected one of < <= > >= == != after '%.*s', found '%s'", text,
	      (int)len, name, p);
	return -1;
number:
	errno = 0;
	e->threshold = strtod(p, &end);
	while (end && *end == ' ')
		end++;
	if (errno || end == p || *end || !isfinite(e->threshold)) {
		p_err("--expect '%s': '%s' is not a number", text, p);
		return -1;
	}
	return 0;
}

bool pb_expect_holds(const struct pb_expect *e, double v)
{
	switch (e->op) {
	case PB_OP_LT: return v < e->threshold;
	case PB_OP_LE: return v <= e->threshold;
	case PB_OP_GT: return v > e->threshold;
	case PB_OP_GE: return v >= e->threshold;
	case PB_OP_EQ: return v == e->threshold;
	case PB_OP_NE: return v != e->threshold;
	}
	return false;
}
