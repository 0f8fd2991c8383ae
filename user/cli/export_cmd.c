// SPDX-License-Identifier: GPL-2.0
/*
 * pinbounce export [--listen ADDR:PORT] [--textfile PATH [--interval SECS] [--once]]
 *
 * The observers' counters and histograms, the policy's hits and what the
 * BPF programs cost, in the Prometheus text exposition format (0.0.4):
 * served at /metrics over HTTP (libmicrohttpd, a pool of its threads),
 * written to a file for node_exporter's textfile collector, or both.
 *
 * Every scrape and every file reads the BPF maps afresh.  The counters are
 * cumulative since the exporter attached its observers; the maps are the
 * exporter's own, so other readers (stats, hist, another exporter) are
 * unaffected by it, and the one thing it takes out of them, the rows of
 * cgroups that are gone, it keeps counting in a row of their own.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <microhttpd.h>
#include "cgroup_cache.h"
#include "cli.h"
#include "log_limit.h"
#include "observe.h"
#include "metrics.h"
#include "report.h"
#include "observe.skel.h"

#define DEFAULT_LISTEN	"127.0.0.1:9435"
#define DEFAULT_SECS	15
#define CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/*
 * Slow clients (a request trickling in a byte at a time, or none at all)
 * cost a connection each and nothing else.  Answers come from THREADS
 * threads, and a scrape waits for no other connection's request nor for
 * the policy's lock; a connection with nothing coming or going for
 * IDLE_SECS is closed (a scraper sends its request at once, and needs a
 * new connection between scrapes anyway).  A client that sends a byte
 * every second keeps its connection, though: what keeps the scrapers in
 * is room.  CONN_MAX connections in all, of which one address may hold
 * CONN_PER_IP, so that no three addresses can take them all; and so many
 * that the scraper's own address, 127.0.0.1 on the default listener, has
 * room beside hundreds of another local user's connections, which the
 * per-address limit alone cannot tell from the scraper's.  libmicrohttpd
 * refuses a connection past either limit, and polls with epoll: many
 * connections cost file descriptors (FD_SPARE more for the exporter's
 * own) and memory, not time.
 */
#define THREADS		4U
#define CONN_MAX	1024U
#define CONN_PER_IP	256U
#define IDLE_SECS	2U
#define FD_SPARE	256U
/* Each error at most so often (libmicrohttpd's, and a scrape's). */
#define LOG_EVERY_SECS	60

/* HTTP */

static const char index_page[] =
	"<html><head><title>pinbounce exporter</title></head>\n"
	"<body><h1>pinbounce exporter</h1>\n"
	"<p><a href=\"/metrics\">Metrics</a></p></body></html>\n";

/* @body: malloc'ed and given away with @must_free, else static. */
static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int status,
			       const char *type, const char *body, size_t len, bool must_free)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body, must_free ?
					    MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		if (must_free)
			free((void *)body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **req_cls)
{
	static const char not_found[] = "Not found: the metrics are at /metrics\n";
	static const char not_allowed[] = "Only GET and HEAD\n";
	static const char failed[] = "Cannot read the observers (see the exporter's stderr)\n";
	const char *plain = "text/plain; charset=utf-8";
	char *body;
	size_t len;

	(void)version;
	(void)upload_data;
	(void)upload_size;
	(void)req_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED, plain, not_allowed,
			       strlen(not_allowed), false);
	if (!strcmp(url, "/"))
		return respond(conn, MHD_HTTP_OK, "text/html; charset=utf-8", index_page,
			       strlen(index_page), false);
	if (strcmp(url, "/metrics"))
		return respond(conn, MHD_HTTP_NOT_FOUND, plain, not_found, strlen(not_found),
			       false);
	body = metrics_exposition(cls, true, &len);
	if (!body)
		return respond(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, plain, failed,
			       strlen(failed), false);
	return respond(conn, MHD_HTTP_OK, CONTENT_TYPE, body, len, true);
}

/* libmicrohttpd's messages, each kind (@fmt) at most once every LOG_EVERY_SECS. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	static const char prefix[] = "export: http: ";
	char msg[512];
	size_t n;

	(void)cls;
	memcpy(msg, prefix, sizeof(prefix));
	vsnprintf(msg + sizeof(prefix) - 1, sizeof(msg) - sizeof(prefix) + 1, fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	p_err_text(fmt, msg);
}

/* What the limit held back, at exit: the last of each kind and how many. */
static void say_held_back(const char *msg, unsigned long skipped)
{
	p_err("%s (and %lu more like it not shown)", msg, skipped);
}

