// SPDX-License-Identifier: GPL-2.0
#include <bpf/btf.h>
#include "hook.h"

bool kernel_has_hook(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool found;

	if (!btf)
		return false;
	found = btf__find_by_name_kind(btf, "blk_pin_bounce_decide", BTF_KIND_FUNC) > 0;
	btf__free(btf);
	return found;
}
