/*++
 * NAME
 *	priv 3
 * SUMMARY
 *	dropping root privileges
 * SYNOPSIS
 *	#include "priv.h"
 *
 *	int	priv_drop(user, err, errsize)
 * DESCRIPTION
 *	priv_drop() makes a process that runs as root run as user from
 *	now on, in the fixed order that cannot be undone half way:
 *	supplementary groups, then the group, then the user, then a check
 *	that root cannot be regained.  It does nothing when the process is
 *	not root or user is empty.  It returns 0, or -1 with a reason in
 *	err (the caller exits with EX_CONFIG or EX_OSERR).
 *--*/
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "priv.h"

/* priv_drop - become user, for good */

int priv_drop(const char *user, char *err, size_t errsize)
{
    struct passwd *pw;

    if (geteuid() != 0 || user == NULL || *user == 0)
	return 0;
    errno = 0;
    if ((pw = getpwnam(user)) == NULL) {
	snprintf(err, errsize, "unknown user \"%s\"%s%s", user, errno ? ": " : "",
		 errno ? strerror(errno) : "");
	return -1;
    }
    if (pw->pw_uid == 0) {
	snprintf(err, errsize, "user \"%s\" is root", user);
	return -1;
    }
    if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0
	|| setuid(pw->pw_uid) < 0) {
	snprintf(err, errsize, "cannot become %s: %s", user, strerror(errno));
	return -1;
    }
    if (setuid(0) == 0 || geteuid() != pw->pw_uid || getegid() != pw->pw_gid) {
	snprintf(err, errsize, "privileges were not dropped");
	return -1;
    }
    return 0;
}
