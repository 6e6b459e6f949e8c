/*++
 * NAME
 *	store 3
 * SUMMARY
 *	the LMDB store shared by the policy server, the filter and the reporter
 * SYNOPSIS
 *	#include "store.h"
#include "store_int.h"
 *
 *	struct store *store_open(dir, flags)
 *	void	store_close(st)
 *	const char *store_error(st)
 *	const char *store_last_error()
 *
 *	int	store_spf_put(st, spf)
 *	int	store_spf_get(st, queue_id, spf)
 *	int	store_spf_scan(st, fn, ctx)
 *	int	store_msg_put(st, msg)
 *	int	store_msg_seen(st, queue_id)
 *	int	store_msg_put_batch(st, count, fill, ctx)
 *	int	store_msg_groups(st, cutoff, consume, ops, ctx)
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
 *	int	store_stat_add(st, rows, count)
 *	int	store_prune(st, before, removed)
 * DESCRIPTION
 *	One LMDB environment in one directory, written by many processes
 *	at once (LMDB serializes writers) and by many threads of one
 *	process.  Named databases:
 * .IP spf
 *	queue id -> the policy server's verdict for that transaction.
 * .IP msg
 *	policy domain, NUL, time (8 bytes, big-endian), queue id -> one
 *	message as the filter judged it.  The order groups the records of
 *	one policy domain and day together, the way reports need them.
 * .IP qid
 *	queue id -> msg key: one record per message, whatever the number
 *	of pipe(8) deliveries.  Kept after the record is reported, until
 *	it is pruned by age.
 * .IP report
 *	report id -> a built report with its destinations' state.
 * .IP stat
 *	day (4 bytes, big-endian), domain -> daily counters.
 * .IP meta
 *	name -> 64-bit value (schema version, reporting state).
 * .PP
 *	Every function returns STORE_OK, STORE_NOTFOUND, STORE_DUP or
 *	STORE_ERR; store_error() says what went wrong (store_last_error()
 *	when store_open() itself failed).  When the map is full it grows,
 *	doubling up to STORE_MAP_MAX; a map grown by another process is
 *	picked up.  Files are created mode 0660 in a directory of mode
 *	0770, so the three programs share them through one user or group.
 *
 *	store_msg_put() records a message unless its queue id is already
 *	recorded (STORE_DUP), and counts it in the daily counters, in one
 *	transaction.  A message without a queue id is refused (STORE_ERR).
 *
 *	store_msg_put_batch() records count messages in one transaction,
 *	each filled in by fill(i, msg, ctx) (for imports and benchmarks);
 *	duplicates are skipped.
 *
 *	store_msg_groups() walks the message records older than cutoff,
 *	calling ops->record for each and ops->group_end at the end of
 *	each (policy domain, UTC day) group.  With consume, the walk runs
 *	in write transactions: the records of a group are deleted in the
 *	same transaction in which group_end stores its reports with
 *	store_txn_report_put(), so a crash loses nothing and counts
 *	nothing twice.  Without consume it only reads, and group_end gets
 *	a NULL transaction.  The walk goes in batches of transactions; a
 *	transaction may run twice (when the map must grow): ops->begin,
 *	if set, is called as each starts, so the caller can drop what it
 *	gathered in an attempt that did not commit, and ops->commit after
 *	each commit.
 *
 *	store_stat_add() adds counts gathered elsewhere (the policy
 *	server's rejections, counted in memory and written once a second)
 *	to the daily counters, in one transaction.
 *
 *	store_report_apply() writes the state of many reports in one
 *	transaction: a report with no destination pending any more is
 *	deleted, the others are updated.
 *
 *	store_report_get() fills a report whose blob the caller releases
 *	with store_report_release().  store_report_ids() returns a
 *	malloc()ed array of malloc()ed ids: free each, then the array.
 *--*/
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "buf.h"
#include "log.h"
#include "results.h"
#include "store.h"
#include "store_int.h"
#include "store_rec.h"
#include "str.h"

static char store_open_err[256];


/* store_fail - remember what went wrong */

int PD_PRINTF(2, 3) store_fail(struct store *st, const char *fmt,...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(st->err, sizeof(st->err), fmt, ap);
    va_end(ap);
    return STORE_ERR;
}

