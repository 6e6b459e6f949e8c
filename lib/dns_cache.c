/*++
 * NAME
 *	dns_cache 3
 * SUMMARY
 *	TTL-respecting, size-bounded, thread-safe cache of DNS answers
 * SYNOPSIS
 *	#include "dns_cache.h"
 *
 *	struct dns_cache *dns_cache_create(max)
 *	void	dns_cache_destroy(cache)
 *	struct dns_answer *dns_cache_get(cache, name, type)
 *	int	dns_cache_has(cache, name, type)
 *	void	dns_cache_put(cache, name, type, answer)
 *	void	dns_cache_stats(cache, hits, misses)
 *	struct dns_answer *dns_answer_ref(answer)
 *	uint64_t dns_now_ms(void)
 * DESCRIPTION
 *	Answers are kept by (lower-case name, type) until their TTL runs
 *	out, measured on the monotonic clock.  When the cache holds max
 *	entries the least recently used one goes.  max 0 turns caching off.
 *
 *	Answers are shared and reference-counted: dns_cache_get() returns
 *	a new reference (release it with dns_answer_free()), or NULL;
 *	dns_cache_put() takes its own reference, so the caller keeps its.
 *	dns_cache_has() says whether a live answer is there, without
 *	counting a hit or a miss.
 *	dns_now_ms() is the clock of expiry times (and of dns(3)'s
 *	deadlines): milliseconds on the monotonic clock.
 *	All functions may be called from several threads at once.
 *--*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns_cache.h"
#include "str.h"

struct dns_cache_entry {
    struct dns_cache_entry *hnext;	/* hash chain */
    struct dns_cache_entry *prev, *next;	/* LRU list, most recent first */
    char *name;
    uint16_t type;
    uint64_t expires;			/* monotonic ms */
    struct dns_answer *answer;
};

struct dns_cache {
    pthread_mutex_t lock;
    unsigned max;
    unsigned count;
    size_t nbuckets;
    struct dns_cache_entry **buckets;
    struct dns_cache_entry *head, *tail;
    unsigned long hits, misses;
};

/* dns_now_ms - monotonic milliseconds: the cache's clock and the resolver's */

uint64_t dns_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* dns_cache_hash - FNV-1a of name and type */

static size_t dns_cache_hash(const char *name, uint16_t type, size_t nbuckets)
{
    uint64_t h = 1469598103934665603ULL ^ type;

    for (; *name; name++) {
	h ^= (unsigned char) *name;
	h *= 1099511628211ULL;
    }
    return (size_t) (h % nbuckets);
}

/* dns_answer_ref - one more reference */

struct dns_answer *dns_answer_ref(struct dns_answer *answer)
{
    __atomic_add_fetch(&answer->refs, 1, __ATOMIC_RELAXED);
    return answer;
}

/* dns_answer_free - drop a reference, free on the last */

void dns_answer_free(struct dns_answer *answer)
{
    size_t i;

    if (answer == NULL || __atomic_sub_fetch(&answer->refs, 1, __ATOMIC_ACQ_REL) != 0)
	return;
    for (i = 0; i < answer->n; i++)
	free(answer->rr[i].data);
    free(answer->rr);
    free(answer);
}

/* dns_cache_create - empty cache of at most max entries */

struct dns_cache *dns_cache_create(unsigned max)
{
    struct dns_cache *cache;

    if ((cache = calloc(1, sizeof(*cache))) == NULL)
	return NULL;
    cache->max = max;
    cache->nbuckets = max > 16 ? max : 16;
    if ((cache->buckets = calloc(cache->nbuckets, sizeof(*cache->buckets))) == NULL) {
	free(cache);
	return NULL;
    }
    pthread_mutex_init(&cache->lock, NULL);
    return cache;
}

/* dns_cache_unlink - take an entry out of the hash and the list, free it */

static void dns_cache_unlink(struct dns_cache *cache, struct dns_cache_entry *e)
{
    struct dns_cache_entry **pp;

    pp = &cache->buckets[dns_cache_hash(e->name, e->type, cache->nbuckets)];
    while (*pp != e)
	pp = &(*pp)->hnext;
    *pp = e->hnext;
    if (e->prev)
	e->prev->next = e->next;
    else
	cache->head = e->next;
    if (e->next)
	e->next->prev = e->prev;
    else
	cache->tail = e->prev;
    cache->count--;
    dns_answer_free(e->answer);
    free(e->name);
    free(e);
}

