// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of a rule's rate limit (include/pb_rate.h, the code the policy
 * program runs), with cmocka: a simulated clock drives one bucket through
 * streams of decisions and the bytes it lets through are compared with
 * rate * time + burst.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "pinbounce.h"
#include "pb_rate.h"

#define NSEC_PER_SEC	1000000000ULL
#define START_NS	(1000 * NSEC_PER_SEC)

/*
 * Decisions of @bytes each, @gap_ns apart, for @seconds against a bucket of
 * @rate bytes/s and @burst bytes: the bytes let through.
 */
static __u64 stream(__u64 rate, __u64 burst, __u64 gap_ns, __u64 seconds, __s64 bytes)
{
	struct pb_rate_state st = { 0 };
	__u64 now, end = START_NS + seconds * NSEC_PER_SEC, allowed = 0;

	for (now = START_NS; now < end; now += gap_ns)
		if (pb_rate_take(&st, 1, now, rate, burst, bytes))
			allowed += bytes;
	return allowed;
}

/* Within 10% of what the rate and the burst allow, and never above it. */
static void assert_delivers(__u64 allowed, __u64 rate, __u64 burst, __u64 seconds)
{
	__u64 budget = rate * seconds + burst;

	if (allowed > budget || allowed < budget - budget / 10)
		fail_msg("let %llu bytes through, budget %llu (rate %llu/s, burst %llu, %llu s)",
			 (unsigned long long)allowed, (unsigned long long)budget,
			 (unsigned long long)rate, (unsigned long long)burst,
			 (unsigned long long)seconds);
}

/* Decisions less than a microsecond apart still earn tokens. */
static void test_dense_stream(void **state)
{
	(void)state;
	assert_delivers(stream(1 << 20, 64 << 10, 500, 10, 4096), 1 << 20, 64 << 10, 10);
	assert_delivers(stream(1 << 20, 64 << 10, 999, 10, 4096), 1 << 20, 64 << 10, 10);
}

/* Decisions a little over a microsecond apart lose no nanoseconds. */
static void test_odd_gap(void **state)
{
	(void)state;
	assert_delivers(stream(1 << 20, 4096, 1999, 10, 4096), 1 << 20, 4096, 10);
}

/* Rates below 1000 bytes/s earn something. */
static void test_slow_rates(void **state)
{
	(void)state;
	assert_delivers(stream(600, 100, 1000000, 100, 100), 600, 100, 100);
	assert_delivers(stream(1, 1, 1000000, 100, 1), 1, 1, 100);
}

/* The fastest rate the grammar takes neither overflows nor stalls. */
static void test_fastest_rate(void **state)
{
	__u64 max = 1ULL << 40;

	(void)state;
	assert_delivers(stream(max, max, 1000000, 10, 1ULL << 31), max, max, 10);
}

/* A bucket idle for longer than a refill counts starts full, not negative. */
static void test_long_idle(void **state)
{
	struct pb_rate_state st = { 0 };
	__u64 max = 1ULL << 40;

	(void)state;
	assert_true(pb_rate_take(&st, 1, START_NS, max, max, (__s64)max));
	assert_false(pb_rate_take(&st, 1, START_NS, max, max, 1));
	/* An hour later: 10 s earned at most, capped at the burst. */
	assert_true(pb_rate_take(&st, 1, START_NS + 3600 * NSEC_PER_SEC, max, max, (__s64)max));
	assert_int_equal(st.tokens, 0);
	assert_int_equal(st.last_ns, START_NS + 3600 * NSEC_PER_SEC);
}

/* A new policy generation starts the bucket full. */
static void test_generation(void **state)
{
	struct pb_rate_state st = { 0 };

	(void)state;
	assert_true(pb_rate_take(&st, 1, START_NS, 1000, 4096, 4096));
	assert_false(pb_rate_take(&st, 1, START_NS + 1000, 1000, 4096, 4096));
	assert_true(pb_rate_take(&st, 2, START_NS + 2000, 1000, 4096, 4096));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dense_stream),
		cmocka_unit_test(test_odd_gap),
		cmocka_unit_test(test_slow_rates),
		cmocka_unit_test(test_fastest_rate),
		cmocka_unit_test(test_long_idle),
		cmocka_unit_test(test_generation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
