/*++
 * NAME
 *	postdmarc-reporter 8
 * SUMMARY
 *	DMARC aggregate reports from the postdmarc store
 * SYNOPSIS
 *	postdmarc-reporter [-c FILE] [-n] [-V] [--once] [--flush]
 *		[--output DIR] [--dry-run] [--stats [--days N]]
 * DESCRIPTION
 *	See postdmarc-reporter(8).  Without --once: a daemon in the
 *	foreground that reports the previous UTC day(s) every day at
 *	send_time, catches up after downtime, and retries deliveries as
 *	they come due, until SIGTERM.
 *--*/
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "conf.h"
#include "deliver.h"
#include "dns.h"
#include "log.h"
#include "priv.h"
#include "stats.h"
#include "store.h"
#include "str.h"

#define DAY	86400ULL

struct opts {
    const char *path;
    int explicit, check, once, flush, dry_run, stats;
    unsigned days;
    const char *outdir;
};

static volatile sig_atomic_t stopping;
static int wake_pipe[2] = {-1, -1};	/* the signal handler writes here */

/* on_signal - SIGTERM, SIGINT: finish the step under way, then stop */

static void on_signal(int sig)
{
    int saved = errno;

    stopping = 1;
    /* Wake a sleep at once, even one that started after the check. */
    if (write(wake_pipe[1], "", 1) < 0) {
	/* full: a wake-up is pending already */
    }
    errno = saved;
}

/* usage - complain and exit */

static void PD_NORETURN usage(void)
{
    fprintf(stderr, "usage: postdmarc-reporter [-c FILE] [-n] [-V] [--once] [--flush] "
	    "[--output DIR] [--dry-run] [--stats [--days N]]\n");
    exit(EX_USAGE);
}

/* parse_args - the command line */

static void parse_args(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
	{"once", no_argument, NULL, 'o'},
	{"flush", no_argument, NULL, 'f'},
	{"output", required_argument, NULL, 'O'},
	{"dry-run", no_argument, NULL, 'd'},
	{"stats", no_argument, NULL, 's'},
	{"days", required_argument, NULL, 'D'},
	{NULL, 0, NULL, 0},
    };
    uint64_t v;
    int c;

    memset(o, 0, sizeof(*o));
    o->path = CONF_DEFAULT_PATH;
    o->days = 7;
    while ((c = getopt_long(argc, argv, "c:nV", longopts, NULL)) != -1) {
	switch (c) {
	case 'c':
	    o->path = optarg, o->explicit = 1;
	    break;
	case 'n':
	    o->check = 1;
	    break;
	case 'V':
	    printf("postdmarc-reporter %s\n", PD_VERSION);
	    exit(0);
	case 'o':
	    o->once = 1;
	    break;
	case 'f':
	    o->flush = 1;
	    break;
	case 'O':
	    o->outdir = optarg;
	    break;
	case 'd':
	    o->dry_run = 1;
	    break;
	case 's':
	    o->stats = 1;
	    break;
	case 'D':
	    if (str_to_u64(optarg, strlen(optarg), 3650, &v) < 0 || v == 0)
		usage();
	    o->days = (unsigned) v;
	    break;
	default:
	    usage();
	}
    }
    if (optind != argc || (o->flush && !o->once))
	usage();
}

/* lock_reporter - one reporter per store at a time */

static int lock_reporter(const char *store)
{
    char path[4096];
    int fd;

    snprintf(path, sizeof(path), "%s/reporter.lock", store);
    if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0660)) < 0)
	return -1;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
	close(fd);
	errno = EAGAIN;
	return -1;
    }
    return fd;				/* held until exit */
}

/* cycle - build what is due, deliver what is pending, prune */

static int cycle(const struct conf *conf, struct store *st, struct dns_resolver *dns,
		         const struct opts *o, int build, uint64_t *next_try)
{
    uint64_t now = (uint64_t) time(NULL), since = 0, cutoff;
    struct build_stats bs;
    struct deliver_stats ds;
    struct deliver_opts dopt = {o->once, o->dry_run, o->outdir, stdout};
    int ret = 0;

    cutoff = o->flush ? now + 1 : now / DAY * DAY;
    if (build) {
	store_meta_get(st, "reported_until", &since);
	if (build_reports(conf, st, since, cutoff, o->dry_run, stdout, &bs) < 0) {
	    log_error("building reports: %s", store_error(st));
	    ret = -1;
	} else {
	    if (!o->dry_run && cutoff > since)
		store_meta_put(st, "reported_until", cutoff);
	    log_info("built %u reports from %llu records (%llu not reportable, %u policies "
		     "without a mailto: rua, %u excluded)", bs.reports,
		     (unsigned long long) bs.records, (unsigned long long) bs.skipped,
		     bs.no_destination, bs.excluded);
	}
    }
    if (deliver_reports(conf, st, dns, &dopt, &ds) < 0)
	ret = -1;
    if (ds.sent + ds.failed + ds.skipped + ds.deferred)
	log_info("deliveries: %u sent, %u refused, %u not authorized, %u deferred",
		 ds.sent, ds.failed, ds.skipped, ds.deferred);
    if (build && !o->dry_run) {
	uint64_t removed = 0;

	store_prune(st, now - conf->store_keep / 1000, &removed);
	store_meta_put(st, "last_cycle", now);
	if (removed)
	    log_info("pruned %llu old records", (unsigned long long) removed);
    }
    *next_try = ds.next_try;
    return ret;
}

