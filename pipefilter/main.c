/*++
 * NAME
 *	postdmarc-filterd 8
 * SUMMARY
 *	DKIM and DMARC for Postfix: the filter server, and the filter
 * SYNOPSIS
 *	postdmarc-filterd [-c FILE] [-n] [-V]
 *
 *	postdmarc-filterd [-c FILE] --stdio -f SENDER
 *		[--client-address ADDR] [--client-helo NAME]
 *		[--client-name NAME] [--queue-id ID] [--sasl-username USER]
 *		-- RECIPIENT...
 * DESCRIPTION
 *	See postdmarc-filterd(8).  Without --stdio: the filter server
 *	(server(3)), on [pipefilter] server, for postdmarc-pipefilter.
 *	With --stdio: the message on stdin, as postdmarc-pipefilter's
 *	command line says, in this process; postdmarc-pipefilter runs that
 *	when no server takes the message.  Exit status: sysexits, as
 *	pipe(8) expects.
 *--*/
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cmdline.h"
#include "conf.h"
#include "dkimv.h"
#include "filter.h"
#include "log.h"
#include "priv.h"
#include "server.h"

#define USAGE "usage: postdmarc-pipefilter [-c FILE] -f SENDER [--client-address ADDR] " \
	"[--client-helo NAME] [--client-name NAME] [--queue-id ID] " \
	"[--sasl-username USER] -- RECIPIENT...\n" \
	"       postdmarc-filterd [-c FILE] [-n] [-V] [--stdio ...]\n"

/* message - one message on stdin, as the command line says */

static int message(const struct conf *conf, const struct cmdline *cl)
{
    if (!cl->have_sender || cl->args.nrcpt == 0) {
	fprintf(stderr, "5.3.5 postdmarc-pipefilter: %s\n" USAGE,
		!cl->have_sender ? "no -f SENDER" : "no recipients");
	return EX_USAGE;
    }
    return filter_message(conf, &cl->args, 0);
}

/* serve - the filter server, started up */

static int serve(struct conf *conf, const struct cmdline *cl)
{
    struct dkimv *dv;
    char err[256];

    if (*conf->server == 0) {
	log_error("[pipefilter] server is empty: no socket to serve");
	return conf_free(conf), EX_CONFIG;
    }
    if (priv_drop(conf->user, err, sizeof(err)) < 0) {
	log_error("%s", err);
	return conf_free(conf), EX_CONFIG;
    }
    /* What every message's process would otherwise do first: OpenSSL's
     * and libopendkim's one-time set-up, done once before the forks. */
    if ((dv = dkimv_new(NULL, 0)) == NULL) {
	log_error("cannot set up libopendkim");
	return conf_free(conf), EX_SOFTWARE;
    }
    dkimv_free(dv);
    dkimv_warm();
    return server_run(conf, cl, message);
}

int main(int argc, char **argv)
{
    struct cmdline cl;
    struct conf *conf;
    char err[256];
    int rc;

    log_init("postdmarc-filterd");
    if (cmdline_parse(argc, argv, &cl, err, sizeof(err)) < 0) {
	fprintf(stderr, "5.3.5 postdmarc-filterd: %s\n" USAGE, err);
	return EX_USAGE;
    }
    if (cl.version) {
	printf("postdmarc-filterd %s\n", PD_VERSION);
	return 0;
    }
    if (cl.stdio)
	log_set_name("postdmarc-pipefilter");
    if ((conf = conf_load(cl.conf_path, cl.explicit, stderr)) == NULL) {
	fprintf(stderr, "4.3.5 postdmarc-pipefilter: configuration error in %s\n", cl.conf_path);
	return EX_CONFIG;
    }
    if (cl.check)
	return conf_free(conf), 0;
    /* pipe(8) reads a message's stderr as the reason: logs go to syslog,
     * unless the file says otherwise. */
    if (log_target(conf->log) < 0)
	log_warn("cannot log to %s", conf->log);
    log_set_debug(conf->debug);
    signal(SIGPIPE, SIG_IGN);
    if (!cl.stdio)
	return serve(conf, &cl);
    rc = message(conf, &cl);
    conf_free(conf);
    return rc;
}
