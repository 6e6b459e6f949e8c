/*++
 * NAME
 *	agg 3
 * SUMMARY
 *	records of one policy domain and day, grouped into report rows
 * SYNOPSIS
 *	#include "agg.h"
 *
 *	int	agg_init(agg)
 *	int	agg_add(agg, msg)
 *	void	agg_free(agg)
 * DESCRIPTION
 *	agg_add() files one stored message under its published policy
 *	configuration (the snapshot taken when it arrived: a policy change
 *	during the day makes a second report) and, within that, under a
 *	row: messages with the same source IP, disposition, evaluated DKIM
 *	and SPF, reasons, header from, envelope from and to, and
 *	authentication results count as one row.  Only DMARC pass and fail
 *	are reported (RFC 9990 has no other results); the rest is counted
 *	in agg->skipped.  At most REPORT_DKIM_MAX DKIM results per row, in
 *	the order RFC 9990 section 2.1.4 prefers: passing and strictly
 *	aligned, passing and relaxed aligned, passing, not passing.
 *	It returns 0, or -1 when memory runs out.
 *--*/
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "buf.h"
#include "results.h"
#include "str.h"

#define AGG_KEY_MAX	(64 * 1024)
#define AGG_SEP		'\x1f'

/* agg_init - empty aggregation */

int agg_init(struct agg *a)
{
    a->records = a->skipped = 0;
    buf_init(&a->key, AGG_KEY_MAX);
    return hmap_init(&a->snaps, 8);
}

/* agg_row_free - release a row */

static void agg_row_free(void *p)
{
    struct agg_row *r = p;

    if (r == NULL)
	return;
    free(r->source_ip);
    free(r->header_from);
    free(r->env_from);
    free(r->env_to);
    free(r->spf_domain);
    free(r->reasons);
    free(r->dkim);
    free(r);
}

/* agg_snap_free - release a snapshot and its rows */

static void agg_snap_free(void *p)
{
    struct agg_snap *s = p;

    if (s == NULL)
	return;
    hmap_free(&s->rows, agg_row_free);
    free(s);
}

/* agg_free - release everything */

void agg_free(struct agg *a)
{
    hmap_free(&a->snaps, agg_snap_free);
    buf_free(&a->key);
}

/* agg_policy_key - what makes two policy snapshots the same */

static void agg_policy_key(struct buf *k, const struct store_policy *p)
{
    char flags[8];
    size_t i;

    flags[0] = (char) ('0' + p->p);
    flags[1] = (char) ('0' + p->sp);
    flags[2] = (char) ('0' + p->np);
    flags[3] = p->adkim;
    flags[4] = p->aspf;
    flags[5] = (char) ('0' + p->testing);
    flags[6] = p->psd;
    flags[7] = (char) ('0' + p->discovery);
    buf_add(k, flags, sizeof(flags));
    buf_addch(k, AGG_SEP);
    buf_addstr(k, p->fo);
    for (i = 0; i < p->nrua; i++) {
	buf_addch(k, AGG_SEP);
	buf_addstr(k, p->rua[i]);
    }
}

/* agg_dkim_rank - RFC 9990 preference of a DKIM result in a row */

static int agg_dkim_rank(const struct store_dkim *d, const char *header_from)
{
    size_t dl = strlen(d->domain), hl = strlen(header_from);

    if (d->result != RES_DKIM_PASS)
	return 3;
    if (str_eq_ci(d->domain, header_from))
	return 0;
    if ((dl > hl && d->domain[dl - hl - 1] == '.' && str_eq_ci(d->domain + dl - hl, header_from))
	|| (hl > dl && header_from[hl - dl - 1] == '.'
	    && str_eq_ci(header_from + hl - dl, d->domain)))
	return 1;
    return 2;
}

/* agg_dkim_order - the row's DKIM results, best first, at most 100 */

static size_t agg_dkim_order(const struct store_msg *m, const struct store_dkim **out)
{
    int rank[STORE_DKIM_MAX], r;
    size_t n = 0, i;

    for (i = 0; i < m->ndkim; i++)
	rank[i] = agg_dkim_rank(&m->dkim[i], m->header_from);
    for (r = 0; r <= 3; r++)
	for (i = 0; i < m->ndkim && n < REPORT_DKIM_MAX; i++)
	    if (rank[i] == r)
		out[n++] = &m->dkim[i];
    return n;
}

/* agg_key_str - a string and a separator */

static void agg_key_str(struct buf *k, const char *s)
{
    buf_addstr(k, s);
    buf_addch(k, AGG_SEP);
}

/* agg_key_int - a small number and a separator */

static void agg_key_int(struct buf *k, int v)
{
    char d[16];
    size_t n = 0;
    unsigned u = (unsigned) v;

    do
	d[sizeof(d) - 1 - n++] = (char) ('0' + u % 10);
    while ((u /= 10) && n < sizeof(d));
    buf_add(k, d + sizeof(d) - n, n);
    buf_addch(k, AGG_SEP);
}