/* next_send - the next send_time moment after now */

static uint64_t next_send(const struct conf *conf, uint64_t now)
{
    uint64_t t = now / DAY * DAY + (uint64_t) conf->send_time * 60;

    return t > now ? t : t + DAY;
}

/* sleep_until - wait for a moment, or a signal */

static void sleep_until(uint64_t when)
{
    struct pollfd pfd = {wake_pipe[0], POLLIN, 0};
    uint64_t now;

    while (!stopping && (now = (uint64_t) time(NULL)) < when) {
	uint64_t left = when - now;

	poll(&pfd, 1, (int) (left > 60 ? 60000 : left * 1000));
    }
}

/* daemon_loop - reports every day at send_time, retries in between */

static int daemon_loop(const struct conf *conf, struct store *st, struct dns_resolver *dns,
		               const struct opts *o)
{
    uint64_t now = (uint64_t) time(NULL), last = 0, send, next_try = 0, wake;
    uint64_t last_send = next_send(conf, now) - DAY;

    store_meta_get(st, "last_cycle", &last);
    /* Catch up: a send time passed while we were not running.  That is
     * the latest one, today's or, before today's send_time, yesterday's
     * (comparing with today's alone missed a downtime over yesterday's
     * send_time until today's came). */
    if (last < last_send)
	cycle(conf, st, dns, o, 1, &next_try);
    while (!stopping) {
	now = (uint64_t) time(NULL);
	send = next_send(conf, now);
	wake = next_try && next_try < send ? next_try : send;
	log_info("next report run at %llu, next retry at %llu", (unsigned long long) send,
		 (unsigned long long) next_try);
	sleep_until(wake);
	if (stopping)
	    break;
	cycle(conf, st, dns, o, (uint64_t) time(NULL) >= send, &next_try);
    }
    log_info("stopped");
    return 0;
}

int main(int argc, char **argv)
{
    struct opts o;
    struct conf *conf;
    struct store *st;
    struct dns_resolver *dns;
    uint64_t next_try;
    char err[256];
    int ret;

    log_init("postdmarc-reporter");
    parse_args(argc, argv, &o);
    if ((conf = conf_load(o.path, o.explicit, stderr)) == NULL)
	return EX_CONFIG;
    if (o.check)
	return conf_free(conf), 0;
    if (log_target(conf->log) < 0)
	log_fatal(EX_CONFIG, "cannot log to %s", conf->log);
    log_set_debug(conf->debug);
    if (priv_drop(conf->user, err, sizeof(err)) < 0)
	log_fatal(EX_CONFIG, "%s", err);
    if (!conf->reporter_enabled && !o.stats && !o.dry_run) {
	log_info("reporting disabled ([reporter] enabled = no)");
	conf_free(conf);			/* was leaked (LeakSanitizer) */
	return 0;
    }
    if ((st = store_open(conf->store, o.dry_run || o.stats ? STORE_RDONLY : STORE_CREATE)) == NULL)
	log_fatal(EX_TEMPFAIL, "store %s: %s", conf->store, store_last_error());
    if (o.stats) {
	ret = stats_print(st, o.days, stdout);
	store_close(st);
	conf_free(conf);			/* was leaked (LeakSanitizer) */
	return ret < 0 ? EX_SOFTWARE : 0;
    }
    if (!o.dry_run && lock_reporter(conf->store) < 0)
	log_fatal(EX_TEMPFAIL, "another postdmarc-reporter is running on %s", conf->store);
    if ((dns = dns_create(conf->nameservers.v, conf->nameservers.n, conf->dns_timeout,
			  conf->dns_attempts, conf->dns_cache_size)) == NULL)
	log_fatal(EX_CONFIG, "cannot set up the DNS resolver");
    if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
	log_fatal(EX_OSERR, "pipe: %s", strerror(errno));
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
    if (o.once || o.dry_run)
	ret = cycle(conf, st, dns, &o, 1, &next_try) < 0 ? EX_TEMPFAIL : 0;
    else
	ret = daemon_loop(conf, st, dns, &o);
    dns_destroy(dns);
    store_close(st);
    conf_free(conf);
    return ret;
}
