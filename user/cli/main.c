// SPDX-License-Identifier: GPL-2.0
/*
 * pinbounce: load the policy that decides which writeback bounces its
 * pinned pages, and see what it decides.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "cli.h"
#include "log_limit.h"
#include "report.h"
#include "text.h"

bool json_output, pretty_output;
unsigned int obs_max_rows;
/* The words of the command running, e.g. "policy show": every JSON
 * document says which command wrote it.
 */
static char command[64];
/* In a JSON batch, the documents of its commands, printed as one array. */
static json_t *json_batch;

/*
 * @fmt's message on stderr, "Error: " or "Warning: " before it, on one
 * line: every byte a terminal would act on escaped, and backslashes, in
 * the names it holds (given raw: escaped here once) as in the rest; a
 * name's newline cannot forge a line of its own.
 */
static __printf(2, 0) void print_msg(const char *prefix, const char *fmt, va_list ap)
{
	char msg[1024], clean[PB_TEXT_SIZE(sizeof(msg))];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	pb_text_escape(clean, sizeof(clean), msg, PB_TEXT_CONTROLS | PB_TEXT_BACKSLASH);
	fprintf(stderr, "%s%s\n", prefix, clean);
}

void p_err_text(const void *key, const char *text)
{
	char msg[1024], clean[PB_TEXT_SIZE(sizeof(msg))];
	unsigned long skipped;

	if (!pb_log_due(key, text, &skipped))
		return;
	if (skipped)
		snprintf(msg, sizeof(msg), "%s (and %lu more like it not shown)", text, skipped);
	else
		snprintf(msg, sizeof(msg), "%s", text);
	if (json_output) {
		json_print(json_pack("{s:o}", "error", pb_json_text(msg)));
	} else {
		pb_text_escape(clean, sizeof(clean), msg, PB_TEXT_CONTROLS | PB_TEXT_BACKSLASH);
		fprintf(stderr, "Error: %s\n", clean);
	}
}

void p_err(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p_err_text(fmt, msg);
}

void p_usage(const char *usage, const char *fmt, ...)
{
	char msg[1024], clean[PB_TEXT_SIZE(sizeof(msg))];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json_output) {
		char text[sizeof(msg) + 1024];

		snprintf(text, sizeof(text), "%s\nusage: %s", msg, usage);
		json_print(json_pack("{s:o}", "error", pb_json_text(text)));
		return;
	}
	pb_text_escape(clean, sizeof(clean), msg, PB_TEXT_CONTROLS | PB_TEXT_BACKSLASH);
	fprintf(stderr, "Error: %s\nusage: %s\n", clean, usage);
}

int need_root(const char *why)
{
	if (geteuid() == 0)
		return 0;
	p_err("pinbounce needs root to %s", why);
	return -1;
}

double pb_clock(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void p_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_msg("Warning: ", fmt, ap);
	va_end(ap);
}

void p_info(const char *fmt, ...)
{
	va_list ap;

	if (json_output)
		return;
	va_start(ap, fmt);
	print_msg("", fmt, ap);
	va_end(ap);
}

