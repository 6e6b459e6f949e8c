/*++
 * NAME
 *	server 3
 * SUMMARY
 *	postdmarc-filterd: each message in a process forked from a started one
 * SYNOPSIS
 *	#include "server.h"
 *
 *	int	server_run(conf, cl, message)
 * DESCRIPTION
 *	A filter process that starts for one message spends most of its
 *	CPU starting: mapping and relocating libcrypto, libopendkim (and
 *	its libdb), libldns (and libssl), libspf2, LMDB, libpsl.  The
 *	filter server starts once; each message then runs in a process
 *	forked from it, with the libraries loaded and OpenSSL set up, and
 *	isolated as before: its own memory, DNS cache and store handle,
 *	gone when it exits.
 *
 *	server_run() serves the UNIX-domain socket [pipefilter] server
 *	until SIGTERM or SIGINT, then removes the socket, lets the
 *	running messages finish and returns 0 (EX_OSERR when the socket
 *	cannot be set up).  The configuration is the server's from then
 *	on: it frees it.  For each message (wire(3) has the bytes):
 * .IP \(bu
 *	postdmarc-pipefilter connects and sends its command line.
 * .IP \(bu
 *	The server checks the peer (our user or root), the request, that
 *	it names our configuration file, and that fewer than
 *	[pipefilter] server_processes messages are running.  When one
 *	fails it answers "refused REASON" and closes: nothing of the
 *	message has been read, and the front runs it itself.
 * .IP \(bu
 *	Otherwise it forks.  The child says "accepted" and waits for "go",
 *	which brings the front's stdin, stdout and stderr (FILTERD_HELLO_MS):
 *	a front that gave up waiting has closed, and the child exits
 *	without touching the message.  The descriptors travel only then:
 *	sent with the request, they would stay open in a connection that a
 *	stuck server never accepts, and pipe(8) would wait for the end of
 *	output that never comes.
 * .IP \(bu
 *	The child runs message(conf, cl) on the front's stdin, stdout and
 *	stderr (pipe(8) reads the reason for a bounce or a deferral there),
 *	says "exit N" and exits.  A child that dies first closes the
 *	connection with no "exit", and the front exits 75.
 * .PP
 *	SIGHUP reloads the configuration, and so does a request that finds
 *	the file changed (inode, size or time); a file with errors is
 *	logged and the old configuration kept.
 *--*/
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "dmarc.h"
#include "limits.h"
#include "log.h"
#include "server.h"
#include "str.h"
#include "wire.h"

struct server {
    struct conf *conf;
    const char *conf_path;		/* as the server was given it */
    int conf_explicit;
    char conf_real[PD_PATH_MAX];		/* realpath(), "" when there is no file */
    struct stat conf_st;		/* the file as last loaded */
    server_message_fn message;
    int lfd;				/* the listening socket */
    char sock[sizeof(((struct sockaddr_un *) 0)->sun_path)];
    struct stat sock_st;		/* its file, to remove only ours */
    unsigned children;			/* messages running */
    unsigned long served;		/* messages taken, */
    unsigned long refused;		/* and refused, since the start */
};

 /* One request, as read. */
struct server_req {
    int conn;
    int fds[3];				/* the front's stdin, stdout, stderr (child) */
    int nfds;
    int extra;				/* more descriptors came, closed */
    char *payload;
    char **argv;			/* into the payload */
    size_t argc;
    struct cmdline cl;
    struct ucred peer;
    char qid[64];			/* printable, for the log */
};

static volatile sig_atomic_t server_term, server_hup;
static int server_sigpipe[2] = {-1, -1};

/* server_signal - note it, and wake the loop */

static void server_signal(int sig)
{
    int saved = errno;

    if (sig == SIGHUP)
	server_hup = 1;
    else if (sig != SIGCHLD)
	server_term = 1;
    if (write(server_sigpipe[1], "", 1) < 0) {
	/* full: the loop wakes anyway */
    }
    errno = saved;
}

/* server_signals - handlers for the server, or the defaults for a child */

static int server_signals(int child)
{
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGCHLD};
    struct sigaction sa;
    size_t i;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = child ? SIG_DFL : server_signal;
    sa.sa_flags = SA_RESTART;
    for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
	if (sigaction(sigs[i], &sa, NULL) < 0)
	    return -1;
    return 0;
}

