// SPDX-License-Identifier: GPL-2.0
/* Errors that repeat, each said at most once so often; see log_limit.h. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include "cli.h"
#include "log_limit.h"

/*
 * The kinds said lately.  A kind is a format string, not a text, so that
 * messages naming ever new things (an address, a pid) still add up to a
 * few kinds; past ARRAY_SIZE(seen) of them, the one said longest ago
 * makes room (and its count of held back is lost).
 */
static struct {
	const void *key;
	double last;		/* CLOCK_MONOTONIC when last said */
	unsigned long skipped;	/* held back since */
	char msg[256];		/* the last one held back */
} seen[32];
static double every;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void pb_log_limit(double secs)
{
	pthread_mutex_lock(&lock);
	every = secs;
	pthread_mutex_unlock(&lock);
}

bool pb_log_due(const void *key, const char *msg, unsigned long *skipped)
{
	double now = pb_clock(CLOCK_MONOTONIC);
	unsigned int i, old = 0;
	bool due = true;

	*skipped = 0;
	pthread_mutex_lock(&lock);
	if (every <= 0)
		goto out;
	for (i = 0; i < ARRAY_SIZE(seen) && seen[i].key != key; i++)
		if (seen[i].last < seen[old].last)
			old = i;
	if (i == ARRAY_SIZE(seen)) {
		i = old;
		seen[i].key = key;
		seen[i].last = now - every;
		seen[i].skipped = 0;
	}
	due = now - seen[i].last >= every;
	if (due) {
		*skipped = seen[i].skipped;
		seen[i].last = now;
		seen[i].skipped = 0;
	} else {
		seen[i].skipped++;
		snprintf(seen[i].msg, sizeof(seen[i].msg), "%s", msg);
	}
out:
	pthread_mutex_unlock(&lock);
	return due;
}

void pb_log_flush(void (*say)(const char *msg, unsigned long skipped))
{
	for (unsigned int i = 0; i < ARRAY_SIZE(seen); i++) {
		unsigned long n;
		char msg[sizeof(seen[0].msg)];

		pthread_mutex_lock(&lock);
		n = seen[i].skipped;
		snprintf(msg, sizeof(msg), "%s", seen[i].msg);
		seen[i].skipped = 0;
		pthread_mutex_unlock(&lock);
		if (n)
			say(msg, n);
	}
}
