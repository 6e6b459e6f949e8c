/*++
 * NAME
 *	prefetch 3
 * SUMMARY
 *	the DNS questions of one message, asked at once
 * SYNOPSIS
 *	#include "prefetch.h"
 *
 *	void	prefetch_names(pf, head, max_sigs, authors, spf_domain, spf_record)
 *	void	prefetch_ask(pf, dns)
 * DESCRIPTION
 *	prefetch_names() lists in pf the TXT names the evaluation of a
 *	message will look up, in this order: the SPF record of spf_domain
 *	(with spf_record); the key (s=, d=) of each of the first max_sigs
 *	DKIM-Signature fields; the DMARC records dmarc_evaluate() reads,
 *	that is the tree walk (RFC 9989 4.10) of each author domain, then
 *	of spf_domain and of the first PREFETCH_DKIM_MAX signing domains
 *	(their organizational domains, for relaxed alignment).  spf_domain
 *	"" is none.  Each name is listed once, and at most DNS_PREFETCH_MAX:
 *	what does not fit is looked up later as usual.
 *
 *	prefetch_ask() sends them all at once through dns_prefetch(), whose
 *	answers go into the resolver's cache.
 *--*/
#include <stdio.h>
#include <string.h>

#include "prefetch.h"

#define PREFETCH_FWS(c)	((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')

/* prefetch_dkim_tag - one tag's value from a DKIM-Signature, no FWS; 0 or -1 */

static int prefetch_dkim_tag(const char *v, size_t len, char tag, char *out, size_t size)
{
    const char *end = v + len, *p = v, *semi;
    size_t o;

    while (p < end) {
	if ((semi = memchr(p, ';', (size_t) (end - p))) == NULL)
	    semi = end;
	while (p < semi && PREFETCH_FWS(*p))
	    p++;
	if (p < semi && *p == tag) {
	    const char *q = p + 1;

	    while (q < semi && PREFETCH_FWS(*q))
		q++;
	    if (q < semi && *q == '=') {
		for (o = 0, q++; q < semi; q++) {
		    if (PREFETCH_FWS(*q))
			continue;
		    if (o + 1 >= size)
			return -1;
		    out[o++] = *q;
		}
		out[o] = 0;
		return o ? 0 : -1;
	    }
	}
	p = semi + 1;
    }
    return -1;
}

/* prefetch_add - the name a b c, unless it is there already */

static void prefetch_add(struct prefetch *pf, const char *a, const char *b, const char *c)
{
    size_t i;

    if (pf->n >= DNS_PREFETCH_MAX
	|| (size_t) snprintf(pf->name[pf->n], sizeof(pf->name[0]), "%s%s%s", a, b, c)
	>= sizeof(pf->name[0]))
	return;
    for (i = 0; i < pf->n && strcmp(pf->name[i], pf->name[pf->n]) != 0; i++)
	 /* void */ ;
    if (i == pf->n)
	pf->n++;
}

/* prefetch_walk - the names the DMARC tree walk asks for a domain */

static void prefetch_walk(struct prefetch *pf, const char *domain)
{
    const char *p = domain;
    size_t labels = 1, skip, i;

    for (i = 0; domain[i]; i++)
	labels += domain[i] == '.';
    /* As lib/dmarc.c walks: the domain, then from 8 labels or more
     * straight to the last 7, then one label less each time. */
    for (i = 0; p && *p && i < DMARC_TREE_WALK_MAX; i++) {
	prefetch_add(pf, "_dmarc.", p, "");
	for (skip = i == 0 && labels >= 8 ? labels - 7 : 1; skip > 0 && p; skip--)
	    if ((p = strchr(p, '.')) != NULL)
		p++;
    }
}

/* prefetch_names - every TXT name the message will need */

void prefetch_names(struct prefetch *pf, const struct msg_head *head, unsigned max_sigs,
		            const struct msg_authors *authors, const char *spf_domain,
		            int spf_record)
{
    char d[DNS_NAME_MAX + 1], s[DNS_NAME_MAX + 1];
    char dkim_d[PREFETCH_DKIM_MAX][DNS_NAME_MAX + 1];
    size_t i, sigs = 0, dkim_n = 0;

    pf->n = 0;
    if (spf_record && *spf_domain)
	prefetch_add(pf, spf_domain, "", "");
    for (i = 0; i < head->n && sigs < max_sigs && pf->n < DNS_PREFETCH_MAX; i++) {
	const struct msg_field *fld = &head->v[i];

	if (!msg_field_is(fld, "DKIM-Signature"))
	    continue;
	sigs++;
	if (prefetch_dkim_tag(fld->value, fld->value_len, 'd', d, sizeof(d)) < 0
	    || prefetch_dkim_tag(fld->value, fld->value_len, 's', s, sizeof(s)) < 0)
	    continue;
	prefetch_add(pf, s, "._domainkey.", d);
	if (dkim_n < PREFETCH_DKIM_MAX
	    && msg_domain_normalize(d, strlen(d), dkim_d[dkim_n], sizeof(dkim_d[0])) == 0)
	    dkim_n++;
    }
    for (i = 0; i < authors->n; i++)
	prefetch_walk(pf, authors->domain[i]);
    if (*spf_domain)
	prefetch_walk(pf, spf_domain);
    for (i = 0; i < dkim_n; i++)
	prefetch_walk(pf, dkim_d[i]);
}

/* prefetch_ask - the names to the resolver, at once */

void prefetch_ask(const struct prefetch *pf, struct dns_resolver *dns)
{
    const char *names[DNS_PREFETCH_MAX];
    uint16_t types[DNS_PREFETCH_MAX];
    size_t i;

    for (i = 0; i < pf->n; i++) {
	names[i] = pf->name[i];
	types[i] = DNS_T_TXT;
    }
    if (pf->n > 1)
	dns_prefetch(dns, names, types, pf->n);
}
