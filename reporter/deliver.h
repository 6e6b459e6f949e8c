/*++
 * NAME
 *	deliver 3h
 * SUMMARY
 *	sending stored reports to their authorized destinations
 *--*/
#ifndef PD_DELIVER_H
#define PD_DELIVER_H

#include <stdint.h>
#include <stdio.h>

#include "conf.h"
#include "dmarc.h"
#include "store.h"

struct deliver_opts {
    int force;				/* every pending destination, now */
    int dry_run;			/* say what would be sent */
    const char *outdir;			/* write .eml files instead of SMTP */
    FILE *listing;			/* for dry_run */
};

struct deliver_stats {
    unsigned sent, failed, skipped, deferred;
    uint64_t next_try;			/* earliest retry still pending, 0: none */
};

enum { AUTH_OK, AUTH_NO, AUTH_TEMP };

int deliver_authorized(struct dmarc_ctx *, struct dns_resolver *, const char *, char *,
		               size_t, char *, size_t);
int deliver_reports(const struct conf *, struct store *, struct dns_resolver *,
		            const struct deliver_opts *, struct deliver_stats *);

#endif
