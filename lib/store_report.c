/*++
 * NAME
 *	store_report 3
 * SUMMARY
 *	the store's reports, named values and daily counters
 * SYNOPSIS
 *	#include "store.h"
 *
 *	int	store_txn_report_put(txn, report)
 *	int	store_report_put(st, report)
 *	int	store_report_get(st, id, report)
 *	int	store_report_delete(st, id)
 *	int	store_report_apply(st, reports, count)
 *	int	store_report_ids(st, ids, count)
 *	void	store_report_release(report)
 *	int	store_meta_get(st, name, value)
 *	int	store_meta_put(st, name, value)
 *	int	store_stat_scan(st, first_day, last_day, fn, ctx)
 * DESCRIPTION
 *	See store(3).
 *--*/
#include <errno.h>
#include <lmdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "store.h"
#include "store_int.h"
#include "store_rec.h"
#include "str.h"

 /*
  * Reports.
  */

/* store_report_put_txn - store one report */

static int store_report_put_txn(struct store *st, MDB_txn *txn, void *ctx)
{
    const struct store_report *rp = ctx;
    struct buf rec = BUF_INIT(STORE_REPORT_MAX + STORE_RECORD_MAX);
    int rc;

    if (store_rec_report_encode(&rec, rp) < 0) {
	buf_free(&rec);
	return store_fail(st, "report %s too large", rp->id), RC_FAILED;
    }
    rc = store_put(txn, st->report, rp->id, strlen(rp->id), buf_str(&rec), buf_len(&rec));
    buf_free(&rec);
    return rc;
}

/* store_txn_report_put - store a report inside a walk's transaction */

int store_txn_report_put(struct store_txn *t, const struct store_report *rp)
{
    return store_report_put_txn(t->st, t->txn, (void *) rp) == 0 ? STORE_OK : STORE_ERR;
}

/* store_report_put - store (or update) a report */

int store_report_put(struct store *st, const struct store_report *rp)
{
    return store_txn_run(st, 1, store_report_put_txn, (void *) rp);
}

struct store_report_get_ctx {
    const char *id;
    struct store_report *out;
};

/* store_report_get_txn - read one report */

static int store_report_get_txn(struct store *st, MDB_txn *txn, void *ctx)
{
    struct store_report_get_ctx *g = ctx;
    MDB_val val;
    int rc = store_get(txn, st->report, g->id, strlen(g->id), &val);

    if (rc)
	return rc;
    if (store_rec_report_decode(val.mv_data, val.mv_size, g->out) < 0)
	return store_fail(st, "damaged report record %s", g->id), RC_FAILED;
    return 0;
}

/* store_report_get - one report by id */

int store_report_get(struct store *st, const char *id, struct store_report *rp)
{
    struct store_report_get_ctx g = {id, rp};

    return store_txn_run(st, 0, store_report_get_txn, &g);
}

/* store_report_delete_txn - forget one report */

static int store_report_delete_txn(struct store *st, MDB_txn *txn, void *ctx)
{
    return store_del(txn, st->report, ctx, strlen(ctx));
}

/* store_report_delete - forget a report (all its destinations are done) */

int store_report_delete(struct store *st, const char *id)
{
    return store_txn_run(st, 1, store_report_delete_txn, (void *) id);
}

struct store_apply_ctx {
    struct store_report *const *v;
    size_t n;
};

/* store_report_apply_txn - update or delete each report */

static int store_report_apply_txn(struct store *st, MDB_txn *txn, void *ctx)
{
    struct store_apply_ctx *a = ctx;
    size_t i, d, pending;
    int rc;

    for (i = 0; i < a->n; i++) {
	const struct store_report *rp = a->v[i];

	for (pending = 0, d = 0; d < rp->ndests; d++)
	    pending += rp->dests[d].state == STORE_DEST_PENDING;
	rc = pending ? store_report_put_txn(st, txn, (void *) rp)
	    : store_del(txn, st->report, rp->id, strlen(rp->id));
	if (rc)
	    return rc;
    }
    return 0;
}

/* store_report_apply - the state of many reports, one transaction */

int store_report_apply(struct store *st, struct store_report *const *v, size_t n)
{
    struct store_apply_ctx a = {v, n};
    int rc = n ? store_txn_run(st, 1, store_report_apply_txn, &a) : STORE_OK;

    if (n > 1)
	store_release_pages(st);		/* a batch: pages read for it go */
    return rc;
}

struct store_ids {
    char **v;
    size_t n, cap;
    size_t batch_start;			/* ids before this one: earlier batches */
    int done;
};

/* store_report_ids_txn - collect report ids, a batch at a time */

