/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PINBOUNCE_RUN_H
#define PINBOUNCE_RUN_H

/*
 * Run argv[0] with its arguments and wait for it.  Returns its exit status,
 * 128 + the signal that killed it, 127 if it could not be run, or -1 (with
 * a message naming @who) if no process could be made.
 */
int run_command(const char *who, char *const argv[]);

#endif