/* store_error - the last error of a store */

const char *store_error(const struct store *st)
{
    return st ? st->err : store_open_err;
}

/* store_last_error - why store_open() failed */

const char *store_last_error(void)
{
    return store_open_err;
}

 /*
  * Opening.
  */

/* store_open_dbis - open (or create) the named databases */

static int store_open_dbis(struct store *st)
{
    static const char *const names[] = {"spf", "msg", "qid", "report", "stat", "meta"};
    MDB_dbi *dbis[] = {&st->spf, &st->msg, &st->qid, &st->report, &st->stat, &st->meta};
    unsigned flags = st->rdonly ? 0 : MDB_CREATE;
    MDB_txn *txn;
    size_t i;
    int rc;

    if ((rc = mdb_txn_begin(st->env, NULL, st->rdonly ? MDB_RDONLY : 0, &txn)) != 0)
	return rc;
    for (i = 0; i < PD_NELEM(names); i++) {
	if ((rc = mdb_dbi_open(txn, names[i], flags, dbis[i])) != 0) {
	    mdb_txn_abort(txn);
	    return rc;
	}
    }
    return mdb_txn_commit(txn);
}

/* store_check_schema - refuse a store written by a newer version */

static int store_check_schema(struct store *st)
{
    uint64_t schema;
    int rc = store_meta_get(st, "schema", &schema);

    if (rc == STORE_NOTFOUND)
	return st->rdonly ? STORE_OK : store_meta_put(st, "schema", STORE_SCHEMA);
    if (rc != STORE_OK)
	return rc;
    if (schema > STORE_SCHEMA)
	return store_fail(st, "store schema %llu is newer than ours (%d)",
			  (unsigned long long) schema, STORE_SCHEMA);
    return STORE_OK;
}

/* store_open - open the environment in a directory */

struct store *store_open(const char *dir, int flags)
{
    struct store *st;
    int rc, dead, fd;

    if ((st = calloc(1, sizeof(*st))) == NULL) {
	snprintf(store_open_err, sizeof(store_open_err), "out of memory");
	return NULL;
    }
    st->rdonly = (flags & STORE_RDONLY) != 0;
    st->map_max = STORE_MAP_MAX;
    pthread_rwlock_init(&st->resize, NULL);
    if ((flags & STORE_CREATE) && mkdir(dir, 0770) < 0 && errno != EEXIST) {
	snprintf(store_open_err, sizeof(store_open_err), "mkdir %s: %s", dir, strerror(errno));
	goto fail;
    }
    if ((rc = mdb_env_create(&st->env)) != 0
	|| (rc = mdb_env_set_maxdbs(st->env, 8)) != 0
	|| (rc = mdb_env_set_maxreaders(st->env, STORE_MAXREADERS)) != 0
	|| (rc = mdb_env_set_mapsize(st->env, STORE_MAP_INITIAL)) != 0
	|| (rc = mdb_env_open(st->env, dir, MDB_NOTLS | MDB_NOMETASYNC
			      | (st->rdonly ? MDB_RDONLY : 0), 0660)) != 0) {
	snprintf(store_open_err, sizeof(store_open_err), "open %s: %s", dir, mdb_strerror(rc));
	goto fail;
    }
    /* LMDB leaves its data file open across exec: the filter's sendmail
     * would hold the store open. */
    if (mdb_env_get_fd(st->env, &fd) == 0 && fd >= 0)
	(void) fcntl(fd, F_SETFD, FD_CLOEXEC);
    mdb_reader_check(st->env, &dead);		/* slots of crashed processes */
    if ((rc = store_open_dbis(st)) != 0) {
	snprintf(store_open_err, sizeof(store_open_err), "open %s: %s", dir,
		 rc == MDB_NOTFOUND ? "not initialized" : mdb_strerror(rc));
	goto fail;
    }
    if (store_check_schema(st) != STORE_OK) {
	snprintf(store_open_err, sizeof(store_open_err), "%.100s: %.140s", dir, st->err);
	goto fail;
    }
    return st;

fail:
    store_close(st);
    return NULL;
}

/* store_close - close the environment */

