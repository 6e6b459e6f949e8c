/*++
 * NAME
 *	policy 3h
 * SUMMARY
 *	SPF decisions for policy requests
 *--*/
#ifndef PD_POLICY_H
#define PD_POLICY_H

#include "buf.h"
#include "conf.h"
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
    char verdict[512];			/* its action for later requests */
    int decided;
    int stored;				/* its END-OF-MESSAGE record written */
    struct spf_result helo, mfrom;
    int whitelisted;
};

struct pol_world *pol_world_new(struct conf *, char *, size_t);
struct pol_world *pol_world_ref(struct pol_world *);
void pol_world_unref(struct pol_world *);

void pol_conn_init(struct pol_conn *);
void pol_conn_free(struct pol_conn *);
int pol_decide(struct pol_conn *, struct pol_world *, struct store *, const struct req *,
	               struct buf *);

#endif
