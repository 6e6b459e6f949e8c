/*++
 * NAME
 *	dns 3h
 * SUMMARY
 *	DNS stub resolver with a TTL-respecting cache, on libldns
 *--*/
#ifndef PD_DNS_H
#define PD_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "limits.h"

/* Query types we use (the IANA numbers). */
#define DNS_T_A		1
#define DNS_T_NS	2
#define DNS_T_CNAME	5
#define DNS_T_SOA	6
#define DNS_T_PTR	12
#define DNS_T_MX	15
#define DNS_T_TXT	16
#define DNS_T_AAAA	28
#define DNS_T_SPF	99

/* What a lookup found. */
enum dns_status {
    DNS_FOUND,				/* at least one record of the type */
    DNS_NXDOMAIN,			/* the name does not exist */
    DNS_NODATA,				/* the name exists, no record of the type */
    DNS_TEMPFAIL,			/* timeout, SERVFAIL, network trouble */
    DNS_BADNAME,			/* the query name is not a valid DNS name */
    DNS_NOMEM,
};

struct dns_rr {
    uint16_t type;
    uint16_t pref;			/* MX preference */
    uint32_t ttl;
    size_t len;				/* bytes in data, NUL excluded */
    unsigned char *data;		/* A/AAAA: address bytes; TXT: the
					 * strings joined; MX, PTR, CNAME, NS:
					 * the name, lower case, no final dot.
					 * Always NUL-terminated. */
};

struct dns_answer {
    int status;				/* enum dns_status */
    uint16_t type;
    unsigned refs;
    uint32_t ttl;			/* how long it may be cached */
    size_t n;
    struct dns_rr *rr;
};

struct dns_resolver;

struct dns_resolver *dns_create(char *const *, size_t, uint64_t, unsigned, unsigned);
void dns_destroy(struct dns_resolver *);
int dns_lookup(struct dns_resolver *, const char *, uint16_t, struct dns_answer **);
int dns_prefetch(struct dns_resolver *, const char *const *, const uint16_t *, size_t);
void dns_answer_free(struct dns_answer *);
const char *dns_status_str(int);
void dns_stats(struct dns_resolver *, unsigned long *, unsigned long *);
int dns_name_ok(const char *);
typedef void (*dns_trace_fn) (void *, const char *, uint16_t, int);
void dns_set_trace(struct dns_resolver *, dns_trace_fn, void *);
long dns_answer_wire(const struct dns_answer *, const char *, unsigned char *, size_t);

#endif
