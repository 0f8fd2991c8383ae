// SPDX-License-Identifier: GPL-2.0
/* The mounts of /proc/PID/mountinfo: see mountinfo.h. */
#include <stdio.h>
#include <string.h>
#include "mountinfo.h"

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
	char *d = s;

	for (; *s; s++, d++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*d = *s;
		}
	}
	*d = '\0';
}

int pb_mountinfo_parse(const char *line, struct pb_mount *m)
{
	/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER */
	const char *sep = strstr(line, " - "), *eol = strchr(line, '\n');

	_Static_assert(sizeof(m->point) == 4096 && sizeof(m->type) == 64 &&
		       sizeof(m->super) == 1024, "the widths below");
	if (!sep || (eol && sep > eol) ||
	    sscanf(line, "%*s %*s %*s %*s %4095s", m->point) != 1)
		return -1;
	m->super[0] = '\0';
	if (sscanf(sep, " - %63s %*s %1023s", m->type, m->super) < 1)
		return -1;
	unescape(m->point);
	return 0;
}