/* server_conf_stat - the configuration file as it is now; -1 when absent */

static int server_conf_stat(const struct server *srv, struct stat *st)
{
    memset(st, 0, sizeof(*st));
    return stat(srv->conf_path, st);
}

/*
 * server_preload - what each message's process would load again: the
 * public suffix list file of org_domain = psl (6 ms of CPU for Debian's).
 */
static void server_preload(const struct conf *conf)
{
    const char *file = conf->org_domain == CONF_ORG_PSL ? conf->psl_file : "";

    if (dmarc_psl_preload(file) < 0)
	log_warn("cannot load the public suffix list %s: each message will try", file);
}

/* server_reload - load the configuration again; keep the old on errors */

static void server_reload(struct server *srv, const char *why)
{
    struct conf *conf;

    if ((conf = conf_load(srv->conf_path, srv->conf_explicit, NULL)) == NULL) {
	log_error("%s: %s has errors (postdmarc-filterd -n -c %s lists them); "
		  "the configuration loaded before stays", why, srv->conf_path, srv->conf_path);
    } else {
	conf_free(srv->conf);
	srv->conf = conf;
	if (log_target(conf->log) < 0)
	    log_warn("cannot log to %s", conf->log);
	log_set_debug(conf->debug);
	server_preload(conf);
	log_info("%s: configuration %s loaded again", why, srv->conf_path);
	if (strcmp(conf->server, srv->sock) != 0)
	    log_warn("[pipefilter] server changed to %s: still on %s until restarted",
		     conf->server, srv->sock);
    }
    /* Either way: the file as it is now is the one answered for. */
    (void) server_conf_stat(srv, &srv->conf_st);
}

/* server_conf_changed - has the file changed since it was loaded? */

static int server_conf_changed(const struct server *srv)
{
    struct stat st;

    (void) server_conf_stat(srv, &st);
    return st.st_ino != srv->conf_st.st_ino || st.st_dev != srv->conf_st.st_dev
	|| st.st_size != srv->conf_st.st_size
	|| st.st_mtim.tv_sec != srv->conf_st.st_mtim.tv_sec
	|| st.st_mtim.tv_nsec != srv->conf_st.st_mtim.tv_nsec;
}

/* server_same_conf - does a request's configuration file name ours? */

static int server_same_conf(const struct server *srv, const char *path)
{
    char real[PD_PATH_MAX];

    if (strcmp(path, srv->conf_path) == 0)	/* the usual case, without a lstat() a level */
	return 1;
    /* A relative path is the front's, not ours to resolve: refused. */
    return *path == '/' && realpath(path, real) != NULL && strcmp(real, srv->conf_real) == 0;
}

/* server_live - does a server answer on that socket? */

static int server_live(const struct sockaddr_un *sun)
{
    int fd, live;

    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
	return 0;
    /* Refused: a socket file nobody listens on.  A full backlog (EAGAIN)
     * is a server too, a busy one. */
    live = connect(fd, (const struct sockaddr *) sun, sizeof(*sun)) == 0 || errno == EAGAIN;
    close(fd);
    return live;
}

/* server_listen - the socket, a stale one from a previous run replaced */

static int server_listen(struct server *srv)
{
    const char *path = srv->sock;
    struct sockaddr_un sun;
    struct stat st;

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    if (str_copy(srv->sock, srv->conf->server, sizeof(srv->sock)) < 0
	|| str_copy(sun.sun_path, path, sizeof(sun.sun_path)) < 0) {
	log_error("[pipefilter] server: %s: too long for a socket", srv->conf->server);
	return -1;
    }
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
	if (server_live(&sun)) {
	    log_error("[pipefilter] server: %s: another postdmarc-filterd serves it", path);
	    return -1;
	}
	unlink(path);				/* a stale socket from a previous run */
    }
    if ((srv->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0
	|| bind(srv->lfd, (struct sockaddr *) &sun, sizeof(sun)) < 0
	|| chmod(path, 0660) < 0 || listen(srv->lfd, FILTERD_BACKLOG) < 0
	|| stat(path, &srv->sock_st) < 0) {
	log_error("[pipefilter] server: %s: %s", path, strerror(errno));
	return -1;
    }
    return 0;
}

