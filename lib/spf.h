/*++
 * NAME
 *	spf 3h
 * SUMMARY
 *	RFC 7208 SPF checks through libspf2, with our DNS layer
 *--*/
#ifndef PD_SPF_H
#define PD_SPF_H

#include "buf.h"
#include "dns.h"
#include "limits.h"

#define SPF_REASON_MAX	256

enum { SPF_SCOPE_MFROM, SPF_SCOPE_HELO };

struct spf_result {
    int result;				/* enum res_spf */
    int scope;				/* SPF_SCOPE_* */
    char domain[DNS_NAME_MAX + 1];	/* the domain checked, "" if none */
    char sender[MSG_ADDR_MAX + 1];	/* the identity: local@domain */
    char reason[SPF_REASON_MAX];	/* why, printable ASCII */
    char explanation[SPF_REASON_MAX];	/* exp= text on fail, printable */
};

struct spf_checker;

struct spf_checker *spf_checker_new(struct dns_resolver *, const char *);
void spf_checker_free(struct spf_checker *);
int spf_check(struct spf_checker *, const char *, const char *, const char *, int,
	              struct spf_result *);
int spf_received_header(struct buf *, const struct spf_result *, const char *,
			        const char *, const char *, const char *);
int spf_domain_ok(const char *);

#endif
