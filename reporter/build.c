/*++
 * NAME
 *	build 3
 * SUMMARY
 *	turning stored records into stored reports
 * SYNOPSIS
 *	#include "build.h"
 *
 *	int	build_reports(conf, store, since, cutoff, dry_run, listing, stats)
 * DESCRIPTION
 *	build_reports() takes every message record older than cutoff and
 *	makes one report per policy domain, UTC day and published policy
 *	configuration, with the destinations of its rua= mailto: URIs.
 *	Each report is stored, gzip'ed, in the same transaction that
 *	consumes its records (store_msg_groups()), so the same report id
 *	and bytes go out however many times delivery is tried.  Domains in
 *	exclude_domains, and policies without a mailto: rua, consume their
 *	records without a report.
 *
 *	The date range of a report is its UTC day, cut at since (where an
 *	earlier --flush stopped) and at cutoff; end is inclusive.  Records
 *	older than since (stored after the flush that covered their time)
 *	widen it back to the first of them.
 *
 *	With dry_run nothing is written: each report that would be made is
 *	described on listing.  It returns 0, or -1 (the store says why).
 *--*/
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "agg.h"
#include "build.h"
#include "dmarc_record.h"
#include "feedback.h"
#include "log.h"
#include "str.h"

#define DAY	86400ULL

struct build {
    const struct conf *conf;
    uint64_t since, cutoff;
    int dry_run;
    FILE *listing;
    struct agg agg;
    struct build_stats *stats;		/* what committed transactions did */
    struct build_stats txn;		/* what the transaction under way did */
    int no_agg;				/* agg_init() failed: the transaction fails */
};

/* build_excluded - is the domain in exclude_domains */

static int build_excluded(const struct conf *conf, const char *domain)
{
    size_t i;

    for (i = 0; i < conf->exclude_domains.n; i++)
	if (str_eq_ci(conf->exclude_domains.v[i], domain))
	    return 1;
    return 0;
}

/* build_dests - the mailto: destinations of a policy, each once */

static void build_dests(const struct store_policy *p, struct store_report *rp)
{
    char addr[MSG_ADDR_MAX + 1];
    size_t i, j;

    rp->ndests = 0;
    for (i = 0; i < p->nrua && rp->ndests < REPORT_DESTS_MAX; i++) {
	if (dmarc_uri_mailto(p->rua[i], addr, sizeof(addr)) < 0) {
	    log_info("report for %s: skipping rua %s: not a mailto: URI we can use",
		     p->domain, p->rua[i]);
	    continue;
	}
	for (j = 0; j < rp->ndests; j++)
	    if (str_eq_ci(rp->dests[j].addr, addr))
		break;
	if (j < rp->ndests)
	    continue;
	memset(&rp->dests[rp->ndests], 0, sizeof(rp->dests[0]));
	memcpy(rp->dests[rp->ndests].addr, addr, sizeof(addr));
	rp->ndests++;
    }
}

/* build_id - a fresh report id: day and 64 random bits, letters and digits */

static void build_id(uint32_t day, char *id, size_t size)
{
    unsigned char r[8];
    time_t t = (time_t) day * 86400;
    struct tm tm;
    char date[16];
    size_t i, o;

    if (getrandom(r, sizeof(r), 0) != (ssize_t) sizeof(r))
	for (i = 0; i < sizeof(r); i++)
	    r[i] = (unsigned char) (rand() ^ (int) time(NULL));
    gmtime_r(&t, &tm);
    strftime(date, sizeof(date), "%Y%m%d", &tm);
    o = (size_t) snprintf(id, size, "%s", date);
    for (i = 0; i < sizeof(r) && o + 2 < size; i++)
	o += (size_t) snprintf(id + o, size - o, "%02x", r[i]);
}

/* build_part - one report: rows from to to of a snapshot; meta names rp */

static int build_part(struct build *b, struct store_txn *txn, struct store_report *rp,
		              const struct fb_meta *meta, const struct agg_snap *s, size_t from,
		              size_t to)
{
    struct buf xml = BUF_INIT(REPORT_XML_PART_MAX * 2), gz = BUF_INIT(STORE_REPORT_MAX);
    size_t i;
    int ret = -1;

    rp->records = 0;
    for (i = from; i < to; i++)
	rp->records += ((const struct agg_row *) hmap_at(&s->rows, i)->value)->count;
    if (fb_xml(meta, s, from, to, &xml) == 0 && fb_gzip(xml.data, xml.len, &gz) == 0) {
	rp->blob = (unsigned char *) gz.data;
	rp->len = gz.len;
	if (b->dry_run)
	    fprintf(b->listing, "report %s: %s, %llu..%llu, %llu messages in %zu rows, "
		    "%zu destinations, %zu bytes of XML\n", rp->id, rp->domain,
		    (unsigned long long) rp->begin, (unsigned long long) rp->end,
		    (unsigned long long) rp->records, to - from, rp->ndests, xml.len);
	ret = b->dry_run ? 0 : store_txn_report_put(txn, rp) == STORE_OK ? 0 : -1;
	if (ret == 0 && !b->dry_run)
	    log_info("report %s: %s, %llu messages, %zu rows, %zu destinations", rp->id,
		     rp->domain, (unsigned long long) rp->records, to - from, rp->ndests);
    } else {
	log_error("report of %s: %zu rows from row %zu: XML or gzip failed", rp->domain,
		  to - from, from);
    }
    rp->blob = NULL;
    buf_free(&xml);
    buf_free(&gz);
    return ret;
}

