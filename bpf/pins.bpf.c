// SPDX-License-Identifier: GPL-2.0
/*
 * The census of page-cache pages pinned for DMA, on any kernel: who pins
 * which pages of which file, and since when.  Pins are taken by the
 * pin_user_pages*() family (FOLL_PIN: RDMA memory registration, io_uring
 * fixed buffers, vfio, V4L2, direct I/O since 6.3) and dropped by the
 * unpin_*() family; an entry goes when its page is no longer pinned at
 * all, seen as it is unpinned or by the sweep user space runs before each
 * read.  A page pinned before the census started, or by a function not
 * followed, is met, if ever, when it is submitted for writeback pinned:
 * it joins the census then, its owner unknown.
 *
 * Nothing here needs the bounce series.  The functions and fields that
 * differ between kernels are looked up in the running kernel's BTF: the
 * attach points user space finds missing are not loaded.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "pinbounce.h"
#include "pb_common.bpf.h"

/* Every pinned page met under writeback joins the census, owner unknown. */
static void census_enter(struct page *page, __u32 flags);
#define PB_ON_PINNED_WB(page)	census_enter(page, PB_PIN_UNSEEN)
#include "pb_pages.bpf.h"

#ifndef EEXIST
#define EEXIST		17
#endif

#define MAX_PINS	65536
/* Pages of one pin or unpin call looked at */
#define CALL_PAGES	65536

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_PINS);
	__type(key, __u64);
	__type(value, struct pb_pin);
} census SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PB_PIN_NR_DROPS);
	__type(key, __u32);
	__type(value, __u64);
} census_dropped SEC(".maps");

/* Entries the sweep removed, for the tests */
__u64 census_swept;

/* FOLL_LONGTERM, from the running kernel's BTF (user space) */
const volatile __u32 foll_longterm;

static void drop(__u32 why)
{
	__u64 *n = bpf_map_lookup_elem(&census_dropped, &why);

	if (n)
		__sync_fetch_and_add(n, 1);
}

#ifndef S_IFMT
#define S_IFMT		00170000
#define S_IFBLK		0060000
#endif

/* The file of @inode: a block device's pages are its own, not its node's. */
static __always_inline void pin_file(struct inode *inode, struct pb_pin *pin)
{
	umode_t mode = BPF_CORE_READ(inode, i_mode);

	pin->ino = BPF_CORE_READ(inode, i_ino);
	if ((mode & S_IFMT) == S_IFBLK) {
		pin->dev = BPF_CORE_READ(inode, i_rdev);
		pin->flags |= PB_PIN_BLOCKDEV;
	} else {
		pin->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	}
}

/*
 * Enter @page if it is a file's and not in the census yet: pinned by the
 * current task (@flags of the pin), or met under writeback pinned, its
 * owner unknown (PB_PIN_UNSEEN).  Looked up first: the pages of every
 * write bio come here, most of them known already.  A page pinned twice
 * keeps its first owner.
 */
static void census_enter(struct page *page, __u32 flags)
{
	struct pb_pin pin = { .flags = flags };
	__u64 key = (__u64)page, id;
	struct inode *inode;
	long err;

	if (bpf_map_lookup_elem(&census, &key))
		return;
	inode = pb_folio_file(pb_head_page(page));
	if (!inode)
		return;
	pin.since_ns = bpf_ktime_get_ns();
	if (!(flags & PB_PIN_UNSEEN)) {
		id = bpf_get_current_pid_tgid();
		pin.tgid = id >> 32;
		pin.pid = (__u32)id;
		pin.cgroup_id = bpf_get_current_cgroup_id();
		bpf_get_current_comm(pin.comm, sizeof(pin.comm));
	}
	pin_file(inode, &pin);
	err = bpf_map_update_elem(&census, &key, &pin, BPF_NOEXIST);
	if (err && err != -EEXIST)
		drop(PB_PIN_DROP_FULL);
}

/* Drop @page from the census if nothing pins its folio any more. */
static void census_check(struct page *page)
{
	__u64 key = (__u64)page;
	struct page *head;

	if (!bpf_map_lookup_elem(&census, &key))
		return;
	head = pb_head_page(page);
	if (!pb_folio_pinned(head, pb_page_flags(head)))
		bpf_map_delete_elem(&census, &key);
}

