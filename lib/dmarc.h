/*++
 * NAME
 *	dmarc 3h
 * SUMMARY
 *	RFC 9989 DMARC: policy discovery, organizational domains, alignment
 *--*/
#ifndef PD_DMARC_H
#define PD_DMARC_H

#include <stddef.h>

#include "dmarc_record.h"
#include "dns.h"
#include "limits.h"

/* What the caller knows about one message. */
struct dmarc_dkim {
    const char *domain;			/* d= */
    int result;				/* enum res_dkim */
};

struct dmarc_input {
    const char *author;			/* RFC5322.From domain, normalized */
    const char *spf_domain;		/* MAIL FROM domain (HELO for <>) */
    int spf_result;			/* enum res_spf, MAIL FROM identity */
    size_t ndkim;
    const struct dmarc_dkim *dkim;
};

/* The verdict for one author domain. */
struct dmarc_eval {
    int result;				/* enum res_dmarc */
    int policy;				/* enum res_policy that applies */
    char tag;				/* 'p', 's' (sp) or 'n' (np): where from */
    int dkim_aligned, spf_aligned;
    char dkim_domain[DNS_NAME_MAX + 1];	/* the aligned passing d=, if any */
    char policy_domain[DNS_NAME_MAX + 1];	/* where the record was found */
    char org_domain[DNS_NAME_MAX + 1];	/* the author's organizational domain */
    int discovery;			/* enum res_discovery */
    struct dmarc_record rec;		/* the record as published */
    char reason[128];			/* printable, for logs and headers */
};

struct dmarc_ctx;

struct dmarc_ctx *dmarc_new(struct dns_resolver *, int, const char *, char *, size_t);
void dmarc_free(struct dmarc_ctx *);
int dmarc_psl_preload(const char *);
void dmarc_evaluate(struct dmarc_ctx *, const struct dmarc_input *, struct dmarc_eval *);
int dmarc_org_domain(struct dmarc_ctx *, const char *, char *, size_t);
int dmarc_apply_testing(int, int);

#endif
