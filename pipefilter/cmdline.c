/*++
 * NAME
 *	cmdline 3
 * SUMMARY
 *	the filter's command line
 * SYNOPSIS
 *	#include "cmdline.h"
 *
 *	int	cmdline_parse(argc, argv, cl, err, errsize)
 * DESCRIPTION
 *	cmdline_parse() reads a command line as pipe(8) gives it to
 *	postdmarc-pipefilter: [-c FILE] [-n] [-V] -f SENDER
 *	[--client-address ADDR] [--client-helo NAME] [--client-name NAME]
 *	[--queue-id ID] [--sasl-username USER] -- RECIPIENT..., and
 *	postdmarc-filterd's --stdio.  The same line reaches
 *	postdmarc-filterd's server in each request, so it may be parsed
 *	more than once in a process.  Strings in cl point into argv.
 *	It returns 0, or -1 with a reason in err for a usage error (exit
 *	64); whether a sender and recipients are needed is the caller's
 *	business.
 *--*/
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cmdline.h"
#include "conf.h"

/* cmdline_parse - options and recipients */

int cmdline_parse(int argc, char **argv, struct cmdline *cl, char *err, size_t errsize)
{
    static const struct option longopts[] = {
	{"client-address", required_argument, NULL, 'a'},
	{"client-helo", required_argument, NULL, 'h'},
	{"client-name", required_argument, NULL, 'N'},
	{"queue-id", required_argument, NULL, 'q'},
	{"sasl-username", required_argument, NULL, 'u'},
	{"stdio", no_argument, NULL, 'S'},
	{NULL, 0, NULL, 0},
    };
    int c;

    memset(cl, 0, sizeof(*cl));
    cl->conf_path = CONF_DEFAULT_PATH;
    cl->args.front = -1;
    optind = 0;					/* glibc: start afresh */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "c:f:nV", longopts, NULL)) != -1) {
	switch (c) {
	case 'c':
	    cl->conf_path = optarg, cl->explicit = 1;
	    break;
	case 'f':
	    cl->args.sender = optarg, cl->have_sender = 1;
	    break;
	case 'n':
	    cl->check = 1;
	    break;
	case 'V':
	    cl->version = 1;
	    break;
	case 'S':
	    cl->stdio = 1;
	    break;
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
	    cl->args.client_addr = strncasecmp(optarg, "IPv6:", 5) == 0 ? optarg + 5 : optarg;
	    break;
	case 'h':
	    cl->args.client_helo = optarg;
	    break;
	case 'N':
	    cl->args.client_name = optarg;
	    break;
	case 'q':
	    cl->args.queue_id = optarg;
	    break;
	case 'u':
	    cl->args.sasl_username = optarg;
	    break;
	default:
	    snprintf(err, errsize, "unknown option or missing value: %s",
		     optind > 0 && optind <= argc ? argv[optind - 1] : "?");
	    return -1;
	}
    }
    cl->args.rcpt = argv + optind;
    cl->args.nrcpt = (size_t) (argc - optind);
    return 0;
}
