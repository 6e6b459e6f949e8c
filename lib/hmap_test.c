/* hmap_test - the hash map */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "tap.h"

int main(void)
{
    struct hmap m;
    char key[32];
    int created, i, good = 1;
    void **slot;

    ok(hmap_init(&m, 4) == 0, "init");
    for (i = 0; i < 10000; i++) {
	snprintf(key, sizeof(key), "k%d", i);
	slot = hmap_slot(&m, key, strlen(key), &created);
	good &= slot != NULL && created;
	*slot = (void *) (long) (i + 1);
    }
    ok(good && hmap_count(&m) == 10000, "10000 keys added, growing");
    slot = hmap_slot(&m, "k42", 3, &created);
    ok(slot && !created && *slot == (void *) 43L, "an existing key is found, not added");
    ok(hmap_get(&m, "k9999", 5) == (void *) 10000L, "get");
    ok(hmap_get(&m, "k10000", 6) == NULL, "absent key");
    ok(hmap_get(&m, "k4", 2) == (void *) 5L && hmap_get(&m, "k4\0x", 4) == NULL,
       "keys are byte strings, NUL included");
    ok(strcmp(hmap_at(&m, 0)->key, "k0") == 0 && strcmp(hmap_at(&m, 9999)->key, "k9999") == 0,
       "insertion order kept");
    hmap_free(&m, NULL);
    ok(1, "freed");
    return tap_done();
}
