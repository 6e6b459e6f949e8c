/*++
 * NAME
 *	storefill 1
 * SUMMARY
 *	put synthetic message records into a store, for tests and benchmarks
 * SYNOPSIS
 *	storefill DIR COUNT DOMAINS TIME [RUA-HOST [SPAN [QID-PREFIX [SOURCES]]]]
 * DESCRIPTION
 *	Adds COUNT records spread over DOMAINS policy domains named
 *	dNNNNN.example.com, evenly over SPAN seconds (default 86400) from
 *	TIME (seconds since the epoch), each with its own queue id
 *	(QID-PREFIX, default "Q", then the record number in hex: give
 *	another prefix to add more records to a store).  A
 *	RUA-HOST of "-" means each domain's own.  Sources vary over SOURCES
 *	addresses (default 256: 192.0.2.0/24; more: 2001:db8::/64), a
 *	third of the messages fail DMARC, a few carry two DKIM
 *	signatures.  Every policy asks for reports at mailto:dmarc@<its
 *	domain>, or at mailto:dmarc@RUA-HOST when given.  Records go in
 *	batches of 10000 per transaction.  Exit 0, or 1.
 *--*/
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results.h"
#include "store.h"
#include "str.h"

struct fill_ctx {
    uint64_t base, domains, t0, count, span, sources;
    const char *rua_host;
    const char *qid_prefix;
};

/* fill - one synthetic record */

static void fill(size_t k, struct store_msg *m, void *arg)
{
    const struct fill_ctx *c = arg;
    uint64_t i = c->base + k, d = i % c->domains;

    memset(m, 0, offsetof(struct store_msg, dkim));
    m->time = c->t0 + i * c->span / c->count;
    snprintf(m->queue_id, sizeof(m->queue_id), "%s%012llx", c->qid_prefix,
	     (unsigned long long) i);
    if (c->sources <= 256)
	snprintf(m->source_ip, sizeof(m->source_ip), "192.0.2.%u",
		 (unsigned) (i / c->domains % c->sources));
    else
	snprintf(m->source_ip, sizeof(m->source_ip), "2001:db8::%llx",
		 (unsigned long long) (i / c->domains % c->sources));
    snprintf(m->header_from, sizeof(m->header_from), "d%05llu.example.com",
	     (unsigned long long) d);
    memcpy(m->env_from, m->header_from, sizeof(m->env_from));
    snprintf(m->env_to, sizeof(m->env_to), "example.org");
    memcpy(m->spf_domain, m->header_from, sizeof(m->spf_domain));
    m->spf_result = i % 3 ? RES_SPF_PASS : RES_SPF_FAIL;
    m->ndkim = i % 7 == 0 ? 2 : 1;
    memcpy(m->dkim[0].domain, m->header_from, sizeof(m->dkim[0].domain));
    snprintf(m->dkim[0].selector, sizeof(m->dkim[0].selector), "s1");
    m->dkim[0].result = i % 3 ? RES_DKIM_PASS : RES_DKIM_FAIL;
    snprintf(m->dkim[1].domain, sizeof(m->dkim[1].domain), "esp.example.net");
    snprintf(m->dkim[1].selector, sizeof(m->dkim[1].selector), "k2");
    m->dkim[1].result = RES_DKIM_PASS;
    m->dmarc_result = i % 3 ? RES_DMARC_PASS : RES_DMARC_FAIL;
    m->dkim_aligned = m->spf_aligned = i % 3 != 0;
    m->disposition = i % 3 ? RES_DISP_PASS : RES_DISP_QUARANTINE;
    m->nreasons = 0;
    memset(&m->policy, 0, offsetof(struct store_policy, rua));
    memcpy(m->policy.domain, m->header_from, sizeof(m->policy.domain));
    m->policy.p = RES_POLICY_QUARANTINE;
    m->policy.adkim = m->policy.aspf = 'r';
    m->policy.psd = 'u';
    snprintf(m->policy.fo, sizeof(m->policy.fo), "0");
    m->policy.nrua = 1;
    snprintf(m->policy.rua[0], sizeof(m->policy.rua[0]), "mailto:dmarc@%s",
	     c->rua_host ? c->rua_host : m->header_from);
}

int main(int argc, char **argv)
{
    struct fill_ctx c;
    struct store *st;
    uint64_t count, i;

    if (argc < 5 || str_to_u64(argv[2], strlen(argv[2]), UINT64_MAX, &count) < 0
	|| str_to_u64(argv[3], strlen(argv[3]), UINT64_MAX, &c.domains) < 0 || c.domains == 0
	|| str_to_u64(argv[4], strlen(argv[4]), UINT64_MAX, &c.t0) < 0) {
	fprintf(stderr, "usage: storefill DIR COUNT DOMAINS TIME [RUA-HOST [SPAN [QID-PREFIX "
		"[SOURCES]]]]\n");
	return 1;
    }
    c.rua_host = argc > 5 && strcmp(argv[5], "-") != 0 ? argv[5] : NULL;
    c.count = count ? count : 1;
    c.span = 86400;
    if (argc > 6 && str_to_u64(argv[6], strlen(argv[6]), UINT64_MAX, &c.span) < 0) {
	fprintf(stderr, "storefill: bad SPAN\n");
	return 1;
    }
    c.qid_prefix = argc > 7 ? argv[7] : "Q";
    c.sources = 256;
    if (argc > 8 && (str_to_u64(argv[8], strlen(argv[8]), UINT64_MAX, &c.sources) < 0
		     || c.sources == 0)) {
	fprintf(stderr, "storefill: bad SOURCES\n");
	return 1;
    }
    if (strlen(c.qid_prefix) > STORE_QID_MAX - 12) {
	fprintf(stderr, "storefill: QID-PREFIX too long\n");
	return 1;
    }
    if ((st = store_open(argv[1], STORE_CREATE)) == NULL) {
	fprintf(stderr, "storefill: %s\n", store_last_error());
	return 1;
    }
    for (i = 0; i < count; i += 10000) {
	c.base = i;
	if (store_msg_put_batch(st, count - i < 10000 ? (size_t) (count - i) : 10000, fill, &c)
	    != STORE_OK) {
	    fprintf(stderr, "storefill: %s\n", store_error(st));
	    return 1;
	}
    }
    store_close(st);
    return 0;
}
