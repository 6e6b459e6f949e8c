/*++
 * NAME
 *	cmdline 3h
 * SUMMARY
 *	the filter's command line
 *--*/
#ifndef PD_CMDLINE_H
#define PD_CMDLINE_H

#include <stddef.h>

#include "filter.h"

struct cmdline {
    const char *conf_path;		/* -c, or the default */
    int explicit;			/* -c given */
    int check;				/* -n */
    int version;			/* -V */
    int stdio;				/* --stdio: one message, then exit */
    int have_sender;			/* -f given */
    struct filter_args args;		/* strings point into argv */
};

int cmdline_parse(int, char **, struct cmdline *, char *, size_t);

#endif