/* server_unlisten - stop taking requests; remove the socket if still ours */

static void server_unlisten(struct server *srv)
{
    struct stat st;

    if (srv->lfd < 0)
	return;
    if (lstat(srv->sock, &st) == 0 && st.st_ino == srv->sock_st.st_ino
	&& st.st_dev == srv->sock_st.st_dev)
	unlink(srv->sock);
    close(srv->lfd);
    srv->lfd = -1;
}

/* server_reap - collect finished children */

static void server_reap(struct server *srv, int block)
{
    struct rusage ru;
    int status;
    pid_t pid;

    while (srv->children > 0 && (pid = wait4(-1, &status, block ? 0 : WNOHANG, &ru)) != 0) {
	if (pid < 0) {
	    if (errno == EINTR)
		continue;
	    srv->children = 0;			/* ECHILD: none left */
	    break;
	}
	srv->children--;
	if (WIFSIGNALED(status))
	    log_error("message process %ld killed by signal %d", (long) pid, WTERMSIG(status));
	/* Its sendmail's figures included (rusage of reaped descendants). */
	log_debug("message process %ld: exit %d, CPU %ld us, %ld page faults, peak RSS %ld kB",
		  (long) pid, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		  (long) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000
		  + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec, ru.ru_minflt, ru.ru_maxrss);
    }
}

/* server_say - one line to the front */

static int server_say(int conn, const char *what, const char *arg)
{
    char line[WIRE_LINE_MAX];
    int n = snprintf(line, sizeof(line), "%s%s\n", what, arg);

    if (n < 0 || (size_t) n >= sizeof(line))
	return -1;
    return send(conn, line, (size_t) n, MSG_NOSIGNAL) == n ? 0 : -1;
}

/* server_req_free - close and free what a request brought */

static void server_req_free(struct server_req *req)
{
    int i;

    for (i = 0; i < req->nfds; i++)
	close(req->fds[i]);
    req->nfds = 0;
    if (req->conn >= 0)
	close(req->conn);
    req->conn = -1;
    free(req->payload);
    free(req->argv);
    req->payload = NULL;
    req->argv = NULL;
}

/* server_recv_fds - the first bytes, and the descriptors that come with them */

static ssize_t server_recv_fds(struct server_req *req, char *buf, size_t len)
{
    union {
	struct cmsghdr align;
	char buf[CMSG_SPACE(4 * sizeof(int))];
    } cbuf;
    struct iovec iov = {buf, len};
    struct msghdr msg;
    struct cmsghdr *c;
    ssize_t n;

    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf.buf;
    msg.msg_controllen = sizeof(cbuf.buf);
    if ((n = recvmsg(req->conn, &msg, MSG_CMSG_CLOEXEC)) <= 0)
	return -1;
    for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
	size_t i, k;
	int fd;

	if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
	    continue;
	k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	for (i = 0; i < k; i++) {
	    memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	    if (req->nfds < 3)
		req->fds[req->nfds++] = fd;
	    else
		close(fd), req->extra = 1;
	}
    }
    if (msg.msg_flags & MSG_CTRUNC)
	return -1;
    return n;
}

/* server_now_ms - a monotonic clock */

static long long server_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * server_read - exactly len bytes before the deadline.  poll(), not
 * SO_RCVTIMEO: a receive with a time-out fails with EINTR at every
 * signal, SA_RESTART or not, and a busy server has a SIGCHLD for each
 * message that ends.
 */
static int server_read(int conn, char *buf, size_t len, long long deadline)
{
    struct pollfd pfd = {conn, POLLIN, 0};
    long long left;
    ssize_t n;

    while (len > 0) {
	if ((left = deadline - server_now_ms()) <= 0)
	    return -1;
	if (poll(&pfd, 1, (int) left) < 0) {
	    if (errno == EINTR)
		continue;
	    return -1;
	}
	if ((n = recv(conn, buf, len, MSG_DONTWAIT)) > 0)
	    buf += n, len -= (size_t) n;
	else if (n == 0 || (errno != EINTR && errno != EAGAIN))
	    return -1;
    }
    return 0;
}

