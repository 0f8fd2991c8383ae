/* SPDX-License-Identifier: GPL-2.0 */
/* The pinbounce command line: shared by its subcommands. */
#ifndef PB_CLI_H
#define PB_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "pinbounce.h"
#include "policy.h"
#include "hook.h"

#define PB_PIN_DIR	"/sys/fs/bpf/pinbounce"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

/* Exit statuses. */
enum {
	PB_EXIT_OK = 0,
	PB_EXIT_ERROR = 1,	/* bad input, or the kernel refused */
	PB_EXIT_USAGE = 2,	/* bad command line */
};

extern bool json_output, pretty_output;
extern unsigned int obs_max_rows;	/* --max-rows, 0: the default */

/*
 * A command of a table that cmd_select() runs.  "--help" or "-h" after its
 * name prints its help on stdout, and so does "help" when it is the only
 * word after the name, unless that word may be the command's argument (a
 * file or a rule named "help").
 */
struct cmd {
	const char *name;
	int (*func)(int argc, char **argv);
	const char *usage;		/* its synopsis */
	const char *what;		/* one line (or two) on what it answers */
	int (*help)(FILE *out);		/* a longer help than the synopsis */
	bool arg_may_be_help;
};

/* The synopses, for the commands' errors and the help. */
#define PB_STATS_USAGE	"pinbounce stats [-d DISK] [interval [count]]"
#define PB_HIST_USAGE	"pinbounce hist [-d DISK] [-m] [interval [count]]"
#define PB_TOP_USAGE	"pinbounce top [-d DISK] [interval]"
#define PB_EXPORT_USAGE	\
	"pinbounce export [--listen ADDR:PORT] [--textfile PATH [--interval SECS] [--once]]"
#define PB_TRACE_USAGE	\
	"pinbounce trace [-d DISK] [--cgroup] [--json FILE] [--expect EXPR]... -- CMD [ARGS]"
#define PB_PINS_USAGE	\
	"pinbounce pins [-d DISK] [--expect EXPR]... [--check] [interval [count]]"

/* Help @text on @out, or {"help": TEXT} on stdout in JSON mode; PB_EXIT_OK. */
int pb_help_text(FILE *out, const char *text);
/* The longer helps of policy and trace. */
int pb_policy_help(FILE *out);
int pb_trace_help(FILE *out);
int pb_pins_help(FILE *out);

/*
 * Is @arg, up to @len bytes in (where an '=' starts its value, as in
 * --json=FILE), long option @name?
 */
static inline bool pb_is_opt(const char *arg, size_t len, const char *name)
{
	return len == strlen(name) && !strncmp(arg, name, len);
}

/*
 * Run the command of @cmds named by argv[0]; @help on stdout for "help",
 * "--help" or "-h", on stderr (and PB_EXIT_USAGE) when there is no command.
 */
int cmd_select(const struct cmd *cmds, int argc, char **argv, int (*help)(FILE *out));

/* "Error: ..." on stderr, or {"error": "..."} on stdout in JSON mode. */
void p_err(const char *fmt, ...) __printf(1, 2);
/* p_err() of a message already made, of kind @key (see log_limit.h). */
void p_err_text(const void *key, const char *text);
/*
 * A usage error: the message of @fmt as p_err() prints it, on one line,
 * then the line "usage: " @usage (the command's own text, not escaped).
 */
void p_usage(const char *usage, const char *fmt, ...) __printf(2, 3);
/* "Error: pinbounce needs root to @why" unless we are root. */
int need_root(const char *why);
#define PB_ROOT_STATE		"read or change what is attached in the kernel"
#define PB_ROOT_OBSERVERS	"attach its observers"
/* Seconds on @clock (CLOCK_MONOTONIC, CLOCK_REALTIME). */
double pb_clock(clockid_t clock);
/* "Warning: ..." on stderr, in JSON mode too: something will not work as meant. */
void p_warn(const char *fmt, ...) __printf(1, 2);
/* Informational chatter, silent in JSON mode. */
void p_info(const char *fmt, ...) __printf(1, 2);
/* Print and free a JSON document (-j, -p). */
void json_print(json_t *doc);

