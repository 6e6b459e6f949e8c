/* store_test - the LMDB store and its record encoding */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "results.h"
#include "store.h"
#include "store_int.h"
#include "store_rec.h"
#include "str.h"
#include "tap.h"

#define DAY 86400ULL

static char dir[256];

static void fill_msg(struct store_msg *m, const char *qid, const char *domain, uint64_t t)
{
    memset(m, 0, sizeof(*m));
    m->time = t;
    snprintf(m->queue_id, sizeof(m->queue_id), "%s", qid);
    snprintf(m->source_ip, sizeof(m->source_ip), "192.0.2.1");
    snprintf(m->env_from, sizeof(m->env_from), "%s", domain);
    snprintf(m->env_to, sizeof(m->env_to), "example.org");
    snprintf(m->header_from, sizeof(m->header_from), "%s", domain);
    snprintf(m->spf_domain, sizeof(m->spf_domain), "%s", domain);
    m->spf_result = RES_SPF_PASS;
    m->ndkim = 2;
    snprintf(m->dkim[0].domain, sizeof(m->dkim[0].domain), "%s", domain);
    snprintf(m->dkim[0].selector, sizeof(m->dkim[0].selector), "sel1");
    m->dkim[0].result = RES_DKIM_PASS;
    snprintf(m->dkim[1].domain, sizeof(m->dkim[1].domain), "other.example");
    snprintf(m->dkim[1].selector, sizeof(m->dkim[1].selector), "s2");
    m->dkim[1].result = RES_DKIM_FAIL;
    m->dmarc_result = RES_DMARC_PASS;
    m->dkim_aligned = m->spf_aligned = 1;
    m->disposition = RES_DISP_NONE;
    m->nreasons = 1;
    m->reasons[0].type = RES_REASON_POLICY_TEST_MODE;
    snprintf(m->reasons[0].comment, sizeof(m->reasons[0].comment), "t=y");
    snprintf(m->policy.domain, sizeof(m->policy.domain), "%s", domain);
    m->policy.p = RES_POLICY_REJECT;
    m->policy.sp = RES_POLICY_QUARANTINE;
    m->policy.np = RES_POLICY_UNSPEC;
    m->policy.adkim = 's';
    m->policy.aspf = 'r';
    m->policy.testing = 1;
    m->policy.psd = 'n';
    snprintf(m->policy.fo, sizeof(m->policy.fo), "1");
    m->policy.nrua = 2;
    snprintf(m->policy.rua[0], sizeof(m->policy.rua[0]), "mailto:a@%s", domain);
    snprintf(m->policy.rua[1], sizeof(m->policy.rua[1]), "mailto:b@example.net!10m");
}

static void test_encoding(void)
{
    struct store_msg *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    struct buf rec = BUF_INIT(STORE_RECORD_MAX);
    size_t i;
    int damaged = 0;

    fill_msg(a, "4Q1x2y3z", "example.com", 1700000000);
    ok(store_rec_msg_encode(&rec, a) == 0, "message record encodes");
    ok(store_rec_msg_decode((unsigned char *) rec.data, rec.len, b) == 0, "and decodes");
    ok(strcmp(b->queue_id, a->queue_id) == 0 && b->time == a->time
       && b->ndkim == 2 && strcmp(b->dkim[1].selector, "s2") == 0
       && b->dkim[1].result == RES_DKIM_FAIL && b->nreasons == 1
       && b->reasons[0].type == RES_REASON_POLICY_TEST_MODE
       && strcmp(b->policy.rua[1], "mailto:b@example.net!10m") == 0
       && b->policy.adkim == 's' && b->policy.psd == 'n' && b->policy.testing == 1
       && b->policy.sp == RES_POLICY_QUARANTINE && b->policy.np == RES_POLICY_UNSPEC,
       "every field survives the round trip");
    for (i = 1; i < rec.len; i++)
	damaged += store_rec_msg_decode((unsigned char *) rec.data, i, b) < 0;
    ok(damaged > 0, "truncated records are refused (%d of %zu prefixes)", damaged, rec.len - 1);
    rec.data[0] = STORE_REC_VERSION + 1;
    ok(store_rec_msg_decode((unsigned char *) rec.data, rec.len, b) < 0,
       "a record of a newer version is refused");
    buf_reset(&rec);
    buf_addch(&rec, STORE_REC_VERSION);
    buf_add(&rec, "\x63\x00\x03xyz", 6);		/* unknown tag 99 */
    buf_add(&rec, "\x02\x00\x03Q12", 6);		/* queue id */
    ok(store_rec_msg_decode((unsigned char *) rec.data, rec.len, b) == 0
       && strcmp(b->queue_id, "Q12") == 0, "unknown tags are skipped");
    buf_reset(&rec);
    buf_addch(&rec, STORE_REC_VERSION);
    buf_add(&rec, "\x02\x00\x03Q\0x", 6);
    ok(store_rec_msg_decode((unsigned char *) rec.data, rec.len, b) < 0,
       "a NUL inside a string is refused");
    buf_free(&rec);
    free(a);
    free(b);
}

