// SPDX-License-Identifier: GPL-2.0
/* Text from the machine, made safe to print: see text.h. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "text.h"

/* The length of the valid UTF-8 sequence at @s (RFC 3629), 0 if none. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;	/* a continuation byte, an overlong lead or above U+10FFFF */
	n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (s[0] == 0xe0)
		lo = 0xa0;	/* overlong */
	else if (s[0] == 0xed)
		hi = 0x9f;	/* surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90;	/* overlong */
	else if (s[0] == 0xf4)
		hi = 0x8f;	/* above U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;	/* the NUL at the end stops here too */
	return n;
}

/*
 * Whether the valid sequence of @len bytes at @s is to be escaped: a
 * control, a bidirectional formatting character, a backslash.
 */
static bool is_control(const unsigned char *s, size_t len, unsigned int flags)
{
	if (len == 1 && s[0] == '\\')
		return flags & PB_TEXT_BACKSLASH;
	if (!(flags & PB_TEXT_CONTROLS))
		return false;
	switch (len) {
	case 1:
		return s[0] < 0x20 || s[0] == 0x7f;
	case 2:		/* U+0080 to U+009F; U+061C */
		return (s[0] == 0xc2 && s[1] < 0xa0) || (s[0] == 0xd8 && s[1] == 0x9c);
	case 3:		/* U+200E, U+200F, U+202A to U+202E; U+2066 to U+2069 */
		return s[0] == 0xe2 &&
		       ((s[1] == 0x80 && (s[2] == 0x8e || s[2] == 0x8f ||
					  (s[2] >= 0xaa && s[2] <= 0xae))) ||
			(s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9));
	}
	return false;
}

size_t pb_text_escape(char *dst, size_t size, const char *src, unsigned int flags)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t n = 0;

	while (*s) {
		size_t len = utf8_len(s);
		bool esc = !len || is_control(s, len, flags);
		size_t in = len ? len : 1, out = esc ? 4 * in : in;

		if (n + out >= size)
			break;
		if (esc) {
			for (size_t i = 0; i < in; i++)
				snprintf(dst + n + 4 * i, 5, "\\x%02x", s[i]);
		} else {
			memcpy(dst + n, s, in);
		}
		n += out;
		s += in;
	}
	if (size)
		dst[n] = '\0';
	return n;
}

const char *pb_text(char *dst, size_t size, const char *src)
{
	pb_text_escape(dst, size, src, PB_TEXT_CONTROLS | PB_TEXT_BACKSLASH);
	return dst;
}
