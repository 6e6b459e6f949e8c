/* log_test - log lines to a file, stderr and syslog */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

int main(void)
{
    const char *build = getenv("PD_BUILD") ? getenv("PD_BUILD") : "build";
    char path[300], big[6000];
    const char *t;
    int status;
    pid_t pid;

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
    snprintf(path, sizeof(path), "rm -rf %s", dir);
    if (system(path) != 0)
	diag("cleanup failed");
    return tap_done();
}