/* fill_str - a string field filled to its size */

static void fill_str(char *dst, size_t size, int c)
{
    memset(dst, c, size - 1);
    dst[size - 1] = 0;
}

static void test_limits(void)
{
    struct store_msg *a = calloc(1, sizeof(*a)), *b = malloc(sizeof(*b));
    struct buf rec = BUF_INIT(STORE_RECORD_MAX);
    char qid[3 + STORE_QID_MAX + 1];
    int rc;

    /* Every field, list and string at its limit: the record still fits. */
    fill_str(a->queue_id, sizeof(a->queue_id), 'q');
    fill_str(a->source_ip, sizeof(a->source_ip), 'i');
    fill_str(a->env_from, sizeof(a->env_from), 'e');
    fill_str(a->env_to, sizeof(a->env_to), 't');
    fill_str(a->header_from, sizeof(a->header_from), 'h');
    fill_str(a->spf_domain, sizeof(a->spf_domain), 's');
    for (a->ndkim = 0; a->ndkim < STORE_DKIM_MAX; a->ndkim++) {
	fill_str(a->dkim[a->ndkim].domain, sizeof(a->dkim[0].domain), 'd');
	fill_str(a->dkim[a->ndkim].selector, sizeof(a->dkim[0].selector), 'k');
	a->dkim[a->ndkim].result = RES_DKIM_PASS;
    }
    for (a->nreasons = 0; a->nreasons < STORE_REASONS_MAX; a->nreasons++)
	fill_str(a->reasons[a->nreasons].comment, sizeof(a->reasons[0].comment), 'c');
    fill_str(a->policy.domain, sizeof(a->policy.domain), 'p');
    fill_str(a->policy.fo, sizeof(a->policy.fo), 'f');
    for (a->policy.nrua = 0; a->policy.nrua < DMARC_URIS_MAX; a->policy.nrua++)
	fill_str(a->policy.rua[a->policy.nrua], sizeof(a->policy.rua[0]), 'r');
    rc = store_rec_msg_encode(&rec, a);
    ok(rc == 0 && rec.len <= STORE_RECORD_MAX,
       "a record with every field at its limit fits STORE_RECORD_MAX (%zu bytes)", rec.len);
    ok(store_rec_msg_decode((unsigned char *) rec.data, rec.len, b) == 0
       && b->ndkim == STORE_DKIM_MAX && b->nreasons == STORE_REASONS_MAX
       && b->policy.nrua == DMARC_URIS_MAX && strcmp(b->queue_id, a->queue_id) == 0
       && strcmp(b->dkim[STORE_DKIM_MAX - 1].selector, a->dkim[0].selector) == 0
       && strcmp(b->policy.rua[DMARC_URIS_MAX - 1], a->policy.rua[0]) == 0,
       "and decodes whole");
    buf_add(&rec, "\x0a\x00\x05\x01\x00\x02xy", 8);	/* one DKIM result more */
    ok(store_rec_msg_decode((unsigned char *) rec.data, rec.len, b) == 0
       && b->ndkim == STORE_DKIM_MAX, "DKIM results past STORE_DKIM_MAX are ignored");
    a->ndkim = STORE_DKIM_MAX + 1;
    buf_reset(&rec);
    ok(store_rec_msg_encode(&rec, a) == 0 && store_rec_msg_decode((unsigned char *) rec.data,
							       rec.len, b) == 0
       && b->ndkim == STORE_DKIM_MAX, "and are not written");
    /* A string one byte longer than its field. */
    qid[0] = 0x02;
    qid[1] = 0;
    qid[2] = STORE_QID_MAX + 1;
    memset(qid + 3, 'q', STORE_QID_MAX + 1);
    buf_reset(&rec);
    buf_addch(&rec, STORE_REC_VERSION);
    buf_add(&rec, qid, sizeof(qid));
    ok(store_rec_msg_decode((unsigned char *) rec.data, rec.len, b) < 0,
       "a queue id longer than STORE_QID_MAX is refused");
    buf_free(&rec);
    free(a);
    free(b);
}