void store_close(struct store *st)
{
    if (st == NULL)
	return;
    if (st->env)
	mdb_env_close(st->env);
    pthread_rwlock_destroy(&st->resize);
    free(st);
}

 /*
  * Transactions.
  */

/* store_grow - double the map after MDB_MAP_FULL */

static int store_grow(struct store *st)
{
    MDB_envinfo info;
    size_t size;
    int rc;

    pthread_rwlock_wrlock(&st->resize);
    mdb_env_info(st->env, &info);
    size = info.me_mapsize * 2;
    if (size > st->map_max) {
	pthread_rwlock_unlock(&st->resize);
	return MDB_MAP_FULL;
    }
    rc = mdb_env_set_mapsize(st->env, size);
    pthread_rwlock_unlock(&st->resize);
    if (rc == 0)
	log_info("store: map grown to %zu MB", size >> 20);
    return rc;
}

/* store_adopt_size - take the size another process grew the map to */

static void store_adopt_size(struct store *st)
{
    pthread_rwlock_wrlock(&st->resize);
    mdb_env_set_mapsize(st->env, 0);
    pthread_rwlock_unlock(&st->resize);
}

/* store_txn_run - run fn in a transaction, growing the map as needed */

int store_txn_run(struct store *st, int write, store_txn_fn fn, void *ctx)
{
    MDB_txn *txn;
    int rc, tries;

    if (write && st->rdonly)
	return store_fail(st, "store opened read-only");
    for (tries = 0; tries < STORE_TXN_TRIES; tries++) {
	pthread_rwlock_rdlock(&st->resize);
	rc = mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY, &txn);
	if (rc == 0) {
	    rc = fn(st, txn, ctx);
	    if (rc == 0 && write)
		rc = mdb_txn_commit(txn);
	    else
		mdb_txn_abort(txn);
	}
	pthread_rwlock_unlock(&st->resize);
	if (rc == MDB_MAP_RESIZED) {
	    store_adopt_size(st);
	    continue;
	}
	if (rc == MDB_MAP_FULL && (rc = store_grow(st)) == 0)
	    continue;
	break;
    }
    switch (rc) {
    case 0:
	return STORE_OK;
    case RC_NOTFOUND:
	return STORE_NOTFOUND;
    case RC_DUP:
	return STORE_DUP;
    case RC_FAILED:
	return STORE_ERR;
    default:
	return store_fail(st, "%s", mdb_strerror(rc));
    }
}

/* store_put - put a key, mapping LMDB codes */

int store_put(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen, const void *v,
		             size_t vlen)
{
    MDB_val key = {klen, (void *) k}, val = {vlen, (void *) v};

    return mdb_put(txn, dbi, &key, &val, 0);
}

/* store_get - get a key: 0, RC_NOTFOUND or an LMDB code */

int store_get(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen, MDB_val *val)
{
    MDB_val key = {klen, (void *) k};
    int rc = mdb_get(txn, dbi, &key, val);

    return rc == MDB_NOTFOUND ? RC_NOTFOUND : rc;
}

/* store_del - delete a key; absent is fine */

int store_del(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen)
{
    MDB_val key = {klen, (void *) k};
    int rc = mdb_del(txn, dbi, &key, NULL);

    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* store_map_range - where data.mdb is mapped in this process */

static int store_map_range(struct store *st, uintptr_t *start, uintptr_t *end)
{
    char line[4600], want[4200];
    const char *path;
    FILE *fp;
    int found = 0;

    /* LMDB tells the map address only for MDB_FIXEDMAP: ask the kernel. */
    if (mdb_env_get_path(st->env, &path) != 0
	|| snprintf(want, sizeof(want), "%s/data.mdb", path) >= (int) sizeof(want)
	|| (fp = fopen("/proc/self/maps", "r")) == NULL)
	return -1;
    while (!found && fgets(line, sizeof(line), fp) != NULL) {
	char *name = strchr(line, '/'), *nl;
	unsigned long long lo, hi;

	if (name == NULL || (nl = strchr(name, '\n')) == NULL)
	    continue;
	*nl = 0;
	if (strcmp(name, want) == 0 && sscanf(line, "%llx-%llx", &lo, &hi) == 2) {
	    *start = (uintptr_t) lo;
	    *end = (uintptr_t) hi;
	    found = 1;
	}
    }
    fclose(fp);
    return found ? 0 : -1;
}

/* store_release_pages - let go of the map pages read so far */

void store_release_pages(struct store *st)
{
    uintptr_t start, end;

    /* A long walk touches the whole file; the pages stay in the page
     * cache, but need not stay in our resident set.  The map is
     * read-only and shared (no MDB_WRITEMAP), so this loses nothing. */
    pthread_rwlock_wrlock(&st->resize);
    if (store_map_range(st, &start, &end) == 0)
	madvise((void *) start, end - start, MADV_DONTNEED);
    pthread_rwlock_unlock(&st->resize);
}

 /*
  * Keys and counters.
  */

/* store_be64 - write a big-endian 64-bit number */

void store_be64(unsigned char *p, uint64_t v)
{
    int i;

    for (i = 7; i >= 0; i--, v >>= 8)
	p[i] = (unsigned char) v;
}

/* store_get_be64 - read a big-endian 64-bit number */

uint64_t store_get_be64(const unsigned char *p)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < 8; i++)
	v = v << 8 | p[i];
    return v;
}

