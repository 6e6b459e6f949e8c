/*++
 * NAME
 *	policyload 1
 * SUMMARY
 *	load generator for a Postfix policy server
 * SYNOPSIS
 *	policyload [-c CONNS] [-n REQUESTS] [-w WARMUP] [-t TAG] -p PORT
 *	policyload [-c CONNS] [-n REQUESTS] [-w WARMUP] [-t TAG] -e COMMAND
 * DESCRIPTION
 *	policyload opens CONNS connections (default 1) to a policy server
 *	on 127.0.0.1:PORT, or with -e starts COMMAND (through /bin/sh)
 *	once per connection with a socket as its standard input and
 *	output, as spawn(8) does.  Each connection, in a thread of its
 *	own, first sends WARMUP requests (default 0) that are not
 *	measured; once every connection is ready, each sends REQUESTS
 *	requests (default 1000) one after the other, waiting for each
 *	answer.
 *
 *	Every request is a new transaction (its instance is TAG, the
 *	connection and the request number); they alternate between a
 *	sender that passes SPF (u@spf-pass.example.com, client 192.0.2.x)
 *	and one that fails (u@spf-fail.example.com), from the test zone
 *	tests/zones/example.com.zone.  An answer is right when a pass got
 *	a "Received-SPF: pass" header and a fail got "550 ... fail" (case
 *	does not matter, so other SPF policy servers can be measured too).
 *
 *	It prints one line: connections, requests answered, wrong answers,
 *	errors (connections lost), seconds, requests per second and the
 *	50th, 99th percentile and largest latency in microseconds; with
 *	-v the first wrong answer too.  The exit status is 0 when every
 *	answer came and was right, 1 otherwise, 64 for bad arguments.
 *--*/
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "str.h"

#define LOAD_CONNS_MAX	4096
#define LOAD_ANSWER_MAX	8192
#define LOAD_TIMEOUT_S	30

struct load_conn {
    pthread_t tid;
    unsigned id;
    int fd;
    pid_t pid;				/* -e: the command's process */
    uint64_t *lat;			/* ns per measured request */
    size_t done;
    unsigned wrong, lost;
    char first_wrong[256];
};

static unsigned load_requests = 1000, load_warmup;
static const char *load_tag = "t";
static pthread_barrier_t load_start;

/* load_now - monotonic nanoseconds */

static uint64_t load_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

/* load_request - request i of a connection, as Postfix's smtpd sends it */

static int load_request(struct buf *b, const struct load_conn *c, unsigned i, int pass)
{
    buf_reset(b);
    buf_printf(b, "request=smtpd_access_policy\nprotocol_state=RCPT\n"
	       "protocol_name=ESMTP\nhelo_name=mx.example.net\nqueue_id=\n"
	       "sender=u%u@%s\nrecipient=user@example.org\nrecipient_count=0\n"
	       "client_address=192.0.2.%u\nclient_name=unknown\n"
	       "reverse_client_name=unknown\ninstance=%s.%x.%x\nsasl_method=\n"
	       "sasl_username=\nsasl_sender=\nsize=0\nccert_subject=\nccert_issuer=\n"
	       "ccert_fingerprint=\nencryption_protocol=TLSv1.3\n"
	       "encryption_cipher=TLS_AES_256_GCM_SHA384\nencryption_keysize=256\n"
	       "etrn_domain=\nstress=\nccert_pubkey_fingerprint=\nclient_port=%u\n"
	       "policy_context=\nserver_address=192.0.2.25\nserver_port=25\n\n",
	       i, pass ? "spf-pass.example.com" : "spf-fail.example.com",
	       1 + (c->id + i) % 250, load_tag, c->id, i, 1024 + i % 60000);
    return buf_error(b) ? -1 : 0;
}

/* load_right - is the answer the one the sender deserves */

static int load_right(const char *answer, int pass)
{
    if (pass)
	return strcasestr(answer, "Received-SPF: pass") != NULL;
    return strncmp(answer, "action=550", 10) == 0 && strcasestr(answer, "fail") != NULL;
}