/* test_report_limits - REPORT_DESTS_MAX and STORE_REPORT_MAX in the encoding */

static void test_report_limits(void)
{
    struct store_report *a = calloc(1, sizeof(*a)), *b = malloc(sizeof(*b));
    struct buf rec = BUF_INIT(STORE_RECORD_MAX), big = BUF_INIT(BUF_MAX_ANY);

    /* REPORT_DESTS_MAX destinations, every string at its limit. */
    fill_str(a->id, sizeof(a->id), 'i');
    fill_str(a->domain, sizeof(a->domain), 'd');
    for (a->ndests = 0; a->ndests < REPORT_DESTS_MAX; a->ndests++) {
	fill_str(a->dests[a->ndests].addr, sizeof(a->dests[0].addr), 'a');
	fill_str(a->dests[a->ndests].last_error, sizeof(a->dests[0].last_error), 'e');
	a->dests[a->ndests].attempts = 7;
    }
    a->dests[0].attempts = 200000;
    ok(store_rec_report_encode(&rec, a) == 0 && rec.len <= STORE_RECORD_MAX,
       "a report with REPORT_DESTS_MAX destinations at their limits encodes (%zu bytes)", rec.len);
    ok(store_rec_report_decode((unsigned char *) rec.data, rec.len, b) == 0
       && b->ndests == REPORT_DESTS_MAX && b->dests[REPORT_DESTS_MAX - 1].attempts == 7
       && strcmp(b->dests[REPORT_DESTS_MAX - 1].addr, a->dests[0].addr) == 0
       && strcmp(b->dests[REPORT_DESTS_MAX - 1].last_error, a->dests[0].last_error) == 0,
       "and decodes whole");
    ok(b->dests[0].attempts == 100000, "attempts past 100000 read as 100000");
    store_report_release(b);
    buf_add(&rec, "\x07\x00\x04\x01\x00\x01x", 7);	/* one destination more */
    ok(store_rec_report_decode((unsigned char *) rec.data, rec.len, b) == 0
       && b->ndests == REPORT_DESTS_MAX, "destinations past REPORT_DESTS_MAX are ignored");
    store_report_release(b);
    a->ndests = REPORT_DESTS_MAX + 1;
    buf_reset(&rec);
    ok(store_rec_report_encode(&rec, a) == 0
       && store_rec_report_decode((unsigned char *) rec.data, rec.len, b) == 0
       && b->ndests == REPORT_DESTS_MAX, "and are not written");
    store_report_release(b);

    /* A blob of STORE_REPORT_MAX, then of one byte more. */
    a->ndests = 0;
    a->len = STORE_REPORT_MAX + 1;
    a->blob = calloc(1, a->len);
    ok(a->blob && store_rec_report_encode(&big, a) < 0,
       "a report blob past STORE_REPORT_MAX is not encoded");
    buf_reset(&big);
    a->len = STORE_REPORT_MAX;
    ok(store_rec_report_encode(&big, a) == 0, "one of STORE_REPORT_MAX is");
    buf_add(&big, "\x08\x00\x01x", 4);		/* a piece more */
    ok(store_rec_report_decode((unsigned char *) big.data, big.len, b) < 0,
       "a report record whose blob passes STORE_REPORT_MAX is refused on reading");
    free(a->blob);
    buf_free(&big);
    buf_free(&rec);
    free(a);
    free(b);
}