/* store_be32 - write a big-endian 32-bit number (a day in a stat key) */

void store_be32(unsigned char *p, uint32_t v)
{
    int i;

    for (i = 3; i >= 0; i--, v >>= 8)
	p[i] = (unsigned char) v;
}

/* store_get_be32 - read a big-endian 32-bit number */

uint32_t store_get_be32(const unsigned char *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

/* store_qid_ok - a queue id that can be a key: not empty, not too long */

static int store_qid_ok(const char *qid)
{
    return *qid != 0 && strlen(qid) <= STORE_QID_MAX;
}

/* store_msg_key - domain NUL time qid */

static size_t store_msg_key(unsigned char *key, const char *domain, uint64_t time,
			            const char *qid)
{
    size_t dlen = strlen(domain), qlen = strlen(qid);

    memcpy(key, domain, dlen);
    key[dlen] = 0;
    store_be64(key + dlen + 1, time);
    memcpy(key + dlen + 9, qid, qlen);
    return dlen + 9 + qlen;
}

/* store_msg_key_parse - domain and time out of a msg key */

int store_msg_key_parse(const MDB_val *key, char *domain, size_t size, uint64_t *time)
{
    const unsigned char *k = key->mv_data;
    const unsigned char *nul = memchr(k, 0, key->mv_size);
    size_t dlen;

    if (nul == NULL || (size_t) (k + key->mv_size - nul) < 9)
	return -1;
    dlen = (size_t) (nul - k);
    if (str_ncopy(domain, size, (const char *) k, dlen) < 0)
	return -1;
    *time = store_get_be64(nul + 1);
    return 0;
}

/* store_stat_bump - add to the daily counters of a domain */

static int store_stat_bump(struct store *st, MDB_txn *txn, uint64_t time, const char *domain,
			           const uint64_t *add)
{
    unsigned char key[4 + DNS_NAME_MAX + 1], val[8 * STORE_STAT_COUNT];
    uint32_t day = (uint32_t) (time / 86400);
    size_t dlen = strlen(domain), i;
    MDB_val old;
    int rc;

    if (dlen > DNS_NAME_MAX)
	dlen = DNS_NAME_MAX;
    store_be32(key, day);
    memcpy(key + 4, domain, dlen);
    memset(val, 0, sizeof(val));
    rc = store_get(txn, st->stat, key, 4 + dlen, &old);
    if (rc == 0)
	memcpy(val, old.mv_data, old.mv_size < sizeof(val) ? old.mv_size : sizeof(val));
    else if (rc != RC_NOTFOUND)
	return rc;
    for (i = 0; i < STORE_STAT_COUNT; i++)
	if (add[i])
	    store_be64(val + 8 * i, store_get_be64(val + 8 * i) + add[i]);
    return store_put(txn, st->stat, key, 4 + dlen, val, sizeof(val));
}

/* store_stat_one - one more of each counter named */

static int store_stat_one(struct store *st, MDB_txn *txn, uint64_t time, const char *domain,
			          const int *which, size_t n)
{
    uint64_t add[STORE_STAT_COUNT];
    size_t i;

    memset(add, 0, sizeof(add));
    for (i = 0; i < n; i++)
	add[which[i]]++;
    return store_stat_bump(st, txn, time, domain, add);
}

struct store_stat_add_ctx {
    struct store_stat *const *rows;
    size_t n;
};

/* store_stat_add_txn - many rows of counts */

static int store_stat_add_txn(struct store *st, MDB_txn *txn, void *ctx)
{
    struct store_stat_add_ctx *a = ctx;
    size_t i;
    int rc;

    for (i = 0; i < a->n; i++)
	if ((rc = store_stat_bump(st, txn, (uint64_t) a->rows[i]->day * 86400,
				  a->rows[i]->domain, a->rows[i]->n)) != 0)
	    return rc;
    return 0;
}

/* store_stat_add - counts gathered in memory, in one transaction */

int store_stat_add(struct store *st, struct store_stat *const *rows, size_t n)
{
    struct store_stat_add_ctx a = {rows, n};

    return n ? store_txn_run(st, 1, store_stat_add_txn, &a) : STORE_OK;
}

 /*
  * SPF verdicts.
  */

/* store_spf_put_txn - record a verdict, count it */

static int store_spf_put_txn(struct store *st, MDB_txn *txn, void *ctx)
{
    const struct store_spf *spf = ctx;
    struct buf rec = BUF_INIT(STORE_RECORD_MAX);
    int which, rc = 0;

    if (spf->queue_id[0]) {
	if (store_rec_spf_encode(&rec, spf) < 0) {
	    buf_free(&rec);
	    return store_fail(st, "SPF record too large"), RC_FAILED;
	}
	rc = store_put(txn, st->spf, spf->queue_id, strlen(spf->queue_id), buf_str(&rec),
		       buf_len(&rec));
	buf_free(&rec);
    }
    which = spf->action == STORE_ACT_REJECT ? STORE_STAT_SPF_REJECT
	: spf->action == STORE_ACT_DEFER ? STORE_STAT_SPF_DEFER : STORE_STAT_SPF_ACCEPT;
    return rc ? rc : store_stat_one(st, txn, spf->time, spf->domain, &which, 1);
}

/* store_spf_put - record what the policy server decided */

int store_spf_put(struct store *st, const struct store_spf *spf)
{
    return store_txn_run(st, 1, store_spf_put_txn, (void *) spf);
}

struct store_spf_get_ctx {
    const char *qid;
    struct store_spf *out;
};

/* store_spf_get_txn - look a verdict up */

static int store_spf_get_txn(struct store *st, MDB_txn *txn, void *ctx)
{
    struct store_spf_get_ctx *g = ctx;
    MDB_val val;
    int rc = store_get(txn, st->spf, g->qid, strlen(g->qid), &val);

    if (rc)
	return rc;
    if (store_rec_spf_decode(val.mv_data, val.mv_size, g->out) < 0)
	return store_fail(st, "damaged SPF record for %s", g->qid), RC_FAILED;
    return 0;
}

struct store_spf_scan_ctx {
    store_spf_fn fn;
    void *ctx;
};

/* store_spf_scan_txn - every verdict to fn */

static int store_spf_scan_txn(struct store *st, MDB_txn *txn, void *ctx)
{
    struct store_spf_scan_ctx *s = ctx;
    struct store_spf spf;
    MDB_cursor *cur;
    MDB_val key, val;
    int rc;

    if ((rc = mdb_cursor_open(txn, st->spf, &cur)) != 0)
	return rc;
    for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); rc == 0;
	 rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT))
	if (store_rec_spf_decode(val.mv_data, val.mv_size, &spf) == 0 && s->fn(&spf, s->ctx) < 0)
	    break;
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND || rc == 0 ? 0 : rc;
}

