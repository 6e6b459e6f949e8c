/*++
 * NAME
 *	spfcheck 1
 * SUMMARY
 *	run SPF checks through spf(3), one per line of standard input
 * SYNOPSIS
 *	spfcheck [-v] [-d] NAMESERVER RECEIVER
 * DESCRIPTION
 *	spfcheck reads lines
 *
 *		IP<TAB>HELO<TAB>MAILFROM<TAB>SCOPE
 *
 *	where SCOPE is "mfrom" or "helo", runs spf_check() for each over a
 *	resolver that asks NAMESERVER (host:port) only, and prints
 *
 *		RESULT<TAB>EXPLANATION
 *
 *	RESULT is the RFC 7208 result name; EXPLANATION is the domain's
 *	(or our default) explanation on fail, empty otherwise.  With -v a
 *	third column gives spf_check()'s reason; -d logs every DNS lookup
 *	and libspf2's chatter to standard error.  RECEIVER is our host
 *	name, the %{r} macro.  Lookups have no cache, so every check sees
 *	the server as it is; a lookup that gets no answer gives up after
 *	SPFCHECK_TIMEOUT_MS.  The test scripts drive this (tests/t/).
 *
 *	A malformed line prints "error<TAB>" and the next line is read.
 *	The exit status is 0, or 64 for bad arguments, 70 when the checker
 *	cannot be set up.
 *--*/
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "dns.h"
#include "log.h"
#include "results.h"
#include "spf.h"

#define SPFCHECK_TIMEOUT_MS	1500
#define SPFCHECK_LINE_MAX	(3 * MSG_ADDR_MAX + 64)
#define SPFCHECK_FIELDS		4

/* spfcheck_fields - split a line at tabs into exactly n fields, in place */

static int spfcheck_fields(char *line, char **fields, int n)
{
    char *p = line, *tab;
    int i;

    for (i = 0; i < n - 1; i++) {
	if ((tab = strchr(p, '\t')) == NULL)
	    return -1;
	*tab = 0;
	fields[i] = p;
	p = tab + 1;
    }
    if (strchr(p, '\t') != NULL)
	return -1;
    fields[n - 1] = p;
    return 0;
}

/* spfcheck_line - one check, one answer line */

static void spfcheck_line(struct spf_checker *ck, char *line, int verbose)
{
    char *f[SPFCHECK_FIELDS];
    struct spf_result res;
    int scope;

    if (spfcheck_fields(line, f, SPFCHECK_FIELDS) < 0
	|| (strcmp(f[3], "mfrom") != 0 && strcmp(f[3], "helo") != 0)) {
	printf("error\t%s\n", verbose ? "\tmalformed input line" : "");
	return;
    }
    scope = strcmp(f[3], "helo") == 0 ? SPF_SCOPE_HELO : SPF_SCOPE_MFROM;
    spf_check(ck, f[0], f[1], f[2], scope, &res);
    printf("%s\t%s", res_spf_name(res.result), res.explanation);
    if (verbose)
	printf("\t%s", res.reason);
    printf("\n");
}

int main(int argc, char **argv)
{
    char line[SPFCHECK_LINE_MAX];
    struct dns_resolver *resolver;
    struct spf_checker *ck;
    int verbose = 0;
    size_t len;

    log_init("spfcheck");
    if (log_target("stderr") < 0)
	return EX_SOFTWARE;
    for (; argc > 1 && argv[1][0] == '-' && argv[1][1] && !argv[1][2]; argc--, argv++) {
	if (argv[1][1] == 'v')
	    verbose = 1;
	else if (argv[1][1] == 'd')
	    log_set_debug(1);
	else
	    break;
    }
    if (argc != 3) {
	fprintf(stderr, "usage: spfcheck [-v] [-d] NAMESERVER(host:port) RECEIVER\n");
	return EX_USAGE;
    }
    if ((resolver = dns_create(&argv[1], 1, SPFCHECK_TIMEOUT_MS, 1, 0)) == NULL
	|| (ck = spf_checker_new(resolver, argv[2])) == NULL) {
	fprintf(stderr, "spfcheck: cannot set up a checker on %s\n", argv[1]);
	dns_destroy(resolver);
	return EX_SOFTWARE;
    }
    while (fgets(line, sizeof(line), stdin) != NULL) {
	len = strlen(line);
	if (len > 0 && line[len - 1] == '\n')
	    line[--len] = 0;
	else if (!feof(stdin)) {
	    /* Too long: skip the rest of it, answer once. */
	    int c;

	    while ((c = getchar()) != EOF && c != '\n')
		 /* void */ ;
	    line[0] = 0;
	}
	spfcheck_line(ck, line, verbose);
	fflush(stdout);
    }
    spf_checker_free(ck);
    dns_destroy(resolver);
    return 0;
}
