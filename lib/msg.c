/*++
 * NAME
 *	msg 3
 * SUMMARY
 *	message header section
 * SYNOPSIS
 *	#include "msg.h"
 *
 *	int	msg_head_parse(data, len, at_eof, head)
 *	void	msg_head_free(head)
 *	int	msg_field_is(field, name)
 *	int	msg_unfold(value, len, out)
 *	const char *msg_strerror(code)
 * DESCRIPTION
 *	msg_head_parse() splits the header section at the start of the
 *	len bytes of data into fields.  It initializes *head itself; the
 *	fields point into data, which must outlive them.  A field is
 *	"name:" (name is printable US-ASCII except colon; white space
 *	between name and colon is accepted, as RFC 5322 4.5.8 and Postfix
 *	do, and left out of name_len) followed by its value and by any
 *	continuation lines, which start with SP or HTAB.  Lines end in LF
 *	or CRLF; 8-bit and NUL bytes are part of the value.
 *
 *	The section ends at the first of:
 * .IP \(bu
 *	an empty line, which is counted in head_len (has_separator = 1);
 * .IP \(bu
 *	a line that is neither a field nor a continuation (a continuation
 *	before any field counts as such a line): it starts the body and is
 *	not counted (has_separator = 0), as in Postfix cleanup(8);
 * .IP \(bu
 *	the end of data, when at_eof is set: the last field's raw then has
 *	no line ending if the data had none.
 * .PP
 *	The raw spans of the fields tile data[0, head_len) exactly, the
 *	separator line aside: data can be rebuilt byte for byte from the
 *	raw fields, the separator and data[head_len, len).
 *
 *	msg_head_parse() returns MSG_OK, or:
 * .IP MSG_INCOMPLETE
 *	at_eof is 0 and the end of the section is not within data: call
 *	again, from the start, with more data.  The answer for a prefix is
 *	final whenever it is not MSG_INCOMPLETE.
 * .IP MSG_TOO_MANY
 *	more than MSG_HEADERS_MAX fields.
 * .IP MSG_TOO_LONG
 *	a field's raw span longer than MSG_HEADER_MAX, or head_len over
 *	MSG_HEAD_MAX; also a line whose first MSG_HEADER_MAX + 1 bytes
 *	could all still begin a field (name characters, then white space,
 *	no colon yet), as any field it begins is too long.  These are reported
 *	as soon as the bytes seen prove them, so a caller reading more on
 *	MSG_INCOMPLETE never holds much more than MSG_HEAD_MAX bytes.
 * .IP MSG_NOMEM
 *	memory ran out.
 * .PP
 *	On any result but MSG_OK, *head is left empty.  After MSG_OK the
 *	caller owns head->v and releases it with msg_head_free(), which
 *	accepts NULL and an empty or zeroed head.
 *
 *	msg_field_is() returns 1 when the field's name is name, ignoring
 *	ASCII case.
 *
 *	msg_unfold() appends value to out with every line break (CRLF or
 *	LF) that is followed by SP or HTAB removed (RFC 5322 2.2.3); it
 *	returns 0, or -1 when out is in error.
 *
 *	msg_strerror() names a result code, for logging.
 * SEE ALSO
 *	msg_addr(3), author domains of a From field.
 *--*/
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "str.h"

/* What one line of the header section is. */
enum {
    MSG_LINE_MORE,			/* cannot tell yet: need more data */
    MSG_LINE_FIELD,			/* "name:" */
    MSG_LINE_CONT,			/* starts with SP or HTAB */
    MSG_LINE_SEP,			/* empty line */
    MSG_LINE_BODY,			/* anything else */
    MSG_LINE_END,			/* no data left, at end of file */
    MSG_LINE_LONG			/* name alone past MSG_HEADER_MAX */
};

/* No field line is longer than this; a longer line need not be seen whole. */
#define MSG_LINE_SCAN	((size_t) MSG_HEADER_MAX + 1)

/* RFC 5322 3.6.8 ftext: printable US-ASCII except colon. */
#define MSG_IS_FTEXT(c)	((c) >= 33 && (c) <= 126 && (c) != ':')

/* msg_line_kind - classify n bytes of a line (known: the line is whole) */

static int msg_line_kind(const char *p, size_t n, int known, size_t *colon)
{
    size_t i, name_end = 0;
    int space = 0;

    if (n == 0)
	return known ? MSG_LINE_END : MSG_LINE_MORE;
    if (p[0] == '\n' || (p[0] == '\r' && n >= 2 && p[1] == '\n'))
	return MSG_LINE_SEP;
    if (p[0] == '\r' && n == 1 && !known)
	return MSG_LINE_MORE;
    if (STR_IS_WSP(p[0]))
	return MSG_LINE_CONT;
    for (i = 0; i < n && i <= MSG_HEADER_MAX; i++) {
	unsigned char c = (unsigned char) p[i];

	if (c == ':') {
	    *colon = i;
	    return name_end > 0 ? MSG_LINE_FIELD : MSG_LINE_BODY;
	}
	if (STR_IS_WSP(c)) {
	    space = 1;
	    continue;
	}
	if (space || !MSG_IS_FTEXT(c))
	    return MSG_LINE_BODY;
	name_end = i + 1;
    }
    if (i > MSG_HEADER_MAX)
	return MSG_LINE_LONG;
    return known ? MSG_LINE_BODY : MSG_LINE_MORE;
}

/* msg_field_open - start a field at a "name:" line */

