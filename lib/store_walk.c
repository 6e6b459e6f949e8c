/*++
 * NAME
 *	store_walk 3
 * SUMMARY
 *	walking, consuming and pruning the store's message records
 * SYNOPSIS
 *	#include "store.h"
 *
 *	int	store_msg_groups(st, cutoff, consume, ops, ctx)
 *	int	store_prune(st, before, removed)
 * DESCRIPTION
 *	See store(3).  Both work in batches of transactions and let go of
 *	the map pages each batch read, so a store far larger than memory
 *	is walked in bounded memory.
 *--*/
#include <lmdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "store_int.h"
#include "store_rec.h"

 /*
  * Walking message records by (policy domain, day).
  */

struct store_walk {
    const struct store_group_ops *ops;
    void *ctx;
    uint64_t cutoff;
    int consume;
    unsigned char resume[STORE_MSG_KEY_MAX];
    size_t resume_len;			/* 0: from the start */
    unsigned char jump[DNS_NAME_MAX + 2];	/* the next domain's first key */
    int done;
    int in_group;
    char domain[DNS_NAME_MAX + 1];
    uint32_t day;
    struct store_msg *msg;		/* decoding space, reused */
};

/* store_walk_end_group - close the current group */

static int store_walk_end_group(struct store_walk *w, struct store_txn *t)
{
    if (!w->in_group)
	return 0;
    w->in_group = 0;
    if (w->ops->group_end(w->ctx, w->consume ? t : NULL, w->domain, w->day) < 0)
	return store_fail(t->st, "report building failed for %s", w->domain), RC_FAILED;
    return 0;
}

/* store_skip_domain - on to the first record of the next policy domain */

static int store_skip_domain(MDB_cursor *cur, const char *domain, unsigned char *jump,
			             MDB_val *key, MDB_val *val)
{
    size_t dlen = strlen(domain);

    /* Keys are domain NUL time qid: domain \1 sorts after all of them. */
    memcpy(jump, domain, dlen);
    jump[dlen] = 1;
    key->mv_data = jump;
    key->mv_size = dlen + 1;
    return mdb_cursor_get(cur, key, val, MDB_SET_RANGE);
}

/* store_walk_record - hand one record over, delete it when consuming */

static int store_walk_record(struct store *st, MDB_cursor *cur, struct store_walk *w,
			             const MDB_val *val)
{
    if (store_rec_msg_decode(val->mv_data, val->mv_size, w->msg) < 0) {
	log_warn("store: skipping a damaged message record of %s", w->domain);
    } else if (w->ops->record(w->ctx, w->msg) < 0) {
	return store_fail(st, "report building failed for %s", w->domain), RC_FAILED;
    }
    /* The queue id stays in the index until it is pruned by age: a
     * late second delivery of the message is still known, and deleting
     * here would touch every page of the index in every batch. */
    return w->consume ? mdb_cursor_del(cur, 0) : 0;
}

/* store_walk_txn - one batch of the walk */

static int store_walk_txn(struct store *st, MDB_txn *txn, void *ctx)
{
    struct store_walk *w = ctx;
    struct store_txn t = {st, txn};
    MDB_cursor *cur;
    MDB_val key = {w->resume_len, w->resume}, val;
    char domain[DNS_NAME_MAX + 1];
    uint64_t time;
    size_t count = 0;
    int rc;

    /* A transaction may run again (the map grew): start its batch afresh. */
    w->in_group = 0;
    if (w->ops->begin)
	w->ops->begin(w->ctx);
    if ((rc = mdb_cursor_open(txn, st->msg, &cur)) != 0)
	return rc;
    rc = mdb_cursor_get(cur, &key, &val, w->resume_len ? MDB_SET_RANGE : MDB_FIRST);
    while (rc == 0) {
	if (store_msg_key_parse(&key, domain, sizeof(domain), &time) < 0) {
	    rc = w->consume ? mdb_cursor_del(cur, 0) : 0;	/* junk key */
	} else if (time >= w->cutoff) {
	    /* The rest of this domain is too recent: on to the next one. */
	    if ((rc = store_walk_end_group(w, &t)) != 0)
		break;
	    rc = store_skip_domain(cur, domain, w->jump, &key, &val);
	    continue;
	} else {
	    uint32_t day = (uint32_t) (time / 86400);

	    if (w->in_group && (day != w->day || strcmp(domain, w->domain) != 0)) {
		if ((rc = store_walk_end_group(w, &t)) != 0)
		    break;
		if (count >= STORE_BATCH) {
		    memcpy(w->resume, key.mv_data, key.mv_size);
		    w->resume_len = key.mv_size;
		    mdb_cursor_close(cur);
		    return 0;			/* commit; the next batch goes on */
		}
	    }
	    if (!w->in_group) {
		w->in_group = 1;
		w->day = day;
		memcpy(w->domain, domain, sizeof(domain));
	    }
	    if ((rc = store_walk_record(st, cur, w, &val)) != 0)
		break;
	    count++;
	}
	if (rc == 0)
	    rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND)
	return rc;
    if ((rc = store_walk_end_group(w, &t)) != 0)
	return rc;
    w->done = 1;
    return 0;
}

/* store_msg_groups - walk (and consume) records older than cutoff */

