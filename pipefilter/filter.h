/*++
 * NAME
 *	filter 3h
 * SUMMARY
 *	one message through DKIM, SPF, DMARC and back into Postfix
 *--*/
#ifndef PD_FILTER_H
#define PD_FILTER_H

#include <stddef.h>

#include "conf.h"

struct filter_args {
    const char *sender;			/* -f: "" for the null sender */
    const char *client_addr;
    const char *client_helo;
    const char *client_name;
    const char *queue_id;
    const char *sasl_username;
    char *const *rcpt;
    size_t nrcpt;
    int front;				/* a server's connection to the front, or -1 */
};

int filter_message(const struct conf *, const struct filter_args *, int);

#endif