static void test_spf(struct store *st)
{
    struct store_spf s, g;

    memset(&s, 0, sizeof(s));
    s.time = 1700000000;
    snprintf(s.queue_id, sizeof(s.queue_id), "ABC123");
    snprintf(s.client_addr, sizeof(s.client_addr), "2001:db8::1");
    snprintf(s.helo, sizeof(s.helo), "mx.example.com");
    snprintf(s.mail_from, sizeof(s.mail_from), "user@example.com");
    snprintf(s.domain, sizeof(s.domain), "example.com");
    s.helo_result = RES_SPF_NEUTRAL;
    s.mfrom_result = RES_SPF_PASS;
    is_int(store_spf_put(st, &s), STORE_OK, "SPF verdict stored");
    is_int(store_spf_get(st, "ABC123", &g), STORE_OK, "and found by queue id");
    ok(g.mfrom_result == RES_SPF_PASS && g.helo_result == RES_SPF_NEUTRAL
       && strcmp(g.client_addr, "2001:db8::1") == 0 && strcmp(g.mail_from, s.mail_from) == 0,
       "with its fields");
    is_int(store_spf_get(st, "NOPE", &g), STORE_NOTFOUND, "unknown queue id");
    is_int(store_spf_get(st, "", &g), STORE_NOTFOUND, "empty queue id");
    s.queue_id[0] = 0;
    s.action = STORE_ACT_REJECT;
    is_int(store_spf_put(st, &s), STORE_OK, "a reject without a queue id is counted only");
}

struct walk {
    int records, groups, reports;
    char last[300];
};

static int walk_record(void *ctx, const struct store_msg *m)
{
    struct walk *w = ctx;

    w->records++;
    return m->queue_id[0] ? 0 : -1;
}

static int walk_group(void *ctx, struct store_txn *txn, const char *domain, uint32_t day)
{
    struct walk *w = ctx;
    struct store_report rp;

    w->groups++;
    snprintf(w->last, sizeof(w->last), "%s/%u", domain, day);
    if (txn == NULL || *domain == 0)
	return 0;
    memset(&rp, 0, sizeof(rp));
    snprintf(rp.id, sizeof(rp.id), "%s.%u", domain, day);
    snprintf(rp.domain, sizeof(rp.domain), "%s", domain);
    rp.begin = (uint64_t) day * DAY;
    rp.end = rp.begin + DAY;
    rp.ndests = 1;
    snprintf(rp.dests[0].addr, sizeof(rp.dests[0].addr), "rua@%s", domain);
    rp.blob = (unsigned char *) "blob";
    rp.len = 4;
    w->reports++;
    return store_txn_report_put(txn, &rp) == STORE_OK ? 0 : -1;
}

