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

int pb_help_text(FILE *out, const char *text)
{
	if (json_output)
		json_print(json_pack("{s:o}", "help", pb_json_text(text)));
	else
		fputs(text, out);
	return PB_EXIT_OK;
}

static bool is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

/* The help of command @c: its own, or its synopsis. */
static int cmd_help(const struct cmd *c)
{
	char text[512];

	if (c->help)
		return c->help(stdout);
	snprintf(text, sizeof(text), "Usage: %s\n", c->usage);
	return pb_help_text(stdout, text);
}

int cmd_select(const struct cmd *cmds, int argc, char **argv, int (*help)(FILE *out))
{
	if (argc < 1) {
		help(stderr);
		return PB_EXIT_USAGE;
	}
	if (is_help(argv[0]) || !strcmp(argv[0], "help"))
		return help(stdout);
	for (const struct cmd *c = cmds; c->name; c++) {
		size_t len = strlen(command);
		int ret;

		if (strcmp(argv[0], c->name))
			continue;
		if (argc > 1 && (c->usage || c->help) &&
		    (is_help(argv[1]) ||
		     (argc == 2 && !c->arg_may_be_help && !strcmp(argv[1], "help"))))
			return cmd_help(c);
		snprintf(command + len, sizeof(command) - len, "%s%s", len ? " " : "", c->name);
		ret = c->func(argc - 1, argv + 1);
		command[len] = '\0';
		return ret;
	}
	p_err("unknown command '%s' (try 'help')", argv[0]);
	return PB_EXIT_USAGE;
}

static int do_help(FILE *out);
static int do_batch(int argc, char **argv);

