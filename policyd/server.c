/*++
 * NAME
 *	server 3
 * SUMMARY
 *	the policy server: listeners, connections, signals
 * SYNOPSIS
 *	#include "server.h"
 *
 *	struct srv *srv_new(world, conf_path, conf_explicit)
 *	int	srv_listen(srv)
 *	void	srv_open_store(srv)
 *	int	srv_run(srv)
 *	int	srv_stdio(srv)
 *	void	srv_free(srv)
 * DESCRIPTION
 *	srv_listen() binds every "listen" endpoint (before privileges are
 *	dropped); it returns 0 or -1.
 *
 *	srv_run() serves until SIGTERM or SIGINT: every accepted
 *	connection gets a thread of its own, so a slow DNS answer for one
 *	client holds up nobody else; at most max_connections at once
 *	(further ones are closed at once, and Postfix retries).  On
 *	SIGTERM the listeners close, connections finish the request they
 *	are answering and close, and srv_run() returns 0.  SIGHUP reloads
 *	the configuration file; a file with errors is logged and the old
 *	configuration stays.
 *
 *	srv_stdio() serves one connection on stdin/stdout (spawn(8)).
 *
 *	The store is opened once privileges are dropped; a store that
 *	cannot be opened does not stop the service (verdicts are then not
 *	recorded) and is tried again every minute.
 *--*/
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "request.h"
#include "server.h"
#include "str.h"

#define SRV_STACK	(256 * 1024)
#define SRV_READ	4096
#define SRV_TICK_MS	500		/* how often idle threads look up */
#define SRV_READ_IDLE	(-2)		/* srv_read(): a tick with no data */
#define SRV_DRAIN_MAX	120		/* seconds to wait for connections on stop */
#define SRV_STORE_RETRY	60

struct srv {
    pthread_mutex_t lock;
    pthread_cond_t idle;		/* signalled when active drops */
    struct pol_world *world;		/* current; guarded by lock */
    struct store *store;		/* guarded by lock once set */
    struct pol_counters counters;
    time_t store_tried;
    const char *conf_path;
    int conf_explicit;
    int lfds[CONF_LIST_MAX];
    size_t nlfds;
    unsigned active;			/* connection threads */
    volatile int stopping;
};

struct srv_conn {
    struct srv *srv;
    int in, out;
};

static int srv_pipe[2] = {-1, -1};	/* signal self-pipe */

/* srv_new - a server for a world */

struct srv *srv_new(struct pol_world *world, const char *conf_path, int conf_explicit)
{
    struct srv *s;

    if ((s = calloc(1, sizeof(*s))) == NULL)
	return NULL;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->idle, NULL);
    s->world = world;
    if (pol_counters_init(&s->counters) < 0) {
	free(s);
	return NULL;
    }
    s->conf_path = conf_path;
    s->conf_explicit = conf_explicit;
    return s;
}

/* srv_free - release the server */

void srv_free(struct srv *s)
{
    size_t i;

    if (s == NULL)
	return;
    for (i = 0; i < s->nlfds; i++)
	close(s->lfds[i]);
    pol_counters_flush(&s->counters, s->store);
    pol_counters_free(&s->counters);
    store_close(s->store);
    pol_world_unref(s->world);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->idle);
    free(s);
}

/* srv_bind - one listening socket */

static int srv_bind(const char *spec)
{
    struct inet_endpoint ep;
    struct sockaddr_storage ss;
    socklen_t len;
    int fd, on = 1;

    if (inet_listen_parse(spec, &ep) < 0 || inet_sockaddr(&ep, &ss, &len) < 0) {
	log_error("bad listen address %s", spec);
	return -1;
    }
    if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
	log_error("socket for %s: %s", spec, strerror(errno));
	return -1;
    }
    if (ep.is_unix)
	unlink(ep.host);			/* a stale socket from a previous run */
    else
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (bind(fd, (struct sockaddr *) &ss, len) < 0 || listen(fd, 512) < 0) {
	log_error("listen on %s: %s", spec, strerror(errno));
	close(fd);
	return -1;
    }
    if (ep.is_unix)
	chmod(ep.host, 0666);			/* Postfix's smtpd connects */
    log_info("listening on %s", spec);
    return fd;
}

/* srv_listen - bind every listen endpoint */

int srv_listen(struct srv *s)
{
    const struct conf *conf = s->world->conf;
    size_t i;
    int fd;

    for (i = 0; i < conf->listen.n; i++) {
	if ((fd = srv_bind(conf->listen.v[i])) < 0)
	    return -1;
	s->lfds[s->nlfds++] = fd;
    }
    return 0;
}

/* srv_open_store - open the store, or note when to try again */

void srv_open_store(struct srv *s)
{
    struct store *st;
    time_t now = time(NULL);

    pthread_mutex_lock(&s->lock);
    if (s->store || now - s->store_tried < SRV_STORE_RETRY) {
	pthread_mutex_unlock(&s->lock);
	return;
    }
    s->store_tried = now;
    pthread_mutex_unlock(&s->lock);
    if ((st = store_open(s->world->conf->store, STORE_CREATE)) == NULL) {
	log_warn("store %s: %s; verdicts are not recorded", s->world->conf->store,
		 store_last_error());
	return;
    }
    pthread_mutex_lock(&s->lock);
    s->store = st;
    pthread_mutex_unlock(&s->lock);
}