/* A walk of an array of pages, or of consecutive pages: bpf_loop's context. */
struct pages_walk {
	__u64 pages;		/* struct page **, or the first struct page */
	__u32 n;
	__u32 flags;		/* for census_enter() */
	bool array;
	bool pin;		/* census_enter(), else census_check() */
};

static long walk_one(__u64 i, void *ctx)
{
	struct pages_walk *w = ctx;
	struct page *page = NULL;

	if (i >= w->n)
		return 1;
	if (w->array)
		bpf_probe_read_kernel(&page, sizeof(page), (void *)(w->pages + i * sizeof(page)));
	else
		page = (struct page *)(w->pages + i * bpf_core_type_size(struct page));
	if (!page)
		return 0;
	if (w->pin)
		census_enter(page, w->flags);
	else
		census_check(page);
	return 0;
}

static void walk(__u64 pages, __u64 n, bool array, bool pin, __u32 flags)
{
	struct pages_walk w = {
		.pages = pages, .n = n > CALL_PAGES ? CALL_PAGES : n, .flags = flags,
		.array = array, .pin = pin,
	};

	if (pages && n)
		bpf_loop(CALL_PAGES, walk_one, &w, 0);
}

/*
 * A pin_user_pages*() returned: its pages array is argument @pages_arg,
 * its gup_flags @flags_arg, and it returns how many it pinned.  The
 * arguments are read by number: their count differs between kernels
 * (6.5 dropped the vmas argument).
 */
static int pinned(void *ctx, __u32 pages_arg, __u32 flags_arg)
{
	__u64 pages = 0, flags = 0;
	__u64 ret = 0;

	if (bpf_get_func_ret(ctx, &ret) || (long)ret <= 0 ||
	    bpf_get_func_arg(ctx, pages_arg, &pages) || bpf_get_func_arg(ctx, flags_arg, &flags))
		return 0;
	walk(pages, ret, true, true, flags & foll_longterm ? PB_PIN_LONGTERM : 0);
	return 0;
}

SEC("fexit/pin_user_pages_fast")
int pb_pin_fast(void *ctx)
{
	return pinned(ctx, 3, 2);	/* start, nr_pages, gup_flags, pages */
}

SEC("fexit/pin_user_pages")
int pb_pin(void *ctx)
{
	return pinned(ctx, 3, 2);	/* start, nr_pages, gup_flags, pages[, vmas] */
}

SEC("fexit/pin_user_pages_remote")
int pb_pin_remote(void *ctx)
{
	return pinned(ctx, 4, 3);	/* mm, start, nr_pages, gup_flags, pages, ... */
}

SEC("fexit/pin_user_pages_unlocked")
int pb_pin_unlocked(void *ctx)
{
	return pinned(ctx, 2, 3);	/* start, nr_pages, pages, gup_flags */
}

/* Unpinned: each page goes from the census once nothing pins it. */
SEC("fexit/unpin_user_page")
int BPF_PROG(pb_unpin_page, struct page *page)
{
	census_check((struct page *)pb_addr(page));
	return 0;
}

/*
 * An array of pages: read as numbers (6.1 lets a program read no pointer
 * to a pointer from its context).
 */
static int unpinned(void *ctx)
{
	__u64 pages = 0, n = 0;

	if (!bpf_get_func_arg(ctx, 0, &pages) && !bpf_get_func_arg(ctx, 1, &n))
		walk(pages, n, true, false, 0);
	return 0;
}

SEC("fexit/unpin_user_pages")
int pb_unpin_pages(void *ctx)
{
	return unpinned(ctx);		/* pages, npages */
}

SEC("fexit/unpin_user_pages_dirty_lock")
int pb_unpin_pages_dirty(void *ctx)
{
	return unpinned(ctx);		/* pages, npages, make_dirty */
}

SEC("fexit/unpin_user_page_range_dirty_lock")
int BPF_PROG(pb_unpin_range, struct page *page, unsigned long npages, bool dirty)
{
	walk(pb_addr(page), npages, false, false, 0);
	return 0;
}

/* 6.18's folio size; 6.1's is _folio_nr_pages. */
struct folio___nr {
	unsigned int _nr_pages;
} __attribute__((preserve_access_index));

