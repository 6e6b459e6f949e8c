/*++
 * NAME
 *	dns_cache 3h
 * SUMMARY
 *	TTL-respecting, size-bounded, thread-safe cache of DNS answers
 *--*/
#ifndef PD_DNS_CACHE_H
#define PD_DNS_CACHE_H

#include <stdint.h>

#include "dns.h"

struct dns_cache;

struct dns_cache *dns_cache_create(unsigned);
void dns_cache_destroy(struct dns_cache *);
struct dns_answer *dns_cache_get(struct dns_cache *, const char *, uint16_t);
int dns_cache_has(struct dns_cache *, const char *, uint16_t);
void dns_cache_put(struct dns_cache *, const char *, uint16_t, struct dns_answer *);
void dns_cache_stats(struct dns_cache *, unsigned long *, unsigned long *);
struct dns_answer *dns_answer_ref(struct dns_answer *);
uint64_t dns_now_ms(void);

#endif