/* load_answer - read up to the empty line that ends an answer */

static int load_answer(int fd, char *ans, size_t size)
{
    size_t len = 0;
    ssize_t n;

    for (;;) {
	if (len + 1 >= size)
	    return -1;
	n = read(fd, ans + len, size - 1 - len);
	if (n < 0 && errno == EINTR)
	    continue;
	if (n <= 0)
	    return -1;
	len += (size_t) n;
	ans[len] = 0;
	if (len >= 2 && strcmp(ans + len - 2, "\n\n") == 0)
	    return 0;
    }
}

/* load_one - send one request, wait for its answer and judge it */

static int load_one(struct load_conn *c, struct buf *req, unsigned i, uint64_t *ns)
{
    char ans[LOAD_ANSWER_MAX];
    int pass = (c->id + i) % 2 == 0;
    uint64_t t0;
    ssize_t n;

    if (load_request(req, c, i, pass) < 0)
	return -1;
    t0 = load_now();
    do {
	n = write(c->fd, buf_str(req), buf_len(req));
    } while (n < 0 && errno == EINTR);
    if (n != (ssize_t) buf_len(req) || load_answer(c->fd, ans, sizeof(ans)) < 0)
	return -1;
    *ns = load_now() - t0;
    if (!load_right(ans, pass) && c->wrong++ == 0)
	snprintf(c->first_wrong, sizeof(c->first_wrong), "%.200s", ans);
    return 0;
}

/* load_main - thread of one connection */

static void *load_main(void *arg)
{
    struct load_conn *c = arg;
    struct buf req = BUF_INIT(LOAD_ANSWER_MAX);
    uint64_t ns;
    unsigned i;
    int ok = 1;

    for (i = 0; ok && i < load_warmup; i++)
	ok = load_one(c, &req, load_requests + i, &ns) == 0;
    c->wrong = 0;				/* warm-up answers are not judged */
    c->first_wrong[0] = 0;
    pthread_barrier_wait(&load_start);
    for (i = 0; ok && i < load_requests; i++) {
	if ((ok = load_one(c, &req, i, &ns) == 0))
	    c->lat[c->done++] = ns;
    }
    c->lost = !ok;
    buf_free(&req);
    return NULL;
}

/* load_connect - a TCP connection to 127.0.0.1:port */

static int load_connect(unsigned port)
{
    struct sockaddr_in sin;
    struct timeval tv = {LOAD_TIMEOUT_S, 0};
    int fd, on = 1;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t) port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
	return -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *) &sin, sizeof(sin)) < 0) {
	close(fd);
	return -1;
    }
    return fd;
}

/* load_spawn - COMMAND with a socket as its stdin and stdout */

static int load_spawn(const char *cmd, pid_t *pid)
{
    struct timeval tv = {LOAD_TIMEOUT_S, 0};
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
	return -1;
    if ((*pid = fork()) < 0) {
	close(sv[0]);
	close(sv[1]);
	return -1;
    }
    if (*pid == 0) {
	if (dup2(sv[1], 0) < 0 || dup2(sv[1], 1) < 0)
	    _exit(EX_OSERR);
	execl("/bin/sh", "sh", "-c", cmd, (char *) NULL);
	_exit(EX_OSERR);
    }
    close(sv[1]);
    setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return sv[0];
}

/* load_cmp - for qsort */

static int load_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

    return x < y ? -1 : x > y;
}

/* load_report - the one line of figures; returns the exit status */

