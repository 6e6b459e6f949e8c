/*++
 * NAME
 *	log 3
 * SUMMARY
 *	logging to syslog (facility mail), stderr or a file
 * SYNOPSIS
 *	#include "log.h"
 *
 *	void	log_init(progname)
 *	void	log_set_name(progname)
 *	void	log_set_stderr(fd)
 *	int	log_target(spec)
 *	void	log_set_debug(on)
 *	void	log_msg(prio, fmt, ...)
 *	void	log_info(fmt, ...)
 *	void	log_warn(fmt, ...)
 *	void	log_error(fmt, ...)
 *	void	log_debug(fmt, ...)
 *	void	log_fatal(status, fmt, ...)
 *	void	log_panic(fmt, ...)
 * DESCRIPTION
 *	log_init() names the program; log_set_name() renames it, the
 *	targets as they are (a process forked to do another's job), and
 *	log_set_stderr() makes the "stderr" target another descriptor
 *	(that process's standard error becomes the other's).
 *	Until log_target() is called, lines go to syslog, and also to
 *	stderr when stderr is a terminal.  Lines go to /dev/log in one
 *	send() each (facility mail, the program name and process id as
 *	the tag); syslog(3) is the fallback.
 *
 *	log_target() chooses where lines go: "syslog" (facility mail),
 *	"stderr", "both", or an absolute file name that lines are appended
 *	to.  It returns 0, or -1 when the file cannot be opened.
 *
 *	log_msg() logs one line; warnings, errors and fatal errors carry a
 *	"warning: ", "error: " or "fatal: " prefix, Postfix style.  Callers
 *	sanitize peer strings with str_printable() first.
 *
 *	log_fatal() logs and exits with the sysexits status given (for
 *	trouble with the environment or configuration); log_panic() logs
 *	and aborts (for bugs).
 *--*/
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

#define LOG_LINE_MAX	4096

static const char *log_name = "postdmarc";
static int log_syslog = 1;
static int log_sock = -1;		/* our own connection to /dev/log */
static time_t log_sock_tried = -1;	/* when log_sock_open() last ran */
static pthread_mutex_t log_sock_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_stderr_on;
static int log_stderr_fd = STDERR_FILENO;	/* the "stderr" target */
static int log_fd = -1;			/* file target */
static int log_debug_on;

/* log_sock_open - connect to the syslog socket */

static int log_sock_open(void)
{
    struct sockaddr_un sun;
    int fd;

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, "/dev/log", sizeof("/dev/log"));
    if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
	return -1;
    if (connect(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0) {
	close(fd);
	return -1;
    }
    return fd;
}

/* log_syslog_send - one line to syslog, RFC 3164 form, one send() */

static void log_syslog_send(int prio, const char *line)
{
    static __thread time_t stamp_time = -1;
    static __thread char stamp[32];
    char msg[LOG_LINE_MAX + 128];
    time_t now = time(NULL);
    struct tm tm;
    int n, failed = 0;

    /* glibc's syslog() builds each line in a memory stream and asks for
     * the local time under a lock: a busy policy server feels that.  The
     * time stamp is made once a second per thread instead. */
    if (now != stamp_time) {
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
	stamp_time = now;
    }
    n = snprintf(msg, sizeof(msg), "<%d>%s %s[%ld]: %s", LOG_MAIL | prio, stamp, log_name,
		 (long) getpid(), line);
    if (n < 0)
	return;
    if ((size_t) n >= sizeof(msg))
	n = (int) sizeof(msg) - 1;
    /* The send is under the lock (as in syslog(3)): another thread's
     * close() cannot hand the descriptor number to a new socket between
     * our look at log_sock and our send(). */
    pthread_mutex_lock(&log_sock_lock);
    /* No /dev/log: tried again once a second, not for every line (a
     * socket, a failed connect and a close each time). */
    if (log_sock < 0 && now != log_sock_tried) {
	log_sock_tried = now;
	log_sock = log_sock_open();
    }
    if (log_sock >= 0 && send(log_sock, msg, (size_t) n, MSG_NOSIGNAL) < 0) {
	close(log_sock);			/* a new connection for the next line */
	log_sock = -1;
	log_sock_tried = -1;			/* and try again at once */
	failed = 1;
    }
    pthread_mutex_unlock(&log_sock_lock);
    /* The syslog daemon went away or is full: the library's way for this
     * line.  No /dev/log at all: nobody to hear it. */
    if (failed)
	syslog(prio, "%s", line);
}

