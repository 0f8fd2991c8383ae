/* SPDX-License-Identifier: GPL-2.0 */
/* What the policy program and the observers read of a bio, written once. */
#ifndef PB_COMMON_BPF_H
#define PB_COMMON_BPF_H

/*
 * The cgroup a bio is charged to (writeback: the one that dirtied its
 * pages), or NULL: kernels without CONFIG_BLK_CGROUP have no bi_blkg.  For
 * BTF-typed bios (tp_btf, fentry, fmod_ret): direct loads.
 */
static __always_inline struct cgroup *pb_bio_cgroup(struct bio *bio)
{
	if (!bpf_core_field_exists(bio->bi_blkg) || !bio->bi_blkg)
		return NULL;
	return bio->bi_blkg->blkcg->css.cgroup;
}

#endif
