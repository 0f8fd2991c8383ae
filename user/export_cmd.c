// SPDX-License-Identifier: GPL-2.0
/* pinbounce export: being written. */
#include "cli.h"

int do_export(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	p_err("export: not built yet");
	return PB_EXIT_ERROR;
}
