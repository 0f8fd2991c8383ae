// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the policy parser.  Besides crashes, leaks and
 * sanitizer reports, it checks a property: a policy that parses formats
 * back into text that parses to the same policy.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pb_policy p, q;
	static char text[1 << 17], msg[512];
	struct pb_error err;

	if (pb_policy_parse((const char *)data, size, "fuzz", &p, &err)) {
		pb_error_format(&err, msg, sizeof(msg));
		return 0;
	}
	if (pb_policy_format(&p, text, sizeof(text)))
		abort();
	if (pb_policy_parse(text, strlen(text), "formatted", &q, &err))
		abort();
	if (memcmp(&p, &q, sizeof(p)))
		abort();
	return 0;
}