static void test_messages(struct store *st)
{
    static const struct store_group_ops ops = {walk_record, walk_group};
    struct store_msg *m = malloc(sizeof(*m));
    struct walk w;
    struct store_report rp, *ap;
    uint64_t t0 = 20000 * DAY;			/* a day boundary */
    char **ids;
    size_t n, i;

    fill_msg(m, "Q1", "example.com", t0 + 10);
    is_int(store_msg_put(st, m), STORE_OK, "message stored");
    is_int(store_msg_put(st, m), STORE_DUP, "the same queue id again is a duplicate");
    is_int(store_msg_seen(st, "Q1"), STORE_OK, "queue id seen");
    fill_msg(m, "Q2", "example.com", t0 + 20);
    store_msg_put(st, m);
    fill_msg(m, "Q3", "example.com", t0 + DAY + 5);	/* next day */
    store_msg_put(st, m);
    fill_msg(m, "Q4", "example.net", t0 + 30);
    store_msg_put(st, m);
    fill_msg(m, "Q5", "example.net", t0 + 2 * DAY);	/* too recent */
    store_msg_put(st, m);
    fill_msg(m, "Q6", "", t0 + 40);			/* no policy */
    m->policy.domain[0] = 0;
    store_msg_put(st, m);

    memset(&w, 0, sizeof(w));
    is_int(store_msg_groups(st, t0 + 2 * DAY, 0, &ops, &w), STORE_OK, "dry walk");
    ok(w.records == 5 && w.groups == 4 && w.reports == 0,
       "dry walk: 5 records in 4 (domain, day) groups, nothing written (%d, %d)",
       w.records, w.groups);
    memset(&w, 0, sizeof(w));
    is_int(store_msg_groups(st, t0 + 2 * DAY, 1, &ops, &w), STORE_OK, "consuming walk");
    ok(w.records == 5 && w.groups == 4 && w.reports == 3, "3 reports written");
    is_int(store_msg_seen(st, "Q1"), STORE_OK, "a consumed record's queue id is still known");
    is_int(store_msg_put(st, m), STORE_DUP, "so a late second delivery is not recorded again");
    is_int(store_msg_seen(st, "Q5"), STORE_OK, "the too-recent record stays");
    memset(&w, 0, sizeof(w));
    store_msg_groups(st, t0 + 2 * DAY, 1, &ops, &w);
    is_int(w.records, 0, "a second walk finds nothing more");
    memset(&w, 0, sizeof(w));
    store_msg_groups(st, t0 + 3 * DAY, 1, &ops, &w);
    ok(w.records == 1 && strcmp(w.last, "example.net/20002") == 0, "later cutoff takes the rest");

    ok(store_report_ids(st, &ids, &n) == STORE_OK && n == 4, "4 reports stored");
    for (i = 0; i < n; i++)
	free(ids[i]);
    free(ids);
    is_int(store_report_get(st, "example.com.20000", &rp), STORE_OK, "report by id");
    ok(rp.len == 4 && memcmp(rp.blob, "blob", 4) == 0 && rp.ndests == 1
       && strcmp(rp.dests[0].addr, "rua@example.com") == 0, "report fields");
    store_report_release(&rp);
    is_int(store_report_delete(st, "example.com.20000"), STORE_OK, "report deleted");
    is_int(store_report_get(st, "example.com.20000", &rp), STORE_NOTFOUND, "and gone");

    store_report_get(st, "example.net.20000", &rp);
    rp.dests[0].state = STORE_DEST_SENT;
    rp.ndests = 2;
    memset(&rp.dests[1], 0, sizeof(rp.dests[1]));
    snprintf(rp.dests[1].addr, sizeof(rp.dests[1].addr), "rua@example.org");
    rp.dests[1].attempts = 1;
    ap = &rp;
    is_int(store_report_apply(st, &ap, 1), STORE_OK, "report state applied");
    store_report_release(&rp);
    ok(store_report_get(st, "example.net.20000", &rp) == STORE_OK && rp.ndests == 2
       && rp.dests[0].state == STORE_DEST_SENT && rp.dests[1].attempts == 1,
       "a report with a destination pending is updated");
    rp.dests[1].state = STORE_DEST_FAILED;
    store_report_apply(st, &ap, 1);
    store_report_release(&rp);
    is_int(store_report_get(st, "example.net.20000", &rp), STORE_NOTFOUND,
	   "one with none pending is deleted");
    fill_msg(m, "", "example.com", t0 + 50);
    ok(store_msg_put(st, m) == STORE_ERR && strstr(store_error(st), "no queue id"),
       "a message without a queue id is refused");
    free(m);
}

static int stat_row(const struct store_stat *row, void *ctx)
{
    uint64_t *sum = ctx;

    if (strcmp(row->domain, "example.com") == 0)
	sum[0] += row->n[STORE_STAT_MSGS], sum[1] += row->n[STORE_STAT_DMARC_PASS];
    sum[2] += row->n[STORE_STAT_SPF_REJECT];
    return 0;
}

static void test_stats_meta(struct store *st)
{
    uint64_t sum[3] = {0, 0, 0}, v;

    store_stat_scan(st, 0, 0xffffffff, stat_row, sum);
    ok(sum[0] == 3 && sum[1] == 3, "daily counters: 3 messages of example.com passed");
    is_int(sum[2], 1, "one SPF reject counted");
    is_int(store_meta_get(st, "nothing", &v), STORE_NOTFOUND, "meta: unknown name");
    store_meta_put(st, "reported_until", 12345);
    ok(store_meta_get(st, "reported_until", &v) == STORE_OK && v == 12345, "meta value");
    ok(store_meta_get(st, "schema", &v) == STORE_OK && v == 1, "schema version recorded");
}

static void test_prune(struct store *st)
{
    struct store_msg *m = malloc(sizeof(*m));
    struct store_spf s;
    uint64_t removed;

    fill_msg(m, "OLD", "old.example", 1000);
    store_msg_put(st, m);
    memset(&s, 0, sizeof(s));
    s.time = 1000;
    snprintf(s.queue_id, sizeof(s.queue_id), "OLDSPF");
    store_spf_put(st, &s);
    is_int(store_prune(st, 2000, &removed), STORE_OK, "prune");
    ok(removed == 2, "an old record and an old verdict removed (%llu)",
       (unsigned long long) removed);
    is_int(store_msg_seen(st, "OLD"), STORE_NOTFOUND, "its queue id too");
    is_int(store_spf_get(st, "ABC123", &s), STORE_OK, "newer verdicts stay");
    free(m);
}