/* agg_row_key - what makes two messages the same row */

static void agg_row_key(struct buf *k, const struct store_msg *m,
			        const struct store_dkim *const *dkim, size_t ndkim)
{
    size_t i;

    agg_key_str(k, m->source_ip);
    agg_key_int(k, m->disposition);
    agg_key_int(k, m->dkim_aligned);
    agg_key_int(k, m->spf_aligned);
    agg_key_str(k, m->header_from);
    agg_key_str(k, m->env_from);
    agg_key_str(k, m->env_to);
    agg_key_str(k, m->spf_domain);
    agg_key_int(k, m->spf_result);
    for (i = 0; i < m->nreasons; i++) {
	agg_key_int(k, m->reasons[i].type);
	agg_key_str(k, m->reasons[i].comment);
    }
    buf_addch(k, AGG_SEP);			/* reasons end, DKIM results follow */
    for (i = 0; i < ndkim; i++) {
	agg_key_str(k, dkim[i]->domain);
	agg_key_str(k, dkim[i]->selector);
	agg_key_int(k, dkim[i]->result);
    }
}

/* agg_row_new - a row from its first message */

static struct agg_row *agg_row_new(const struct store_msg *m,
				           const struct store_dkim *const *dkim, size_t ndkim)
{
    struct agg_row *r;
    size_t i;

    if ((r = calloc(1, sizeof(*r))) == NULL)
	return NULL;
    r->source_ip = str_dup(m->source_ip);
    r->header_from = str_dup(m->header_from);
    r->env_from = str_dup(m->env_from);
    r->env_to = str_dup(m->env_to);
    r->spf_domain = str_dup(m->spf_domain);
    r->disposition = m->disposition;
    r->dkim_aligned = m->dkim_aligned;
    r->spf_aligned = m->spf_aligned;
    r->spf_result = m->spf_result;
    r->nreasons = m->nreasons;
    r->reasons = m->nreasons ? malloc(m->nreasons * sizeof(*r->reasons)) : NULL;
    r->ndkim = ndkim;
    r->dkim = ndkim ? malloc(ndkim * sizeof(*r->dkim)) : NULL;
    if (!r->source_ip || !r->header_from || !r->env_from || !r->env_to || !r->spf_domain
	|| (m->nreasons && !r->reasons) || (ndkim && !r->dkim)) {
	agg_row_free(r);
	return NULL;
    }
    /* Not memcpy(NULL, ..., 0) when there are no reasons: undefined
     * behaviour all the same (UBSan: nonnull argument). */
    if (m->nreasons)
	memcpy(r->reasons, m->reasons, m->nreasons * sizeof(*r->reasons));
    for (i = 0; i < ndkim; i++)
	r->dkim[i] = *dkim[i];
    return r;
}

/* agg_snap_of - the snapshot a message belongs to */

static struct agg_snap *agg_snap_of(struct agg *a, const struct store_msg *m, struct buf *k)
{
    struct agg_snap **slot, *s;
    int created;

    buf_reset(k);
    agg_policy_key(k, &m->policy);
    if (buf_error(k) || (slot = (struct agg_snap **) hmap_slot(&a->snaps, k->data, k->len,
							       &created)) == NULL)
	return NULL;
    if (!created)
	return *slot;
    if ((s = calloc(1, sizeof(*s))) == NULL || hmap_init(&s->rows, 16) < 0) {
	free(s);
	return NULL;
    }
    s->policy = m->policy;
    s->first = m->time;
    *slot = s;
    return s;
}

/* agg_add - one message into its snapshot and row */

int agg_add(struct agg *a, const struct store_msg *m)
{
    const struct store_dkim *dkim[REPORT_DKIM_MAX];
    struct buf *k = &a->key;
    struct agg_snap *s;
    struct agg_row **slot;
    size_t ndkim;
    int created;

    if ((m->dmarc_result != RES_DMARC_PASS && m->dmarc_result != RES_DMARC_FAIL)
	|| m->policy.domain[0] == 0) {
	a->skipped++;
	return 0;
    }
    ndkim = agg_dkim_order(m, dkim);
    if ((s = agg_snap_of(a, m, k)) == NULL)
	return -1;
    buf_reset(k);
    agg_row_key(k, m, dkim, ndkim);
    if (buf_error(k) || (slot = (struct agg_row **) hmap_slot(&s->rows, k->data, k->len,
							       &created)) == NULL)
	return -1;
    if (created && (*slot = agg_row_new(m, dkim, ndkim)) == NULL)
	return -1;
    (*slot)->count++;
    s->count++;
    s->first = m->time < s->first ? m->time : s->first;
    s->last = m->time > s->last ? m->time : s->last;
    a->records++;
    return 0;
}