/* server_request - read and check one; the reason when refused */

static const char *server_request(struct server *srv, struct server_req *req)
{
    long long deadline = server_now_ms() + FILTERD_REQUEST_MS;
    socklen_t plen = sizeof(req->peer);
    char head[WIRE_HEAD], err[256];
    size_t len;
    ssize_t n;

    if (getsockopt(req->conn, SOL_SOCKET, SO_PEERCRED, &req->peer, &plen) < 0)
	return "cannot read the request";
    if (server_read(req->conn, head, sizeof(head), deadline) < 0 || wire_head(head, &len) < 0)
	return "not a request";
    if ((req->payload = malloc(len + 1)) == NULL)
	return "out of memory";
    if (server_read(req->conn, req->payload, len, deadline) < 0)
	return "not a request";
    /* Arguments end in NULs: no more of them than NULs. */
    for (n = 0, req->argc = 0; (size_t) n < len; n++)
	req->argc += req->payload[n] == 0;
    if (req->argc > FILTERD_ARGS_MAX
	|| (req->argv = calloc(req->argc + 1, sizeof(*req->argv))) == NULL
	|| wire_args(req->payload, len, req->argv, req->argc, &req->argc) < 0)
	return "not a request";
    /* Checked once the request is read: a socket closed with unread input
     * resets the connection, and the peer would not read why. */
    if (req->peer.uid != 0 && req->peer.uid != geteuid())
	return "not our user";
    if (cmdline_parse((int) req->argc, req->argv, &req->cl, err, sizeof(err)) < 0
	|| req->cl.check || req->cl.version || req->cl.stdio)
	return "not a message's command line";
    if (req->cl.args.queue_id)
	str_printable(req->qid, sizeof(req->qid), req->cl.args.queue_id,
		      strlen(req->cl.args.queue_id));
    if (!server_same_conf(srv, req->cl.conf_path))
	return "another configuration file";
    if (server_conf_changed(srv))
	server_reload(srv, "file changed");
    if (srv->children >= srv->conf->server_processes)
	return "busy: [pipefilter] server_processes reached";
    return NULL;
}

/* server_hear_go - wait for the front's "go", its descriptors attached */

static int server_hear_go(struct server_req *req)
{
    struct pollfd pfd = {req->conn, POLLIN, 0};
    char line[sizeof(WIRE_GO)];		/* "go\n" */
    size_t got = 0;
    ssize_t n;

    while (got < sizeof(line)) {
	if (poll(&pfd, 1, FILTERD_HELLO_MS) <= 0)
	    return -1;
	n = got == 0 ? server_recv_fds(req, line, sizeof(line))
	    : recv(req->conn, line + got, sizeof(line) - got, 0);
	if (n <= 0)
	    return -1;
	got += (size_t) n;
    }
    return memcmp(line, WIRE_GO "\n", sizeof(line)) == 0 && req->nfds == 3 && !req->extra ?
	0 : -1;
}

/* server_child - one message, in a process of its own; never returns */

static void PD_NORETURN server_child(struct server *srv, struct server_req *req)
{
    char status[16];
    int i, rc, logfd;

    (void) server_signals(1);
    close(srv->lfd);
    close(server_sigpipe[0]);
    close(server_sigpipe[1]);
    log_set_name("postdmarc-pipefilter");
    if (server_say(req->conn, WIRE_ACCEPTED, "") < 0 || server_hear_go(req) < 0) {
	/* The front gave up and runs it itself, or this is no front. */
	log_warn("%s: no go-ahead from postdmarc-pipefilter: message left to it", req->qid);
	_exit(0);
    }
    /* Log lines ("stderr" target) stay on the server's standard error:
     * after the dup2()s, fd 2 is pipe(8)'s, which reads the reason for a
     * bounce or a deferral there, and that alone. */
    if ((logfd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3)) >= 0)
	log_set_stderr(logfd);
    for (i = 0; i < 3; i++)
	if (dup2(req->fds[i], i) < 0) {
	    log_error("%s: dup2: %s", req->qid, strerror(errno));
	    (void) server_say(req->conn, WIRE_EXIT, "75");
	    _exit(EX_TEMPFAIL);
	}
    for (i = 0; i < 3; i++)
	if (req->fds[i] > 2)
	    close(req->fds[i]);
    req->cl.args.front = req->conn;
    rc = srv->message(srv->conf, &req->cl);
    fflush(stdout);
    fflush(stderr);
    snprintf(status, sizeof(status), "%d", rc);
    (void) server_say(req->conn, WIRE_EXIT, status);
    _exit(rc);
}