int do_policy(int argc, char **argv);
int do_status(int argc, char **argv);
int do_detach(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_hist(int argc, char **argv);
int do_top(int argc, char **argv);
int do_export(int argc, char **argv);
int do_trace(int argc, char **argv);
int do_pins(int argc, char **argv);

/* The shortest interval of the commands that take one: faster only burns
 * the CPU it measures.
 */
#define PB_MIN_INTERVAL	0.1

/*
 * [interval [count]] of command @cmd: a number of seconds from
 * PB_MIN_INTERVAL, below 10^6, and a whole positive count; 0 for those not
 * given.  -1 when malformed, with the error and @usage printed.
 */
int pb_interval_args(const char *cmd, const char *usage, int argc, char **argv,
		     double *interval, long *count);
/*
 * Say on stderr, as biolatency does, that a watch without a count runs
 * until interrupted (text mode only).
 */
void pb_tracing(const char *what, double interval, long count);
/* Sleep @secs, or until a signal handler sets *@stop. */
void pb_sleep(double secs, volatile sig_atomic_t *stop);

/* The policy in force and its rules' hits, for the live views. */
struct pb_rule_view {
	char name[PB_NAME_MAX];
	bool audit;
	struct pb_rule_stats s;		/* this generation's, all CPUs */
};

struct pb_policy_view {
	bool attached;
	__u64 generation;
	unsigned int nrules;
	struct pb_rule_view rules[PB_MAX_RULES];
	struct pb_rule_stats unmatched;	/* decided by the default */
};

/* Nothing attached is not an error: @v->attached is false. */
int pb_policy_view_read(struct pb_policy_view *v);

/* Resolve devices and cgroups: the policy as the BPF program wants it. */
/*
 * With @old (and @old_b, what it resolved to), its rules that @p keeps,
 * same name and same text, keep what they resolved to, their counters and
 * their rate bucket; the others are resolved now and start afresh.
 */
int pb_policy_resolve(const struct pb_policy *p, const struct pb_policy *old,
		      const struct pb_bpf_policy *old_b, struct pb_bpf_policy *out);

/*
 * The device @d names now, and whether it is a whole disk; -1 with the
 * reason in @why when it names none.
 */
int pb_dev_spec_lookup(const struct pb_dev_spec *d, __u32 *dev, __u8 *whole, char *why,
		       size_t size);

/*
 * A block device by name ("sdb"), path ("/dev/disk/by-id/...") or
 * "MAJ:MIN", as the kernel's dev_t; -1 with an error printed.
 */
int pb_dev_lookup(const char *spec, __u32 *dev);

/* Pinned state under PB_PIN_DIR. */
struct pb_state {
	int bpffs_fd;		/* /sys/fs/bpf */
	int dir_fd;		/* PB_PIN_DIR, checked, locked while open */
	int outer_fd;		/* the policy map of maps, or -1 */
	int stats_fd;
	int rate_fd;
	int link_fd;		/* what is attached, or -1 */
};

#define PB_STATE_INIT	{ .bpffs_fd = -1, .dir_fd = -1, .outer_fd = -1, .stats_fd = -1, \
			  .rate_fd = -1, .link_fd = -1 }

enum pb_state_mode {
	PB_STATE_READ,		/* shared lock; nothing pinned is not an error */
	PB_STATE_TRY,		/* as READ, but -EWOULDBLOCK at once if a change holds it */
	PB_STATE_CHANGE,	/* exclusive lock, the directory made if needed */
	PB_STATE_DETACH,	/* exclusive lock, whatever build pinned the maps */
};

int state_open(struct pb_state *st, enum pb_state_mode mode);
/* pb_policy_view_read() of a state open already. */
int pb_policy_view_of(const struct pb_state *st, struct pb_policy_view *v);
void state_close(struct pb_state *st);
bool state_attached(const struct pb_state *st);
/* The current policy; generation 0 and an empty text when none. */
int state_read_policy(const struct pb_state *st, struct pb_bpf_policy *out);
/* Attach if needed, then swap in @pol with the next generation. */
int state_install(struct pb_state *st, struct pb_bpf_policy *pol);
int state_detach(struct pb_state *st);

#endif
