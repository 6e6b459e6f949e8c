/* priv_test - dropping root for good */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "priv.h"
#include "tap.h"

int main(void)
{
    char err[256];
    int status;
    pid_t pid;

    ok(priv_drop("", err, sizeof(err)) == 0, "an empty user: stay as started");
    if (geteuid() != 0) {
	ok(priv_drop("nobody", err, sizeof(err)) == 0, "not root: nothing to do");
	return tap_done();
    }
    ok(priv_drop("no-such-user-postdmarc", err, sizeof(err)) < 0 && strstr(err, "unknown user"),
       "an unknown user is an error: %s", err);
    ok(priv_drop("root", err, sizeof(err)) < 0 && strstr(err, "is root"),
       "root as the target is refused");
    if ((pid = fork()) == 0) {
	struct passwd *pw = getpwnam("nobody");

	if (pw == NULL || priv_drop("nobody", err, sizeof(err)) < 0)
	    _exit(1);
	if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid || getgid() != pw->pw_gid)
	    _exit(2);
	if (setuid(0) == 0 || seteuid(0) == 0)
	    _exit(3);				/* root came back */
	_exit(0);
    }
    waitpid(pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
       "root becomes nobody, user and group, and cannot come back (%d)",
       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return tap_done();
}