/* server_drain - discard what the peer sent, so that it reads our answer */

static void server_drain(int conn)
{
    char junk[4096];
    int i;

    /* A socket closed with unread input resets the connection, and the
     * peer would see that instead of the reason. */
    for (i = 0; i < FILTERD_REQUEST_MAX / (int) sizeof(junk)
	 && recv(conn, junk, sizeof(junk), MSG_DONTWAIT) > 0; i++)
	continue;
}

/* server_accept - one connection: refused, or forked */

static void server_accept(struct server *srv)
{
    struct server_req *req;
    const char *why;
    pid_t pid = -1;

    if ((req = calloc(1, sizeof(*req))) == NULL)
	return;					/* the next poll tries again */
    memcpy(req->qid, "NOQUEUE", sizeof("NOQUEUE"));
    if ((req->conn = accept4(srv->lfd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
	if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
	    log_warn("accept: %s", strerror(errno));
	free(req);
	return;
    }
    if ((why = server_request(srv, req)) == NULL && (pid = fork()) < 0)
	why = "cannot fork";
    if (why != NULL) {
	srv->refused++;
	log_warn("request refused: %s (pid %ld, uid %ld)", why, (long) req->peer.pid,
		 (long) req->peer.uid);
	server_drain(req->conn);
	(void) server_say(req->conn, WIRE_REFUSED, why);
    } else if (pid == 0) {
	server_child(srv, req);
    } else {
	srv->children++;
	srv->served++;
	log_debug("message process %ld: %s", (long) pid, req->qid);
    }
    server_req_free(req);
    free(req);
}

/* server_loop - until told to stop */

static void server_loop(struct server *srv)
{
    struct pollfd pfd[2] = {{server_sigpipe[0], POLLIN, 0}, {srv->lfd, POLLIN, 0}};
    char drain[64];

    while (!server_term) {
	if (poll(pfd, 2, -1) < 0 && errno != EINTR) {
	    log_error("poll: %s", strerror(errno));
	    sleep(1);
	}
	if (pfd[0].revents)
	    while (read(server_sigpipe[0], drain, sizeof(drain)) > 0)
		continue;
	server_reap(srv, 0);
	if (server_hup) {
	    server_hup = 0;
	    server_reload(srv, "SIGHUP");
	}
	if (!server_term && (pfd[1].revents & POLLIN))
	    server_accept(srv);
    }
}

/* server_run - serve until SIGTERM */

int server_run(struct conf *conf, const struct cmdline *cl, server_message_fn message)
{
    struct server srv;

    memset(&srv, 0, sizeof(srv));
    srv.conf = conf;
    srv.conf_path = cl->conf_path;
    srv.conf_explicit = cl->explicit;
    srv.message = message;
    srv.lfd = -1;
    if (realpath(cl->conf_path, srv.conf_real) == NULL)
	srv.conf_real[0] = 0;
    (void) server_conf_stat(&srv, &srv.conf_st);
    if (pipe2(server_sigpipe, O_CLOEXEC | O_NONBLOCK) < 0 || server_signals(0) < 0
	|| server_listen(&srv) < 0) {
	conf_free(srv.conf);
	return EX_OSERR;
    }
    server_preload(conf);
    log_info("listening on %s, at most %u messages at once", conf->server,
	     conf->server_processes);
    server_loop(&srv);
    server_unlisten(&srv);
    if (srv.children > 0)
	log_info("stopping: %u messages still running", srv.children);
    server_reap(&srv, 1);
    log_info("stopped: %lu messages taken, %lu requests refused", srv.served, srv.refused);
    conf_free(srv.conf);
    return 0;
}
