/*++
 * NAME
 *	postdmarc-pipefilter 8
 * SUMMARY
 *	DKIM and DMARC content filter for Postfix's pipe(8)
 * SYNOPSIS
 *	postdmarc-pipefilter [-c FILE] [-n] [-V] -f SENDER
 *		[--client-address ADDR] [--client-helo NAME]
 *		[--client-name NAME] [--queue-id ID] [--sasl-username USER]
 *		-- RECIPIENT...
 * DESCRIPTION
 *	See postdmarc-pipefilter(8).  What Postfix runs for each message,
 *	kept small: it links libc alone, and so starts as fast as a
 *	program can.  It hands the message to the filter server of
 *	postdmarc-filterd ([pipefilter] server), which evaluates it in a
 *	process forked from one that has its libraries loaded already
 *	(server(3)), and exits as that process exits.
 *
 *	When no server takes the message (none configured or running, or
 *	it refused), nothing of the message has been read: this process
 *	becomes postdmarc-filterd --stdio, from the directory it was run
 *	from, with the same command line, and the message is evaluated
 *	there.
 *
 *	Once a server's process has the message, this one waits for its
 *	exit status; a process that dies without one makes it exit 75, so
 *	that Postfix keeps the message.
 *--*/
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cmdline.h"
#include "conf.h"
#include "limits.h"
#include "wire.h"

#define FRONT_ENGINE	"postdmarc-filterd"

/* front_engine - become postdmarc-filterd --stdio; exit 75 if we cannot */

static void front_engine(int argc, char **argv)
{
    char self[PD_PATH_MAX], path[PD_PATH_MAX + sizeof(FRONT_ENGINE)], *slash, **av;
    ssize_t n;
    int i;

    if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0)
	n = 0;
    self[n] = 0;
    if ((slash = strrchr(self, '/')) != NULL)
	slash[1] = 0;
    else
	snprintf(self, sizeof(self), "%s/", PD_SBINDIR);
    snprintf(path, sizeof(path), "%s%s", self, FRONT_ENGINE);
    if ((av = calloc((size_t) argc + 2, sizeof(*av))) != NULL) {
	av[0] = path;
	av[1] = "--stdio";
	for (i = 1; i < argc; i++)
	    av[i + 1] = argv[i];
	execv(path, av);
	if (errno == ENOENT) {			/* a front copied elsewhere */
	    snprintf(path, sizeof(path), "%s/%s", PD_SBINDIR, FRONT_ENGINE);
	    execv(path, av);
	}
    }
    fprintf(stderr, "4.3.0 postdmarc-pipefilter: cannot run %s: %s\n", path, strerror(errno));
    exit(EX_TEMPFAIL);
}

/* front_trim - a value without white space around it or a " # comment" */

static char *front_trim(char *s)
{
    char *p, *end;

    while (*s == ' ' || *s == '\t')
	s++;
    for (p = s; (p = strpbrk(p, "#;")) != NULL; p++)
	if (p > s && (p[-1] == ' ' || p[-1] == '\t')) {
	    *p = 0;
	    break;
	}
    for (end = s + strlen(s); end > s && strchr(" \t\r\n", end[-1]); end--)
	continue;
    *end = 0;
    return s;
}

/*
 * front_socket - [pipefilter] server from the file: 0 found or absent
 * (the default then), -1 when the file cannot be read.  A scan, not
 * the configuration parser: a file with errors or one this misreads
 * only means the server is not asked, and postdmarc-filterd --stdio,
 * which parses it, says what is wrong.  The server, for its part,
 * takes only requests that name its own file.
 */
static int front_socket(const struct cmdline *cl, char *sock, size_t size)
{
    char line[CONF_LINE_MAX], *p, *eq;
    int ours = 0;
    FILE *fp;

    snprintf(sock, size, "%s", CONF_DEFAULT_SERVER);
    if ((fp = fopen(cl->conf_path, "r")) == NULL)
	return errno == ENOENT && !cl->explicit ? 0 : -1;
    while (fgets(line, sizeof(line), fp) != NULL) {
	p = front_trim(line);
	if (*p == '[') {
	    ours = strncasecmp(p, "[pipefilter]", 12) == 0;
	} else if (ours && (eq = strchr(p, '=')) != NULL) {
	    *eq = 0;
	    if (strcasecmp(front_trim(p), "server") == 0
		&& (size_t) snprintf(sock, size, "%s", front_trim(eq + 1)) >= size)
		*sock = 0;			/* cannot be ours */
	}
    }
    fclose(fp);
    return 0;
}

/* front_now_ms - a monotonic clock */

static long long front_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* front_wait - until fd is ready for events, or the deadline (-1: none) */

static int front_wait(int fd, short events, long long deadline)
{
    struct pollfd pfd = {fd, events, 0};
    long long left;
    int n;

    do {
	left = deadline < 0 ? -1 : deadline - front_now_ms();
	if (deadline >= 0 && left <= 0)
	    return -1;
	n = poll(&pfd, 1, (int) left);
    } while (n < 0 && errno == EINTR);
    return n > 0 ? 0 : -1;
}

/*
 * front_connect - the server's socket, or -1.  Non-blocking: a server
 * that has stopped taking connections fills its backlog, and a blocking
 * connect() would then wait for ever, with pipe(8) waiting on it.  And
 * only to a server of our own user (or root): one that someone else put
 * at that path would get the message, and answer what it likes.
 */
