/* log_test - log lines to a file, stderr and syslog */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"

static char dir[256];

/* slurp - a small file into a static buffer */

static const char *slurp(const char *path)
{
    static char text[8192];
    FILE *fp = fopen(path, "r");
    size_t n = 0;

    text[0] = 0;
    if (fp) {
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
    }
    text[n] = 0;
    return text;
}

/* syslogd - a datagram socket on /dev/log, as a syslog daemon has */

static int syslogd(void)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX, .sun_path = "/dev/log"};
    struct timeval tv = {2, 0};
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

    unlink(sun.sun_path);
    if (fd < 0 || bind(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0
	|| setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
	return -1;
    return fd;
}

/* heard - the next datagram, or "" after the 2 s receive timeout */

static const char *heard(int fd)
{
    static char line[2048];
    ssize_t n = fd < 0 ? -1 : recv(fd, line, sizeof(line) - 1, 0);

    line[n > 0 ? n : 0] = 0;
    return line;
}

/* rename_tests - log_set_name() and log_set_stderr(): a forked process
 * that does another's job logs under its name, to its standard error */

static void rename_tests(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    char want[64];

    log_target("stderr");
    log_set_stderr(fd);
    log_set_name("renamed");
    log_info("QID3: moved");
    log_set_name("log_test");
    log_set_stderr(STDERR_FILENO);
    close(fd);
    snprintf(want, sizeof(want), "renamed[%ld]: QID3: moved\n", (long) getpid());
    is_str(slurp(path), want, "log_set_name and log_set_stderr: another name, another descriptor");
}

/* syslog_tests - lines to /dev/log, in a private /dev (needs root) */

static void syslog_tests(void)
{
    char want[64];
    int fd;

    if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0
	|| mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0
	|| mount("tmpfs", "/dev", "tmpfs", 0, "mode=755") < 0) {
	for (int i = 0; i < 6; i++)
	    ok(1, "# SKIP syslog: needs root and a mount namespace for a private /dev/log");
	return;
    }
    log_target("syslog");
    log_info("before any syslog daemon");	/* dropped, no error */
    fd = syslogd();
    sleep(1);					/* past the once-a-second retry */
    snprintf(want, sizeof(want), "log_test[%ld]: QID2: hello 7", (long) getpid());
    log_info("QID2: hello %d", 7);
    const char *t = heard(fd);
    ok(strncmp(t, "<22>", 4) == 0 && strstr(t, want) && strlen(t) == strlen(strstr(t, want)) + 20,
       "syslog: <mail.info>, a time stamp, name[pid]: the line, one datagram");
    log_warn("odd");
    ok(strncmp(heard(fd), "<20>", 4) == 0, "syslog: mail.warning");
    log_error("bad");
    t = heard(fd);
    ok(strncmp(t, "<19>", 4) == 0 && strstr(t, ": error: bad"), "syslog: mail.err with error:");
    /* The daemon restarts: a line or two may go, then its new socket hears us. */
    close(fd);
    log_info("while the daemon is away");
    log_info("still away");
    fd = syslogd();
    ok(fd >= 0, "syslog daemon back");
    sleep(1);
    log_info("back again");
    t = heard(fd);
    while (*t && strstr(t, "back again") == NULL)
	t = heard(fd);
    ok(strstr(t, "back again") != NULL, "syslog: heard again after the daemon's restart");
    /* Fewer than net.unix.max_dgram_qlen (10): more would block us, as
     * they block any program whose syslog daemon does not read. */
    for (int i = 0; i < 8; i++)
	log_info("line %d", i);
    int got = 0;
    while (*heard(fd))
	got++;
    ok(got == 8, "syslog: 8 lines, 8 datagrams (%d)", got);
    close(fd);
}

int main(void)
{
    const char *build = getenv("PD_BUILD") ? getenv("PD_BUILD") : "build";
    char path[300], big[6000], cwd[128] = "", root[200];
    const char *t;
    int status;
    pid_t pid;

    /* File targets are absolute names: a relative build directory is
     * taken from here. */
    if (build[0] != '/' && getcwd(cwd, sizeof(cwd)) == NULL)
	return 1;
    snprintf(root, sizeof(root), "%s%s%s", cwd, *cwd ? "/" : "", build);
    build = root;
    snprintf(dir, sizeof(dir), "%s/tmp", build);
    mkdir(dir, 0755);
    snprintf(dir, sizeof(dir), "%s/tmp/log-XXXXXX", build);
    if (mkdtemp(dir) == NULL)
	return 1;
    snprintf(path, sizeof(path), "%s/file.log", dir);
    log_init("log_test");
    ok(log_target("nonsense") < 0, "an unknown target is refused");
    ok(log_target("/nonexistent/dir/x.log") < 0, "a file that cannot be opened is refused");
    ok(log_target(path) == 0, "a file target");
    log_info("%s: key=%s, n=%d", "QID1", "value", 42);
    log_warn("something odd");
    log_error("something bad");
    log_debug("not shown");
    log_set_debug(1);
    log_debug("shown");
    t = slurp(path);
    ok(strstr(t, "log_test[") && strstr(t, "]: QID1: key=value, n=42\n"), "an info line, Postfix style");
    ok(strstr(t, "]: warning: something odd\n") != NULL, "warning: prefix");
    ok(strstr(t, "]: error: something bad\n") != NULL, "error: prefix");
    ok(strstr(t, "not shown") == NULL && strstr(t, "]: shown\n") != NULL,
       "debug lines only when debug is on");
    ok(t[0] >= '2' && t[0] <= '9' && t[10] == 'T' && t[19] == 'Z',
       "file lines start with a UTC time stamp");
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    log_info("%s", big);
    t = slurp(path);
    ok(strstr(t, "xxxx\n") != NULL && strlen(t) < 8000, "an over-long line is cut, still one line");
    /* fatal: exits with the status given, after logging */
    if ((pid = fork()) == 0)
	log_fatal(78, "bad config");
    waitpid(pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 78, "log_fatal exits with its status");
    ok(strstr(slurp(path), "]: fatal: bad config\n") != NULL, "and logs fatal:");
    if ((pid = fork()) == 0) {
	close(2);
	log_panic("a bug");
    }
    waitpid(pid, &status, 0);
    ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "log_panic aborts");
    ok(strstr(slurp(path), "]: panic: a bug\n") != NULL, "and logs panic:");
    ok(log_target("syslog") == 0 && log_target("both") == 0 && log_target("stderr") == 0,
       "syslog, both and stderr targets");
    snprintf(path, sizeof(path), "%s/stderr.log", dir);
    rename_tests(path);
    syslog_tests();
    snprintf(path, sizeof(path), "rm -rf %s", dir);
    if (system(path) != 0)
	diag("cleanup failed");
    return tap_done();
}
