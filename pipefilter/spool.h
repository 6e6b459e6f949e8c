/*++
 * NAME
 *	spool 3h
 * SUMMARY
 *	the message being filtered, in memory or spilled to a file
 *--*/
#ifndef PD_SPOOL_H
#define PD_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct spool {
    struct buf mem;			/* the first bytes */
    int fd;				/* the rest, or -1 */
    uint64_t size;			/* all bytes */
    char error[128];
};

int spool_read(struct spool *, int, size_t, uint64_t, const char *);
long spool_get(struct spool *, uint64_t, char *, size_t);
void spool_free(struct spool *);

#endif