static int front_connect(const char *path)
{
    struct sockaddr_un sun;
    struct ucred peer;
    socklen_t plen = sizeof(peer);
    int fd;

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    if (*path != '/' || strlen(path) >= sizeof(sun.sun_path))
	return -1;
    memcpy(sun.sun_path, path, strlen(path));
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
	return -1;
    if (connect(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0
	|| getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &plen) < 0
	|| (peer.uid != 0 && peer.uid != geteuid())) {
	close(fd);
	return -1;
    }
    return fd;
}

/* front_send - the request, before the deadline */

static int front_send(int fd, int argc, char **argv, long long deadline)
{
    size_t size = WIRE_HEAD, off = 0;
    char *req;
    long len;
    ssize_t n;
    int i;

    for (i = 0; i < argc; i++)
	size += strlen(argv[i]) + 1;
    if ((req = malloc(size)) == NULL || (len = wire_request(argc, argv, req, size)) < 0) {
	free(req);
	return -1;
    }
    while (off < (size_t) len && front_wait(fd, POLLOUT, deadline) == 0) {
	if ((n = send(fd, req + off, (size_t) len - off, MSG_NOSIGNAL)) > 0)
	    off += (size_t) n;
	else if (n < 0 && errno != EAGAIN && errno != EINTR)
	    break;
    }
    free(req);
    return off == (size_t) len ? 0 : -1;
}

/* front_go - "go", with stdin, stdout and stderr */

static int front_go(int fd)
{
    union {
	struct cmsghdr align;
	char buf[CMSG_SPACE(3 * sizeof(int))];
    } cbuf;
    static const int fds[3] = {0, 1, 2};
    char go[] = WIRE_GO "\n";
    struct iovec iov = {go, sizeof(go) - 1};
    struct msghdr msg;
    struct cmsghdr *c;

    memset(&msg, 0, sizeof(msg));
    memset(&cbuf, 0, sizeof(cbuf));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf.buf;
    msg.msg_controllen = sizeof(cbuf.buf);
    c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(fds));
    memcpy(CMSG_DATA(c), fds, sizeof(fds));
    /* Three bytes into a socket that has said nothing but "accepted": the
     * buffer has room.  Any of them sent, the descriptors went with the
     * first: the message is the server's from then on. */
    return sendmsg(fd, &msg, MSG_NOSIGNAL) > 0 ? 0 : -1;
}

/* front_line - one line from the server, before the deadline (-1: none) */

static int front_line(int fd, char *line, size_t size, long long deadline)
{
    size_t got = 0, take;
    const char *nl;
    ssize_t n;

    /* Peeked, then taken up to the newline: what follows the line is
     * not ours to read yet.  Not byte by byte: two system calls a byte. */
    while (got + 1 < size) {
	if (front_wait(fd, POLLIN, deadline) < 0)
	    return -1;
	n = recv(fd, line + got, size - 1 - got, MSG_PEEK);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
	    continue;
	if (n <= 0)
	    return -1;
	nl = memchr(line + got, '\n', (size_t) n);
	take = nl ? (size_t) (nl - (line + got)) + 1 : (size_t) n;
	if (recv(fd, line + got, take, 0) != (ssize_t) take)
	    return -1;
	got += take;
	if (nl) {
	    line[got - 1] = 0;
	    return 0;
	}
    }
    return -1;
}

/* front_status - "exit N": N */

static int front_status(const char *line)
{
    const char *p = line + sizeof(WIRE_EXIT) - 1;
    int n = 0;

    if (strncmp(line, WIRE_EXIT, sizeof(WIRE_EXIT) - 1) != 0 || *p == 0)
	return -1;
    for (; *p >= '0' && *p <= '9' && n < 256; p++)
	n = n * 10 + (*p - '0');
    return *p == 0 && n < 256 ? n : -1;
}

int main(int argc, char **argv)
{
    char sock[PD_PATH_MAX], line[WIRE_LINE_MAX], err[256], **copy;
    long long deadline;
    struct cmdline cl;
    int fd, status;

    /* getopt permutes what it parses: the server gets the line as given. */
    if ((copy = calloc((size_t) argc + 1, sizeof(*copy))) == NULL)
	front_engine(argc, argv);
    memcpy(copy, argv, (size_t) argc * sizeof(*copy));
    if (cmdline_parse(argc, copy, &cl, err, sizeof(err)) < 0 || cl.check || cl.stdio)
	front_engine(argc, argv);		/* it says what is wrong */
    free(copy);			/* cl's strings are argv's; its rcpt, into copy, is not used */
    if (cl.version) {
	printf("postdmarc-pipefilter %s\n", PD_VERSION);
	return 0;
    }
    if (front_socket(&cl, sock, sizeof(sock)) < 0 || *sock == 0
	|| (fd = front_connect(sock)) < 0)
	front_engine(argc, argv);
    deadline = front_now_ms() + FILTERD_HELLO_MS;
    if (front_send(fd, argc, argv, deadline) < 0 || front_line(fd, line, sizeof(line), deadline) < 0
	|| strcmp(line, WIRE_ACCEPTED) != 0 || front_go(fd) < 0) {
	/* Refused, or no answer: the server's process, if any, finds us
	 * gone and does not touch the message. */
	close(fd);
	front_engine(argc, argv);
    }
    if (front_line(fd, line, sizeof(line), -1) < 0 || (status = front_status(line)) < 0) {
	fprintf(stderr, "4.3.0 postdmarc-pipefilter: the filter server's process for this "
		"message ended without an exit status; see postdmarc-filterd's log\n");
	return EX_TEMPFAIL;
    }
    return status;
}
