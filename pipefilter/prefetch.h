/*++
 * NAME
 *	prefetch 3h
 * SUMMARY
 *	the DNS questions of one message, asked at once
 *--*/
#ifndef PD_PREFETCH_H
#define PD_PREFETCH_H

#include <stddef.h>

#include "dns.h"
#include "limits.h"
#include "msg.h"

#define PREFETCH_DKIM_MAX	4	/* signing domains whose DMARC records are asked */

struct prefetch {
    size_t n;
    char name[DNS_PREFETCH_MAX][DNS_NAME_MAX + 1];	/* TXT questions, each once */
};

void prefetch_names(struct prefetch *, const struct msg_head *, unsigned,
		            const struct msg_authors *, const char *, int);
void prefetch_ask(const struct prefetch *, struct dns_resolver *);

#endif