static int store_report_ids_txn(struct store *st, MDB_txn *txn, void *ctx)
{
    struct store_ids *ids = ctx;
    MDB_cursor *cur;
    MDB_val key;
    int rc;

    /* Run again after a map resize: drop what the failed try added. */
    while (ids->n > ids->batch_start)
	free(ids->v[--ids->n]);
    if ((rc = mdb_cursor_open(txn, st->report, &cur)) != 0)
	return rc;
    if (ids->n) {
	const char *last = ids->v[ids->n - 1];

	key.mv_data = (void *) last;
	key.mv_size = strlen(last);
	/* On from the last id seen; past it if it is still there. */
	if ((rc = mdb_cursor_get(cur, &key, NULL, MDB_SET_RANGE)) == 0
	    && key.mv_size == strlen(last) && memcmp(key.mv_data, last, key.mv_size) == 0)
	    rc = mdb_cursor_get(cur, &key, NULL, MDB_NEXT);
    } else {
	rc = mdb_cursor_get(cur, &key, NULL, MDB_FIRST);
    }
    /* Keys only: asking for the data would read every report. */
    for (; rc == 0; rc = mdb_cursor_get(cur, &key, NULL, MDB_NEXT)) {
	if (ids->n == ids->cap) {
	    size_t cap = ids->cap ? ids->cap * 2 : 64;
	    char **v = realloc(ids->v, cap * sizeof(*v));

	    if (v == NULL) {
		rc = ENOMEM;
		break;
	    }
	    ids->v = v;
	    ids->cap = cap;
	}
	if ((ids->v[ids->n] = str_ndup(key.mv_data, key.mv_size)) == NULL) {
	    rc = ENOMEM;
	    break;
	}
	if (++ids->n - ids->batch_start >= STORE_BATCH)
	    break;
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND)
	ids->done = 1;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* store_report_ids - every stored report id */

int store_report_ids(struct store *st, char ***idsp, size_t *countp)
{
    struct store_ids ids = {NULL, 0, 0, 0, 0};
    int rc = STORE_OK;

    /* Reports are large: read their keys in batches and let the pages go. */
    while (rc == STORE_OK && !ids.done) {
	ids.batch_start = ids.n;
	rc = store_txn_run(st, 0, store_report_ids_txn, &ids);
	store_release_pages(st);
    }
    if (rc != STORE_OK) {
	str_split_free(ids.v, ids.n);
	ids.v = NULL;
	ids.n = 0;
    }
    *idsp = ids.v;
    *countp = ids.n;
    return rc;
}

/* store_report_release - free what store_report_get() allocated */

void store_report_release(struct store_report *rp)
{
    if (rp == NULL)
	return;
    free(rp->blob);
    rp->blob = NULL;
    rp->len = 0;
}

 /*
  * Meta values.
  */

struct store_meta_ctx {
    const char *name;
    uint64_t value;
};

/* store_meta_get_txn - read one value */

static int store_meta_get_txn(struct store *st, MDB_txn *txn, void *ctx)
{
    struct store_meta_ctx *m = ctx;
    MDB_val val;
    int rc = store_get(txn, st->meta, m->name, strlen(m->name), &val);

    if (rc)
	return rc;
    if (val.mv_size != 8)
	return store_fail(st, "damaged meta value %s", m->name), RC_FAILED;
    m->value = store_get_be64(val.mv_data);
    return 0;
}

/* store_meta_get - a named value */

int store_meta_get(struct store *st, const char *name, uint64_t *value)
{
    struct store_meta_ctx m = {name, 0};
    int rc = store_txn_run(st, 0, store_meta_get_txn, &m);

    *value = m.value;
    return rc;
}

/* store_meta_put_txn - write one value */

static int store_meta_put_txn(struct store *st, MDB_txn *txn, void *ctx)
{
    struct store_meta_ctx *m = ctx;
    unsigned char v[8];

    store_be64(v, m->value);
    return store_put(txn, st->meta, m->name, strlen(m->name), v, 8);
}

/* store_meta_put - set a named value */

int store_meta_put(struct store *st, const char *name, uint64_t value)
{
    struct store_meta_ctx m = {name, value};

    return store_txn_run(st, 1, store_meta_put_txn, &m);
}

 /*
  * Daily counters.
  */

struct store_stat_ctx {
    uint32_t first, last;
    store_stat_fn fn;
    void *ctx;
};

/* store_stat_scan_txn - hand every counter row in range to fn */

static int store_stat_scan_txn(struct store *st, MDB_txn *txn, void *ctx)
{
    struct store_stat_ctx *s = ctx;
    struct store_stat row;
    unsigned char start[4];
    MDB_cursor *cur;
    MDB_val key = {4, start}, val;
    const unsigned char *k;
    size_t i;
    int rc;

    store_be32(start, s->first);
    if ((rc = mdb_cursor_open(txn, st->stat, &cur)) != 0)
	return rc;
    for (rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE); rc == 0;
	 rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
	k = key.mv_data;
	if (key.mv_size < 4)
	    continue;
	row.day = store_get_be32(k);
	if (row.day > s->last)
	    break;
	if (str_ncopy(row.domain, sizeof(row.domain), (const char *) k + 4, key.mv_size - 4) < 0)
	    continue;
	for (i = 0; i < STORE_STAT_COUNT; i++)
	    row.n[i] = 8 * (i + 1) <= val.mv_size
		? store_get_be64((const unsigned char *) val.mv_data + 8 * i) : 0;
	if (s->fn(&row, s->ctx) < 0)
	    break;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
}

/* store_stat_scan - daily counters for days first..last */

int store_stat_scan(struct store *st, uint32_t first, uint32_t last, store_stat_fn fn,
		            void *ctx)
{
    struct store_stat_ctx s = {first, last, fn, ctx};

    return store_txn_run(st, 0, store_stat_scan_txn, &s);
}