/*
 * Room for CONN_MAX connections beside the exporter's own files: the soft
 * limit on open files raised toward the hard one (nothing here uses
 * select(), which fds past 1024 would break); fewer connections where the
 * hard limit is lower.
 */
static unsigned int conn_room(void)
{
	const rlim_t want = CONN_MAX + FD_SPARE;
	struct rlimit rl;
	unsigned int n;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return CONN_MAX;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur >= want)
		return CONN_MAX;
	n = rl.rlim_cur > 2 * FD_SPARE ? rl.rlim_cur - FD_SPARE : rl.rlim_cur / 2;
	p_warn("export: %u connections at most, not %u: the limit on open files is %llu",
	       n, CONN_MAX, (unsigned long long)rl.rlim_cur);
	return n;
}

/*
 * "a.b.c.d:port" or "[ipv6]:port" into @sa; on a bad one, false and what
 * was wrong with it in @why.
 */
static bool parse_listen(const char *spec, struct sockaddr_storage *sa, socklen_t *salen,
			 char *why, size_t size)
{
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
	struct sockaddr_in *in = (struct sockaddr_in *)sa;
	const char *colon, *port;
	char host[INET6_ADDRSTRLEN + 1];
	unsigned long p;
	size_t hlen;
	char *end;

	memset(sa, 0, sizeof(*sa));
	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');

		if (!rb || rb[1] != ':') {
			snprintf(why, size, "'%s': expected [IPV6]:PORT", spec);
			return false;
		}
		hlen = rb - spec - 1;
		port = rb + 2;
	} else {
		colon = strrchr(spec, ':');
		if (!colon) {
			snprintf(why, size, "'%s': expected ADDR:PORT (e.g. %s) or [IPV6]:PORT",
				 spec, DEFAULT_LISTEN);
			return false;
		}
		hlen = colon - spec;
		port = colon + 1;
		if (memchr(spec, ':', hlen)) {
			snprintf(why, size, "'%s': an IPv6 address goes in brackets: [ADDR]:PORT",
				 spec);
			return false;
		}
	}
	if (hlen >= sizeof(host)) {
		snprintf(why, size, "'%s': the address is too long", spec);
		return false;
	}
	memcpy(host, spec[0] == '[' ? spec + 1 : spec, hlen);
	host[hlen] = '\0';
	errno = 0;
	p = strtoul(port, &end, 10);
	if (!*port || *end || errno || p < 1 || p > 65535 || *port < '0' || *port > '9') {
		snprintf(why, size, "'%s': the port '%s' is not a number from 1 to 65535", spec,
			 port);
		return false;
	}
	if (spec[0] == '[') {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(p);
		*salen = sizeof(*in6);
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1)
			return true;
		snprintf(why, size, "'%s': '%s' is not an IPv6 address", spec, host);
		return false;
	}
	in->sin_family = AF_INET;
	in->sin_port = htons(p);
	*salen = sizeof(*in);
	/* as node_exporter takes them: ":PORT" every interface, "localhost" */
	if (!host[0]) {
		in->sin_addr.s_addr = htonl(INADDR_ANY);
		return true;
	}
	if (!strcmp(host, "localhost")) {
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return true;
	}
	if (inet_pton(AF_INET, host, &in->sin_addr) == 1)
		return true;
	snprintf(why, size, "'%s': '%s' is not an IPv4 address (a.b.c.d)", spec, host);
	return false;
}

static int listen_on(const struct sockaddr_storage *sa, socklen_t salen, const char *spec)
{
	int one = 1, fd;

	fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		p_err("export: cannot listen on %s: %s", spec, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)sa, salen) || listen(fd, SOMAXCONN)) {
		p_err("export: cannot listen on %s: %s%s", spec, strerror(errno),
		      errno == EADDRINUSE ? " (another exporter or program has that port)" : "");
		close(fd);
		return -1;
	}
	return fd;
}

