/*++
 * NAME
 *	policy 3h
 * SUMMARY
 *	SPF decisions for policy requests
 *--*/
#ifndef PD_POLICY_H
#define PD_POLICY_H

#include <pthread.h>

#include "buf.h"
#include "conf.h"
#include "hmap.h"
#include "dns.h"
#include "inet.h"
#include "request.h"
#include "spf.h"
#include "store.h"

/* Everything a request is judged by; replaced as a whole on SIGHUP. */
struct pol_world {
    struct conf *conf;
    struct dns_resolver *dns;
    struct inet_netlist skip;
    struct inet_netlist whitelist;
    unsigned refs;
};

/* What one client connection remembers between its requests. */
struct pol_conn {
    struct pol_world *world;		/* the world ck belongs to */
    struct spf_checker *ck;
    char instance[128];			/* the transaction judged last */
    char verdict[512];			/* its action (a PREPEND: the field name) */
    int decided;
    int action;				/* its STORE_ACT_* */
    int stored;				/* its END-OF-MESSAGE record written */
    struct spf_result helo, mfrom;
    int whitelisted;
    char logline[1024];			/* the decision's, logged after the answer */
};

/* SMTP-time rejections, counted in memory and written once a second. */
struct pol_counters {
    pthread_mutex_t lock;
    struct hmap rows;			/* "day/domain" -> struct store_stat */
};

struct pol_world *pol_world_new(struct conf *, char *, size_t);
struct pol_world *pol_world_ref(struct pol_world *);
void pol_world_unref(struct pol_world *);

void pol_conn_init(struct pol_conn *);
void pol_conn_free(struct pol_conn *);
void pol_flush_log(struct pol_conn *);
int pol_decide(struct pol_conn *, struct pol_world *, struct store *, struct pol_counters *,
	               const struct req *, struct buf *);
int pol_counters_init(struct pol_counters *);
void pol_counters_flush(struct pol_counters *, struct store *);
void pol_counters_free(struct pol_counters *);

#endif