/* log_init - name the program, default targets */

void log_init(const char *progname)
{
    log_name = progname;
    log_stderr_on = isatty(STDERR_FILENO);
    openlog(log_name, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

/* log_set_name - the name on lines from now on, targets unchanged */

void log_set_name(const char *progname)
{
    log_name = progname;
    openlog(log_name, LOG_PID, LOG_MAIL);	/* syslog(3)'s fallback: no socket until used */
}

/* log_set_stderr - where the "stderr" target writes from now on */

void log_set_stderr(int fd)
{
    log_stderr_fd = fd;
}

/* log_target - choose where lines go */

int log_target(const char *spec)
{
    int fd;

    if (strcmp(spec, "syslog") == 0) {
	log_syslog = 1;
	log_stderr_on = 0;
    } else if (strcmp(spec, "stderr") == 0) {
	log_syslog = 0;
	log_stderr_on = 1;
    } else if (strcmp(spec, "both") == 0) {
	log_syslog = log_stderr_on = 1;
    } else if (spec[0] == '/') {
	fd = open(spec, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
	    return -1;
	if (log_fd >= 0)
	    close(log_fd);
	log_fd = fd;
	log_syslog = log_stderr_on = 0;
    } else {
	errno = EINVAL;
	return -1;
    }
    return 0;
}

/* log_set_debug - turn debug lines on or off */

void log_set_debug(int on)
{
    log_debug_on = on;
}

/* log_debug_enabled - are debug lines wanted */

int log_debug_enabled(void)
{
    return log_debug_on;
}

/* log_prefix - Postfix-style severity prefix */

static const char *log_prefix(int prio)
{
    switch (prio) {
    case LOG_WARNING:
	return "warning: ";
    case LOG_ERR:
	return "error: ";
    case LOG_CRIT:
	return "fatal: ";
    case LOG_ALERT:
	return "panic: ";
    default:
	return "";
    }
}

/* log_write_fd - one whole line to a descriptor, with a time stamp for files */

static void log_write_fd(int fd, int stamp, const char *line)
{
    char head[128];
    struct buf out = BUF_INIT(LOG_LINE_MAX + sizeof(head));
    ssize_t n;

    if (stamp) {
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(head, sizeof(head), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	buf_addstr(&out, head);
    }
    buf_printf(&out, "%s[%ld]: %s\n", log_name, (long) getpid(), line);
    if (buf_error(&out) == 0) {
	/* One write per line keeps lines whole when processes share a file. */
	do {
	    n = write(fd, buf_str(&out), buf_len(&out));
	} while (n < 0 && errno == EINTR);
    }
    buf_free(&out);
}

/* log_vmsg - format and send one line */

void log_vmsg(int prio, const char *fmt, va_list ap)
{
    char line[LOG_LINE_MAX];
    int saved = errno;
    size_t off;

    off = (size_t) snprintf(line, sizeof(line), "%s", log_prefix(prio));
    vsnprintf(line + off, sizeof(line) - off, fmt, ap);
    if (log_syslog)
	log_syslog_send(prio == LOG_ALERT ? LOG_CRIT : prio, line);
    if (log_stderr_on)
	log_write_fd(log_stderr_fd, 0, line);
    if (log_fd >= 0)
	log_write_fd(log_fd, 1, line);
    errno = saved;
}

/* log_msg - log one line */

void log_msg(int prio, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vmsg(prio, fmt, ap);
    va_end(ap);
}

/* log_fatal - log and exit with a sysexits status */

void log_fatal(int status, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vmsg(LOG_CRIT, fmt, ap);
    va_end(ap);
    exit(status);
}

/* log_panic - log a bug and abort */

void log_panic(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vmsg(LOG_ALERT, fmt, ap);
    va_end(ap);
    abort();
}