/* The text file, replaced whole: node_exporter never reads half of it. */
static int write_textfile(struct exporter *e, const char *path)
{
	size_t len;
	char *body = metrics_exposition(e, false, &len);
	int err;

	if (!body)
		return -1;
	err = pb_replace_file(path, body, len);
	free(body);
	return err;
}

/* Process start time from /proc: boot time plus the start in clock ticks. */
static double process_start_time(void)
{
	unsigned long long ticks = 0, btime = 0;
	char buf[1024], *p;
	size_t n = 0;
	FILE *f;

	f = fopen("/proc/self/stat", "r");
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* After "pid (comm)": state is field 3, starttime field 22. */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu", &ticks) != 1)
		return 0;
	f = fopen("/proc/stat", "r");
	if (!f)
		return 0;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "btime %llu", &btime) == 1)
			break;
	fclose(f);
	return btime ? btime + (double)ticks / sysconf(_SC_CLK_TCK) : 0;
}

/* The command line */

struct export_opts {
	const char *listen;		/* NULL: no HTTP */
	const char *textfile;
	double interval;
	bool interval_set;
	bool once;
};

static int parse_opts(int argc, char **argv, struct export_opts *opt)
{
	bool listen = false;

	memset(opt, 0, sizeof(*opt));
	opt->interval = DEFAULT_SECS;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *eq = strchr(arg, '='), *v;
		size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
		char *end;

		if (!strcmp(arg, "--once")) {
			opt->once = true;
			continue;
		}
		if (!pb_is_opt(arg, len, "--listen") && !pb_is_opt(arg, len, "--textfile") &&
		    !pb_is_opt(arg, len, "--interval")) {
			p_usage(PB_EXPORT_USAGE, "export: unknown argument '%s'", arg);
			return -1;
		}
		if (!eq && i + 1 >= argc) {
			p_usage(PB_EXPORT_USAGE, "export: %s needs a value", arg);
			return -1;
		}
		v = eq ? eq + 1 : argv[++i];
		if (pb_is_opt(arg, len, "--listen")) {
			opt->listen = v;
			listen = true;
		} else if (pb_is_opt(arg, len, "--textfile")) {
			opt->textfile = v;
		} else {
			errno = 0;
			opt->interval = strtod(v, &end);
			if (errno || end == v || *end || !(opt->interval >= 0.1) ||
			    opt->interval > 86400) {
				p_usage(PB_EXPORT_USAGE,
					"export: --interval '%s': expected seconds, from 0.1 to 86400",
					v);
				return -1;
			}
			opt->interval_set = true;
		}
	}
	if (!opt->textfile && (opt->interval_set || opt->once)) {
		p_usage(PB_EXPORT_USAGE, "export: --interval and --once go with --textfile");
		return -1;
	}
	if (opt->once && listen) {
		p_usage(PB_EXPORT_USAGE,
			"export: --once writes the text file and exits: not with --listen");
		return -1;
	}
	if (opt->textfile && !*opt->textfile) {
		p_usage(PB_EXPORT_USAGE, "export: --textfile needs a path");
		return -1;
	}
	if (!opt->textfile && !listen)
		opt->listen = DEFAULT_LISTEN;
	return 0;
}

/* Wait up to @secs (forever if negative) for SIGINT or SIGTERM: true if one came. */
static bool wait_signal(const sigset_t *set, double secs)
{
	double until = pb_clock(CLOCK_MONOTONIC) + secs;

	for (;;) {
		struct timespec ts;
		double left = until - pb_clock(CLOCK_MONOTONIC);
		int sig;

		if (secs < 0) {
			sig = sigwaitinfo(set, NULL);
		} else {
			if (left <= 0)
				return false;
			ts.tv_sec = (time_t)left;
			ts.tv_nsec = (long)((left - ts.tv_sec) * 1e9);
			sig = sigtimedwait(set, NULL, &ts);
		}
		if (sig > 0)
			return true;
		if (errno != EINTR && errno != EAGAIN)
			return false;
	}
}

