/* request_test - the policy request reader: every case fed whole and in
 * pieces of every size, CRLF, each limit hit exactly and passed by one,
 * every error, the rest of a read kept for the next request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "compat.h"
#include "limits.h"
#include "request.h"
#include "tap.h"

#define IN(s)	(s), sizeof(s) - 1

 /*
  * What a run gives, as text: each request as "[name=value|...]", then
  * "." (clean end), "+" (a request begun) or "!reason" (REQ_ERROR).
  */

/* show_req - one finished request */

static void show_req(struct buf *out, const struct req *req)
{
    size_t i;

    buf_addch(out, '[');
    for (i = 0; i < req->n; i++)
	buf_printf(out, "%s%s=%s", i ? "|" : "", req->a[i].name, req->a[i].value);
    buf_addch(out, ']');
}

/* run - feed len bytes in pieces of size piece (0: all at once) */

static void run(const char *in, size_t len, size_t piece, struct buf *out)
{
    struct req_reader rd;
    size_t off = 0, end, used;
    int r = REQ_MORE;

    buf_reset(out);
    req_reader_init(&rd);
    while (off < len && r != REQ_ERROR) {
	end = piece && len - off > piece ? off + piece : len;
	while (off < end) {
	    r = req_reader_feed(&rd, in + off, end - off, &used);
	    off += used;
	    if (r == REQ_ERROR) {
		buf_printf(out, "!%s", rd.error);
		break;
	    }
	    if (r == REQ_MORE) {
		if (off != end)
		    buf_printf(out, "<REQ_MORE left %zu bytes>", end - off);
		break;
	    }
	    show_req(out, &rd.req);
	    req_reader_next(&rd);
	}
    }
    if (r != REQ_ERROR)
	buf_addch(out, req_reader_partial(&rd) ? '+' : '.');
    req_reader_free(&rd);
}

/* check - the same outcome whole and in pieces of every size */

static void check(const char *name, const char *in, size_t len, const char *want)
{
    struct buf got = BUF_INIT(BUF_MAX_ANY);
    size_t piece;

    run(in, len, 0, &got);
    if (strcmp(buf_str(&got), want) != 0) {
	ok(0, "%s", name);
	diag("whole: got \"%.300s\", want \"%.300s\"", buf_str(&got), want);
	buf_free(&got);
	return;
    }
    for (piece = 1; piece < len; piece++) {
	run(in, len, piece, &got);
	if (strcmp(buf_str(&got), want) != 0)
	    break;
    }
    ok(piece >= len, "%s", name);
    if (piece < len)
	diag("pieces of %zu: got \"%.300s\"", piece, buf_str(&got));
    buf_free(&got);
}