/* store_spf_scan - every recorded verdict, for tools and tests */

int store_spf_scan(struct store *st, store_spf_fn fn, void *ctx)
{
    struct store_spf_scan_ctx s = {fn, ctx};

    return store_txn_run(st, 0, store_spf_scan_txn, &s);
}

/* store_spf_get - the policy server's verdict for a queue id */

int store_spf_get(struct store *st, const char *queue_id, struct store_spf *spf)
{
    struct store_spf_get_ctx g = {queue_id, spf};

    if (!store_qid_ok(queue_id))
	return STORE_NOTFOUND;
    return store_txn_run(st, 0, store_spf_get_txn, &g);
}

 /*
  * Message records.
  */

/* store_msg_put_txn - record a message once, count it */

static int store_msg_put_txn(struct store *st, MDB_txn *txn, void *ctx)
{
    const struct store_msg *m = ctx;
    unsigned char key[STORE_MSG_KEY_MAX];
    struct buf rec = BUF_INIT(STORE_RECORD_MAX);
    const char *dom = m->policy.domain[0] ? m->policy.domain : m->header_from;
    int which[3], n = 0, rc;
    size_t klen;
    MDB_val val;

    /* Here, not in store_msg_put(): batches need the check as well. */
    if (!store_qid_ok(m->queue_id) || strlen(m->policy.domain) > DNS_NAME_MAX)
	return store_fail(st, "no queue id, or queue id or domain too long"), RC_FAILED;
    if ((rc = store_get(txn, st->qid, m->queue_id, strlen(m->queue_id), &val)) == 0)
	return RC_DUP;
    if (rc != RC_NOTFOUND)
	return rc;
    if (store_rec_msg_encode(&rec, m) < 0) {
	buf_free(&rec);
	return store_fail(st, "message record too large"), RC_FAILED;
    }
    klen = store_msg_key(key, m->policy.domain, m->time, m->queue_id);
    rc = store_put(txn, st->msg, key, klen, buf_str(&rec), buf_len(&rec));
    buf_free(&rec);
    if (rc == 0)
	rc = store_put(txn, st->qid, m->queue_id, strlen(m->queue_id), key, klen);
    if (rc)
	return rc;
    which[n++] = STORE_STAT_MSGS;
    which[n++] = m->dmarc_result == RES_DMARC_PASS ? STORE_STAT_DMARC_PASS
	: m->dmarc_result == RES_DMARC_FAIL ? STORE_STAT_DMARC_FAIL : STORE_STAT_DMARC_NONE;
    which[n++] = m->disposition == RES_DISP_REJECT ? STORE_STAT_DISP_REJECT
	: m->disposition == RES_DISP_QUARANTINE ? STORE_STAT_DISP_QUARANTINE
	: STORE_STAT_DISP_NONE;
    return store_stat_one(st, txn, m->time, dom, which, (size_t) n);
}