static int run(struct exporter *e, const struct export_opts *opt, int sock, int family,
	       const sigset_t *sigs)
{
	struct MHD_Daemon *d = NULL;
	int ret = PB_EXIT_OK;
	double next;

	if (sock >= 0) {
		d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC |
				     MHD_USE_ERROR_LOG | (family == AF_INET6 ? MHD_USE_IPv6 : 0),
				     0, NULL, NULL, on_request, e,
				     MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
				     MHD_OPTION_LISTEN_SOCKET, sock,
				     MHD_OPTION_THREAD_POOL_SIZE, THREADS,
				     MHD_OPTION_CONNECTION_TIMEOUT, IDLE_SECS,
				     MHD_OPTION_CONNECTION_LIMIT, conn_room(),
				     MHD_OPTION_PER_IP_CONNECTION_LIMIT, CONN_PER_IP,
				     MHD_OPTION_END);
		if (!d) {
			/* MHD owns @sock from here, closed or not: exiting anyway. */
			p_err("export: cannot start the HTTP server on %s", opt->listen);
			return PB_EXIT_ERROR;
		}
		p_info("export: serving http://%s/metrics", opt->listen);
	}
	if (opt->textfile) {
		if (opt->once && opt->interval_set) {
			p_info("export: observing for %g s, then writing %s", opt->interval,
			       opt->textfile);
			wait_signal(sigs, opt->interval);
		}
		if (write_textfile(e, opt->textfile)) {
			ret = PB_EXIT_ERROR;
			goto out;
		}
		if (opt->once)
			goto out;
		p_info("export: writing %s every %g s", opt->textfile, opt->interval);
	}
	next = pb_clock(CLOCK_MONOTONIC) + opt->interval;
	while (!wait_signal(sigs, opt->textfile ? next - pb_clock(CLOCK_MONOTONIC) : -1)) {
		double now = pb_clock(CLOCK_MONOTONIC);

		if (!opt->textfile)
			continue;
		write_textfile(e, opt->textfile);	/* says why when it fails; keeps going */
		next += opt->interval;
		if (next <= now)
			next = now + opt->interval;
	}
out:
	if (d)
		MHD_stop_daemon(d);	/* closes @sock */
	return ret;
}

int do_export(int argc, char **argv)
{
	struct exporter e = { .stats_fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };
	struct sockaddr_storage sa = {};
	struct export_opts opt;
	sigset_t sigs, old;
	socklen_t salen = 0;
	char why[256];
	int sock = -1, ret;

	if (parse_opts(argc, argv, &opt))
		return PB_EXIT_USAGE;
	if (opt.listen && !parse_listen(opt.listen, &sa, &salen, why, sizeof(why))) {
		p_usage(PB_EXPORT_USAGE, "export: --listen %s", why);
		return PB_EXIT_USAGE;
	}
	if (pb_obs_need_root())
		return PB_EXIT_ERROR;
	pb_log_limit(LOG_EVERY_SECS);
	/* Taken by sigwaitinfo() alone, here and in every thread started after. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, &old);
	if (opt.listen) {
		sock = listen_on(&sa, salen, opt.listen);
		if (sock < 0) {
			ret = PB_EXIT_ERROR;
			goto out_mask;
		}
	}
	if (pb_obs_open(&e.o)) {
		if (sock >= 0)
			close(sock);
		ret = PB_EXIT_ERROR;
		goto out_mask;
	}
	/* the census is worth having, not worth failing for */
	if (pb_census_open(&e.census))
		p_warn("export: no census of pinned pages: see the error above");
	e.cgroups = pb_cgroups_new();
	e.start_time = pb_clock(CLOCK_REALTIME);
	e.process_start = process_start_time();
	if (!e.o.bounce)
		p_info("export: no bounce decisions nor bounce histograms: %s", PB_NO_BOUNCE);
	e.stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (e.stats_fd < 0)
		p_info("export: cannot enable the BPF run-time statistics (%s): the program run counters will not count",
		       strerror(errno));
	ret = run(&e, &opt, sock, sa.ss_family, &sigs);
	if (e.stats_fd >= 0)
		close(e.stats_fd);
	pb_census_close(&e.census);
	pb_obs_close(&e.o);
	pb_cgroups_free(e.cgroups);
	free(e.gone);
	free(e.policy);
out_mask:
	pb_log_limit(0);
	pb_log_flush(say_held_back);
	/* A signal that came while we were finishing anyway must not kill us now. */
	while (sigtimedwait(&sigs, NULL, &(struct timespec){ 0 }) > 0)
		;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}
