/*++
 * NAME
 *	store 3h
 * SUMMARY
 *	the LMDB store shared by the policy server, the filter and the reporter
 *--*/
#ifndef PD_STORE_H
#define PD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "limits.h"

#define STORE_QID_MAX		64
#define STORE_IP_MAX		46
#define STORE_SEL_MAX		DNS_NAME_MAX
#define STORE_COMMENT_MAX	256
#define STORE_REASONS_MAX	4

/* Return codes. */
enum {
    STORE_OK = 0,
    STORE_NOTFOUND = 1,			/* get: no such key */
    STORE_DUP = 2,			/* put: queue id already recorded */
    STORE_ERR = -1,			/* see store_error() */
};

/* What the policy server did at SMTP time. */
enum { STORE_ACT_ACCEPT, STORE_ACT_REJECT, STORE_ACT_DEFER };

/* One SMTP transaction as the policy server judged it. */
struct store_spf {
    uint64_t time;			/* seconds since the epoch */
    char queue_id[STORE_QID_MAX + 1];
    char client_addr[STORE_IP_MAX + 1];
    char helo[DNS_NAME_MAX + 1];
    char mail_from[MSG_ADDR_MAX + 1];	/* "" for the null sender */
    char domain[DNS_NAME_MAX + 1];	/* MAIL FROM domain, or HELO for <> */
    int helo_result;			/* enum res_spf */
    int mfrom_result;			/* enum res_spf */
    int action;				/* STORE_ACT_* */
};

/* The published policy as it was when the message arrived. */
struct store_policy {
    char domain[DNS_NAME_MAX + 1];	/* where the record was found */
    int p, sp, np;			/* enum res_policy */
    char adkim, aspf;			/* 'r' or 's' */
    int testing;			/* t=y */
    char psd;				/* 'y', 'n', 'u' */
    char fo[16];
    int discovery;			/* enum res_discovery */
    size_t nrua;
    char rua[DMARC_URIS_MAX][DMARC_URI_MAX + 1];
};

struct store_dkim {
    char domain[DNS_NAME_MAX + 1];
    char selector[STORE_SEL_MAX + 1];
    int result;				/* enum res_dkim */
};

struct store_reason {
    int type;				/* enum res_reason */
    char comment[STORE_COMMENT_MAX + 1];
};

/* One message as the filter judged it: one row of a report. */
struct store_msg {
    uint64_t time;
    char queue_id[STORE_QID_MAX + 1];
    char source_ip[STORE_IP_MAX + 1];
    char env_from[DNS_NAME_MAX + 1];	/* MAIL FROM domain */
    char env_to[DNS_NAME_MAX + 1];	/* first recipient's domain */
    char header_from[DNS_NAME_MAX + 1];
    char spf_domain[DNS_NAME_MAX + 1];
    int spf_scope;			/* 0 mfrom, 1 helo */
    int spf_result;			/* enum res_spf */
    size_t ndkim;
    struct store_dkim dkim[STORE_DKIM_MAX];
    int dmarc_result;			/* enum res_dmarc */
    int dkim_aligned;			/* 1 pass, 0 fail */
    int spf_aligned;
    int disposition;			/* enum res_disposition */
    size_t nreasons;
    struct store_reason reasons[STORE_REASONS_MAX];
    struct store_policy policy;		/* policy.domain "" when none */
};

/* A report waiting for its destinations. */
enum { STORE_DEST_PENDING, STORE_DEST_SENT, STORE_DEST_FAILED, STORE_DEST_SKIPPED };

struct store_dest {
    char addr[MSG_ADDR_MAX + 1];	/* mailto: address */
    int state;				/* STORE_DEST_* */
    unsigned attempts;
    uint64_t next_try;			/* seconds since the epoch */
    char last_error[STORE_COMMENT_MAX + 1];
};

struct store_report {
    char id[128];			/* report id, also the key */
    char domain[DNS_NAME_MAX + 1];	/* policy domain */
    uint64_t begin, end;		/* date_range */
    uint64_t created;
    uint64_t records;			/* messages counted */
    size_t ndests;
    struct store_dest dests[REPORT_DESTS_MAX];
    size_t len;				/* gzip'ed XML */
    unsigned char *blob;		/* malloc()ed; store_report_release() */
};

/* Daily counters for postdmarc-reporter --stats. */
enum {
    STORE_STAT_MSGS, STORE_STAT_DMARC_PASS, STORE_STAT_DMARC_FAIL, STORE_STAT_DMARC_NONE,
    STORE_STAT_DISP_NONE, STORE_STAT_DISP_QUARANTINE, STORE_STAT_DISP_REJECT,
    STORE_STAT_SPF_REJECT, STORE_STAT_SPF_DEFER, STORE_STAT_SPF_ACCEPT,
    STORE_STAT_COUNT
};

struct store_stat {
    uint32_t day;			/* days since the epoch */
    char domain[DNS_NAME_MAX + 1];
    uint64_t n[STORE_STAT_COUNT];
};

struct store;

/* store_open() flags */
#define STORE_RDONLY	1
#define STORE_CREATE	2

struct store *store_open(const char *, int);
void store_close(struct store *);
const char *store_error(const struct store *);
const char *store_last_error(void);

int store_spf_put(struct store *, const struct store_spf *);
int store_spf_get(struct store *, const char *, struct store_spf *);
typedef int (*store_spf_fn) (const struct store_spf *, void *);
int store_spf_scan(struct store *, store_spf_fn, void *);
int store_msg_put(struct store *, const struct store_msg *);
int store_msg_seen(struct store *, const char *);
typedef void (*store_fill_fn) (size_t, struct store_msg *, void *);
int store_msg_put_batch(struct store *, size_t, store_fill_fn, void *);

struct store_txn;

struct store_group_ops {
    int (*record) (void *, const struct store_msg *);
    int (*group_end) (void *, struct store_txn *, const char *, uint32_t);
    void (*begin) (void *);		/* a transaction starts (or restarts) */
    void (*commit) (void *);		/* and is committed */
};
int store_msg_groups(struct store *, uint64_t, int, const struct store_group_ops *, void *);
int store_txn_report_put(struct store_txn *, const struct store_report *);

int store_report_put(struct store *, const struct store_report *);
int store_report_get(struct store *, const char *, struct store_report *);
int store_report_delete(struct store *, const char *);
int store_report_apply(struct store *, struct store_report *const *, size_t);
int store_report_ids(struct store *, char ***, size_t *);
void store_report_release(struct store_report *);

int store_meta_get(struct store *, const char *, uint64_t *);
int store_meta_put(struct store *, const char *, uint64_t);

typedef int (*store_stat_fn) (const struct store_stat *, void *);
int store_stat_scan(struct store *, uint32_t, uint32_t, store_stat_fn, void *);
int store_stat_add(struct store *, struct store_stat *const *, size_t);

int store_prune(struct store *, uint64_t, uint64_t *);

#endif
