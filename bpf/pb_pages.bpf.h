/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Page-cache pages pinned for DMA, as any kernel lets a BPF program see
 * them: folio_maybe_dma_pinned() and the file a page belongs to, read with
 * CO-RE so that one object serves 6.1 and the kernels after it.  Where a
 * field changed (page->flags became a memdesc_flags_t in 6.18), the
 * program asks the running kernel's BTF which one it has.
 */
#ifndef PB_PAGES_BPF_H
#define PB_PAGES_BPF_H

/* include/linux/mm.h: each FOLL_PIN pin of a small folio adds this much */
#define GUP_PIN_COUNTING_BIAS	1024
/* page->mapping's low bits: anonymous, movable or KSM memory, not a file */
#define PAGE_MAPPING_FLAGS	3UL
#define PB_PAGE_SHIFT		12
/* Pages of one bio looked at: 16 MiB */
#define PB_BIO_PAGES		4096

/* What a program that includes this does with each pinned page met. */
#ifndef PB_ON_PINNED_WB
#define PB_ON_PINNED_WB(page)	do { } while (0)
#endif

/* 6.18's page->flags: a memdesc_flags_t, a struct of one word. */
struct page___memdesc {
	struct {
		unsigned long f;
	} flags;
} __attribute__((preserve_access_index));

static __always_inline unsigned long pb_page_flags(struct page *p)
{
	struct page___memdesc *pm = (void *)p;

	if (bpf_core_field_exists(pm->flags.f))
		return BPF_CORE_READ(pm, flags.f);
	return BPF_CORE_READ(p, flags);
}

/* The first page of @p's folio. */
static __always_inline struct page *pb_head_page(struct page *p)
{
	unsigned long head = BPF_CORE_READ(p, compound_head);

	return head & 1 ? (struct page *)(head - 1) : p;
}

/* folio_maybe_dma_pinned() of the folio whose head page is @head. */
static __always_inline bool pb_folio_pinned(struct page *head, unsigned long flags)
{
	if (flags & (1UL << bpf_core_enum_value(enum pageflags, PG_head)))
		return BPF_CORE_READ((struct folio *)head, _pincount.counter) > 0;
	return (unsigned int)BPF_CORE_READ(head, _refcount.counter) >= GUP_PIN_COUNTING_BIAS;
}

/* The inode of the file that page-cache folio @head belongs to, or NULL. */
static __always_inline struct inode *pb_folio_file(struct page *head)
{
	struct address_space *mapping = BPF_CORE_READ(head, mapping);

	if (!mapping || ((unsigned long)mapping & PAGE_MAPPING_FLAGS))
		return NULL;
	return BPF_CORE_READ(mapping, host);
}

/*
 * Whether @p is a page-cache page under writeback and pinned for DMA: the
 * write that carries it sends bytes that a device may change under it.
 * (A write of a bounced bio carries copies: no page cache.)
 */
static __always_inline bool pb_page_pinned_wb(struct page *p)
{
	struct page *head = pb_head_page(p);
	unsigned long flags = pb_page_flags(head);

	if (!(flags & (1UL << bpf_core_enum_value(enum pageflags, PG_writeback))))
		return false;
	return pb_folio_pinned(head, flags) && pb_folio_file(head);
}

/* A walk of the pages of a bio, from its iterator: bpf_loop's context. */
struct pb_bio_walk {
	__u64 vecs;		/* bi_io_vec */
	__u64 page;		/* the page of this call */
	__u64 next;		/* the call at which the next bvec starts */
	__u32 idx;		/* the next bvec */
	__u32 skip;		/* bytes of it done before the iterator */
	__u32 left;		/* bytes of the bio in the bvecs not reached yet */
	__u32 pinned_wb;	/* pages that pb_page_pinned_wb() */
};

