/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Expectations on a command's figures, "METRIC OP NUMBER": trace's and
 * pins' --expect.
 */
#ifndef PB_EXPECT_H
#define PB_EXPECT_H

#include <stdbool.h>

enum pb_op { PB_OP_LT, PB_OP_LE, PB_OP_GT, PB_OP_GE, PB_OP_EQ, PB_OP_NE };

struct pb_expect {
	const char *text;
	unsigned int metric;	/* index into the command's metrics */
	enum pb_op op;
	double threshold;
};

/* The names of a command's metrics, and where its help lists them. */
struct pb_metric_names {
	unsigned int n;
	const char *(*name)(unsigned int i);
	const char *help;	/* e.g. "pinbounce trace help" */
};

/*
 * Parse @text, "METRIC OP NUMBER" (blanks optional around OP, OP one of
 * < <= > >= == !=), METRIC one of @names; -1 with the error printed.
 */
int pb_expect_parse(const char *text, const struct pb_metric_names *names,
		    struct pb_expect *e);
/* Whether value @v meets @e. */
bool pb_expect_holds(const struct pb_expect *e, double v);
/* "<", "<=", ... */
const char *pb_op_name(enum pb_op op);

#endif
