/* fuzz_conf - the configuration file: conf_load() takes a path, so the
 * input goes to a file in a private directory made once.  A configuration
 * that loads has every string set and no NUL byte; conf_dump() can write it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

#define check(cond)	do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* check_list - n strings, all there */

static void check_list(const struct conf_list *l)
{
    size_t i;

    check(l->n == 0 || l->v != NULL);
    for (i = 0; i < l->n; i++)
	check(l->v[i] != NULL);
}

/* check_conf - nothing left NULL */

static void check_conf(const struct conf *c)
{
    const char *const s[] = {c->hostname, c->store, c->user, c->log, c->spam_header,
	c->psl_file, c->tmpdir, c->server, c->org_name, c->email, c->domain, c->from_name,
	c->msgid_from, c->smtp, c->helo, c->smtp_user, c->smtp_password};
    const struct conf_list *const l[] = {&c->nameservers, &c->listen,
	&c->policyd_skip_addresses, &c->whitelist, &c->sendmail,
	&c->filter_skip_addresses, &c->exclude_domains, &c->bcc};
    size_t i;

    for (i = 0; i < sizeof(s) / sizeof(s[0]); i++)
	check(s[i] != NULL);
    for (i = 0; i < sizeof(l) / sizeof(l[0]); i++)
	check_list(l[i]);
    check(c->listen.n > 0 && c->sendmail.n > 0 && c->hostname[0] != 0);
}

static char dir[4096], path[4200];

/* cleanup - the private directory goes at exit */

static void cleanup(void)
{
    unlink(path);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *null;
    struct conf *conf;
    FILE *fp;

    if (dir[0] == 0) {
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/fuzz_conf.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL || (null = fopen("/dev/null", "w")) == NULL)
	    abort();
	snprintf(path, sizeof(path), "%s/postdmarc.conf", dir);
	atexit(cleanup);
    }
    if ((fp = fopen(path, "w")) == NULL)
	abort();
    if (fwrite(data, 1, size, fp) != size || fclose(fp) != 0)
	abort();
    if ((conf = conf_load(path, 1, null)) != NULL) {
	check(memchr(data, 0, size) == NULL);	/* a NUL byte is an error */
	check_conf(conf);
	conf_dump(conf, null);
    }
    conf_free(conf);
    return 0;
}
