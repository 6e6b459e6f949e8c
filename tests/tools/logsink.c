/*++
 * NAME
 *	logsink 1
 * SUMMARY
 *	a syslog socket that reads and counts, for the benchmarks
 * SYNOPSIS
 *	logsink SOCKET COUNTFILE
 * DESCRIPTION
 *	Binds a datagram socket at SOCKET (e.g. a private /dev/log), reads
 *	every message sent to it and throws it away, as a syslog daemon
 *	written in C would cost; on SIGTERM it writes the number of messages
 *	to COUNTFILE and exits 0.
 *--*/
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

/* on_term - SIGTERM or SIGINT: stop reading */

static void on_term(int sig)
{
    (void) sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    struct sockaddr_un sun;
    struct sigaction sa;
    char msg[8192];
    unsigned long count = 0;
    FILE *fp;
    int fd;

    if (argc != 3 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
	fprintf(stderr, "usage: logsink SOCKET COUNTFILE\n");
	return 2;
    }
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, argv[1], strlen(argv[1]));
    unlink(argv[1]);
    if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) < 0
	|| bind(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0) {
	perror("logsink");
	return 1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_term;			/* no SA_RESTART: recv returns */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    while (!stop)
	if (recv(fd, msg, sizeof(msg), 0) >= 0)
	    count++;
    if ((fp = fopen(argv[2], "w")) != NULL) {
	fprintf(fp, "%lu\n", count);
	fclose(fp);
    }
    return 0;
}
