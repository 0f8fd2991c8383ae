/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Text from the machine (device, cgroup and file names, process names,
 * whatever a user wrote in a policy) is whatever bytes its makers chose.
 * Before it reaches a terminal, or a JSON or Prometheus document, it goes
 * through pb_text_escape().
 */
#ifndef PB_TEXT_H
#define PB_TEXT_H

#include <stddef.h>

enum {
	/* escape the C0 and C1 controls and DEL too, not only invalid UTF-8 */
	PB_TEXT_CONTROLS = 1 << 0,
	/* but let '\n' through: a message of several lines */
	PB_TEXT_LINES = 1 << 1,
};

/*
 * @src in @dst as valid UTF-8: every byte that is not part of a valid
 * UTF-8 sequence (RFC 3629: no overlong form, no surrogate, nothing above
 * U+10FFFF) is written as the four characters \xHH, and with
 * PB_TEXT_CONTROLS so is every byte of a control character (U+0000 to
 * U+001F, U+007F, U+0080 to U+009F): a terminal acts on none of it, and the
 * escapes tell the bytes to look for.  Valid printable UTF-8 passes as it
 * is.  Cut at a character, never inside one or inside an escape, to fit
 * @size; the length written.  Applied twice, it changes nothing more.
 */
size_t pb_text_escape(char *dst, size_t size, const char *src, unsigned int flags);

/* For a terminal, on one line: pb_text_escape(PB_TEXT_CONTROLS); @dst. */
const char *pb_text(char *dst, size_t size, const char *src);

/* The size of a buffer that holds @len bytes escaped whole. */
#define PB_TEXT_SIZE(len)	(4 * (len) + 1)

#endif
