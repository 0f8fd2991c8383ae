/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Errors that repeat, each said at most once every so many seconds, with a
 * count of those held back: a long-running command (export) that meets
 * the same error at every scrape or connection must not fill the log.
 * Off until pb_log_limit() turns it on; safe from any thread.
 */
#ifndef PINBOUNCE_LOG_LIMIT_H
#define PINBOUNCE_LOG_LIMIT_H

#include <stdbool.h>

/* Each message at most once every @secs from now on; 0: every one. */
void pb_log_limit(double secs);
/*
 * Whether @msg, a message of kind @key (its format string, which stays),
 * is due; when it is, @skipped says how many of its kind were held back
 * since the last one said.
 */
bool pb_log_due(const void *key, const char *msg, unsigned long *skipped);
/* @say the last of each kind held back and how many were, and forget them. */
void pb_log_flush(void (*say)(const char *msg, unsigned long skipped));

#endif
