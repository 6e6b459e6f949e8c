/*++
 * NAME
 *	hmap 3
 * SUMMARY
 *	hash map from byte-string keys to pointers
 * SYNOPSIS
 *	#include "hmap.h"
 *
 *	int	hmap_init(map, size_hint)
 *	void	**hmap_slot(map, key, klen, created)
 *	void	*hmap_get(map, key, klen)
 *	void	hmap_free(map, free_value)
 *	size_t	hmap_count(map)
 *	struct hmap_entry *hmap_at(map, i)
 * DESCRIPTION
 *	Keys are copied; values are the caller's.  hmap_slot() returns the
 *	value slot of key, adding the key (with a NULL value, *created set
 *	to 1) when it is new; NULL when memory runs out.  hmap_at() walks
 *	the entries in insertion order, so output built from a map does not
 *	depend on hashing.  hmap_free() calls free_value (if not NULL) on
 *	every value.  The table doubles as it fills.
 *--*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"

/* hmap_hash - FNV-1a */

static size_t hmap_hash(const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t h = 1469598103934665603ULL;

    while (len--) {
	h ^= *p++;
	h *= 1099511628211ULL;
    }
    return (size_t) (h ^ (h >> 32));
}

/* hmap_init - empty map */

int hmap_init(struct hmap *map, size_t hint)
{
    memset(map, 0, sizeof(*map));
    map->nbuckets = 16;
    while (map->nbuckets < hint)
	map->nbuckets *= 2;
    map->buckets = calloc(map->nbuckets, sizeof(*map->buckets));
    return map->buckets ? 0 : -1;
}

/* hmap_grow - double the buckets */

static int hmap_grow(struct hmap *map)
{
    size_t n = map->nbuckets * 2, i;
    struct hmap_entry **b = calloc(n, sizeof(*b));

    if (b == NULL)
	return -1;
    for (i = 0; i < map->count; i++) {
	struct hmap_entry *e = map->order[i];
	size_t h = hmap_hash(e->key, e->klen) & (n - 1);

	e->next = b[h];
	b[h] = e;
    }
    free(map->buckets);
    map->buckets = b;
    map->nbuckets = n;
    return 0;
}

/* hmap_find - the entry of a key whose hash is h */

static struct hmap_entry *hmap_find(const struct hmap *map, size_t h, const void *key,
				            size_t klen)
{
    struct hmap_entry *e = map->buckets[h & (map->nbuckets - 1)];

    for (; e; e = e->next)
	if (e->klen == klen && memcmp(e->key, key, klen) == 0)
	    return e;
    return NULL;
}

/* hmap_get - value of a key, or NULL */

void *hmap_get(const struct hmap *map, const void *key, size_t klen)
{
    struct hmap_entry *e = hmap_find(map, hmap_hash(key, klen), key, klen);

    return e ? e->value : NULL;
}

/* hmap_slot - value slot of a key, added when new */

void **hmap_slot(struct hmap *map, const void *key, size_t klen, int *created)
{
    size_t h = hmap_hash(key, klen);
    struct hmap_entry *e;

    *created = 0;
    if ((e = hmap_find(map, h, key, klen)) != NULL)
	return &e->value;
    if (map->count >= map->nbuckets && hmap_grow(map) < 0)
	return NULL;
    if (map->count == map->ncap) {
	size_t cap = map->ncap ? map->ncap * 2 : 16;
	struct hmap_entry **o = realloc(map->order, cap * sizeof(*o));

	if (o == NULL)
	    return NULL;
	map->order = o;
	map->ncap = cap;
    }
    if ((e = malloc(sizeof(*e) + klen + 1)) == NULL)
	return NULL;
    e->klen = klen;
    e->value = NULL;
    memcpy(e->key, key, klen);
    e->key[klen] = 0;
    h &= map->nbuckets - 1;			/* after any growth */
    e->next = map->buckets[h];
    map->buckets[h] = e;
    map->order[map->count++] = e;
    *created = 1;
    return &e->value;
}

/* hmap_free - release the map and, optionally, its values */

void hmap_free(struct hmap *map, void (*free_value) (void *))
{
    size_t i;

    for (i = 0; i < map->count; i++) {
	if (free_value)
	    free_value(map->order[i]->value);
	free(map->order[i]);
    }
    free(map->order);
    free(map->buckets);
    memset(map, 0, sizeof(*map));
}
