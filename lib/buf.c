/*++
 * NAME
 *	buf 3
 * SUMMARY
 *	growing byte buffer with a hard maximum
 * SYNOPSIS
 *	#include "buf.h"
 *
 *	void	buf_init(b, max)
 *	int	buf_add(b, data, len)
 *	int	buf_addstr(b, str)
 *	int	buf_addch(b, ch)
 *	int	buf_printf(b, fmt, ...)
 *	int	buf_reserve(b, len)
 *	void	buf_truncate(b, len)
 *	void	buf_reset(b)
 *	const char *buf_str(b)
 *	char	*buf_steal(b)
 *	void	buf_free(b)
 * DESCRIPTION
 *	buf_init() makes an empty buffer that may hold up to max bytes;
 *	max is at most BUF_MAX_ANY.
 *
 *	buf_add(), buf_addstr(), buf_addch() and buf_printf() append.  They
 *	return 0, or -1 with b->err set to E2BIG (the maximum would be
 *	passed) or ENOMEM; the buffer keeps what it had before the call.
 *
 *	buf_reserve() makes room for len more bytes without appending.
 *
 *	buf_truncate() shortens the content to len bytes (no-op if longer).
 *	buf_reset() empties the buffer and clears the error; the memory is
 *	kept for reuse.
 *
 *	buf_str() returns the NUL-terminated content ("" when empty); the
 *	pointer is valid until the next change to the buffer.
 *
 *	buf_steal() returns the content as a malloc()ed string that the
 *	caller owns and must free(), and leaves the buffer empty; NULL if
 *	the buffer is in error or memory runs out.
 *
 *	buf_free() releases the memory; the buffer may be reused after
 *	buf_init().  It accepts a buffer that was never appended to.
 *--*/
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* buf_init - make an empty buffer bounded by max */

void buf_init(struct buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max > BUF_MAX_ANY ? BUF_MAX_ANY : max;
    b->err = 0;
}

/* buf_reserve - make room for n more bytes and the terminator */

int buf_reserve(struct buf *b, size_t n)
{
    size_t need, cap;
    char *p;

    if (b->err)
	return -1;
    if (n > b->max || b->len > b->max - n) {
	b->err = E2BIG;
	return -1;
    }
    need = b->len + n + 1;
    if (need <= b->cap)
	return 0;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
	cap = cap > b->max / 2 + 1 ? b->max + 1 : cap * 2;
    if ((p = realloc(b->data, cap)) == NULL) {
	b->err = ENOMEM;
	return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

/* buf_add - append n bytes */

int buf_add(struct buf *b, const void *data, size_t n)
{
    if (buf_reserve(b, n) < 0)
	return -1;
    if (n)
	memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}

/* buf_addstr - append a NUL-terminated string */

int buf_addstr(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

/* buf_addch - append one byte */

int buf_addch(struct buf *b, int ch)
{
    char c = (char) ch;

    return buf_add(b, &c, 1);
}

/* buf_vprintf - append formatted text */

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list aq;
    int n;

    if (b->err)
	return -1;
    va_copy(aq, ap);
    n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    if (n < 0) {
	b->err = EINVAL;
	return -1;
    }
    if (buf_reserve(b, (size_t) n) < 0)
	return -1;
    vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
    b->len += (size_t) n;
    return 0;
}

/* buf_printf - append formatted text */

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int ret;

    va_start(ap, fmt);
    ret = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return ret;
}

/* buf_truncate - shorten the content */

void buf_truncate(struct buf *b, size_t len)
{
    if (len < b->len) {
	b->len = len;
	b->data[len] = 0;
    }
}

/* buf_reset - empty the buffer, keep its memory */

void buf_reset(struct buf *b)
{
    b->len = 0;
    b->err = 0;
    if (b->data)
	b->data[0] = 0;
}

/* buf_str - the content as a C string */

const char *buf_str(const struct buf *b)
{
    return b->data ? b->data : "";
}

/* buf_steal - hand the content over to the caller */

char *buf_steal(struct buf *b)
{
    char *p;

    if (b->err)
	return NULL;
    if (b->data == NULL && buf_reserve(b, 0) < 0)
	return NULL;
    p = b->data;
    p[b->len] = 0;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

/* buf_free - release the memory */

void buf_free(struct buf *b)
{
    if (b == NULL)
	return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->err = 0;
}
