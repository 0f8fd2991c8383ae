// SPDX-License-Identifier: GPL-2.0
/* pinbounce trace: being written. */
#include "cli.h"

int do_trace(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	p_err("trace: not built yet");
	return PB_EXIT_ERROR;
}