/* srv_world - the current world, referenced */

static struct pol_world *srv_world(struct srv *s)
{
    struct pol_world *w;

    pthread_mutex_lock(&s->lock);
    w = pol_world_ref(s->world);
    pthread_mutex_unlock(&s->lock);
    return w;
}

/* srv_write_all - the whole answer, or -1 */

static int srv_write_all(int fd, const char *p, size_t len)
{
    ssize_t n;

    while (len > 0) {
	n = write(fd, p, len);
	if (n < 0 && errno == EINTR)
	    continue;
	if (n < 0 && errno == EAGAIN) {
	    struct pollfd pfd = {fd, POLLOUT, 0};

	    if (poll(&pfd, 1, 10000) <= 0)
		return -1;
	    continue;
	}
	if (n <= 0)
	    return -1;
	p += n;
	len -= (size_t) n;
    }
    return 0;
}

/* srv_answer - decide and write one answer; action and reply are the connection's */

static int srv_answer(struct srv *s, struct pol_conn *pc, const struct req *req, int out,
		              struct buf *action, struct buf *reply)
{
    struct pol_world *w = srv_world(s);
    int ret;

    if (s->store == NULL)
	srv_open_store(s);
    buf_reset(action);
    ret = pol_decide(pc, w, s->store, &s->counters, req, action);
    pol_world_unref(w);
    if (ret == 0) {
	buf_reset(reply);
	buf_addstr(reply, "action=");
	buf_add(reply, buf_str(action), buf_len(action));
	buf_addstr(reply, "\n\n");
	ret = buf_error(reply) ? -1 : srv_write_all(out, buf_str(reply), buf_len(reply));
    }
    /* Logged once Postfix has its answer: the send to syslog (and the
     * wakeup of its reader) is not on the SMTP session's path. */
    pol_flush_log(pc);
    return ret;
}

/* srv_read_timeout - let reads of a socket time out by themselves */

static int srv_read_timeout(int fd)
{
    struct timeval tv = {SRV_TICK_MS / 1000, (SRV_TICK_MS % 1000) * 1000};

    /* One read() per request instead of poll() and read(): a socket
     * with a receive timeout wakes up every tick on its own.  Other
     * descriptors (--stdio on a pipe) get poll(). */
    return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0;
}

/* srv_read - next bytes: > 0, 0 at EOF, -1 on error, SRV_READ_IDLE after a tick */

static ssize_t srv_read(int fd, int timed, char *data, size_t size)
{
    struct pollfd pfd = {fd, POLLIN, 0};
    ssize_t n;
    int r;

    if (!timed) {
	if ((r = poll(&pfd, 1, SRV_TICK_MS)) == 0)
	    return SRV_READ_IDLE;
	if (r < 0)
	    return errno == EINTR ? SRV_READ_IDLE : -1;
    }
    n = read(fd, data, size);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
	return SRV_READ_IDLE;
    return n;
}

/* srv_serve - requests of one connection until EOF, error or stop */

static void srv_serve(struct srv *s, int in, int out, const char *peer)
{
    struct buf action = BUF_INIT(POLICY_LINE_MAX), reply = BUF_INIT(POLICY_LINE_MAX + 16);
    struct req_reader rd;
    struct pol_conn pc;
    char data[SRV_READ];
    size_t off = 0, len = 0, used;
    struct pol_world *w = srv_world(s);
    unsigned idle_ms = 0, idle_max = (unsigned) w->conf->idle_timeout;
    int r, timed;
    ssize_t n;

    pol_world_unref(w);
    req_reader_init(&rd);
    pol_conn_init(&pc);
    timed = srv_read_timeout(in);
    for (;;) {
	if (off == len) {
	    if (s->stopping && !req_reader_partial(&rd))
		break;
	    if ((n = srv_read(in, timed, data, sizeof(data))) == SRV_READ_IDLE) {
		if ((idle_ms += SRV_TICK_MS) >= idle_max)
		    break;
		continue;
	    }
	    if (n <= 0) {
		if (req_reader_partial(&rd))
		    log_warn("%s: connection closed in the middle of a request", peer);
		break;
	    }
	    off = 0;
	    len = (size_t) n;
	    idle_ms = 0;
	}
	r = req_reader_feed(&rd, data + off, len - off, &used);
	off += used;
	if (r == REQ_ERROR) {
	    log_warn("%s: bad request: %s; closing the connection", peer, rd.error);
	    break;
	}
	if (r == REQ_READY) {
	    if (srv_answer(s, &pc, &rd.req, out, &action, &reply) < 0) {
		log_warn("%s: no answer; closing the connection", peer);
		break;
	    }
	    req_reader_next(&rd);
	}
    }
    pol_conn_free(&pc);
    req_reader_free(&rd);
    buf_free(&action);
    buf_free(&reply);
}

/* srv_conn_main - thread of one connection */

