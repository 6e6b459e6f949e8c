/* agg_test - agg_add(): rows, policy snapshots, what is skipped, the
 * order of a row's DKIM results and how many it keeps; and a snapshot's
 * rows cut into reports of at most a size (feedback.c's fb_part()). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "feedback.h"
#include "results.h"
#include "tap.h"

/* mkmsg - a passing message of example.com from 192.0.2.1 */

static void mkmsg(struct store_msg *m, uint64_t t)
{
    memset(m, 0, sizeof(*m));
    m->time = t;
    snprintf(m->queue_id, sizeof(m->queue_id), "Q%llu", (unsigned long long) t);
    snprintf(m->source_ip, sizeof(m->source_ip), "192.0.2.1");
    snprintf(m->header_from, sizeof(m->header_from), "example.com");
    snprintf(m->env_from, sizeof(m->env_from), "example.com");
    snprintf(m->spf_domain, sizeof(m->spf_domain), "example.com");
    m->spf_result = RES_SPF_PASS;
    m->dmarc_result = RES_DMARC_PASS;
    m->spf_aligned = 1;
    snprintf(m->policy.domain, sizeof(m->policy.domain), "example.com");
    m->policy.p = RES_POLICY_REJECT;
    m->policy.adkim = m->policy.aspf = 'r';
    m->policy.psd = 'u';
    m->policy.nrua = 1;
    snprintf(m->policy.rua[0], sizeof(m->policy.rua[0]), "mailto:rua@example.com");
}

/* add_dkim - one more DKIM result */

static void add_dkim(struct store_msg *m, const char *domain, const char *sel, int result)
{
    struct store_dkim *d = &m->dkim[m->ndkim++];

    snprintf(d->domain, sizeof(d->domain), "%s", domain);
    snprintf(d->selector, sizeof(d->selector), "%s", sel);
    d->result = result;
}

/* only_row - the one row of the one snapshot, or NULL */

static const struct agg_row *only_row(const struct agg *a)
{
    const struct agg_snap *s;

    if (hmap_count(&a->snaps) != 1)
	return NULL;
    s = hmap_at(&a->snaps, 0)->value;
    return hmap_count(&s->rows) == 1 ? hmap_at(&s->rows, 0)->value : NULL;
}

static void test_rows(struct store_msg *m)
{
    const struct agg_snap *s;
    struct agg a;

    agg_init(&a);
    mkmsg(m, 1000);
    agg_add(&a, m);
    mkmsg(m, 1010);
    agg_add(&a, m);
    ok(only_row(&a) && only_row(&a)->count == 2, "identical messages: one row of 2");
    mkmsg(m, 990);
    snprintf(m->source_ip, sizeof(m->source_ip), "192.0.2.2");
    agg_add(&a, m);
    s = hmap_count(&a.snaps) == 1 ? hmap_at(&a.snaps, 0)->value : NULL;
    ok(s && hmap_count(&s->rows) == 2 && s->count == 3 && s->first == 990 && s->last == 1010,
       "another source: a second row; the snapshot counts 3, from 990 to 1010");
    mkmsg(m, 1020);
    m->policy.p = RES_POLICY_QUARANTINE;
    agg_add(&a, m);
    is_int(hmap_count(&a.snaps), 2, "a policy change: a second snapshot");
    mkmsg(m, 1030);
    m->dmarc_result = RES_DMARC_NONE;
    agg_add(&a, m);
    mkmsg(m, 1040);
    m->dmarc_result = RES_DMARC_TEMPERROR;
    agg_add(&a, m);
    mkmsg(m, 1050);
    m->policy.domain[0] = 0;
    agg_add(&a, m);
    ok(a.records == 4 && a.skipped == 3,
       "DMARC none, temperror and no policy domain are skipped (%llu, %llu)",
       (unsigned long long) a.records, (unsigned long long) a.skipped);
    agg_free(&a);
}

