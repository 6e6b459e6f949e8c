/*++
 * NAME
 *	buf 3h
 * SUMMARY
 *	growing byte buffer with a hard maximum
 * SYNOPSIS
 *	#include "buf.h"
 * DESCRIPTION
 *	The one string type for everything built from input.  A buffer
 *	grows on demand up to the maximum given to buf_init(); an append
 *	that would pass it fails and leaves the buffer unchanged.  Errors
 *	are sticky: after one failed append every later one fails too, so
 *	a sequence of appends can be checked once, at the end, with
 *	buf_error().  The content is always NUL-terminated (the NUL is not
 *	counted in len and does not count against the maximum).
 *--*/
#ifndef PD_BUF_H
#define PD_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "compat.h"

struct buf {
    char *data;			/* NULL until the first append */
    size_t len;			/* bytes used, NUL excluded */
    size_t cap;			/* bytes allocated */
    size_t max;			/* hard limit on len */
    int err;			/* 0, E2BIG or ENOMEM: sticky */
};

#define BUF_INIT(m)	{ NULL, 0, 0, (m), 0 }
#define BUF_MAX_ANY	((size_t) -1 / 4)	/* the largest maximum allowed */

void buf_init(struct buf *, size_t max);
int buf_add(struct buf *, const void *, size_t);
int buf_addstr(struct buf *, const char *);
int buf_addch(struct buf *, int);
int buf_printf(struct buf *, const char *, ...) PD_PRINTF(2, 3);
int buf_vprintf(struct buf *, const char *, va_list) PD_PRINTF(2, 0);
int buf_reserve(struct buf *, size_t);
void buf_truncate(struct buf *, size_t);
void buf_reset(struct buf *);
const char *buf_str(const struct buf *);
char *buf_steal(struct buf *);
void buf_free(struct buf *);

#define buf_len(b)	((b)->len)
#define buf_error(b)	((b)->err)

#endif
