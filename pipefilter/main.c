/*++
 * NAME
 *	postdmarc-pipefilter 8
 * SUMMARY
 *	DKIM and DMARC content filter for Postfix's pipe(8)
 * SYNOPSIS
 *	postdmarc-pipefilter [-c FILE] [-n] [-V] -f SENDER
 *		[--client-address ADDR] [--client-helo NAME]
 *		[--client-name NAME] [--queue-id ID] [--sasl-username USER]
 *		-- RECIPIENT...
 * DESCRIPTION
 *	See postdmarc-pipefilter(8).  This file parses the command line
 *	and the configuration and hands the message on stdin to
 *	filter_message().  Exit status: sysexits, as pipe(8) expects.
 *--*/
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "filter.h"
#include "log.h"

/* usage - complain and exit 64 */

static void PD_NORETURN usage(const char *why)
{
    fprintf(stderr, "5.3.5 postdmarc-pipefilter: %s\n"
	    "usage: postdmarc-pipefilter [-c FILE] -f SENDER [--client-address ADDR] "
	    "[--client-helo NAME] [--client-name NAME] [--queue-id ID] "
	    "[--sasl-username USER] -- RECIPIENT...\n", why);
    exit(EX_USAGE);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
	{"client-address", required_argument, NULL, 'a'},
	{"client-helo", required_argument, NULL, 'h'},
	{"client-name", required_argument, NULL, 'N'},
	{"queue-id", required_argument, NULL, 'q'},
	{"sasl-username", required_argument, NULL, 'u'},
	{NULL, 0, NULL, 0},
    };
    struct filter_args args;
    const char *path = CONF_DEFAULT_PATH;
    int explicit = 0, check = 0, c, have_sender = 0;
    struct conf *conf;

    log_init("postdmarc-pipefilter");
    memset(&args, 0, sizeof(args));
    while ((c = getopt_long(argc, argv, "c:f:nV", longopts, NULL)) != -1) {
	switch (c) {
	case 'c':
	    path = optarg, explicit = 1;
	    break;
	case 'f':
	    args.sender = optarg, have_sender = 1;
	    break;
	case 'n':
	    check = 1;
	    break;
	case 'V':
	    printf("postdmarc-pipefilter %s\n", PD_VERSION);
	    return 0;
	case 'a':
	    /*
	     * pipe(8) expands ${client_address} of an IPv6 client in the
	     * RFC 5321 address-literal form, "IPv6:2001:db8::1" (seen with
	     * Postfix 3.7, over XCLIENT and over real IPv6 connections); the
	     * policy server gets the bare address.  With the tag, the address
	     * matched neither the policy server's record nor skip_addresses,
	     * and the filter's own SPF check gave temperror: every IPv6
	     * message of a DMARC domain that did not pass by DKIM stayed
	     * deferred (tests/t/e2e.t, "IPv6 client").
	     */
	    args.client_addr = strncasecmp(optarg, "IPv6:", 5) == 0 ? optarg + 5 : optarg;
	    break;
	case 'h':
	    args.client_helo = optarg;
	    break;
	case 'N':
	    args.client_name = optarg;
	    break;
	case 'q':
	    args.queue_id = optarg;
	    break;
	case 'u':
	    args.sasl_username = optarg;
	    break;
	default:
	    usage("unknown option");
	}
    }
    if ((conf = conf_load(path, explicit, stderr)) == NULL) {
	fprintf(stderr, "4.3.5 postdmarc-pipefilter: configuration error in %s\n", path);
	return EX_CONFIG;
    }
    if (check)
	return conf_free(conf), 0;
    /* usage() exits: free the configuration first, or LeakSanitizer
     * reports it and the exit status is 1 instead of 64. */
    if (!have_sender || optind >= argc) {
	conf_free(conf);
	usage(!have_sender ? "no -f SENDER" : "no recipients");
    }
    args.rcpt = argv + optind;
    args.nrcpt = (size_t) (argc - optind);
    /* pipe(8) reads our stderr as the reason: logs go to syslog, unless
     * the file says otherwise. */
    if (log_target(conf->log) < 0)
	log_warn("cannot log to %s", conf->log);
    log_set_debug(conf->debug);
    signal(SIGPIPE, SIG_IGN);
    c = filter_message(conf, &args, 0);
    conf_free(conf);
    return c;
}
