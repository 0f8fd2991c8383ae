// SPDX-License-Identifier: GPL-2.0
/* pinbounce top: being written. */
#include "cli.h"

int do_top(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	p_err("top: not built yet");
	return PB_EXIT_ERROR;
}