/*
 * build_one - the reports of one snapshot: one, unless its XML would
 * pass REPORT_XML_PART_MAX; then each part of its rows is a report of
 * its own (same policy, same dates, an id of its own), none too big for
 * the store or for the mail systems it goes to.
 */
static int build_one(struct build *b, struct store_txn *txn, const char *domain, uint32_t day,
		             const struct agg_snap *s, struct store_report *dests)
{
    struct store_report rp = *dests;
    uint64_t day_end = ((uint64_t) day + 1) * DAY;
    size_t from, to, head, nparts = 0;
    struct fb_meta meta;

    if (str_copy(rp.domain, domain, sizeof(rp.domain)) < 0)
	return -1;
    rp.begin = (uint64_t) day * DAY > b->since ? (uint64_t) day * DAY : b->since;
    rp.end = (day_end < b->cutoff ? day_end : b->cutoff) - 1;
    /* Records older than since came in after a --flush had closed their
     * time (a day before the flush: begin would be past end).  The range
     * then starts at the first of them: it overlaps the flushed report,
     * but it says when the messages came. */
    if (s->first < rp.begin)
	rp.begin = s->first;
    rp.created = (uint64_t) time(NULL);
    build_id(day, rp.id, sizeof(rp.id));
    meta.org_name = b->conf->org_name;
    meta.email = b->conf->email;
    meta.report_id = rp.id;			/* each part's id, as it is made */
    meta.begin = rp.begin;
    meta.end = rp.end;
    meta.generator = "postdmarc " PD_VERSION;
    head = fb_head_bound(&meta, s);
    for (from = 0; from == 0 || from < hmap_count(&s->rows); from = to, nparts++) {
	to = fb_part(s, from, REPORT_XML_PART_MAX - head);
	if (from > 0)
	    build_id(day, rp.id, sizeof(rp.id));
	if (build_part(b, txn, &rp, &meta, s, from, to) < 0)
	    return -1;
	b->txn.reports++;
	if (to == hmap_count(&s->rows) && nparts == 0)
	    return 0;
    }
    log_info("%s: %zu rows for one day and policy: %zu reports", domain,
	     hmap_count(&s->rows), nparts);
    return 0;
}

/* build_record - one record into the current group */

static int build_record(void *ctx, const struct store_msg *m)
{
    struct build *b = ctx;

    return b->no_agg ? -1 : agg_add(&b->agg, m);
}

/* build_group_end - reports of one (policy domain, day) */

static int build_group_end(void *ctx, struct store_txn *txn, const char *domain, uint32_t day)
{
    struct build *b = ctx;
    size_t i;
    int ret = 0;

    b->txn.skipped += b->agg.skipped;
    if (*domain && build_excluded(b->conf, domain)) {
	b->txn.excluded++;
	b->txn.skipped += b->agg.records;
    } else {
	for (i = 0; i < hmap_count(&b->agg.snaps) && ret == 0; i++) {
	    const struct agg_snap *s = hmap_at(&b->agg.snaps, i)->value;
	    struct store_report rp;

	    memset(&rp, 0, sizeof(rp));
	    build_dests(&s->policy, &rp);
	    if (rp.ndests == 0) {
		b->txn.no_destination++;
		b->txn.skipped += s->count;
		continue;
	    }
	    if ((ret = build_one(b, txn, domain, day, s, &rp)) == 0)
		b->txn.records += s->count;
	}
    }
    agg_free(&b->agg);
    if (agg_init(&b->agg) < 0)
	return -1;
    return ret;
}

/* build_begin - a transaction starts: forget an attempt that rolled back */

static void build_begin(void *ctx)
{
    struct build *b = ctx;

    agg_free(&b->agg);
    b->no_agg = agg_init(&b->agg) < 0;
    memset(&b->txn, 0, sizeof(b->txn));
}

/* build_commit - the transaction's reports are stored: count them */

static void build_commit(void *ctx)
{
    struct build *b = ctx;

    b->stats->records += b->txn.records;
    b->stats->skipped += b->txn.skipped;
    b->stats->reports += b->txn.reports;
    b->stats->no_destination += b->txn.no_destination;
    b->stats->excluded += b->txn.excluded;
    memset(&b->txn, 0, sizeof(b->txn));
}

/* build_reports - every complete group older than cutoff */

int build_reports(const struct conf *conf, struct store *st, uint64_t since, uint64_t cutoff,
		          int dry_run, FILE *listing, struct build_stats *stats)
{
    static const struct store_group_ops ops = {
	build_record, build_group_end, build_begin, build_commit,
    };
    struct build b;
    int ret;

    memset(stats, 0, sizeof(*stats));
    memset(&b, 0, sizeof(b));
    b.conf = conf;
    b.since = since;
    b.cutoff = cutoff;
    b.dry_run = dry_run;
    b.listing = listing;
    b.stats = stats;
    if (agg_init(&b.agg) < 0)
	return -1;
    ret = store_msg_groups(st, cutoff, !dry_run, &ops, &b);
    agg_free(&b.agg);
    return ret == STORE_OK ? 0 : -1;
}