static void test_dkim_order(struct store_msg *m)
{
    const struct agg_row *r;
    struct agg a;

    agg_init(&a);
    mkmsg(m, 1000);
    add_dkim(m, "example.com", "bad", RES_DKIM_FAIL);
    add_dkim(m, "esp.example.net", "esp", RES_DKIM_PASS);
    add_dkim(m, "mail.example.com", "sub", RES_DKIM_PASS);
    add_dkim(m, "EXAMPLE.com", "top", RES_DKIM_PASS);
    agg_add(&a, m);
    r = only_row(&a);
    ok(r && r->ndkim == 4 && strcmp(r->dkim[0].selector, "top") == 0
       && strcmp(r->dkim[1].selector, "sub") == 0 && strcmp(r->dkim[2].selector, "esp") == 0
       && strcmp(r->dkim[3].selector, "bad") == 0,
       "DKIM results: strictly aligned pass, relaxed pass, other pass, then the rest");
    agg_free(&a);
}

static void test_dkim_limit(struct store_msg *m)
{
    size_t want = REPORT_DKIM_MAX;
    const struct agg_row *r;
    struct agg a;
    char sel[16];
    size_t i;

    agg_init(&a);
    mkmsg(m, 1000);
    for (i = 0; i < STORE_DKIM_MAX; i++) {
	snprintf(sel, sizeof(sel), "s%zu", i);
	add_dkim(m, "example.com", sel, i % 2 ? RES_DKIM_PASS : RES_DKIM_FAIL);
    }
    agg_add(&a, m);
    r = only_row(&a);
    ok(r && r->ndkim == want && r->dkim[0].result == RES_DKIM_PASS
       && r->dkim[want - 1].result == RES_DKIM_FAIL,
       "a message with STORE_DKIM_MAX results: a row of REPORT_DKIM_MAX (%zu), passes "
       "first", want);
    agg_free(&a);
}

/* records - how many <record> elements the XML has */

static size_t records(const struct buf *xml)
{
    const char *p = xml->data, *end = xml->data + xml->len;
    size_t n = 0;

    while ((p = memmem(p, (size_t) (end - p), "<record>", 8)) != NULL)
	n++, p += 8;
    return n;
}

static void test_parts(struct store_msg *m)
{
    struct fb_meta meta = {"Org & Co", "dmarc@example.org", "20260101aabbccdd", 1, 2, "t"};
    struct buf xml = BUF_INIT(1 << 24);
    size_t i, from, to, parts = 0, rows = 0, head, budget = 20000, worst = 0, n;
    const struct agg_snap *s;
    struct agg a;
    int ok_parts = 1;

    agg_init(&a);
    for (i = 0; i < 300; i++) {
	mkmsg(m, 1000 + i);
	snprintf(m->source_ip, sizeof(m->source_ip), "2001:db8::%zx", i);
	if (i % 7 == 0)			/* rows of many sizes, some with text to escape */
	    snprintf(m->header_from, sizeof(m->header_from), "%.*s&<>.example", (int) (i % 200),
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	for (n = 0; n < i % 5; n++)
	    add_dkim(m, "d.example", "s&1", RES_DKIM_PASS);
	agg_add(&a, m);
    }
    s = hmap_at(&a.snaps, 0)->value;
    head = fb_head_bound(&meta, s);
    for (from = 0; from < hmap_count(&s->rows); from = to, parts++) {
	to = fb_part(s, from, budget);
	buf_reset(&xml);
	ok_parts &= to > from && fb_xml(&meta, s, from, to, &xml) == 0
	    && records(&xml) == to - from && xml.len <= head + budget;
	if (xml.len > worst)
	    worst = xml.len;
	rows += to - from;
    }
    ok(ok_parts && parts > 5 && rows == 300,
       "300 rows, %zu bytes a part: %zu parts, each within its size (the biggest %zu bytes)",
       budget, parts, worst);
    ok(fb_part(s, 0, (size_t) -1 / 2) == 300, "a budget big enough: one part");
    ok(fb_part(s, 5, 1) == 6 && fb_part(s, 299, 1) == 300,
       "a row bigger than the budget: a part of its own");
    buf_free(&xml);
    agg_free(&a);
}

int main(void)
{
    struct store_msg *m = malloc(sizeof(*m));

    if (m == NULL)
	return 1;
    test_rows(m);
    test_dkim_order(m);
    test_dkim_limit(m);
    test_parts(m);
    free(m);
    return tap_done();
}