int store_msg_groups(struct store *st, uint64_t cutoff, int consume,
		             const struct store_group_ops *ops, void *ctx)
{
    struct store_walk *w;
    int rc = STORE_OK;

    if ((w = calloc(1, sizeof(*w))) == NULL || (w->msg = malloc(sizeof(*w->msg))) == NULL) {
	free(w);
	return store_fail(st, "out of memory");
    }
    w->ops = ops;
    w->ctx = ctx;
    w->cutoff = cutoff;
    w->consume = consume;
    while (!w->done && rc == STORE_OK) {
	rc = store_txn_run(st, consume, store_walk_txn, w);
	if (rc == STORE_OK && ops->commit)
	    ops->commit(ctx);
	store_release_pages(st);
    }
    free(w->msg);
    free(w);
    return rc;
}

 /*
  * Pruning.
  */

struct store_prune_ctx {
    uint64_t before;
    uint64_t removed;
    int done;
    unsigned char resume[STORE_QID_MAX + 1];
    size_t resume_len;
};

/* store_prune_spf - verdicts older than before */

static int store_prune_spf(struct store *st, MDB_txn *txn, struct store_prune_ctx *p)
{
    struct store_spf spf;
    MDB_cursor *cur;
    MDB_val key, val;
    int rc;

    if ((rc = mdb_cursor_open(txn, st->spf, &cur)) != 0)
	return rc;
    for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); rc == 0;
	 rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
	if (store_rec_spf_decode(val.mv_data, val.mv_size, &spf) < 0 || spf.time < p->before) {
	    if ((rc = mdb_cursor_del(cur, 0)) != 0)
		break;
	    p->removed++;
	}
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* store_prune_msg - message records (and their index) older than before */

static int store_prune_msg(struct store *st, MDB_txn *txn, struct store_prune_ctx *p)
{
    unsigned char jump[DNS_NAME_MAX + 2];
    char domain[DNS_NAME_MAX + 1];
    MDB_cursor *cur;
    MDB_val key, val;
    uint64_t time;
    int rc;

    if ((rc = mdb_cursor_open(txn, st->msg, &cur)) != 0)
	return rc;
    rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
    while (rc == 0) {
	if (store_msg_key_parse(&key, domain, sizeof(domain), &time) == 0 && time >= p->before) {
	    /* Records are in time order within a domain: skip to the next. */
	    rc = store_skip_domain(cur, domain, jump, &key, &val);
	    continue;
	}
	if ((rc = mdb_cursor_del(cur, 0)) != 0)
	    break;
	p->removed++;
	rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* store_prune_qid - queue ids of messages older than before, a batch */

static int store_prune_qid(struct store *st, MDB_txn *txn, void *ctx)
{
    struct store_prune_ctx *p = ctx;
    char domain[DNS_NAME_MAX + 1];
    MDB_cursor *cur;
    MDB_val key = {p->resume_len, p->resume}, val;
    uint64_t time;
    size_t seen = 0;
    int rc;

    if ((rc = mdb_cursor_open(txn, st->qid, &cur)) != 0)
	return rc;
    rc = mdb_cursor_get(cur, &key, &val, p->resume_len ? MDB_SET_RANGE : MDB_FIRST);
    for (; rc == 0; rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
	if (seen++ >= STORE_SCAN_BATCH && key.mv_size <= sizeof(p->resume)) {
	    memcpy(p->resume, key.mv_data, key.mv_size);
	    p->resume_len = key.mv_size;
	    break;				/* the next batch goes on from here */
	}
	/* The value is the message's key, which holds its time. */
	if (store_msg_key_parse(&val, domain, sizeof(domain), &time) == 0 && time >= p->before)
	    continue;
	if ((rc = mdb_cursor_del(cur, 0)) != 0)
	    break;
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND) {
	p->done = 1;
	return 0;
    }
    return rc;
}

/* store_prune_stat - counter rows of days before */

static int store_prune_stat(struct store *st, MDB_txn *txn, struct store_prune_ctx *p)
{
    uint32_t before_day = (uint32_t) (p->before / 86400), day;
    MDB_cursor *cur;
    MDB_val key, val;
    int rc;

    if ((rc = mdb_cursor_open(txn, st->stat, &cur)) != 0)
	return rc;
    for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); rc == 0;
	 rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
	day = key.mv_size < 4 ? 0 : store_get_be32(key.mv_data);
	if (day >= before_day)
	    break;
	if ((rc = mdb_cursor_del(cur, 0)) != 0)
	    break;
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* store_prune_txn - everything older than before */

static int store_prune_txn(struct store *st, MDB_txn *txn, void *ctx)
{
    struct store_prune_ctx *p = ctx;
    int rc;

    p->removed = 0;
    if ((rc = store_prune_spf(st, txn, p)) != 0
	|| (rc = store_prune_msg(st, txn, p)) != 0
	|| (rc = store_prune_stat(st, txn, p)) != 0)
	return rc;
    return 0;
}

/* store_prune - drop verdicts, records and counters older than before */

int store_prune(struct store *st, uint64_t before, uint64_t *removed)
{
    struct store_prune_ctx p;
    int rc;

    memset(&p, 0, sizeof(p));
    p.before = before;
    rc = store_txn_run(st, 1, store_prune_txn, &p);
    store_release_pages(st);
    /* The queue id index is in no time order: it is read in batches,
     * so the pages read need not all stay resident at once. */
    while (rc == STORE_OK && !p.done) {
	rc = store_txn_run(st, 1, store_prune_qid, &p);
	store_release_pages(st);
    }

    if (removed)
	*removed = p.removed;
    return rc;
}
