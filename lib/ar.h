/*++
 * NAME
 *	ar 3h
 * SUMMARY
 *	Authentication-Results header fields (RFC 8601)
 * SYNOPSIS
 *	#include "ar.h"
 * DESCRIPTION
 *	Writing: a bounded builder for the field we add, with every value
 *	from the message or DNS escaped (ar_value() is shared with the other
 *	header fields we write).  Reading: the authserv-id of an existing
 *	field, so that forged copies of ours can be removed (RFC 8601
 *	section 5).
 *--*/
#ifndef PD_AR_H
#define PD_AR_H

#include <stddef.h>

#include "buf.h"
#include "compat.h"
#include "limits.h"

/* ar_value_as() forms; one of these, optionally or-ed with AR_UTF8. */
#define AR_FORM_PVALUE	0	/* RFC 8601 pvalue: token, [local]@domain, quoted */
#define AR_FORM_TOKEN	1	/* RFC 2045 value: token or quoted-string */
#define AR_FORM_ATOM	2	/* RFC 7208 key=value: dot-atom or quoted-string */
#define AR_FORM_QUOTED	3	/* always a quoted-string */
#define AR_FORM_MASK	0x0f
#define AR_UTF8		0x10	/* keep valid UTF-8 in quoted strings (RFC 6532) */

#define AR_LINE_MAX	78	/* RFC 5322 2.1.1: fold longer lines where possible */

/* The builder.  Members are private: use the functions and macros. */
struct ar {
    struct buf body;			/* chunks separated by fold points */
    size_t chunks;			/* fold points in body */
    size_t results;			/* resinfo elements in body */
    size_t dropped;			/* results removed by a failure */
    size_t open_len;			/* body length before the open resinfo */
    size_t open_chunks;			/* chunks before the open resinfo */
    int state;				/* what may be added next */
    int flags;				/* AR_UTF8 or 0 */
};

int ar_init(struct ar *, const char *) PD_WUR;
void ar_utf8(struct ar *, int);
int ar_add_result(struct ar *, const char *, const char *);
int ar_add_reason(struct ar *, const char *);
int ar_add_prop(struct ar *, const char *, const char *, const char *);
int ar_add_propn(struct ar *, const char *, const char *, const char *, size_t);
int ar_add_comment(struct ar *, const char *);
int ar_finish(const struct ar *, int, struct buf *) PD_WUR;
void ar_free(struct ar *);

#define ar_results(a)	((a)->results)
#define ar_dropped(a)	((a)->dropped)

int ar_value(struct buf *, const char *, size_t);
int ar_value_as(struct buf *, const char *, size_t, int);
int ar_comment(struct buf *, const char *, int);

int ar_authserv_id(const char *, size_t, char *, size_t) PD_WUR;
int ar_is_ours(const char *, size_t, const char *);

#endif