/*
 * One page a call, call @i: the first page of the next bvec at call
 * w->next, else the page after the last one.  The branch is on @i, not on
 * a count kept in @ctx: 6.1's verifier checks the callback once, with the
 * context as its caller left it (later kernels have "bpf: verify callbacks
 * as if they are called unknown number of times"), and hard-wires a
 * branch it saw go one way only.  On a count the caller set to 0 that was
 * "a new bvec on every call": the second and later pages of a bvec of
 * several were never looked at (bpftool prog dump xlated showed it).  It
 * does not know @i.
 */
static long pb_walk_page(__u64 i, void *ctx)
{
	struct pb_bio_walk *w = ctx;

	if (i == w->next) {
		struct bio_vec *bv = (struct bio_vec *)(w->vecs + (__u64)w->idx *
							bpf_core_type_size(struct bio_vec));
		struct page *page = BPF_CORE_READ(bv, bv_page);
		__u32 len = BPF_CORE_READ(bv, bv_len), off = BPF_CORE_READ(bv, bv_offset);

		if (!w->left || !page || w->skip >= len)
			return 1;
		off += w->skip;
		len -= w->skip;
		if (len > w->left)
			len = w->left;
		w->page = (__u64)page + (__u64)(off >> PB_PAGE_SHIFT) *
			  bpf_core_type_size(struct page);
		w->next = i + ((off + len - 1) >> PB_PAGE_SHIFT) - (off >> PB_PAGE_SHIFT) + 1;
		w->left -= len;
		w->skip = 0;
		w->idx++;
	} else {
		w->page += bpf_core_type_size(struct page);
	}
	if (pb_page_pinned_wb((struct page *)w->page)) {
		w->pinned_wb++;
		PB_ON_PINNED_WB((struct page *)w->page);
	}
	return 0;
}

/*
 * A kernel pointer as a plain number, for a global function's argument: a
 * cast leaves the verifier's type on the register, a copy does not.
 */
static __always_inline __u64 pb_addr(const void *p)
{
	__u64 addr = 0;

	bpf_probe_read_kernel(&addr, sizeof(addr), &p);
	return addr;
}

/*
 * A direct write: every direct-I/O write path (iomap, fs/direct-io.c, the
 * block device's own, zonefs) sets REQ_IDLE, and device mapper's clones
 * keep it; page-cache writeback (wbc_to_write_flags()) never does.  Its
 * pages are the writer's buffer, which may be a shared mapping of a file
 * that is under writeback and pinned (since 6.3, by the direct I/O
 * itself): they are not written back by it.  (6.18 also marks such bios
 * BIO_PAGE_PINNED, in an anonymous enum that CO-RE cannot relocate; every
 * write that has it has REQ_IDLE.)  The other REQ_IDLE writes are no page
 * cache: XFS's log, md's superblock, nvmet, xen-blkback.
 */
static __always_inline bool pb_bio_direct(struct bio *bio)
{
	__u32 idle = 1U << bpf_core_enum_value(enum req_flag_bits, __REQ_IDLE);

	return BPF_CORE_READ(bio, bi_opf) & idle;
}

/*
 * The pages of @bio's remaining data (its iterator: a split or cloned bio
 * shares its bvecs with others) that are page cache written back while
 * pinned for DMA; the first PB_BIO_PAGES of them.  None for a direct
 * write (pb_bio_direct()), whatever its buffer.  A global function, so
 * that the verifier checks it once, not in every caller's loop: the bio
 * comes as a number, every read of it a probe.
 */
__noinline __u32 pb_bio_pinned_wb(__u64 bio_addr)
{
	struct bio *bio = (struct bio *)bio_addr;
	struct pb_bio_walk w = {
		.vecs = (__u64)BPF_CORE_READ(bio, bi_io_vec),
		.idx = BPF_CORE_READ(bio, bi_iter.bi_idx),
		.skip = BPF_CORE_READ(bio, bi_iter.bi_bvec_done),
		.left = BPF_CORE_READ(bio, bi_iter.bi_size),
	};

	if (!w.vecs || pb_bio_direct(bio))
		return 0;
	bpf_loop(PB_BIO_PAGES, pb_walk_page, &w, 0);
	return w.pinned_wb;
}

#endif