/* prune_fill - old messages, each with its own queue id */

static void prune_fill(size_t i, struct store_msg *m, void *ctx)
{
    char qid[32];

    snprintf(qid, sizeof(qid), "PRUNE%06zu", i);
    fill_msg(m, qid, "many.example", 500 + i % 100);
}

/* More index entries than one pruning transaction looks at. */
static void test_prune_batches(struct store *st)
{
    size_t n = STORE_SCAN_BATCH + 1000;
    uint64_t removed = 0;
    char last[32];
    int rc;

    ok(store_msg_put_batch(st, n, prune_fill, NULL) == STORE_OK, "%zu old messages stored", n);
    rc = store_prune(st, 2000, &removed);
    ok(rc == STORE_OK && removed == n,
       "STORE_SCAN_BATCH + 1000 old messages: all pruned, over several transactions (%llu)",
       (unsigned long long) removed);
    snprintf(last, sizeof(last), "PRUNE%06zu", n - 1);
    ok(store_msg_seen(st, "PRUNE000000") == STORE_NOTFOUND
       && store_msg_seen(st, last) == STORE_NOTFOUND, "the first and the last queue ids too");
}

static void test_growth(struct store *st)
{
    struct store_report rp, back;
    size_t size = 30 * 1024 * 1024;
    int i, good = 1;
    pid_t pid;
    struct store_msg *m = malloc(sizeof(*m));
    int status;

    memset(&rp, 0, sizeof(rp));
    rp.blob = malloc(size);
    rp.len = size;
    for (i = 0; i < (int) size; i++)
	rp.blob[i] = (unsigned char) (i % 251);
    /* A child grows the map the parent has open. */
    if ((pid = fork()) == 0) {
	struct store *cs = store_open(dir, 0);

	for (i = 0; i < 3 && cs; i++) {
	    snprintf(rp.id, sizeof(rp.id), "big%d", i);
	    if (store_report_put(cs, &rp) != STORE_OK)
		_exit(1);
	}
	_exit(cs ? 0 : 2);
    }
    waitpid(pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
       "90 MB of reports written past the 64 MB initial map (it grows)");
    fill_msg(m, "AFTERGROW", "example.org", 21000 * DAY);
    is_int(store_msg_put(st, m), STORE_OK, "the parent adopts the map another process grew");
    ok(store_report_get(st, "big0", &back) == STORE_OK && back.len == size
       && memcmp(back.blob, rp.blob, size) == 0,
       "a report blob of 30 MB (stored in 64 KB pieces) reads back whole");
    store_report_release(&back);
    for (i = 0; i < 3; i++) {
	char id[16];

	snprintf(id, sizeof(id), "big%d", i);
	good &= store_report_delete(st, id) == STORE_OK;
    }
    ok(good, "big reports deleted");
    free(rp.blob);
    free(m);
}

/* test_report_max - the largest report the store takes, and one byte more */

static void test_report_max(struct store *st)
{
    struct store_report rp, back;
    size_t i;

    memset(&rp, 0, sizeof(rp));
    snprintf(rp.id, sizeof(rp.id), "max");
    rp.ndests = 1;
    snprintf(rp.dests[0].addr, sizeof(rp.dests[0].addr), "rua@example.com");
    rp.blob = malloc(STORE_REPORT_MAX + 1);
    for (i = 0; i < STORE_REPORT_MAX + 1; i++)
	rp.blob[i] = (unsigned char) (i % 253);
    rp.len = STORE_REPORT_MAX;
    is_int(store_report_put(st, &rp), STORE_OK, "a report blob of STORE_REPORT_MAX bytes is stored");
    ok(store_report_get(st, "max", &back) == STORE_OK && back.len == STORE_REPORT_MAX
       && memcmp(back.blob, rp.blob, STORE_REPORT_MAX) == 0, "and reads back whole");
    store_report_release(&back);
    snprintf(rp.id, sizeof(rp.id), "max1");
    rp.len = STORE_REPORT_MAX + 1;
    ok(store_report_put(st, &rp) == STORE_ERR && strstr(store_error(st), "too large"),
       "one byte more is refused: %s", store_error(st));
    is_int(store_report_get(st, "max1", &back), STORE_NOTFOUND, "and not stored");
    is_int(store_report_delete(st, "max"), STORE_OK, "the largest report deleted");
    free(rp.blob);
}

