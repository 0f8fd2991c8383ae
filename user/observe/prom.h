/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A writer of the Prometheus text exposition format (0.0.4): families with
 * their HELP and TYPE, label sets escaped, samples.
 */
#ifndef PINBOUNCE_PROM_H
#define PINBOUNCE_PROM_H

#include <stdbool.h>
#include <stdio.h>

/* A metric family: its HELP and TYPE go out before its first sample. */
struct family {
	const char *name;
	const char *type;
	const char *help;
};

struct out {
	FILE *f;
	const struct family *cur;
};

/* label="value" pairs, escaped, ready to go between braces. */
struct labels {
	char s[1024];
	size_t len;
	bool full;
};

/* Add name="value", escaped (and \\xHH for bytes that are not UTF-8). */
void prom_label(struct labels *l, const char *name, const char *value);
/* A count of nanoseconds in seconds, exactly: "68.719476736", "0.000001024". */
void prom_ns_secs(char *buf, size_t size, unsigned long long ns);
/* One sample of @fam (its HELP and TYPE first, if it is new here). */
void prom_sample(struct out *w, const struct family *fam, const char *suffix,
		 const struct labels *l, const char *value);
void prom_sample_u64(struct out *w, const struct family *fam, const struct labels *l,
		     unsigned long long v);
void prom_sample_f(struct out *w, const struct family *fam, const struct labels *l, double v);

#endif