void json_print(json_t *doc)
{
	if (!doc)
		return;
	if (json_is_object(doc) && !json_object_get(doc, "schema")) {
		json_t *head = json_pack("{s:s,s:s}", "schema", PB_SCHEMA,
					 "command", command[0] ? command : "pinbounce");

		/* schema and command first, as in the documents of report.c */
		json_object_update(head, doc);
		json_decref(doc);
		doc = head;
	}
	if (json_batch) {
		json_array_append_new(json_batch, doc);
		return;
	}
	json_dumpf(doc, stdout, pretty_output ? JSON_INDENT(2) : JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(doc);
}

int cmd_select(const struct cmd *cmds, int argc, char **argv,
	       int (*help)(int argc, char **argv))
{
	if (argc < 1)
		return help(argc, argv);
	for (const struct cmd *c = cmds; c->name; c++) {
		size_t len = strlen(command);
		int ret;

		if (strcmp(argv[0], c->name))
			continue;
		snprintf(command + len, sizeof(command) - len, "%s%s", len ? " " : "", c->name);
		ret = c->func(argc - 1, argv + 1);
		command[len] = '\0';
		return ret;
	}
	p_err("unknown command '%s' (try 'help')", argv[0]);
	return PB_EXIT_USAGE;
}

static int do_help(int argc, char **argv);
static int do_batch(int argc, char **argv);

static const struct cmd main_cmds[] = {
	{ "policy", do_policy },
	{ "status", do_status },
	{ "detach", do_detach },
	{ "stats", do_stats },
	{ "hist", do_hist },
	{ "top", do_top },
	{ "export", do_export },
	{ "trace", do_trace },
	{ "pins", do_pins },
	{ "batch", do_batch },
	{ "help", do_help },
	{ NULL, NULL },
};

#define BATCH_MAX_ARGS	64
#define BLANKS		" \t\r"

/*
 * Run the commands of FILE, one per line, without "pinbounce" and without
 * options (those of the batch apply), as bpftool's batch does: words are
 * separated by blanks, '#' starts a comment.  Stops at the first command
 * that fails, naming its line.
 */
static int run_batch(FILE *f, const char *name)
{
	char *line = NULL, *args[BATCH_MAX_ARGS], *save, outer[sizeof(command)];
	unsigned int lineno = 0, ncmds = 0;
	size_t size = 0;
	int ret = PB_EXIT_OK;

	while (getline(&line, &size, f) >= 0) {
		int n = 0;

		lineno++;
		line[strcspn(line, "#\n")] = '\0';
		for (char *w = strtok_r(line, BLANKS, &save); w;
		     w = strtok_r(NULL, BLANKS, &save)) {
			if (n == BATCH_MAX_ARGS) {
				p_err("%s:%u: more than %d words", name, lineno, BATCH_MAX_ARGS);
				ret = PB_EXIT_USAGE;
				goto out;
			}
			args[n++] = w;
		}
		if (!n)
			continue;
		if (!strcmp(args[0], "batch")) {
			p_err("%s:%u: a batch cannot run a batch", name, lineno);
			ret = PB_EXIT_USAGE;
			goto out;
		}
		/* each line's documents name its own command, not "batch" */
		memcpy(outer, command, sizeof(outer));
		command[0] = '\0';
		ret = cmd_select(main_cmds, n, args, do_help);
		memcpy(command, outer, sizeof(outer));
		if (ret) {
			p_err("%s:%u: command failed, %u before it ran", name, lineno, ncmds);
			goto out;
		}
		ncmds++;
	}
	if (ferror(f)) {
		p_err("cannot read %s: %s", name, strerror(errno));
		ret = PB_EXIT_ERROR;
	} else {
		p_info("batch: %u commands", ncmds);
	}
out:
	free(line);
	return ret;
}

static int do_batch(int argc, char **argv)
{
	bool std = argc == 2 && !strcmp(argv[1], "-");
	FILE *f;
	int ret;

	if (argc != 2 || strcmp(argv[0], "file")) {
		p_err("usage: pinbounce batch file FILE|-");
		return PB_EXIT_USAGE;
	}
	f = std ? stdin : fopen(argv[1], "r");
	if (!f) {
		p_err("cannot open %s: %s", argv[1], strerror(errno));
		return PB_EXIT_ERROR;
	}
	if (json_output)
		json_batch = json_array();
	ret = run_batch(f, std ? "<stdin>" : argv[1]);
	if (!std)
		fclose(f);
	if (json_batch) {
		json_t *all = json_batch;

		json_batch = NULL;
		json_print(all);
	}
	return ret;
}

static int do_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (json_output) {
		static const char objects[] =
			"policy|status|detach|stats|hist|top|export|trace|pins|batch|help";

		json_print(json_pack("{s:s++}", "help", "pinbounce [-j|-p] {", objects, "}"));
		return PB_EXIT_OK;
	}
	fprintf(stderr,
		"Usage: pinbounce [OPTIONS] OBJECT {COMMAND | help}\n"
		"       pinbounce --version\n"
		"\n"
		"       OBJECT := { policy | status | detach | stats | hist | top | export |\n"
		"                   trace | pins | batch }\n"
		"       OPTIONS := { -j|--json | -p|--pretty | --max-rows N }\n"
		"\n"
		"pinbounce policy help    load, check and change the bounce policy\n"
		"pinbounce status         kernel support, what is attached, policy generation\n"
		"pinbounce detach         remove everything pinbounce attached\n"
		"pinbounce stats [-d DISK] [interval [count]]\n"
		"                         pinned, bounced and passed-through I/O per device\n"
		"pinbounce hist [-d DISK] [-m] [interval [count]]\n"
		"                         bounce cost and write latency histograms\n"
		"pinbounce top [-d DISK] [interval]  the same, live, full screen\n"
		"pinbounce export [--listen ADDR:PORT] [--textfile PATH [--interval SECS] [--once]]\n"
		"                         serve the counters to Prometheus\n"
		"pinbounce trace [-d DISK] [--json FILE] [--expect EXPR]... -- CMD [ARGS]\n"
		"                         run CMD under the observers; fail on expectations\n"
		"pinbounce pins [-d DISK] [interval [count]]\n"
		"                         am I exposed? who pins which pages of which file,\n"
		"                         on any kernel\n"
		"pinbounce batch file FILE|-  run the commands in FILE, one a line\n"
		"\n"
		"--max-rows N: N rows of counters (disk and cgroup) and of histograms\n"
		"(disk and kind) for the observers (default: 4096 and 1024, fewer with\n"
		"many CPUs: 16 MiB a table at most).\n"
		"\n"
		"Exit status: 0 success, 1 error, 2 bad command line.  See pinbounce(8).\n");
	return PB_EXIT_OK;
}

/* --max-rows: a whole number from 16 to 1048576. */
static int parse_max_rows(const char *s)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < 16 || v > 1048576) {
		p_err("--max-rows: expected a number of rows from 16 to 1048576, got '%s'", s);
		return -1;
	}
	obs_max_rows = v;
	return 0;
}

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level != LIBBPF_WARN || json_output)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ "max-rows", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "+jpVh", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json_output = true;
			break;
		case 'p':
			json_output = true;
			pretty_output = true;
			break;
		case 'V':
			if (json_output)
				json_print(json_pack("{s:s,s:s,s:s}", "command", "version",
						     "version", PB_VERSION,
						     "libbpf", libbpf_version_string()));
			else
				printf("pinbounce %s (libbpf %s)\n", PB_VERSION,
				       libbpf_version_string());
			return PB_EXIT_OK;
		case 'h':
			return do_help(0, NULL);
		case 'R':
			if (parse_max_rows(optarg))
				return PB_EXIT_USAGE;
			break;
		default:
			return PB_EXIT_USAGE;
		}
	}
	libbpf_set_print(quiet_libbpf);
	return cmd_select(main_cmds, argc - optind, argv + optind, do_help);
}
