// SPDX-License-Identifier: GPL-2.0
/* The Prometheus text exposition format (0.0.4); see prom.h. */
#include <stdio.h>
#include <string.h>
#include "prom.h"
#include "report.h"

void prom_label(struct labels *l, const char *name, const char *value)
{
	char clean[sizeof(l->s)], buf[sizeof(l->s)];
	size_t n = 0;

	pb_utf8_escape(clean, sizeof(clean), value);
	for (const char *p = clean; *p && n + 2 < sizeof(buf); p++) {
		if (*p == '\\' || *p == '"' || *p == '\n') {
			buf[n++] = '\\';
			buf[n++] = *p == '\n' ? 'n' : *p;
		} else {
			buf[n++] = *p;
		}
	}
	buf[n] = '\0';
	n = snprintf(l->s + l->len, sizeof(l->s) - l->len, "%s%s=\"%s\"", l->len ? "," : "",
		     name, buf);
	if (n >= sizeof(l->s) - l->len) {
		l->full = true;	/* never a half label: drop it */
		l->s[l->len] = '\0';
		return;
	}
	l->len += n;
}

/* A count of nanoseconds in seconds, exactly: "68.719476736", "0.000001024". */
void prom_ns_secs(char *buf, size_t size, unsigned long long ns)
{
	size_t n = snprintf(buf, size, "%llu.%09llu", ns / 1000000000ULL, ns % 1000000000ULL);

	while (n > 1 && n < size && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 1 && n < size && buf[n - 1] == '.')
		buf[--n] = '\0';
}

void prom_sample(struct out *w, const struct family *fam, const char *suffix,
		 const struct labels *l, const char *value)
{
	if (w->cur != fam) {
		fprintf(w->f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name,
			fam->type);
		w->cur = fam;
	}
	fprintf(w->f, "%s%s%s%s%s %s\n", fam->name, suffix, l && l->len ? "{" : "",
		l ? l->s : "", l && l->len ? "}" : "", value);
}

void prom_sample_u64(struct out *w, const struct family *fam, const struct labels *l,
		     unsigned long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", v);
	prom_sample(w, fam, "", l, buf);
}

void prom_sample_f(struct out *w, const struct family *fam, const struct labels *l, double v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.6f", v);	/* Unix times to the microsecond */
	prom_sample(w, fam, "", l, buf);
}
