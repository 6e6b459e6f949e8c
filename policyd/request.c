/*++
 * NAME
 *	request 3
 * SUMMARY
 *	Postfix policy delegation protocol: requests in
 * SYNOPSIS
 *	#include "request.h"
 *
 *	void	req_reader_init(rd)
 *	void	req_reader_free(rd)
 *	int	req_reader_feed(rd, data, len, used)
 *	void	req_reader_next(rd)
 *	int	req_reader_partial(rd)
 *	const char *req_get(req, name)
 * DESCRIPTION
 *	A request is a sequence of "name=value" lines ended by an empty
 *	line (SMTPD_POLICY_README).  The reader is incremental: feed it
 *	whatever the socket gave, in pieces of any size.
 *
 *	req_reader_feed() consumes bytes until a request is complete
 *	(REQ_READY: rd->req holds it, *used says how many bytes were
 *	taken, the rest belongs to the next request), the data runs out
 *	(REQ_MORE) or the input is bad (REQ_ERROR: rd->error says why; the
 *	connection should be closed).  Bad input: a line without "=", an
 *	empty name, a NUL or other control byte, a line longer than
 *	POLICY_LINE_MAX (its CR and LF included), a request longer than
 *	POLICY_REQUEST_MAX (its lines counted with one byte for the line
 *	end, the empty line that ends it not counted) or with more than
 *	POLICY_ATTRS_MAX attributes.  Both LF and CRLF end lines.
 *
 *	After REQ_READY, req_reader_next() makes room for the next one.
 *	req_reader_partial() says whether a request was begun but not
 *	finished (EOF then is an error worth logging).
 *
 *	req_get() returns the value of an attribute (the first, when one
 *	is repeated), or NULL.
 *--*/
#include <string.h>

#include "request.h"
#include "str.h"

/* req_reader_init - empty reader */

void req_reader_init(struct req_reader *rd)
{
    buf_init(&rd->line, POLICY_LINE_MAX - 1);	/* the LF is not stored */
    buf_init(&rd->req.text, POLICY_REQUEST_MAX);
    rd->req.n = 0;
    rd->state = REQ_MORE;
    rd->error[0] = 0;
}

/* req_reader_free - release a reader */

void req_reader_free(struct req_reader *rd)
{
    buf_free(&rd->line);
    buf_free(&rd->req.text);
}

/* req_reader_next - forget the request just handled */

void req_reader_next(struct req_reader *rd)
{
    buf_reset(&rd->line);
    buf_reset(&rd->req.text);
    rd->req.n = 0;
    rd->state = REQ_MORE;
}

/* req_reader_partial - is a request half read */

int req_reader_partial(const struct req_reader *rd)
{
    return rd->req.n > 0 || buf_len(&rd->line) > 0;
}

/* req_fail - stop with a reason */

static int req_fail(struct req_reader *rd, const char *why)
{
    if (str_copy(rd->error, why, sizeof(rd->error)) < 0) {
	/* a shortened reason is still a reason */
    }
    rd->state = REQ_ERROR;
    return REQ_ERROR;
}

/* req_line - one complete line (no terminator) into the request */

static int req_line(struct req_reader *rd)
{
    const char *line = buf_str(&rd->line);
    size_t len = buf_len(&rd->line);
    const char *eq;
    size_t i;

    if (len > 0 && line[len - 1] == '\r')
	len--;
    if (len == 0)
	return rd->req.n ? REQ_READY : REQ_MORE;	/* stray empty line: ignore */
    for (i = 0; i < len; i++)
	if ((unsigned char) line[i] < ' ' && line[i] != '\t')
	    return req_fail(rd, "control character in request");
    if ((eq = memchr(line, '=', len)) == NULL)
	return req_fail(rd, "line without \"=\"");
    if (eq == line)
	return req_fail(rd, "empty attribute name");
    if (rd->req.n >= POLICY_ATTRS_MAX)
	return req_fail(rd, "too many attributes");
    /* Store "name\0value\0"; pointers are fixed once the request ends. */
    if (buf_add(&rd->req.text, line, (size_t) (eq - line)) < 0
	|| buf_addch(&rd->req.text, 0) < 0
	|| buf_add(&rd->req.text, eq + 1, len - (size_t) (eq - line) - 1) < 0
	|| buf_addch(&rd->req.text, 0) < 0)
	return req_fail(rd, "request too long");
    rd->req.n++;
    return REQ_MORE;
}

/* req_index - point the attributes into the finished text */

static void req_index(struct req *req)
{
    const char *p = buf_str(&req->text);
    size_t i;

    for (i = 0; i < req->n; i++) {
	req->a[i].name = p;
	p += strlen(p) + 1;
	req->a[i].value = p;
	p += strlen(p) + 1;
    }
}

/* req_reader_feed - consume input until a request is complete */

int req_reader_feed(struct req_reader *rd, const char *data, size_t len, size_t *used)
{
    size_t i = 0;
    int ret;

    *used = 0;
    if (rd->state == REQ_ERROR)
	return REQ_ERROR;
    while (i < len) {
	const char *nl = memchr(data + i, '\n', len - i);
	size_t take = nl ? (size_t) (nl - (data + i)) : len - i;

	if (memchr(data + i, 0, take) != NULL) {
	    *used = i;
	    return req_fail(rd, "NUL byte in request");
	}
	if (buf_add(&rd->line, data + i, take) < 0) {
	    *used = i;
	    return req_fail(rd, "line too long");
	}
	i += take;
	if (nl == NULL)
	    break;
	i++;					/* the newline */
	ret = req_line(rd);
	buf_reset(&rd->line);
	if (ret == REQ_ERROR) {
	    *used = i;
	    return REQ_ERROR;
	}
	if (ret == REQ_READY) {
	    req_index(&rd->req);
	    *used = i;
	    return rd->state = REQ_READY;
	}
    }
    *used = i;
    return REQ_MORE;
}

/* req_get - value of an attribute */

const char *req_get(const struct req *req, const char *name)
{
    size_t i;

    for (i = 0; i < req->n; i++)
	if (strcmp(req->a[i].name, name) == 0)
	    return req->a[i].value;
    return NULL;
}