/* dns_cache_touch - move an entry to the front of the LRU list */

static void dns_cache_touch(struct dns_cache *cache, struct dns_cache_entry *e)
{
    if (cache->head == e)
	return;
    e->prev->next = e->next;
    if (e->next)
	e->next->prev = e->prev;
    else
	cache->tail = e->prev;
    e->prev = NULL;
    e->next = cache->head;
    cache->head->prev = e;
    cache->head = e;
}

/* dns_cache_find - entry for (name, type), expired ones dropped */

static struct dns_cache_entry *dns_cache_find(struct dns_cache *cache, const char *name,
					              uint16_t type, uint64_t now)
{
    struct dns_cache_entry *e;

    e = cache->buckets[dns_cache_hash(name, type, cache->nbuckets)];
    for (; e; e = e->hnext) {
	if (e->type == type && strcmp(e->name, name) == 0) {
	    if (e->expires <= now) {
		dns_cache_unlink(cache, e);
		return NULL;
	    }
	    return e;
	}
    }
    return NULL;
}

/* dns_cache_get - a live answer, or NULL */

struct dns_answer *dns_cache_get(struct dns_cache *cache, const char *name, uint16_t type)
{
    struct dns_cache_entry *e;
    struct dns_answer *answer = NULL;

    if (cache == NULL || cache->max == 0)
	return NULL;
    pthread_mutex_lock(&cache->lock);
    if ((e = dns_cache_find(cache, name, type, dns_now_ms())) != NULL) {
	dns_cache_touch(cache, e);
	answer = dns_answer_ref(e->answer);
	cache->hits++;
    } else {
	cache->misses++;
    }
    pthread_mutex_unlock(&cache->lock);
    return answer;
}

/* dns_cache_has - is a live answer there (no counting, no LRU touch) */

int dns_cache_has(struct dns_cache *cache, const char *name, uint16_t type)
{
    int found;

    if (cache == NULL || cache->max == 0)
	return 0;
    pthread_mutex_lock(&cache->lock);
    found = dns_cache_find(cache, name, type, dns_now_ms()) != NULL;
    pthread_mutex_unlock(&cache->lock);
    return found;
}

/* dns_cache_put - remember an answer for its TTL */

void dns_cache_put(struct dns_cache *cache, const char *name, uint16_t type,
		           struct dns_answer *answer)
{
    struct dns_cache_entry *e;
    uint64_t now;
    size_t h;

    if (cache == NULL || cache->max == 0 || answer->ttl == 0)
	return;
    if ((e = calloc(1, sizeof(*e))) == NULL || (e->name = str_dup(name)) == NULL) {
	free(e);
	return;					/* not caching is fine */
    }
    now = dns_now_ms();
    e->type = type;
    e->expires = now + (uint64_t) answer->ttl * 1000;
    e->answer = dns_answer_ref(answer);
    pthread_mutex_lock(&cache->lock);
    {
	struct dns_cache_entry *old = dns_cache_find(cache, name, type, now);

	if (old)
	    dns_cache_unlink(cache, old);
    }
    while (cache->count >= cache->max && cache->tail)
	dns_cache_unlink(cache, cache->tail);
    h = dns_cache_hash(name, type, cache->nbuckets);
    e->hnext = cache->buckets[h];
    cache->buckets[h] = e;
    e->next = cache->head;
    if (cache->head)
	cache->head->prev = e;
    cache->head = e;
    if (cache->tail == NULL)
	cache->tail = e;
    cache->count++;
    pthread_mutex_unlock(&cache->lock);
}

/* dns_cache_stats - hit and miss counters */

void dns_cache_stats(struct dns_cache *cache, unsigned long *hits, unsigned long *misses)
{
    pthread_mutex_lock(&cache->lock);
    *hits = cache->hits;
    *misses = cache->misses;
    pthread_mutex_unlock(&cache->lock);
}

/* dns_cache_destroy - release the cache */

void dns_cache_destroy(struct dns_cache *cache)
{
    if (cache == NULL)
	return;
    while (cache->head)
	dns_cache_unlink(cache, cache->head);
    pthread_mutex_destroy(&cache->lock);
    free(cache->buckets);
    free(cache);
}
