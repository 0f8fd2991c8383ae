/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The token bucket of a policy rule's rate limit: the code the policy
 * program runs, shared with its unit test.
 *
 * One bucket per rule, shared by all CPUs, lock free: concurrent decisions
 * race for a refill with a compare-and-swap of the bucket's clock, and the
 * winner adds the tokens the time since earned.  Time is taken in whole
 * microseconds and the clock advances only by the microseconds turned into
 * tokens, so decisions closer together than that lose no time.  The tokens
 * us microseconds earn are rate * us / 10^6 bytes; what the division drops
 * is kept in byte-microseconds and added the next time (a refill that
 * races with the next one may lose it: less than a byte).  With at most
 * PB_RATE_REFILL_US_MAX microseconds taken at once and a rate of at most
 * 2^40 bytes/s, rate * us stays below 1.1 * 10^19: no overflow.
 */
#ifndef PB_RATE_H
#define PB_RATE_H

#define PB_RATE_US_PER_S	1000000ULL
/* The longest idle time that earns tokens: 10 s. */
#define PB_RATE_REFILL_US_MAX	(10 * PB_RATE_US_PER_S)

static inline void pb_rate_refill(struct pb_rate_state *st, __u64 now,
				  __u64 rate, __u64 burst)
{
	__u64 last = st->last_ns, us, next, total;
	__s64 old, add;

	us = now > last ? (now - last) / 1000 : 0;
	if (us > PB_RATE_REFILL_US_MAX) {
		/* Idle long enough to fill any bucket: restart the clock. */
		us = PB_RATE_REFILL_US_MAX;
		next = now;
	} else {
		next = last + us * 1000;
	}
	if (!us || __sync_val_compare_and_swap(&st->last_ns, last, next) != last)
		return;
	total = us * rate + st->rem;
	st->rem = total % PB_RATE_US_PER_S;
	add = total / PB_RATE_US_PER_S;
	old = __sync_fetch_and_add(&st->tokens, add);
	if (old + add > (__s64)burst)
		__sync_fetch_and_add(&st->tokens, (__s64)burst - (old + add));
}

/*
 * Take @bytes from the bucket @st of a rule of @rate bytes/s and @burst
 * bytes, at time @now in nanoseconds, if it holds them.  A bucket last used
 * by another policy generation than @gen starts full.
 */
static inline bool pb_rate_take(struct pb_rate_state *st, __u64 gen, __u64 now,
				__u64 rate, __u64 burst, __s64 bytes)
{
	__s64 old;

	if (st->generation != gen) {
		__u64 seen = st->generation;

		if (__sync_val_compare_and_swap(&st->generation, seen, gen) == seen) {
			st->tokens = burst;
			st->rem = 0;
			st->last_ns = now;
		}
	}
	pb_rate_refill(st, now, rate, burst);
	old = __sync_fetch_and_add(&st->tokens, -bytes);
	if (old >= bytes)
		return true;
	__sync_fetch_and_add(&st->tokens, bytes);
	return false;
}

#endif