/* The commands, in the order the help lists them. */
static const struct cmd main_cmds[] = {
	{ .name = "policy", .func = do_policy, .usage = "pinbounce policy help",
	  .what = "load, check and change the bounce policy", .help = pb_policy_help,
	  .arg_may_be_help = true },
	{ .name = "status", .func = do_status, .usage = "pinbounce status",
	  .what = "kernel support, what is attached, policy generation" },
	{ .name = "detach", .func = do_detach, .usage = "pinbounce detach",
	  .what = "remove everything pinbounce attached" },
	{ .name = "stats", .func = do_stats, .usage = PB_STATS_USAGE,
	  .what = "pinned, bounced and passed-through I/O per device" },
	{ .name = "hist", .func = do_hist, .usage = PB_HIST_USAGE,
	  .what = "bounce cost and write latency histograms" },
	{ .name = "top", .func = do_top, .usage = PB_TOP_USAGE,
	  .what = "the same, live, full screen" },
	{ .name = "export", .func = do_export, .usage = PB_EXPORT_USAGE,
	  .what = "serve the counters to Prometheus" },
	{ .name = "trace", .func = do_trace, .usage = PB_TRACE_USAGE,
	  .what = "run CMD under the observers; fail on expectations", .help = pb_trace_help },
	{ .name = "pins", .func = do_pins, .usage = PB_PINS_USAGE,
	  .what = "am I exposed? who pins which pages of which file,\non any kernel",
	  .help = pb_pins_help },
	{ .name = "batch", .func = do_batch, .usage = "pinbounce batch file FILE|-",
	  .what = "run the commands in FILE, one a line" },
	{},
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

/* Help column: a synopsis this long or shorter shares the line. */
#define HELP_COL	25

static int do_help(FILE *out)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f;
	int ret;

	if (json_output) {
		char objects[256] = "";

		for (const struct cmd *c = main_cmds; c->name; c++)
			snprintf(objects + strlen(objects), sizeof(objects) - strlen(objects),
				 "%s|", c->name);
		json_print(json_pack("{s:s++}", "help", "pinbounce [-j|-p] {", objects, "help}"));
		return PB_EXIT_OK;
	}
	f = open_memstream(&text, &size);
	if (!f)
		return PB_EXIT_ERROR;
	fprintf(f,
		"Usage: pinbounce [OPTIONS] OBJECT {COMMAND | help}\n"
		"       pinbounce --version\n"
		"\n"
		"       OBJECT := { policy | status | detach | stats | hist | top | export |\n"
		"                   trace | pins | batch }\n"
		"       OPTIONS := { -j|--json | -p|--pretty | --max-rows N }\n"
		"\n");
	for (const struct cmd *c = main_cmds; c->name; c++) {
		size_t len = strlen(c->usage), nl = strcspn(c->what, "\n");
		const char *w = c->what;

		if (len < HELP_COL)
			fprintf(f, "%-*s", HELP_COL, c->usage);
		else if (!c->what[nl] && len + 2 + nl <= 80)
			fprintf(f, "%s  ", c->usage);
		else
			fprintf(f, "%s\n%*s", c->usage, HELP_COL, "");
		/* each further line of what, indented to the column */
		while (w[nl]) {
			fprintf(f, "%.*s\n%*s", (int)nl, w, HELP_COL, "");
			w += nl + 1;
			nl = strcspn(w, "\n");
		}
		fprintf(f, "%s\n", w);
	}
	fprintf(f,
		"\n"
		"OPTIONS may come after OBJECT too (-j, -p, --max-rows), and\n"
		"'pinbounce OBJECT help' (or --help) prints its usage.\n"
		"\n"
		"--max-rows N: N rows of counters (disk and cgroup) and of histograms\n"
		"(disk and kind) for the observers (default: 4096 and 1024, fewer with\n"
		"many CPUs: 16 MiB a table at most).\n"
		"\n"
		"Exit status: 0 success, 1 error, 2 bad command line.  See pinbounce(8).\n");
	if (fclose(f)) {
		free(text);
		return PB_EXIT_ERROR;
	}
	ret = pb_help_text(out, text);
	free(text);
	return ret;
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

/* Whether @arg, an option of command @cmd, takes the next word as its value. */
static bool takes_value(const char *cmd, const char *arg)
{
	static const char *const with_value[][2] = {
		{ "", "-d" },
		{ "export", "--listen" }, { "export", "--textfile" }, { "export", "--interval" },
		{ "trace", "--json" }, { "trace", "--expect" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(with_value); i++)
		if ((!*with_value[i][0] || !strcmp(cmd, with_value[i][0])) &&
		    !strcmp(arg, with_value[i][1]))
			return true;
	return false;
}

/*
 * The global options given after the command's name (pinbounce stats -j),
 * as bpftool takes them: taken out of its words, skipping the values of
 * its own options, up to "--" and, for trace, up to its command.  trace's
 * own --json FILE stays trace's.
 */
static int late_options(int *argc, char **argv)
{
	const char *cmd = argv[0];
	int i = 1, n = 1;

	if (!*argc)
		return 0;
	while (i < *argc) {
		const char *a = argv[i];

		if (!strcmp(a, "--") || (a[0] != '-' && !strcmp(cmd, "trace")))
			break;
		if (!strcmp(a, "-j") || (!strcmp(a, "--json") && strcmp(cmd, "trace"))) {
			json_output = true;
		} else if (!strcmp(a, "-p") || !strcmp(a, "--pretty")) {
			json_output = true;
			pretty_output = true;
		} else if (!strncmp(a, "--max-rows=", 11)) {
			if (parse_max_rows(a + 11))
				return -1;
		} else if (!strcmp(a, "--max-rows")) {
			if (i + 1 == *argc || parse_max_rows(argv[i + 1])) {
				if (i + 1 == *argc)
					p_err("--max-rows needs a number of rows");
				return -1;
			}
			i++;
		} else {
			argv[n++] = argv[i];
			if (takes_value(cmd, a) && i + 1 < *argc)
				argv[n++] = argv[++i];
		}
		i++;
	}
	while (i < *argc)
		argv[n++] = argv[i++];
	/* NULL-terminated still: trace hands its tail to execvp() */
	argv[n] = NULL;
	*argc = n;
	return 0;
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
			return do_help(stdout);
		case 'R':
			if (parse_max_rows(optarg))
				return PB_EXIT_USAGE;
			break;
		default:
			return PB_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (late_options(&argc, argv))
		return PB_EXIT_USAGE;
	libbpf_set_print(quiet_libbpf);
	return cmd_select(main_cmds, argc, argv, do_help);
}