static int load_report(struct load_conn *conns, unsigned n, uint64_t ns, int verbose)
{
    uint64_t *all;
    size_t total = 0, k = 0, i;
    unsigned wrong = 0, lost = 0, j;
    const char *first = NULL;

    for (j = 0; j < n; j++) {
	total += conns[j].done;
	wrong += conns[j].wrong;
	lost += conns[j].lost;
	if (conns[j].wrong && first == NULL)
	    first = conns[j].first_wrong;
    }
    if ((all = malloc((total ? total : 1) * sizeof(*all))) == NULL)
	return 1;
    for (j = 0; j < n; j++)
	for (i = 0; i < conns[j].done; i++)
	    all[k++] = conns[j].lat[i];
    qsort(all, total, sizeof(*all), load_cmp);
    printf("conns=%u requests=%zu wrong=%u errors=%u seconds=%.3f rps=%.0f "
	   "p50_us=%.0f p99_us=%.0f max_us=%.0f\n", n, total, wrong, lost, ns / 1e9,
	   ns ? total / (ns / 1e9) : 0.0, total ? all[total / 2] / 1e3 : 0.0,
	   total ? all[total * 99 / 100] / 1e3 : 0.0, total ? all[total - 1] / 1e3 : 0.0);
    if (verbose && first)
	printf("first wrong answer: %s\n", first);
    free(all);
    return wrong || lost || total != (size_t) n * load_requests;
}

/* load_num - a number option */

static unsigned load_num(const char *s, unsigned max)
{
    uint64_t v;

    if (str_to_u64(s, strlen(s), max, &v) < 0) {
	fprintf(stderr, "policyload: bad number %s\n", s);
	exit(EX_USAGE);
    }
    return (unsigned) v;
}

/* load_usage - complain and exit */

static void PD_NORETURN load_usage(void)
{
    fprintf(stderr, "usage: policyload [-v] [-c CONNS] [-n REQUESTS] [-w WARMUP] [-t TAG] "
	    "-p PORT | -e COMMAND\n");
    exit(EX_USAGE);
}

/* load_open - connect or spawn every connection */

static int load_open(struct load_conn *conns, unsigned n, unsigned port, const char *cmd)
{
    unsigned j;

    for (j = 0; j < n; j++) {
	conns[j].id = j;
	conns[j].fd = cmd ? load_spawn(cmd, &conns[j].pid) : load_connect(port);
	conns[j].lat = malloc((load_requests ? load_requests : 1) * sizeof(uint64_t));
	if (conns[j].fd < 0 || conns[j].lat == NULL) {
	    fprintf(stderr, "policyload: connection %u: %s\n", j, strerror(errno));
	    return -1;
	}
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct load_conn *conns;
    unsigned n = 1, port = 0, j;
    const char *cmd = NULL;
    int c, verbose = 0, status;
    uint64_t t0;

    while ((c = getopt(argc, argv, "c:e:n:p:t:vw:")) != -1) {
	switch (c) {
	case 'c':
	    n = load_num(optarg, LOAD_CONNS_MAX);
	    break;
	case 'e':
	    cmd = optarg;
	    break;
	case 'n':
	    load_requests = load_num(optarg, 100000000);
	    break;
	case 'p':
	    port = load_num(optarg, 65535);
	    break;
	case 't':
	    load_tag = optarg;
	    break;
	case 'v':
	    verbose = 1;
	    break;
	case 'w':
	    load_warmup = load_num(optarg, 1000000);
	    break;
	default:
	    load_usage();
	}
    }
    if (optind != argc || n == 0 || (port == 0) == (cmd == NULL))
	load_usage();
    signal(SIGPIPE, SIG_IGN);
    if ((conns = calloc(n, sizeof(*conns))) == NULL || load_open(conns, n, port, cmd) < 0)
	return 1;
    pthread_barrier_init(&load_start, NULL, n + 1);
    for (j = 0; j < n; j++)
	if (pthread_create(&conns[j].tid, NULL, load_main, &conns[j]) != 0)
	    return 1;
    pthread_barrier_wait(&load_start);
    t0 = load_now();
    for (j = 0; j < n; j++)
	pthread_join(conns[j].tid, NULL);
    status = load_report(conns, n, load_now() - t0, verbose);
    for (j = 0; j < n; j++) {
	close(conns[j].fd);
	if (conns[j].pid > 0)
	    waitpid(conns[j].pid, NULL, 0);
	free(conns[j].lat);
    }
    free(conns);
    return status;
}
