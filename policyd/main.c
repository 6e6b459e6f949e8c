/*++
 * NAME
 *	postdmarc-policyd 8
 * SUMMARY
 *	SPF policy server for Postfix
 * SYNOPSIS
 *	postdmarc-policyd [-c FILE] [-n] [-V] [--stdio]
 * DESCRIPTION
 *	See postdmarc-policyd(8).  This file parses the command line,
 *	loads the configuration, binds the listeners, drops privileges and
 *	hands over to the server (server.c).
 *--*/
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "policy.h"
#include "priv.h"
#include "server.h"

/* usage - complain and exit */

static void PD_NORETURN usage(void)
{
    fprintf(stderr, "usage: postdmarc-policyd [-c FILE] [-n] [-V] [--stdio]\n");
    exit(EX_USAGE);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
	{"stdio", no_argument, NULL, 's'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
    };
    const char *path = CONF_DEFAULT_PATH;
    int explicit = 0, check = 0, stdio = 0, c;
    struct conf *conf;
    struct pol_world *world;
    struct srv *srv;
    char err[256];

    log_init("postdmarc-policyd");
    while ((c = getopt_long(argc, argv, "c:nV", longopts, NULL)) != -1) {
	switch (c) {
	case 'c':
	    path = optarg;
	    explicit = 1;
	    break;
	case 'n':
	    check = 1;
	    break;
	case 'V':
	    printf("postdmarc-policyd %s\n", PD_VERSION);
	    return 0;
	case 's':
	    stdio = 1;
	    break;
	default:
	    usage();
	}
    }
    if (optind != argc)
	usage();
    if ((conf = conf_load(path, explicit, stderr)) == NULL)
	return EX_CONFIG;
    if (check)
	return conf_free(conf), 0;
    if (log_target(conf->log) < 0)
	log_fatal(EX_CONFIG, "cannot log to %s", conf->log);
    log_set_debug(conf->debug);
    if ((world = pol_world_new(conf, err, sizeof(err))) == NULL)
	log_fatal(EX_CONFIG, "%s", err);
    if ((srv = srv_new(world, path, explicit)) == NULL)
	log_fatal(EX_OSERR, "out of memory");
    if (!stdio && srv_listen(srv) < 0)
	return EX_OSERR;
    if (priv_drop(world->conf->user, err, sizeof(err)) < 0)
	log_fatal(EX_CONFIG, "%s", err);
    c = stdio ? srv_stdio(srv) : srv_run(srv);
    srv_free(srv);
    return c < 0 ? EX_OSERR : 0;
}