static void test_table(void)
{
    static const struct {
	const char *name;
	const char *in;
	size_t len;
	const char *want;
    } cases[] = {
	{"one request", IN("request=smtpd_access_policy\nsender=a@b.example\n\n"),
	 "[request=smtpd_access_policy|sender=a@b.example]."},
	{"CRLF line ends", IN("request=smtpd_access_policy\r\nsender=a@b.example\r\n\r\n"),
	 "[request=smtpd_access_policy|sender=a@b.example]."},
	{"LF and CRLF mixed", IN("a=1\r\nb=2\n\r\nc=3\n\n"), "[a=1|b=2][c=3]."},
	{"two requests back to back", IN("a=1\n\nb=2\nc=\n\n"), "[a=1][b=2|c=]."},
	{"stray empty lines between requests are ignored", IN("\n\r\n\na=1\n\n\n\nb=2\n\n\n"),
	 "[a=1][b=2]."},
	{"empty value, '=' in the value, tab, 8-bit and DEL",
	 IN("sender=\nx==y=\nname=a\tb\nu=\xc3\xa9\x7f\n\n"),
	 "[sender=|x==y=|name=a\tb|u=\xc3\xa9\x7f]."},
	{"nothing", IN(""), "."},
	{"only empty lines", IN("\n\r\n\n"), "."},
	{"EOF in a line", IN("a=1\nb=2"), "+"},
	{"EOF before the empty line", IN("a=1\nb=2\n"), "+"},
	{"EOF after a CR", IN("a=1\r"), "+"},
	{"a request, then one begun", IN("a=1\n\nb"), "[a=1]+"},
	{"line without '='", IN("a=1\nnonsense\n\n"), "!line without \"=\""},
	{"empty name", IN("a=1\n=x\n\n"), "!empty attribute name"},
	{"empty name, CRLF", IN("=\r\n\r\n"), "!empty attribute name"},
	{"NUL byte in a value", IN("a=1\nsender=a\0b\n\n"), "!NUL byte in request"},
	{"NUL byte in a line begun in an earlier piece", IN("sender=aaaa\0"), "!NUL byte in request"},
	{"control byte", IN("a=\x01\n\n"), "!control character in request"},
	{"escape byte in a name", IN("a\x1b=1\n\n"), "!control character in request"},
	{"lone CR inside a line", IN("a=1\rb=2\n\n"), "!control character in request"},
	{"two CRs before the LF", IN("a=1\r\r\n\n"), "!control character in request"},
	{"a good request before a bad one is still handed out", IN("a=1\n\nbad\n"),
	 "[a=1]!line without \"=\""},
	{"nothing is read after an error", IN("bad\na=1\n\n"), "!line without \"=\""},
    };
    size_t i;

    for (i = 0; i < PD_NELEM(cases); i++)
	check(cases[i].name, cases[i].in, cases[i].len, cases[i].want);
}

/* line - "NAME=" and fill bytes of 'v' up to total bytes with the line end */

static void line(struct buf *b, const char *name, size_t total, const char *end)
{
    size_t fill = total - strlen(name) - 1 - strlen(end);

    buf_printf(b, "%s=", name);
    while (fill-- > 0)
	buf_addch(b, 'v');
    buf_addstr(b, end);
}

/* test_line_limit - POLICY_LINE_MAX counts the whole line, CR and LF too */

static void test_line_limit(void)
{
    static const char *const ends[] = {"\n", "\r\n"};
    struct buf in = BUF_INIT(BUF_MAX_ANY), want = BUF_INIT(BUF_MAX_ANY);
    char name[80];
    size_t e, extra;

    for (e = 0; e < PD_NELEM(ends); e++) {
	for (extra = 0; extra <= 1; extra++) {
	    buf_reset(&in);
	    buf_reset(&want);
	    line(&in, "sender", POLICY_LINE_MAX + extra, ends[e]);
	    buf_addstr(&in, ends[e]);
	    buf_printf(&want, "[%.*s].", (int) (buf_len(&in) - 2 * strlen(ends[e])), buf_str(&in));
	    snprintf(name, sizeof(name), "a line of POLICY_LINE_MAX%s bytes with %s",
		     extra ? " + 1" : "", e ? "CRLF" : "LF");
	    check(name, buf_str(&in), buf_len(&in), extra ? "!line too long" : buf_str(&want));
	}
    }
    buf_free(&in);
    buf_free(&want);
}

/* test_attrs_limit - POLICY_ATTRS_MAX attributes, then one more */

static void test_attrs_limit(void)
{
    struct buf in = BUF_INIT(BUF_MAX_ANY), want = BUF_INIT(BUF_MAX_ANY);
    size_t i, extra;

    for (extra = 0; extra <= 1; extra++) {
	buf_reset(&in);
	buf_reset(&want);
	buf_addch(&want, '[');
	for (i = 0; i < POLICY_ATTRS_MAX + extra; i++) {
	    buf_printf(&in, "a%zu=%zu\r\n", i, i);
	    buf_printf(&want, "%sa%zu=%zu", i ? "|" : "", i, i);
	}
	buf_addstr(&in, "\r\n");
	buf_addstr(&want, "].");
	check(extra ? "POLICY_ATTRS_MAX + 1 attributes" : "POLICY_ATTRS_MAX attributes",
	      buf_str(&in), buf_len(&in), extra ? "!too many attributes" : buf_str(&want));
    }
    buf_free(&in);
    buf_free(&want);
}

