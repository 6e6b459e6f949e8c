/*++
 * NAME
 *	inject 3
 * SUMMARY
 *	reinjection through sendmail, never through a shell
 * SYNOPSIS
 *	#include "inject.h"
 *
 *	int	inject_run(cmd, ncmd, sender, rcpt, nrcpt, pieces, npieces,
 *			   spool, watch, meanwhile, context, error, errsize)
 *
 *	int	inject_gone(watch)
 * DESCRIPTION
 *	inject_run() runs "cmd... -G -i -f sender -- rcpt..." with execve()
 *	(cmd[0] is an absolute path; no shell ever sees an address), writes
 *	the pieces to its standard input in order, and waits for it.  It
 *	returns 0 when sendmail took the message (exit 0), or -1 with the
 *	reason in error: sendmail missing, failing, killed, or closing its
 *	input early.  The caller then exits 75 so Postfix keeps the
 *	message queued: a message is never lost, and never sent twice by
 *	us (a failed sendmail has not queued it).
 *
 *	watch, if not -1, is a socket whose end says that the delivery was
 *	given up (a filter server's connection to postdmarc-pipefilter,
 *	which Postfix killed at its time limit, and will try again):
 *	inject_gone() tells.  Before sendmail sees the end of its input,
 *	when it could still queue the message, inject_run() looks: gone,
 *	sendmail is killed and the result is -1, so that the message is not
 *	delivered twice.
 *
 *	meanwhile, if not NULL, is called with context once the whole
 *	message is written and before the wait: its work (the filter's
 *	store commit, with its fsync) overlaps sendmail's (postdrop's own
 *	queue file and fsync).
 *--*/
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inject.h"
#include "str.h"

#define INJECT_CHUNK	(64 * 1024)
#define INJECT_ERRMAX	200

extern char **environ;

/* inject_argv - cmd -G -i -f sender -- rcpt... */

static char **inject_argv(char *const *cmd, size_t ncmd, const char *sender,
			          char *const *rcpt, size_t nrcpt)
{
    char **argv;
    size_t i, n = 0;

    if ((argv = calloc(ncmd + nrcpt + 6, sizeof(*argv))) == NULL)
	return NULL;
    for (i = 0; i < ncmd; i++)
	argv[n++] = cmd[i];
    argv[n++] = "-G";
    argv[n++] = "-i";
    argv[n++] = "-f";
    argv[n++] = (char *) sender;
    argv[n++] = "--";
    for (i = 0; i < nrcpt; i++)
	argv[n++] = rcpt[i];
    argv[n] = NULL;
    return argv;
}

/* inject_write - everything to the child's input */

static int inject_write(int fd, const struct inject_piece *p, size_t np, struct spool *sp,
			        char *error, size_t errsize)
{
    char chunk[INJECT_CHUNK];
    size_t i, done;
    uint64_t off, end;
    ssize_t n;
    long got;

    for (i = 0; i < np; i++) {
	const char *src;
	size_t len;

	for (off = p[i].off, end = p[i].off + p[i].len; off < end; off += len) {
	    len = end - off < sizeof(chunk) ? (size_t) (end - off) : sizeof(chunk);
	    if (p[i].data) {
		src = p[i].data + (off - p[i].off);	/* our own bytes: as they are */
	    } else if ((got = spool_get(sp, off, chunk, len)) <= 0) {
		snprintf(error, errsize, "reading the spooled message: %s",
			 got < 0 ? strerror(errno) : "short");
		return -1;
	    } else {
		src = chunk;
		len = (size_t) got;
	    }
	    for (done = 0; done < len; done += (size_t) n) {
		if ((n = write(fd, src + done, len - done)) < 0) {
		    if (errno == EINTR) {
			n = 0;
			continue;
		    }
		    snprintf(error, errsize, "writing to sendmail: %s", strerror(errno));
		    return -1;
		}
	    }
	}
    }
    return 0;
}

/* inject_collect - what sendmail said on stderr, for the reason */

static void inject_collect(int fd, char *out, size_t size)
{
    size_t used = 0;
    ssize_t n;

    while (used + 1 < size && (n = read(fd, out + used, size - 1 - used)) > 0)
	used += (size_t) n;
    out[used] = 0;
}

/* inject_spawn - start sendmail with our pipes as its stdin and stdout/err */

static pid_t inject_spawn(char **argv, int in, int out)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t dflt;
    pid_t pid;
    int rc;

    /* posix_spawn, not fork: no copy of our page tables for an exec. */
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in, 0);
    posix_spawn_file_actions_adddup2(&fa, out, 1);
    posix_spawn_file_actions_adddup2(&fa, out, 2);
    posix_spawnattr_init(&attr);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGPIPE);			/* we ignore it; sendmail should not */
    posix_spawnattr_setsigdefault(&attr, &dflt);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    rc = posix_spawn(&pid, argv[0], &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
	errno = rc;
	return -1;
    }
    return pid;
}

/* inject_gone - has the other end of watch closed? (nothing is sent on it) */

int inject_gone(int watch)
{
    struct pollfd pfd = {watch, POLLIN, 0};
    char c;

    return watch >= 0 && poll(&pfd, 1, 0) > 0
	&& recv(watch, &c, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
}

/* inject_run - sendmail with the message on its stdin */

int inject_run(char *const *cmd, size_t ncmd, const char *sender, char *const *rcpt,
	               size_t nrcpt, const struct inject_piece *p, size_t np, struct spool *sp,
	               int watch, void (*meanwhile)(void *), void *context, char *error,
	               size_t errsize)
{
    char **argv, said[INJECT_ERRMAX + 1], safe[INJECT_ERRMAX * 4 + 8];
    int in[2], err[2], status, wrote;
    pid_t pid;

    if ((argv = inject_argv(cmd, ncmd, sender, rcpt, nrcpt)) == NULL) {
	snprintf(error, errsize, "out of memory");
	return -1;
    }
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
	snprintf(error, errsize, "pipe: %s", strerror(errno));
	free(argv);
	return -1;
    }
    if ((pid = inject_spawn(argv, in[0], err[1])) < 0) {
	snprintf(error, errsize, "cannot run %s: %s", argv[0], strerror(errno));
	close(in[0]), close(in[1]), close(err[0]), close(err[1]);
	free(argv);
	return -1;
    }
    free(argv);
    close(in[0]);
    close(err[1]);
    wrote = inject_write(in[1], p, np, sp, error, errsize);
    if (wrote == 0 && inject_gone(watch)) {
	snprintf(error, errsize, "postdmarc-pipefilter has gone (Postfix gave up this "
		 "delivery, and will try again)");
	wrote = -1;
    }
    /* A message we could not write whole, or should not deliver, must not
     * be queued: sendmail dies before it sees the end of its input. */
    if (wrote < 0)
	kill(pid, SIGKILL);
    close(in[1]);
    if (wrote == 0 && meanwhile)
	meanwhile(context);
    inject_collect(err[0], said, sizeof(said));
    close(err[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
	 /* void */ ;
    if (wrote < 0)
	return -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
	return 0;				/* sendmail says it has it */
    str_printable(safe, sizeof(safe), said, strcspn(said, "\n"));
    if (WIFSIGNALED(status))
	snprintf(error, errsize, "%s killed by signal %d%s%s", cmd[0], WTERMSIG(status),
		 *safe ? ": " : "", safe);
    else
	snprintf(error, errsize, "%s exited %d%s%s", cmd[0], WEXITSTATUS(status),
		 *safe ? ": " : "", safe);
    return -1;
}
