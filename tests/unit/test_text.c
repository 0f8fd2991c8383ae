// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the escaping every command applies to the text it prints
 * (user/common/text.c), with cmocka: controls, bidirectional formatting
 * characters and invalid UTF-8 come out as \xHH, valid printable UTF-8 as
 * it went in, and a short buffer is cut between characters.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>
#include "text.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* @in escaped with @flags into a buffer of @size is @want, length and all. */
static void expect_escaped(const char *in, unsigned int flags, size_t size, const char *want)
{
	char out[256];
	size_t n;

	assert_true(size <= sizeof(out));
	memset(out, 'Z', sizeof(out));
	n = pb_text_escape(out, size, in, flags);
	if (strcmp(out, want) || n != strlen(want))
		fail_msg("'%s' (flags %u, size %zu): got '%s' (%zu), expected '%s'", in, flags,
			 size, out, n, want);
}

static void expect_terminal(const char *in, const char *want)
{
	expect_escaped(in, PB_TEXT_CONTROLS, 256, want);
}

/* C0 controls, DEL and the C1 controls (U+0080 to U+009F) are escaped. */
static void test_controls(void **state)
{
	(void)state;
	expect_terminal("a\x1b[31mb", "a\\x1b[31mb");
	expect_terminal("\x01\x07\x08\t\r\n", "\\x01\\x07\\x08\\x09\\x0d\\x0a");
	expect_terminal("x\x7fy", "x\\x7fy");
	/* CSI as one C1 character, U+009B, and the first and last C1 */
	expect_terminal("\xc2\x9b[2J", "\\xc2\\x9b[2J");
	expect_terminal("\xc2\x80|\xc2\x9f", "\\xc2\\x80|\\xc2\\x9f");
	/* U+00A0, the first character after them, passes */
	expect_terminal("\xc2\xa0", "\xc2\xa0");
}

/* Invalid UTF-8 is escaped byte by byte, whatever the flags. */
static void test_invalid_utf8(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "\xff", "\\xff" },
		{ "a\x80z", "a\\x80z" },			/* a lone continuation byte */
		{ "\xc0\xaf", "\\xc0\\xaf" },			/* overlong '/' */
		{ "\xe0\x80\xaf", "\\xe0\\x80\\xaf" },		/* overlong, 3 bytes */
		{ "\xed\xa0\x80", "\\xed\\xa0\\x80" },		/* a surrogate */
		{ "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80" },	/* above U+10FFFF */
		{ "\xe2\x82", "\\xe2\\x82" },			/* cut short at the end */
		{ "\xe2\x82!", "\\xe2\\x82!" },		/* cut short by ASCII */
		{ "\xc2", "\\xc2" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		expect_escaped(cases[i].in, 0, 256, cases[i].want);
		expect_escaped(cases[i].in, PB_TEXT_CONTROLS, 256, cases[i].want);
	}
}

/* Valid printable UTF-8 of every length passes untouched. */
static void test_printable_passes(void **state)
{
	static const char *const ok[] = {
		"sda", "/sys/fs/cgroup/user.slice/a b", "caf\xc3\xa9",	/* é */
		"\xe2\x82\xac 5", "\xe6\x97\xa5\xe6\x9c\xac",		/* €, 日本 */
		"\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf",		/* 😀, U+10FFFF */
		"back\\slash \\x41", "\xe2\x80\x8d", "\xe2\x80\xa8",	/* ZWJ, U+2028 */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		expect_terminal(ok[i], ok[i]);
}

/* Without PB_TEXT_CONTROLS (JSON, Prometheus), controls stay for their escaping. */
static void test_controls_kept_for_json(void **state)
{
	(void)state;
	expect_escaped("a\nb\x1b\xc2\x9b\xff", 0, 256, "a\nb\x1b\xc2\x9b\\xff");
}

/*
 * The characters that reorder the text after them on the screen (as in
 * "Trojan Source") are escaped; their neighbours pass.
 */
static void test_bidi(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "a\xe2\x80\xae!", "a\\xe2\\x80\\xae!" },		/* U+202E RLO */
		{ "\xe2\x80\xaa", "\\xe2\\x80\\xaa" },			/* U+202A LRE */
		/* LRI, PDI; LRM, RLM */
		{ "\xe2\x81\xa6|\xe2\x81\xa9", "\\xe2\\x81\\xa6|\\xe2\\x81\\xa9" },
		{ "\xe2\x80\x8e\xe2\x80\x8f", "\\xe2\\x80\\x8e\\xe2\\x80\\x8f" },
		{ "\xd8\x9c", "\\xd8\\x9c" },				/* U+061C ALM */
		{ "\xe2\x80\xa9\xe2\x80\xaf", "\xe2\x80\xa9\xe2\x80\xaf" },	/* U+2029, U+202F */
		{ "\xe2\x81\xa5\xe2\x81\xaa", "\xe2\x81\xa5\xe2\x81\xaa" },	/* U+2065, U+206A */
		{ "\xd8\x9b", "\xd8\x9b" },					/* U+061B */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		expect_terminal(cases[i].in, cases[i].want);
		expect_escaped(cases[i].in, 0, 256, cases[i].in);
	}
}

/*
 * A backslash in a name is \x5c for a terminal: a name holding the text
 * "\x1b" does not read as one holding an escape character.
 */
static void test_backslash(void **state)
{
	char out[64];

	(void)state;
	expect_escaped("a\\x1b", PB_TEXT_CONTROLS | PB_TEXT_BACKSLASH, 256, "a\\x5cx1b");
	expect_escaped("a\x1b", PB_TEXT_CONTROLS | PB_TEXT_BACKSLASH, 256, "a\\x1b");
	expect_escaped("\\", PB_TEXT_BACKSLASH, 256, "\\x5c");
	assert_string_equal(pb_text(out, sizeof(out), "x\\y\n"), "x\\x5cy\\x0a");
}

/* A short buffer ends between characters and escapes, never inside one. */
static void test_cut(void **state)
{
	(void)state;
	expect_escaped("ab\x1b", PB_TEXT_CONTROLS, 4, "ab");
	expect_escaped("ab\x1b", PB_TEXT_CONTROLS, 6, "ab");
	expect_escaped("ab\x1b", PB_TEXT_CONTROLS, 7, "ab\\x1b");
	expect_escaped("a\xc2\x9b", PB_TEXT_CONTROLS, 9, "a");
	expect_escaped("a\xe2\x82\xac", 0, 4, "a");
	expect_escaped("a\xe2\x82\xac", 0, 5, "a\xe2\x82\xac");
	expect_escaped("abc", 0, 1, "");
}

/* Without PB_TEXT_BACKSLASH, escaped text escaped again is the same. */
static void test_idempotent(void **state)
{
	const char *in = "\x1b]0;x\x07\xc2\x9b\xff\xe2\x82\xac\n";
	char once[256], twice[256];

	(void)state;
	pb_text_escape(once, sizeof(once), in, PB_TEXT_CONTROLS);
	pb_text_escape(twice, sizeof(twice), once, PB_TEXT_CONTROLS);
	assert_string_equal(once, twice);
	assert_string_equal(once, "\\x1b]0;x\\x07\\xc2\\x9b\\xff\xe2\x82\xac\\x0a");
	assert_ptr_equal(pb_text(twice, sizeof(twice), in), twice);
	assert_string_equal(twice, once);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_printable_passes),
		cmocka_unit_test(test_controls_kept_for_json),
		cmocka_unit_test(test_bidi),
		cmocka_unit_test(test_backslash),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_idempotent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
