// SPDX-License-Identifier: GPL-2.0
/*
 * rqbound: pinbounce's observer of completed writes (pb_write_done of
 * bpf/observe.bpf.c) with its walk of a request's bios bounded at BOUND
 * bios instead of 65536, around a command: a request of more bios than
 * that must be counted as a drop of kind request_bios.
 *
 *   rqbound BOUND COMMAND [ARG...]
 *
 * Prints one line: "rqbound: request_bios=D writes=W", D the drops of that
 * kind and W the write latency samples taken, and exits with the
 * command's status (2 if the observer could not be set up).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "pinbounce.h"
#include "observe.skel.h"
#include "run.h"

/* Map @fd's per-CPU __u64 value at @key, added up; hists: the count field. */
static __u64 percpu_sum(int fd, const void *key, size_t vsize, size_t off, int ncpus)
{
	char *v = calloc(ncpus, vsize);
	__u64 sum = 0;

	if (v && !bpf_map_lookup_elem(fd, key, v))
		for (int cpu = 0; cpu < ncpus; cpu++)
			sum += *(__u64 *)(v + cpu * vsize + off);
	free(v);
	return sum;
}

/* The write latency samples of every disk. */
static __u64 write_samples(int fd, int ncpus)
{
	struct pb_hist_key key, next;
	__u64 sum = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (key.kind == PB_HIST_WRITE)
			sum += percpu_sum(fd, &key, sizeof(struct pb_hist),
					  offsetof(struct pb_hist, count), ncpus);
	}
	return sum;
}

int main(int argc, char **argv)
{
	int ncpus = libbpf_num_possible_cpus(), status;
	__u32 what = PB_DROP_RQ_BIOS;
	struct observe_bpf *skel;
	struct bpf_program *p;
	long bound;

	bound = argc < 3 ? 0 : strtol(argv[1], NULL, 10);
	if (bound < 1 || bound > 65536) {
		fprintf(stderr, "usage: rqbound BOUND COMMAND [ARG...]\n");
		return 2;
	}
	skel = observe_bpf__open();
	if (!skel || ncpus < 1) {
		fprintf(stderr, "rqbound: cannot open the observers\n");
		return 2;
	}
	/* only the observer of completions: the others need the series */
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, p == skel->progs.pb_write_done ||
					  p == skel->progs.pb_write_queued);
	skel->rodata->rq_bios_max = bound;
	if (observe_bpf__load(skel) || observe_bpf__attach(skel)) {
		fprintf(stderr, "rqbound: cannot load or attach the observers\n");
		observe_bpf__destroy(skel);
		return 2;
	}
	status = run_command("rqbound", argv + 2);
	printf("rqbound: request_bios=%llu writes=%llu\n",
	       (unsigned long long)percpu_sum(bpf_map__fd(skel->maps.dropped), &what,
					      sizeof(__u64), 0, ncpus),
	       (unsigned long long)write_samples(bpf_map__fd(skel->maps.hists), ncpus));
	observe_bpf__destroy(skel);
	return status < 0 ? 2 : status;
}