/* test_map_max - a map that reached its maximum size */

static void test_map_max(void)
{
    struct store_report rp;
    struct store *st;
    char small[300];
    unsigned char *blob;
    int i, rc = STORE_OK;

    /* STORE_MAP_MAX is too large to reach here: the same cap, lower. */
    snprintf(small, sizeof(small), "%s/small", dir);
    if ((st = store_open(small, STORE_CREATE)) == NULL) {
	ok(0, "small store: %s", store_last_error());
	return;
    }
    st->map_max = STORE_MAP_INITIAL;
    memset(&rp, 0, sizeof(rp));
    rp.len = 30 * 1024 * 1024;
    rp.blob = blob = calloc(1, rp.len);	/* store_report_get() replaces rp.blob */
    for (i = 0; i < 3 && rc == STORE_OK; i++) {
	snprintf(rp.id, sizeof(rp.id), "big%d", i);
	rc = store_report_put(st, &rp);
    }
    ok(rc == STORE_ERR && i == 3 && strstr(store_error(st), "MDB_MAP_FULL"),
       "a map that may not grow past its maximum: the write fails (%d: %s)", i, store_error(st));
    is_int(store_report_get(st, "big0", &rp), STORE_OK, "what was written stays");
    store_report_release(&rp);
    is_int(store_report_get(st, "big2", &rp), STORE_NOTFOUND, "the write that failed left nothing");
    store_close(st);
    free(blob);
}

static void test_concurrency(void)
{
    struct store_msg *m = malloc(sizeof(*m));
    struct store *st;
    int p, i, status, fine = 1, found = 0;
    pid_t pids[8];
    char qid[32];

    for (p = 0; p < 8; p++) {
	if ((pids[p] = fork()) == 0) {
	    struct store *cs = store_open(dir, 0);

	    for (i = 0; i < 250 && cs; i++) {
		snprintf(qid, sizeof(qid), "P%dN%d", p, i);
		fill_msg(m, qid, "concurrent.example", 22000 * DAY + (uint64_t) i);
		if (store_msg_put(cs, m) != STORE_OK)
		    _exit(1);
		/* Every process also tries one shared queue id. */
		fill_msg(m, "SHARED", "concurrent.example", 22000 * DAY);
		store_msg_put(cs, m);
	    }
	    store_close(cs);
	    _exit(cs ? 0 : 2);
	}
    }
    for (p = 0; p < 8; p++) {
	waitpid(pids[p], &status, 0);
	fine &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    ok(fine, "8 processes append 250 records each at once");
    st = store_open(dir, STORE_RDONLY);
    for (p = 0; p < 8; p++)
	for (i = 0; i < 250; i++) {
	    snprintf(qid, sizeof(qid), "P%dN%d", p, i);
	    found += store_msg_seen(st, qid) == STORE_OK;
	}
    is_int(found, 2000, "all 2000 records are there");
    is_int(store_msg_seen(st, "SHARED"), STORE_OK, "the shared queue id once");
    fill_msg(m, "RO", "example.com", 1);
    ok(store_msg_put(st, m) == STORE_ERR && strstr(store_error(st), "read-only"),
       "a read-only store refuses writes with a clear error");
    store_close(st);
    free(m);
}

int main(void)
{
    struct store *st;
    const char *build = getenv("PD_BUILD") ? getenv("PD_BUILD") : "build";

    log_init("store_test");
    snprintf(dir, sizeof(dir), "%s/tmp", build);
    mkdir(dir, 0755);
    snprintf(dir, sizeof(dir), "%s/tmp/store-XXXXXX", build);
    if (mkdtemp(dir) == NULL)
	return 1;
    test_encoding();
    test_limits();
    test_report_limits();
    ok(store_open("/nonexistent/dir", 0) == NULL && *store_last_error(),
       "a missing directory is an error: %s", store_last_error());
    st = store_open(dir, STORE_CREATE);
    ok(st != NULL, "store created");
    if (st == NULL)
	return tap_done();
    test_spf(st);
    test_messages(st);
    test_stats_meta(st);
    test_prune(st);
    test_prune_batches(st);
    test_growth(st);
    test_report_max(st);
    store_close(st);
    test_map_max();
    test_concurrency();
    {
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
	    diag("cleanup failed");
    }
    return tap_done();
}
