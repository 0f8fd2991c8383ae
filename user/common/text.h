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
	/*
	 * escape the C0 and C1 controls, DEL and the bidirectional
	 * formatting characters too, not only invalid UTF-8
	 */
	PB_TEXT_CONTROLS = 1 << 0,
	/* and '\\' as \x5c: an escape then reads one way only */
	PB_TEXT_BACKSLASH = 1 << 1,
};

/*
 * @src in @dst as valid UTF-8: every byte that is not part of a valid
 * UTF-8 sequence (RFC 3629: no overlong form, no surrogate, nothing above
 * U+10FFFF) is written as the four characters \xHH, and with
 * PB_TEXT_CONTROLS so is every byte of a control character (U+0000 to
 * U+001F, U+007F, U+0080 to U+009F) and of a character that reorders what
 * follows it on the screen (U+061C, U+200E, U+200F, U+202A to U+202E,
 * U+2066 to U+2069): a terminal acts on none of it, and the escapes tell
 * the bytes to look for.  With PB_TEXT_BACKSLASH a backslash is \x5c, so
 * that a name holding the four characters "\x1b" is not shown as one
 * holding an escape.  Valid printable UTF-8 passes as it is.  Cut at a
 * character, never inside one or inside an escape, to fit @size; the
 * length written.  Without PB_TEXT_BACKSLASH, applied twice, it changes
 * nothing more.  A message escapes the names it holds itself, once.
 */
size_t pb_text_escape(char *dst, size_t size, const char *src, unsigned int flags);

/*
 * A name for a terminal, on one line:
 * pb_text_escape(PB_TEXT_CONTROLS | PB_TEXT_BACKSLASH); @dst.
 */
const char *pb_text(char *dst, size_t size, const char *src);

/* The size of a buffer that holds @len bytes escaped whole. */
#define PB_TEXT_SIZE(len)	(4 * (len) + 1)

#endif