static void *srv_conn_main(void *arg)
{
    struct srv_conn *c = arg;
    struct srv *s = c->srv;
    char peer[64];

    snprintf(peer, sizeof(peer), "connection %d", c->in);
    srv_serve(s, c->in, c->out, peer);
    close(c->in);
    free(c);
    pthread_mutex_lock(&s->lock);
    if (--s->active == 0)
	pthread_cond_broadcast(&s->idle);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* srv_accept - take one connection and give it a thread */

static void srv_accept(struct srv *s, int lfd)
{
    pthread_attr_t attr;
    pthread_t tid;
    struct srv_conn *c;
    int fd;

    if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
	return;
    pthread_mutex_lock(&s->lock);
    if (s->active >= s->world->conf->max_connections) {
	pthread_mutex_unlock(&s->lock);
	log_warn("%u connections already: refusing one more", s->active);
	close(fd);
	return;
    }
    s->active++;
    pthread_mutex_unlock(&s->lock);
    if ((c = malloc(sizeof(*c))) != NULL) {
	c->srv = s;
	c->in = c->out = fd;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, SRV_STACK);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&tid, &attr, srv_conn_main, c) == 0) {
	    pthread_attr_destroy(&attr);
	    return;
	}
	pthread_attr_destroy(&attr);
	free(c);
    }
    log_warn("cannot start a connection thread: %s", strerror(errno));
    close(fd);
    pthread_mutex_lock(&s->lock);
    s->active--;
    pthread_mutex_unlock(&s->lock);
}

/* srv_reload - SIGHUP: a new world from the configuration file */

static void srv_reload(struct srv *s)
{
    struct pol_world *w, *old;
    struct conf *conf;
    char err[256];

    log_info("reloading %s", s->conf_path);
    if ((conf = conf_load(s->conf_path, s->conf_explicit, stderr)) == NULL) {
	log_error("%s has errors; keeping the running configuration", s->conf_path);
	return;
    }
    if ((w = pol_world_new(conf, err, sizeof(err))) == NULL) {
	conf_free(conf);
	log_error("reload: %s; keeping the running configuration", err);
	return;
    }
    log_target(conf->log);
    log_set_debug(conf->debug);
    pthread_mutex_lock(&s->lock);
    old = s->world;
    s->world = w;
    pthread_mutex_unlock(&s->lock);
    pol_world_unref(old);
}

/* srv_signal - write the signal number into the self-pipe */

static void srv_signal(int sig)
{
    unsigned char c = (unsigned char) sig;
    int saved = errno;

    if (write(srv_pipe[1], &c, 1) < 0) {
	/* the pipe is full: a signal is already pending */
    }
    errno = saved;
}

/* srv_signals - route SIGTERM, SIGINT, SIGHUP to the self-pipe */

static int srv_signals(void)
{
    struct sigaction sa;

    if (pipe2(srv_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
	return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = srv_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

/* srv_drain - wait for connection threads to finish */

static void srv_drain(struct srv *s)
{
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += SRV_DRAIN_MAX;
    pthread_mutex_lock(&s->lock);
    while (s->active > 0)
	if (pthread_cond_timedwait(&s->idle, &s->lock, &until) == ETIMEDOUT)
	    break;
    if (s->active)
	log_warn("stopping with %u connections still busy", s->active);
    pthread_mutex_unlock(&s->lock);
}

/* srv_run - the accept loop */

int srv_run(struct srv *s)
{
    struct pollfd pfd[CONF_LIST_MAX + 1];
    time_t now, flushed = 0;
    size_t i;
    unsigned char sig;

    if (srv_signals() < 0)
	return -1;
    srv_open_store(s);
    pfd[0].fd = srv_pipe[0];
    pfd[0].events = POLLIN;
    for (i = 0; i < s->nlfds; i++) {
	pfd[i + 1].fd = s->lfds[i];
	pfd[i + 1].events = POLLIN;
    }
    while (!s->stopping) {
	if (poll(pfd, s->nlfds + 1, 1000) < 0 && errno != EINTR)
	    break;
	/* Once a second, not at every connection a flood brings. */
	if ((now = time(NULL)) != flushed) {
	    pol_counters_flush(&s->counters, s->store);
	    flushed = now;
	}
	while (read(srv_pipe[0], &sig, 1) == 1) {
	    if (sig == SIGHUP)
		srv_reload(s);
	    else
		s->stopping = 1;
	}
	for (i = 0; i < s->nlfds && !s->stopping; i++)
	    if (pfd[i + 1].revents & POLLIN)
		srv_accept(s, s->lfds[i]);
	if (s->store == NULL)
	    srv_open_store(s);
    }
    log_info("stopping: finishing requests in flight");
    for (i = 0; i < s->nlfds; i++)
	close(s->lfds[i]);
    s->nlfds = 0;
    srv_drain(s);
    log_info("stopped");
    return 0;
}

/* srv_stdio - one connection on stdin and stdout */

int srv_stdio(struct srv *s)
{
    signal(SIGPIPE, SIG_IGN);
    srv_open_store(s);
    srv_serve(s, 0, 1, "stdin");
    return 0;
}
