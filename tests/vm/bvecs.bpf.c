// SPDX-License-Identifier: GPL-2.0
/*
 * Test only: what the write bios queued to one disk carry, read from their
 * bvecs as the block layer built them: how many bvecs there are, how many
 * start with a page of the page cache pinned for DMA under writeback, how
 * many are of a large folio, how many span several pages (a large folio,
 * or physically contiguous pages bio_add_page() merged), and of those how
 * many have their second page pinned under writeback: a page that a walk
 * taking one page a bvec would miss.  A test that counts pinned pages
 * exactly shows with these that its bios had such bvecs.  Only the first
 * two pages of a bvec are looked at: 6.1's verifier refused a loop over
 * its pages here ("back-edge", on the edge that follows a call).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "pb_common.bpf.h"
#include "pb_pages.bpf.h"

/* BIO_MAX_VECS */
#define MAX_VECS	256

/* The disk, as the kernel's dev_t (user space) */
const volatile __u32 disk;

__u64 write_bios;
__u64 bvecs;
__u64 pinned;		/* bvecs whose first page is pinned under writeback */
__u64 multi_bvecs;	/* bvecs of several pages */
__u64 multi_pinned;	/* of those, the second page pinned under writeback */
__u64 large;		/* bvecs in a large folio */

struct vec_walk {
	__u64 vecs;
	__u32 n;
};

/* Bvec @i: the branches are on @i and the bvec, not on state in @ctx. */
static long one_vec(__u64 i, void *ctx)
{
	struct vec_walk *w = ctx;
	struct bio_vec *bv;
	struct page *page;
	__u32 off, len, n;

	if (i >= w->n)
		return 1;
	bv = (struct bio_vec *)(w->vecs + i * bpf_core_type_size(struct bio_vec));
	page = BPF_CORE_READ(bv, bv_page);
	off = BPF_CORE_READ(bv, bv_offset);
	len = BPF_CORE_READ(bv, bv_len);
	if (!page || !len)
		return 0;
	__sync_fetch_and_add(&bvecs, 1);
	page = (struct page *)((__u64)page + (__u64)(off >> PB_PAGE_SHIFT) *
			       bpf_core_type_size(struct page));
	if (pb_page_flags(pb_head_page(page)) &
	    (1UL << bpf_core_enum_value(enum pageflags, PG_head)))
		__sync_fetch_and_add(&large, 1);
	if (pb_page_pinned_wb(page))
		__sync_fetch_and_add(&pinned, 1);
	n = ((off + len - 1) >> PB_PAGE_SHIFT) - (off >> PB_PAGE_SHIFT) + 1;
	if (n < 2)
		return 0;
	__sync_fetch_and_add(&multi_bvecs, 1);
	page = (struct page *)((__u64)page + bpf_core_type_size(struct page));
	if (pb_page_pinned_wb(page))
		__sync_fetch_and_add(&multi_pinned, 1);
	return 0;
}

SEC("tp_btf/block_bio_queue")
int BPF_PROG(bvecs_queued, struct bio *bio)
{
	struct vec_walk w = {};

	if (!pb_bio_is_write(bio) || BPF_CORE_READ(bio, bi_bdev, bd_dev) != disk)
		return 0;
	__sync_fetch_and_add(&write_bios, 1);
	w.vecs = (__u64)BPF_CORE_READ(bio, bi_io_vec);
	w.n = BPF_CORE_READ(bio, bi_vcnt);
	if (w.vecs)
		bpf_loop(MAX_VECS, one_vec, &w, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