static __u64 folio_pages(struct folio *folio)
{
	struct folio___nr *f = (void *)folio;
	unsigned long flags = pb_page_flags((struct page *)folio);

	if (!(flags & (1UL << bpf_core_enum_value(enum pageflags, PG_head))))
		return 1;
	if (bpf_core_field_exists(f->_nr_pages))
		return BPF_CORE_READ(f, _nr_pages);
	return BPF_CORE_READ(folio, _folio_nr_pages);
}

/* Since 6.11: unpins by folio. */
SEC("fexit/unpin_folio")
int BPF_PROG(pb_unpin_folio, struct folio *folio)
{
	walk(pb_addr(folio), folio_pages(folio), false, false, 0);
	return 0;
}

SEC("fexit/unpin_user_folio")
int BPF_PROG(pb_unpin_user_folio, struct folio *folio, unsigned long npages)
{
	walk(pb_addr(folio), folio_pages(folio), false, false, 0);
	return 0;
}

/* Folios of one unpin_folios() call looked at */
#define CALL_FOLIOS	256

struct folios_walk {
	__u64 folios;		/* struct folio ** */
	__u32 n;
};

static long unpin_one_folio(__u64 i, void *ctx)
{
	struct folios_walk *w = ctx;
	struct folio *folio = NULL;

	if (i >= w->n)
		return 1;
	bpf_probe_read_kernel(&folio, sizeof(folio), (void *)(w->folios + i * sizeof(folio)));
	if (folio)
		walk(pb_addr(folio), folio_pages(folio), false, false, 0);
	return 0;
}

SEC("fexit/unpin_folios")
int pb_unpin_folios(void *ctx)
{
	__u64 folios = 0, n = 0;
	struct folios_walk w;

	if (bpf_get_func_arg(ctx, 0, &folios) || bpf_get_func_arg(ctx, 1, &n))
		return 0;
	w.folios = folios;
	w.n = n > CALL_FOLIOS ? CALL_FOLIOS : n;
	bpf_loop(CALL_FOLIOS, unpin_one_folio, &w, 0);
	return 0;
}

/*
 * The sweep, run by user space (BPF_PROG_TEST_RUN) before each read of
 * the census: every entry whose page is no longer pinned, or now belongs
 * to another file, goes.  Where the kernel refuses the unpin programs it
 * is the only way out of the census; elsewhere it catches the unpins of
 * functions not followed.  At most the census's MAX_PINS entries a run.
 * A raw tracepoint program, never attached: a kernel that refuses
 * programs on functions and iterators (this project's 6.18 host) runs it.
 *
 * The entry is deleted from the callback of a walk of its own map: the
 * hash map's walk (bpf_for_each_hash_elem(), 6.1 as 6.18) takes the next
 * element before calling back and holds no bucket lock.  The key is
 * copied first: a deleted element of a preallocated map may be reused at
 * once.  A page pinned again between the look and the delete is entered
 * anew, owner unknown: the race may cost an owner, never a pinned page.
 */
static long sweep_one(struct bpf_map *map, __u64 *key, struct pb_pin *pin, void *ctx)
{
	struct pb_pin now = {};
	__u64 page_addr = *key;
	struct inode *inode;
	struct page *head;
	bool pinned;

	head = pb_head_page((struct page *)page_addr);
	pinned = pb_folio_pinned(head, pb_page_flags(head));
	inode = pb_folio_file(head);
	if (inode)
		pin_file(inode, &now);
	if (pinned && inode && now.dev == pin->dev && now.ino == pin->ino &&
	    (now.flags & PB_PIN_BLOCKDEV) == (pin->flags & PB_PIN_BLOCKDEV))
		return 0;
	if (bpf_map_delete_elem(&census, &page_addr))
		return 0;
	__sync_fetch_and_add(&census_swept, 1);
	if (!pinned && pb_folio_pinned(head, pb_page_flags(head)))
		census_enter((struct page *)page_addr, PB_PIN_UNSEEN);
	return 0;
}

SEC("raw_tp")
int pb_pins_sweep(void *ctx)
{
	bpf_for_each_map_elem(&census, sweep_one, NULL, 0);
	return 0;
}

/*
 * Pinned pages written back: those the census has not met
 * (pinned before it started) join it.  At submission, when the bio still
 * carries the page-cache pages, bounced later or not.
 */
SEC("tp_btf/block_bio_queue")
int BPF_PROG(pb_pins_queued, struct bio *bio)
{
	if (pb_bio_is_write(bio))
		pb_bio_pinned_wb(pb_addr(bio));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
