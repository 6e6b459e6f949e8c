/*++
 * NAME
 *	store_int 3h
 * SUMMARY
 *	what the store's own files share, and nobody else uses
 *--*/
#ifndef PD_STORE_INT_H
#define PD_STORE_INT_H

#include <lmdb.h>
#include <pthread.h>
#include <stdint.h>

#include "compat.h"
#include "store.h"

#define STORE_SCHEMA		1
#define STORE_MAXREADERS	1024
#define STORE_BATCH		5000	/* records per write transaction */
#define STORE_SCAN_BATCH	(STORE_BATCH * 5)	/* index entries looked at per pruning transaction */
#define STORE_TXN_TRIES		40	/* a transaction tried again after a map resize */
#define STORE_MSG_KEY_MAX	(DNS_NAME_MAX + 1 + 8 + STORE_QID_MAX)

struct store {
    MDB_env *env;
    MDB_dbi spf, msg, qid, report, stat, meta;
    int rdonly;
    uint64_t map_max;			/* STORE_MAP_MAX; tests set less */
    pthread_rwlock_t resize;		/* txns shared, resizing exclusive */
    char err[256];
};

struct store_txn {
    struct store *st;
    MDB_txn *txn;
};

/* What transaction bodies return besides 0 and LMDB/errno codes. */
#define RC_NOTFOUND	(-40001)
#define RC_DUP		(-40002)
#define RC_FAILED	(-40003)		/* st->err says why */

typedef int (*store_txn_fn) (struct store *, MDB_txn *, void *);

int PD_PRINTF(2, 3) store_fail(struct store *, const char *,...);
int store_txn_run(struct store *, int, store_txn_fn, void *);
int store_put(MDB_txn *, MDB_dbi, const void *, size_t, const void *, size_t);
int store_get(MDB_txn *, MDB_dbi, const void *, size_t, MDB_val *);
int store_del(MDB_txn *, MDB_dbi, const void *, size_t);
void store_release_pages(struct store *);
void store_be64(unsigned char *, uint64_t);
uint64_t store_get_be64(const unsigned char *);
void store_be32(unsigned char *, uint32_t);
uint32_t store_get_be32(const unsigned char *);
int store_msg_key_parse(const MDB_val *, char *, size_t, uint64_t *);

#endif
