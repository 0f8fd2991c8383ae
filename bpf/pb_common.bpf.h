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

/* pb_bio_cgroup() of a bio known only by its address: every read a probe. */
static __always_inline struct cgroup *pb_bio_cgroup_core(struct bio *bio)
{
	struct blkcg_gq *blkg;

	if (!bpf_core_field_exists(bio->bi_blkg))
		return NULL;
	blkg = BPF_CORE_READ(bio, bi_blkg);
	if (!blkg)
		return NULL;
	return BPF_CORE_READ(blkg, blkcg, css.cgroup);
}

/*
 * A write: the low REQ_OP_BITS bits of bi_opf are the operation, and the
 * first flag bit, __REQ_FAILFAST_DEV, is defined as REQ_OP_BITS.
 */
static __always_inline bool pb_opf_is_write(__u32 opf)
{
	__u32 op_mask = (1U << bpf_core_enum_value(enum req_flag_bits, __REQ_FAILFAST_DEV)) - 1;

	return (opf & op_mask) == bpf_core_enum_value(enum req_op, REQ_OP_WRITE);
}

static __always_inline bool pb_bio_is_write(struct bio *bio)
{
	return pb_opf_is_write(bio->bi_opf);
}

#endif
