/*++
 * NAME
 *	floorfilter 1
 * SUMMARY
 *	the least a pipe(8) content filter can do, for bench/20-pipefilter
 * SYNOPSIS
 *	floorfilter SENDMAIL -f SENDER -- RECIPIENT...
 * DESCRIPTION
 *	Runs "SENDMAIL -G -i -f SENDER -- RECIPIENT..." with execve() and
 *	copies its own standard input to the child's, 64 KB at a time, as
 *	it comes: no spooling, no parsing, no DNS.  Exit status 0 when
 *	the child took the message, 75 otherwise, 64 on a usage error.
 *	This is the floor postdmarc-pipefilter's cost is measured against:
 *	process start, one fork and exec, and the copy.
 *--*/
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define FLOOR_CHUNK	(64 * 1024)

extern char **environ;

/* floor_argv - SENDMAIL -G -i -f SENDER -- RECIPIENT... */

static char **floor_argv(char *sendmail, char *sender, char **rcpt, int nrcpt)
{
    char **argv;
    int n = 0, i;

    if ((argv = calloc((size_t) nrcpt + 7, sizeof(*argv))) == NULL)
	return NULL;
    argv[n++] = sendmail;
    argv[n++] = "-G";
    argv[n++] = "-i";
    argv[n++] = "-f";
    argv[n++] = sender;
    argv[n++] = "--";
    for (i = 0; i < nrcpt; i++)
	argv[n++] = rcpt[i];
    argv[n] = NULL;
    return argv;
}

/* floor_copy - standard input to fd; 0 or -1 */

static int floor_copy(int fd)
{
    static char chunk[FLOOR_CHUNK];
    ssize_t n, w, done;

    for (;;) {
	if ((n = read(0, chunk, sizeof(chunk))) < 0) {
	    if (errno == EINTR)
		continue;
	    return -1;
	}
	if (n == 0)
	    return 0;
	for (done = 0; done < n; done += w) {
	    if ((w = write(fd, chunk + done, (size_t) (n - done))) < 0) {
		if (errno == EINTR) {
		    w = 0;
		    continue;
		}
		return -1;
	    }
	}
    }
}

int main(int argc, char **argv)
{
    char **cmd;
    int in[2], status, copied;
    pid_t pid;

    if (argc < 6 || strcmp(argv[2], "-f") != 0 || strcmp(argv[4], "--") != 0) {
	fprintf(stderr, "usage: floorfilter SENDMAIL -f SENDER -- RECIPIENT...\n");
	return 64;
    }
    if ((cmd = floor_argv(argv[1], argv[3], argv + 5, argc - 5)) == NULL
	|| pipe2(in, O_CLOEXEC) < 0 || (pid = fork()) < 0)
	return 75;
    if (pid == 0) {
	if (dup2(in[0], 0) < 0)
	    _exit(126);
	execve(cmd[0], cmd, environ);
	_exit(127);
    }
    close(in[0]);
    signal(SIGPIPE, SIG_IGN);
    copied = floor_copy(in[1]);
    close(in[1]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
	 /* void */ ;
    free(cmd);
    return copied == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 75;
}
