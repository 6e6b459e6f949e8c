/*++
 * NAME
 *	msg 3h
 * SUMMARY
 *	message header section, From field and author domains
 * SYNOPSIS
 *	#include "msg.h"
 *--*/
#ifndef PD_MSG_H
#define PD_MSG_H

#include <stddef.h>

#include "buf.h"
#include "limits.h"

/* Results of msg_head_parse() and msg_from_domains(). */
enum {
    MSG_OK = 0,
    MSG_INCOMPLETE,			/* need more data (head_parse only) */
    MSG_TOO_MANY,			/* more than MSG_HEADERS_MAX fields */
    MSG_TOO_LONG,			/* a field or the section too long */
    MSG_BAD,				/* syntax (from_domains only) */
    MSG_NOMEM
};

/* One header field; every pointer points into the caller's buffer. */
struct msg_field {
    const char *name;			/* field name, no colon, no WSP */
    size_t name_len;
    const char *raw;			/* whole field with its line ending */
    size_t raw_len;
    const char *value;			/* after the colon, still folded */
    size_t value_len;			/* final line ending excluded */
};

/* The header section of one message. */
struct msg_head {
    size_t n;				/* fields, in message order */
    struct msg_field *v;
    size_t head_len;			/* bytes, empty separator line included */
    int has_separator;			/* an empty line ended the section */
    int crlf;				/* the first line ended in CRLF */
};

/* The author domains of one or more From fields. */
struct msg_authors {
    size_t n;				/* distinct domains kept */
    size_t seen;			/* mailboxes seen, all of them */
    size_t literals;			/* of those, with a [domain-literal] */
    char domain[MSG_AUTHORS_MAX][DNS_NAME_MAX + 1];	/* lower-case A-labels */
};

int msg_head_parse(const char *, size_t, int, struct msg_head *);
void msg_head_free(struct msg_head *);
int msg_field_is(const struct msg_field *, const char *);
int msg_unfold(const char *, size_t, struct buf *);
const char *msg_strerror(int);

int msg_from_domains(const char *, size_t, struct msg_authors *);
int msg_domain_normalize(const char *, size_t, char *, size_t);
int msg_is_dot_atom(const char *, size_t);

#endif
