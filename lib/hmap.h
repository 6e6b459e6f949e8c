/*++
 * NAME
 *	hmap 3h
 * SUMMARY
 *	hash map from byte-string keys to pointers
 *--*/
#ifndef PD_HMAP_H
#define PD_HMAP_H

#include <stddef.h>

struct hmap_entry {
    struct hmap_entry *next;
    size_t klen;
    void *value;
    char key[];				/* klen bytes and a NUL */
};

struct hmap {
    struct hmap_entry **buckets;
    size_t nbuckets;
    size_t count;
    struct hmap_entry **order;		/* insertion order */
    size_t ncap;
};

int hmap_init(struct hmap *, size_t);
void **hmap_slot(struct hmap *, const void *, size_t, int *);
void *hmap_get(const struct hmap *, const void *, size_t);
void hmap_free(struct hmap *, void (*) (void *));

#define hmap_count(h)		((h)->count)
#define hmap_at(h, i)		((h)->order[i])

#endif