/* store_msg_put - record one message, unless its queue id is known */

int store_msg_put(struct store *st, const struct store_msg *msg)
{
    return store_txn_run(st, 1, store_msg_put_txn, (void *) msg);
}

struct store_batch_ctx {
    size_t n;
    store_fill_fn fill;
    void *ctx;
    struct store_msg *m;
};

/* store_msg_batch_txn - many messages, one transaction */

static int store_msg_batch_txn(struct store *st, MDB_txn *txn, void *ctx)
{
    struct store_batch_ctx *b = ctx;
    size_t i;
    int rc;

    for (i = 0; i < b->n; i++) {
	b->fill(i, b->m, b->ctx);
	if ((rc = store_msg_put_txn(st, txn, b->m)) != 0 && rc != RC_DUP)
	    return rc;
    }
    return 0;
}

/* store_msg_put_batch - record many messages at once */

int store_msg_put_batch(struct store *st, size_t n, store_fill_fn fill, void *ctx)
{
    struct store_batch_ctx b = {n, fill, ctx, NULL};
    int rc;

    if ((b.m = malloc(sizeof(*b.m))) == NULL)
	return store_fail(st, "out of memory");
    rc = store_txn_run(st, 1, store_msg_batch_txn, &b);
    free(b.m);
    return rc;
}

/* store_msg_seen_txn - is the queue id recorded */

static int store_msg_seen_txn(struct store *st, MDB_txn *txn, void *ctx)
{
    MDB_val val;

    return store_get(txn, st->qid, ctx, strlen(ctx), &val);
}

/* store_msg_seen - STORE_OK if a message with this queue id is recorded */

int store_msg_seen(struct store *st, const char *queue_id)
{
    if (!store_qid_ok(queue_id))
	return STORE_NOTFOUND;
    return store_txn_run(st, 0, store_msg_seen_txn, (void *) queue_id);
}