static int msg_field_open(struct msg_head *head, size_t *cap,
			          const char *line, size_t colon)
{
    struct msg_field *f;
    size_t name_len = colon;

    if (head->n >= MSG_HEADERS_MAX)
	return MSG_TOO_MANY;
    if (head->n >= *cap) {
	size_t ncap = *cap ? *cap * 2 : 32;

	if (ncap > MSG_HEADERS_MAX)
	    ncap = MSG_HEADERS_MAX;
	if ((f = realloc(head->v, ncap * sizeof(*f))) == NULL)
	    return MSG_NOMEM;
	head->v = f;
	*cap = ncap;
    }
    while (name_len > 0 && STR_IS_WSP(line[name_len - 1]))
	name_len--;
    f = head->v + head->n++;
    f->name = f->raw = line;
    f->name_len = name_len;
    f->value = line + colon + 1;
    f->raw_len = f->value_len = 0;
    return MSG_OK;
}

/* msg_field_close - the last field ends at end */

static void msg_field_close(struct msg_head *head, const char *end)
{
    struct msg_field *f = head->v + head->n - 1;
    size_t len = (size_t) (end - f->value);

    f->raw_len = (size_t) (end - f->raw);
    if (len > 0 && f->value[len - 1] == '\n') {
	len--;
	if (len > 0 && f->value[len - 1] == '\r')
	    len--;
    }
    f->value_len = len;
}

/* msg_line_end - length of the line at p, and whether it is whole */

static size_t msg_line_end(const char *p, size_t rest, int at_eof, int *known)
{
    size_t scan = rest < MSG_LINE_SCAN ? rest : MSG_LINE_SCAN;
    const char *eol = memchr(p, '\n', scan);

    *known = eol != NULL || (at_eof && scan == rest);
    return eol ? (size_t) (eol - p) + 1 : scan;
}

/* msg_head_parse - split the header section into fields */

int msg_head_parse(const char *data, size_t len, int at_eof, struct msg_head *head)
{
    size_t pos = 0, start = 0, cap = 0, colon = 0, n;
    int kind, known, ret;

    memset(head, 0, sizeof(*head));
    for (;;) {
	n = msg_line_end(data + pos, len - pos, at_eof, &known);
	if (pos == 0)
	    head->crlf = n >= 2 && data[n - 1] == '\n' && data[n - 2] == '\r';
	kind = msg_line_kind(data + pos, n, known, &colon);
	if (kind == MSG_LINE_CONT && head->n == 0)
	    kind = MSG_LINE_BODY;
	switch (kind) {
	case MSG_LINE_MORE:
	    ret = MSG_INCOMPLETE;
	    goto fail;
	case MSG_LINE_LONG:
	    ret = MSG_TOO_LONG;
	    goto fail;
	case MSG_LINE_FIELD:
	    if (head->n > 0)
		msg_field_close(head, data + pos);
	    if ((ret = msg_field_open(head, &cap, data + pos, colon)) != MSG_OK)
		goto fail;
	    start = pos;
	    /* FALLTHROUGH */
	case MSG_LINE_CONT:
	    if (pos + n - start > MSG_HEADER_MAX || pos + n > MSG_HEAD_MAX) {
		ret = MSG_TOO_LONG;
		goto fail;
	    }
	    if (!known) {
		ret = MSG_INCOMPLETE;
		goto fail;
	    }
	    pos += n;
	    break;
	default:				/* SEP, BODY, END */
	    if (head->n > 0)
		msg_field_close(head, data + pos);
	    if (kind == MSG_LINE_SEP) {
		pos += n;
		head->has_separator = 1;
	    }
	    if (pos > MSG_HEAD_MAX) {
		ret = MSG_TOO_LONG;
		goto fail;
	    }
	    head->head_len = pos;
	    return MSG_OK;
	}
    }

fail:
    msg_head_free(head);
    return ret;
}

/* msg_head_free - release the field vector */

void msg_head_free(struct msg_head *head)
{
    if (head == NULL)
	return;
    free(head->v);
    memset(head, 0, sizeof(*head));
}

/* msg_field_is - case-insensitive field name match */

int msg_field_is(const struct msg_field *f, const char *name)
{
    return str_neq_ci(f->name, f->name_len, name);
}

/* msg_unfold - drop line breaks that precede WSP */

int msg_unfold(const char *value, size_t len, struct buf *out)
{
    size_t i, k, start = 0;

    if (len == 0)
	return buf_error(out) ? -1 : 0;
    for (i = 0; i < len; i++) {
	if (value[i] == '\n')
	    k = 1;
	else if (value[i] == '\r' && i + 1 < len && value[i + 1] == '\n')
	    k = 2;
	else
	    continue;
	if (i + k < len && STR_IS_WSP(value[i + k])) {
	    buf_add(out, value + start, i - start);
	    start = i + k;
	}
	i += k - 1;
    }
    buf_add(out, value + start, len - start);
    return buf_error(out) ? -1 : 0;
}

/* msg_strerror - name a result code */

const char *msg_strerror(int code)
{
    switch (code) {
    case MSG_OK:
	return "ok";
    case MSG_INCOMPLETE:
	return "header section incomplete";
    case MSG_TOO_MANY:
	return "too many header fields";
    case MSG_TOO_LONG:
	return "header field or section too long";
    case MSG_BAD:
	return "syntax error";
    case MSG_NOMEM:
	return "out of memory";
    default:
	return "unknown error";
    }
}