/* test_request_limit - POLICY_REQUEST_MAX bytes of lines, then one more;
 * 16 lines (CRLF, the CR not counted) share the limit */

static void test_request_limit(void)
{
    struct buf in = BUF_INIT(BUF_MAX_ANY), want = BUF_INIT(BUF_MAX_ANY);
    size_t i, extra, size = POLICY_REQUEST_MAX / 16;
    char name[16];

    for (extra = 0; extra <= 1; extra++) {
	buf_reset(&in);
	buf_reset(&want);
	buf_addch(&want, '[');
	for (i = 0; i < 16; i++) {
	    size_t start = buf_len(&in);

	    snprintf(name, sizeof(name), "a%02zu", i);
	    line(&in, name, size + (i == 15 ? extra : 0) + 1, "\r\n");
	    buf_printf(&want, "%s%.*s", i ? "|" : "", (int) (buf_len(&in) - start - 2),
		       buf_str(&in) + start);
	}
	buf_addstr(&in, "\r\n");
	buf_addstr(&want, "].");
	check(extra ? "a request one byte over POLICY_REQUEST_MAX" : "a request of POLICY_REQUEST_MAX",
	      buf_str(&in), buf_len(&in), extra ? "!request too long" : buf_str(&want));
    }
    buf_free(&in);
    buf_free(&want);
}

/* test_used - the rest of a read is left for the next request */

static void test_used(void)
{
    static const char two[] = "a=1\n\nb=2\n\n";
    struct req_reader rd;
    size_t used;

    req_reader_init(&rd);
    is_int(req_reader_partial(&rd), 0, "a fresh reader has nothing begun");
    is_int(req_reader_feed(&rd, two, sizeof(two) - 1, &used), REQ_READY, "first request ready");
    is_int(used, 5, "used ends after its empty line");
    is_str(req_get(&rd.req, "a"), "1", "req_get");
    is_int(req_reader_feed(&rd, "c=3\n\n", 5, &used), REQ_READY,
	   "fed again before req_reader_next: the request goes on");
    is_str(req_get(&rd.req, "c"), "3", "and grows");
    req_reader_next(&rd);
    is_int(req_reader_feed(&rd, two + 5, sizeof(two) - 1 - 5, &used), REQ_READY,
	   "the rest gives the second");
    ok(used == sizeof(two) - 1 - 5 && req_get(&rd.req, "a") == NULL,
       "with nothing of the first");
    req_reader_next(&rd);
    is_int(req_reader_feed(&rd, "\n\r\n", 3, &used), REQ_MORE, "empty lines: more");
    ok(used == 3 && !req_reader_partial(&rd), "taken, nothing begun");
    is_int(req_reader_feed(&rd, "x=1\nx=2\ny=\n", 11, &used), REQ_MORE, "lines: more");
    ok(used == 11 && req_reader_partial(&rd), "taken, a request begun");
    is_int(req_reader_feed(&rd, "\nz", 2, &used), REQ_READY, "the empty line ends it");
    is_int(used, 1, "and the byte after it is left");
    is_str(req_get(&rd.req, "x"), "1", "a repeated attribute: req_get gives the first");
    is_str(req_get(&rd.req, "y"), "", "an empty value is \"\"");
    ok(req_get(&rd.req, "z") == NULL && req_get(&rd.req, "X") == NULL,
       "a missing one is NULL; names are case-sensitive");
    req_reader_next(&rd);
    is_int(req_reader_feed(&rd, "ok=1\nbad\n\n", 10, &used), REQ_ERROR, "bad line: error");
    is_int(used, 9, "used ends after the bad line");
    is_int(req_reader_feed(&rd, "a=1\n\n", 5, &used), REQ_ERROR, "the error sticks");
    is_int(used, 0, "and takes nothing");
    req_reader_free(&rd);
}

int main(void)
{
    test_table();
    test_line_limit();
    test_attrs_limit();
    test_request_limit();
    test_used();
    return tap_done();
}
