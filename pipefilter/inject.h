/*++
 * NAME
 *	inject 3h
 * SUMMARY
 *	reinjection through sendmail, never through a shell
 *--*/
#ifndef PD_INJECT_H
#define PD_INJECT_H

#include <stddef.h>
#include <stdint.h>

#include "spool.h"

/* What goes to sendmail: new header fields, then pieces of the spool. */
struct inject_piece {
    const char *data;			/* bytes of our own, or NULL: */
    uint64_t off, len;			/* a span of the spool */
};

int inject_run(char *const *, size_t, const char *, char *const *, size_t,
	               const struct inject_piece *, size_t, struct spool *, int,
	               void (*)(void *), void *, char *, size_t);
int inject_gone(int);

#endif
