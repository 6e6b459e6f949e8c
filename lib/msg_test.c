/* msg_test - header section, unfolding, From author domains */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "compat.h"
#include "msg.h"
#include "str.h"
#include "tap.h"

/* nm - a formatted test name, valid until the next call */

static const char *PD_PRINTF(1, 2) nm(const char *fmt, ...)
{
    static char name[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(name, sizeof(name), fmt, ap);
    va_end(ap);
    return name;
}

/* render - "name=value|..." with CR, LF and NUL made visible */

static void render(const struct msg_head *head, struct buf *out)
{
    size_t i, j;

    buf_reset(out);
    for (i = 0; i < head->n; i++) {
	const struct msg_field *f = head->v + i;

	if (i > 0)
	    buf_addch(out, '|');
	buf_add(out, f->name, f->name_len);
	buf_addch(out, '=');
	for (j = 0; j < f->value_len; j++) {
	    char c = f->value[j];

	    if (c == '\r')
		buf_addstr(out, "\\r");
	    else if (c == '\n')
		buf_addstr(out, "\\n");
	    else if (c == 0)
		buf_addstr(out, "\\0");
	    else
		buf_addch(out, c);
	}
    }
}

/* tiles - raw spans cover data[0, head_len) exactly, separator aside */

static int tiles(const char *data, size_t len, const struct msg_head *head)
{
    size_t i, pos = 0, sep;

    for (i = 0; i < head->n; i++) {
	const struct msg_field *f = head->v + i;

	if (f->raw != data + pos || f->name != f->raw
	    || f->value < f->name + f->name_len + 1
	    || f->value + f->value_len > f->raw + f->raw_len)
	    return 0;
	pos += f->raw_len;
    }
    if (pos > head->head_len || head->head_len > len)
	return 0;
    sep = head->head_len - pos;
    if (!head->has_separator)
	return sep == 0;
    return (sep == 1 && data[pos] == '\n')
	|| (sep == 2 && data[pos] == '\r' && data[pos + 1] == '\n');
}

/* same_prefixes - every prefix read without at_eof gives INCOMPLETE or the final answer */

static int same_prefixes(const char *data, size_t len, int ret, const struct msg_head *whole)
{
    struct msg_head head;
    size_t k;
    int r;

    for (k = 0; k <= len; k++) {
	r = msg_head_parse(data, k, 0, &head);
	if (r != MSG_INCOMPLETE && (r != ret || (r == MSG_OK
		    && (head.n != whole->n || head.head_len != whole->head_len
			|| head.has_separator != whole->has_separator)))) {
	    diag("prefix of %zu bytes: result %d, n %zu, head_len %zu",
		 k, r, head.n, head.head_len);
	    msg_head_free(&head);
	    return 0;
	}
	msg_head_free(&head);
    }
    return 1;
}

struct head_case {
    const char *in;
    size_t len;			/* 0: strlen(in) */
    int at_eof;
    int ret;
    int sep;
    int crlf;
    const char *fields;
    const char *rest;		/* what follows the header section */
};

static const struct head_case head_cases[] = {
    /* LF and CRLF, separator */
    {"From: a@b.example\nTo: c@d.example\n\nbody\n", 0, 1, MSG_OK, 1, 0,
    "From= a@b.example|To= c@d.example", "body\n"},
    {"From: a@b.example\r\nTo: c@d.example\r\n\r\nbody\r\n", 0, 1, MSG_OK, 1, 1,
    "From= a@b.example|To= c@d.example", "body\r\n"},
    {"A: 1\r\nB: 2\n\r\nx", 0, 1, MSG_OK, 1, 1, "A= 1|B= 2", "x"},
    {"A: 1\nB: 2\r\n\nx", 0, 1, MSG_OK, 1, 0, "A= 1|B= 2", "x"},
    /* folding */
    {"Subject: a\r\n b\r\n\tc\r\nX: y\r\n\r\n", 0, 1, MSG_OK, 1, 1,
    "Subject= a\\r\\n b\\r\\n\tc|X= y", ""},
    {"A: 1\n \nB: 2\n\n", 0, 1, MSG_OK, 1, 0, "A= 1\\n |B= 2", ""},
    {"A:\n continued\n\n", 0, 1, MSG_OK, 1, 0, "A=\\n continued", ""},
    /* a line that is not a field starts the body */
    {"From: a\nThis is body\n", 0, 1, MSG_OK, 0, 0, "From= a", "This is body\n"},
    {"From: a\n:x\n", 0, 1, MSG_OK, 0, 0, "From= a", ":x\n"},
    {"From: a\nSub ject: x\n", 0, 1, MSG_OK, 0, 0, "From= a", "Sub ject: x\n"},
    {"From: a\n\xc3\xa9: x\n", 0, 1, MSG_OK, 0, 0, "From= a", "\xc3\xa9: x\n"},
    {"From: a\n\rX\n", 0, 1, MSG_OK, 0, 0, "From= a", "\rX\n"},
    {" x\nFrom: a\n\n", 0, 1, MSG_OK, 0, 0, "", " x\nFrom: a\n\n"},
    {"From a@b Mon Jan  1 00:00:00 2024\nX: y\n\n", 0, 1, MSG_OK, 0, 0, "",
    "From a@b Mon Jan  1 00:00:00 2024\nX: y\n\n"},
    /* obsolete white space before the colon; odd names */
    {"Subject : x\nX-Foo_bar.baz!#: v\n\n", 0, 1, MSG_OK, 1, 0,
    "Subject= x|X-Foo_bar.baz!#= v", ""},
    {"A:\n\n", 0, 1, MSG_OK, 1, 0, "A=", ""},
    {"A:\r\n\r\n", 0, 1, MSG_OK, 1, 1, "A=", ""},
    /* a header-looking body line after the separator */
    {"From: a@b.example\n\nFrom: x@evil.example\n", 0, 1, MSG_OK, 1, 0,
    "From= a@b.example", "From: x@evil.example\n"},
    /* no body, no separator, no final newline */
    {"From: a\nTo: b\n", 0, 1, MSG_OK, 0, 0, "From= a|To= b", ""},
    {"From: a\nTo: b", 0, 1, MSG_OK, 0, 0, "From= a|To= b", ""},
    {"From: a\r\nTo: b\r", 0, 1, MSG_OK, 0, 1, "From= a|To= b\\r", ""},
    {"From: a\n\r", 0, 1, MSG_OK, 0, 0, "From= a", "\r"},
    {"From: a\n \t", 0, 1, MSG_OK, 0, 0, "From= a\\n \t", ""},
    {"", 0, 1, MSG_OK, 0, 0, "", ""},
    {"\n", 0, 1, MSG_OK, 1, 0, "", ""},
    {"\r\n", 0, 1, MSG_OK, 1, 1, "", ""},
    {"\r\nA: b\r\n", 0, 1, MSG_OK, 1, 1, "", "A: b\r\n"},
    {"junk", 0, 1, MSG_OK, 0, 0, "", "junk"},
    /* 8-bit, NUL and lone CR are value bytes */
    {"Subject: \xc3\xa9\0x\n\n", 15, 1, MSG_OK, 1, 0, "Subject= \xc3\xa9\\0x", ""},
    {"A: x\ry\n\n", 0, 1, MSG_OK, 1, 0, "A= x\\ry", ""},
    {"A: 1\r\r\n\r\n", 0, 1, MSG_OK, 1, 1, "A= 1\\r", ""},
    /* more data needed */
    {"", 0, 0, MSG_INCOMPLETE, 0, 0, "", ""},
    {"From: a", 0, 0, MSG_INCOMPLETE, 0, 0, "", ""},
    {"From: a\n", 0, 0, MSG_INCOMPLETE, 0, 0, "", ""},
    {"From: a\n\r", 0, 0, MSG_INCOMPLETE, 0, 0, "", ""},
    {"From: a\nbody", 0, 0, MSG_INCOMPLETE, 0, 0, "", ""},
    {"From: a\n ", 0, 0, MSG_INCOMPLETE, 0, 0, "", ""},
    {"From: a\n\n", 0, 0, MSG_OK, 1, 0, "From= a", ""},
    {"From: a\nbody text", 0, 0, MSG_OK, 0, 0, "From= a", "body text"},
    {"From: a\n\xff", 0, 0, MSG_OK, 0, 0, "From= a", "\xff"},
};

/* test_head - the header section table */

static void test_head(void)
{
    struct buf got = BUF_INIT(4096);
    struct msg_head head;
    size_t i;

    for (i = 0; i < PD_NELEM(head_cases); i++) {
	const char *in = head_cases[i].in;
	size_t len = head_cases[i].len ? head_cases[i].len : strlen(in);
	int ret = msg_head_parse(in, len, head_cases[i].at_eof, &head);

	is_int(ret, head_cases[i].ret, nm("head case %zu: result", i));
	if (ret != MSG_OK) {
	    ok(head.n == 0 && head.v == NULL, "head case %zu: left empty", i);
	    continue;
	}
	render(&head, &got);
	is_str(buf_str(&got), head_cases[i].fields, nm("head case %zu: fields", i));
	is_int(len - head.head_len, strlen(head_cases[i].rest), nm("head case %zu: head_len", i));
	ok(memcmp(in + head.head_len, head_cases[i].rest, len - head.head_len) == 0,
	   "head case %zu: the rest is the body", i);
	is_int(head.has_separator, head_cases[i].sep, nm("head case %zu: has_separator", i));
	is_int(head.crlf, head_cases[i].crlf, nm("head case %zu: crlf", i));
	ok(tiles(in, len, &head), "head case %zu: raw spans tile the section", i);
	if (head_cases[i].at_eof)
	    ok(same_prefixes(in, len, ret, &head),
	       "head case %zu: prefixes are incomplete or agree", i);
	msg_head_free(&head);
    }
    buf_free(&got);
    msg_head_free(NULL);
    memset(&head, 0, sizeof(head));
    msg_head_free(&head);
    ok(1, "msg_head_free accepts NULL and a zeroed head");
}

/* fields - n copies of a field line, then tail */

static char *fields(size_t n, const char *line, const char *tail, size_t *len)
{
    struct buf b = BUF_INIT(BUF_MAX_ANY);
    size_t i;

    for (i = 0; i < n; i++)
	buf_addstr(&b, line);
    buf_addstr(&b, tail);
    *len = buf_len(&b);
    return buf_steal(&b);
}

/* sized - a field "X: aaa...\n" of exactly size bytes */

static void add_sized(struct buf *b, size_t size)
{
    size_t i;

    buf_addstr(b, "X: ");
    for (i = 0; i < size - 4; i++)
	buf_addch(b, 'a');
    buf_addch(b, '\n');
}

/* test_head_count - MSG_HEADERS_MAX fields and one more */

static void test_head_count(void)
{
    struct msg_head head;
    size_t len;
    char *data;

    data = fields(MSG_HEADERS_MAX, "X: y\n", "\nbody\n", &len);
    is_int(msg_head_parse(data, len, 1, &head), MSG_OK, "MSG_HEADERS_MAX fields are fine");
    is_int(head.n, MSG_HEADERS_MAX, "all of them kept");
    ok(tiles(data, len, &head), "and they tile the section");
    msg_head_free(&head);
    free(data);

    data = fields(MSG_HEADERS_MAX + 1, "X: y\n", "\n", &len);
    is_int(msg_head_parse(data, len, 1, &head), MSG_TOO_MANY, "one more is MSG_TOO_MANY");
    ok(head.n == 0 && head.v == NULL, "and the head is left empty");
    is_int(msg_head_parse(data, len - 1, 0, &head), MSG_TOO_MANY,
	   "MSG_TOO_MANY before the end of the section is seen");
    free(data);

    data = fields(MSG_HEADERS_MAX, "X: y\n", " folded\n\n", &len);
    is_int(msg_head_parse(data, len, 1, &head), MSG_OK, "a continuation is not a field");
    msg_head_free(&head);
    free(data);
}

/* test_head_size - MSG_HEADER_MAX and MSG_HEAD_MAX, at and past the limit */

static void test_head_size(void)
{
    struct buf b = BUF_INIT(BUF_MAX_ANY);
    struct msg_head head;
    size_t i;

    add_sized(&b, MSG_HEADER_MAX);
    buf_addstr(&b, "\n");
    is_int(msg_head_parse(b.data, b.len, 1, &head), MSG_OK, "a field of MSG_HEADER_MAX bytes");
    is_int(head.n == 1 ? head.v[0].raw_len : 0, MSG_HEADER_MAX, "raw_len counts the newline");
    msg_head_free(&head);

    buf_reset(&b);
    add_sized(&b, MSG_HEADER_MAX + 1);
    is_int(msg_head_parse(b.data, b.len, 1, &head), MSG_TOO_LONG, "one byte more is too long");
    buf_truncate(&b, b.len - 1);
    buf_addstr(&b, "a");
    is_int(msg_head_parse(b.data, b.len, 0, &head), MSG_TOO_LONG,
	   "known too long before the line ends");

    buf_reset(&b);
    add_sized(&b, MSG_HEADER_MAX - 3);
    buf_addstr(&b, " ab\n\n");
    is_int(msg_head_parse(b.data, b.len, 1, &head), MSG_TOO_LONG,
	   "folded lines count towards the field");

    buf_reset(&b);
    for (i = 0; i < MSG_HEADER_MAX; i++)
	buf_addch(&b, 'a');
    buf_addstr(&b, "\n");
    is_int(msg_head_parse(b.data, b.len, 1, &head), MSG_OK, "a long line without colon is body");
    is_int(head.head_len, 0, "and the section is empty");
    buf_truncate(&b, MSG_HEADER_MAX);
    buf_addstr(&b, "a");
    is_int(msg_head_parse(b.data, b.len, 0, &head), MSG_TOO_LONG,
	   "a name-like line past MSG_HEADER_MAX is too long");

    buf_reset(&b);
    for (i = 0; i < MSG_HEAD_MAX / MSG_HEADER_MAX - 1; i++)
	add_sized(&b, MSG_HEADER_MAX);
    add_sized(&b, MSG_HEADER_MAX - 1);
    buf_addstr(&b, "\nbody\n");
    is_int(msg_head_parse(b.data, b.len, 1, &head), MSG_OK, "a section of MSG_HEAD_MAX bytes");
    is_int(head.head_len, MSG_HEAD_MAX, "separator included");
    msg_head_free(&head);

    buf_reset(&b);
    for (i = 0; i < MSG_HEAD_MAX / MSG_HEADER_MAX; i++)
	add_sized(&b, MSG_HEADER_MAX);
    is_int(msg_head_parse(b.data, b.len, 1, &head), MSG_OK, "MSG_HEAD_MAX bytes at end of file");
    msg_head_free(&head);
    buf_addstr(&b, "\n");
    is_int(msg_head_parse(b.data, b.len, 1, &head), MSG_TOO_LONG,
	   "the separator past MSG_HEAD_MAX is too long");
    buf_truncate(&b, b.len - 1);
    buf_addstr(&b, "Y: z\n");
    is_int(msg_head_parse(b.data, b.len, 0, &head), MSG_TOO_LONG,
	   "a field past MSG_HEAD_MAX is too long");
    buf_free(&b);
}

/* test_field_is - field names match whole, ignoring case */

static void test_field_is(void)
{
    static const char text[] = "fROM : a\nDKIM-Signature: v=1\n\n";
    struct msg_head head;

    if (msg_head_parse(text, sizeof(text) - 1, 1, &head) != MSG_OK || head.n != 2) {
	ok(0, "field_is input parses");
	return;
    }
    ok(msg_field_is(&head.v[0], "From"), "From matches fROM, space before colon");
    ok(!msg_field_is(&head.v[0], "Fro"), "no prefix match");
    ok(!msg_field_is(&head.v[0], "From "), "no match with the space");
    ok(msg_field_is(&head.v[1], "dkim-signature"), "DKIM-Signature");
    ok(!msg_field_is(&head.v[1], "DKIM-Signature2"), "no longer match");
    msg_head_free(&head);
    is_str(msg_strerror(MSG_TOO_MANY), "too many header fields", "msg_strerror");
}

/* test_unfold - line breaks before WSP removed, others kept */

static void test_unfold(void)
{
    static const struct {
	const char *in;
	const char *want;
    } cases[] = {
	{"a\r\n b", "a b"},
	{"a\n\tb", "a\tb"},
	{"a\r\nb", "a\r\nb"},
	{"a\r\n", "a\r\n"},
	{"", ""},
	{" a\r\n \r\n b", " a  b"},
	{"a\r\r\n b", "a\r b"},
	{"\r\n x", " x"},
	{"a\r", "a\r"},
    };
    struct buf out = BUF_INIT(1024);
    struct buf tiny = BUF_INIT(2);
    size_t i;

    for (i = 0; i < PD_NELEM(cases); i++) {
	buf_reset(&out);
	buf_addstr(&out, "<");
	ok(msg_unfold(cases[i].in, strlen(cases[i].in), &out) == 0, "unfold %zu returns 0", i);
	is_str(buf_str(&out) + 1, cases[i].want, nm("unfold %zu appends", i));
    }
    ok(msg_unfold("abc", 3, &tiny) < 0, "unfold past the buffer maximum fails");
    buf_free(&out);
    buf_free(&tiny);
}

/* authors_str - the kept domains, space separated */

static const char *authors_str(const struct msg_authors *a)
{
    static char s[MSG_AUTHORS_MAX * (DNS_NAME_MAX + 1) + 1];
    size_t i, n = 0, l;

    s[0] = 0;
    for (i = 0; i < a->n; i++) {
	l = strlen(a->domain[i]);
	if (i > 0)
	    s[n++] = ' ';
	memcpy(s + n, a->domain[i], l + 1);
	n += l;
    }
    return s;
}

struct from_case {
    const char *in;
    size_t len;			/* 0: strlen(in) */
    int ret;
    const char *domains;
    size_t seen;
    size_t literals;
};

static const struct from_case from_cases[] = {
    {"a@example.com", 0, MSG_OK, "example.com", 1, 0},
    {" John Doe <john@Example.COM>", 0, MSG_OK, "example.com", 1, 0},
    {"\"Doe, John\" <j@example.org>", 0, MSG_OK, "example.org", 1, 0},
    {"<a@b.example>", 0, MSG_OK, "b.example", 1, 0},
    {"a@b.example (John Doe)", 0, MSG_OK, "b.example", 1, 0},
    /* display names and comments that look like addresses */
    {"\"ceo@good.example <x@evil.example>\" <attacker@evil2.example>", 0, MSG_OK,
    "evil2.example", 1, 0},
    {"\"a\\\"b@c\\\\\" <x@y.example>", 0, MSG_OK, "y.example", 1, 0},
    {"(a@evil.example) b@good.example (c@evil2.example)", 0, MSG_OK, "good.example", 1, 0},
    {"a@b.example (x (y \\) <z@evil.example>) w)", 0, MSG_OK, "b.example", 1, 0},
    {"Foo (<a@evil.example>) <b@good.example>", 0, MSG_OK, "good.example", 1, 0},
    /* encoded words are opaque */
    {"=?utf-8?q?ceo@good.example_<x@evil.example>?= <real@mail.example>", 0, MSG_OK,
    "mail.example", 1, 0},
    {"=?UTF-8?B?Zm9vQGJhcg==?= <a@b.example>", 0, MSG_OK, "b.example", 1, 0},
    {"=?utf-8?q?a?= =?ISO-8859-1?Q?b,c?= <x@y.example>", 0, MSG_OK, "y.example", 1, 0},
    {"a@b.example (=?utf-8?q?:-)?=)", 0, MSG_OK, "b.example", 1, 0},
    {"Mr=?utf-8?q?<x@evil.example>?=Smith <a@b.example>", 0, MSG_OK, "b.example", 1, 0},
    {"=?utf-8?q?bad <x@evil.example>?= <a@b.example>", 0, MSG_BAD, "evil.example", 1, 0},
    /* groups */
    {"Undisclosed: a@b.example, c@d.example;", 0, MSG_OK, "b.example d.example", 2, 0},
    {"undisclosed-recipients:;", 0, MSG_OK, "", 0, 0},
    {"undisclosed-recipients: ;, a@b.example", 0, MSG_OK, "b.example", 1, 0},
    {"team: a@b.example", 0, MSG_OK, "b.example", 1, 0},
    {"g: , x <a@b.example>,, ; (c)", 0, MSG_OK, "b.example", 1, 0},
    {"g1: g2: a@b.example;;", 0, MSG_BAD, "", 0, 0},
    {": a@b.example;", 0, MSG_BAD, "", 0, 0},
    /* several, duplicates, limit */
    {"a@one.example, B <b@two.example>, c@three.example", 0, MSG_OK,
    "one.example two.example three.example", 3, 0},
    {"a@Example.com, b@EXAMPLE.COM, c@example.com.", 0, MSG_OK, "example.com", 3, 0},
    {"a@d1.example,a@d2.example,a@d3.example,a@d4.example,a@d5.example,"
    "a@d6.example,a@d7.example,a@d8.example,a@d9.example,a@D1.example,a@d10.example",
    0, MSG_OK, "d1.example d2.example d3.example d4.example d5.example d6.example "
    "d7.example d8.example", 11, 0},
    {", , a@b.example ,,", 0, MSG_OK, "b.example", 1, 0},
    /* IDN, trailing dot, odd but valid domains */
    {"\xc3\x9cn\xc3\xaf""c\xc3\xb6""d\xc3\xa9 <a@b\xc3\xbc""cher.example>", 0, MSG_OK,
    "xn--bcher-kva.example", 1, 0},
    {"a@B\xc3\x9c""CHER.example", 0, MSG_OK, "xn--bcher-kva.example", 1, 0},
    {"a@xn--bcher-kva.example, b@b\xc3\xbc""cher.example", 0, MSG_OK,
    "xn--bcher-kva.example", 2, 0},
    {"j\xc3\xb6hn@example.com", 0, MSG_OK, "example.com", 1, 0},
    {"a@example.com.", 0, MSG_OK, "example.com", 1, 0},
    {"<a@example.com.>", 0, MSG_OK, "example.com", 1, 0},
    {"a@b_c.example", 0, MSG_OK, "b_c.example", 1, 0},
    {"a@-x.example", 0, MSG_OK, "-x.example", 1, 0},
    {"a@localhost", 0, MSG_OK, "localhost", 1, 0},
    {"a @ b . example", 0, MSG_OK, "b.example", 1, 0},
    /* obsolete forms */
    {"<@relay.example,@r2.example:user@real.example>", 0, MSG_OK, "real.example", 1, 0},
    {"X <,@relay.example,,@[192.0.2.1]:user@real.example>", 0, MSG_OK, "real.example", 1, 0},
    {"john . doe@example.com", 0, MSG_OK, "example.com", 1, 0},
    {"\"john\".doe@example.com", 0, MSG_OK, "example.com", 1, 0},
    {"a..b.@docomo.ne.jp", 0, MSG_OK, "docomo.ne.jp", 1, 0},
    {"\"a@b\"@example.com", 0, MSG_OK, "example.com", 1, 0},
    {"Foo. Bar <a@b.example>", 0, MSG_OK, "b.example", 1, 0},
    /* domain literals count but are not kept */
    {"a@[192.0.2.1]", 0, MSG_OK, "", 1, 1},
    {"x <a@[IPv6:2001:db8::1]>, b@c.example", 0, MSG_OK, "c.example", 2, 1},
    /* folded */
    {"John\r\n Doe <a@b.example>,\r\n\tc@d.example", 0, MSG_OK, "b.example d.example", 2, 0},
    {"a@b\n .example", 0, MSG_OK, "b.example", 1, 0},
    /* nothing to find */
    {"", 0, MSG_OK, "", 0, 0},
    {"   \r\n ", 0, MSG_OK, "", 0, 0},
    {"(comment only)", 0, MSG_OK, "", 0, 0},
    {"foo", 0, MSG_BAD, "", 0, 0},
    {"Foo Bar", 0, MSG_BAD, "", 0, 0},
    /* hopeless; what came before the error is kept */
    {"Doe, John <j@example.com>", 0, MSG_BAD, "", 0, 0},
    {"a@good.example@evil.example", 0, MSG_BAD, "", 0, 0},
    {"a@b.example <x@evil.example>", 0, MSG_BAD, "", 0, 0},
    {"John Doe a@b.example", 0, MSG_BAD, "", 0, 0},
    {"<a@good.example> <b@evil.example>", 0, MSG_BAD, "good.example", 1, 0},
    {"<a@good.example>@evil.example", 0, MSG_BAD, "good.example", 1, 0},
    {"a@good.example, foo", 0, MSG_BAD, "good.example", 1, 0},
    {"Foo <a@b.example>;", 0, MSG_BAD, "b.example", 1, 0},
    {"a@exa mple.com", 0, MSG_BAD, "", 0, 0},
    {"a@exa!mple.com", 0, MSG_BAD, "", 0, 0},
    {"a@b..example", 0, MSG_BAD, "", 0, 0},
    {"a@.example", 0, MSG_BAD, "", 0, 0},
    {"a@b.example\0x", 14, MSG_BAD, "", 0, 0},
    {"a@", 0, MSG_BAD, "", 0, 0},
    {"@b.example", 0, MSG_BAD, "", 0, 0},
    {"<>", 0, MSG_BAD, "", 0, 0},
    {"<a@b.example", 0, MSG_BAD, "", 0, 0},
    {"<<<>>>", 0, MSG_BAD, "", 0, 0},
    {"@@@", 0, MSG_BAD, "", 0, 0},
    {"\"unterminated <a@b.example>", 0, MSG_BAD, "", 0, 0},
    {"a@b.example (unclosed", 0, MSG_BAD, "", 0, 0},
    {"a@b.example)", 0, MSG_BAD, "", 0, 0},
    {"a@[192.0.2.1", 0, MSG_BAD, "", 0, 0},
    {"a@[1[2]]", 0, MSG_BAD, "", 0, 0},
    {"a\\@b.example", 0, MSG_BAD, "", 0, 0},
    {"\"a\\", 0, MSG_BAD, "", 0, 0},
    {"a@b.=?utf-8?q?x?=", 0, MSG_BAD, "", 0, 0},
    {"a@xn--zz.b\xc3\xbc""cher", 0, MSG_BAD, "", 0, 0},
    {"a@\xff.example", 0, MSG_BAD, "", 0, 0},
    {"a@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
    0, MSG_BAD, "", 0, 0},
    {"\x01", 0, MSG_BAD, "", 0, 0},
};

/* test_from - the From value table */

static void test_from(void)
{
    size_t i;

    for (i = 0; i < PD_NELEM(from_cases); i++) {
	struct msg_authors a;
	char vis[80];
	const char *in = from_cases[i].in;
	size_t len = from_cases[i].len ? from_cases[i].len : strlen(in);

	memset(&a, 0, sizeof(a));
	str_printable(vis, sizeof(vis), in, len);
	is_int(msg_from_domains(in, len, &a), from_cases[i].ret, nm("from %zu: %s: result", i, vis));
	is_str(authors_str(&a), from_cases[i].domains, nm("from %zu: domains", i));
	is_int(a.seen, from_cases[i].seen, nm("from %zu: seen", i));
	is_int(a.literals, from_cases[i].literals, nm("from %zu: literals", i));
    }
}

/* test_from_append - a second From field adds to the first */

static void test_from_append(void)
{
    struct msg_authors a;

    memset(&a, 0, sizeof(a));
    is_int(msg_from_domains("a@one.example", 13, &a), MSG_OK, "first From field");
    is_int(msg_from_domains("b@two.example, a@ONE.example", 28, &a), MSG_OK, "second From field");
    is_str(authors_str(&a), "one.example two.example", "domains appended, duplicate dropped");
    is_int(a.seen, 3, "all mailboxes seen");
}

/* test_long_domain - MSG_DOMAIN_MAX in a From field */

static void test_long_domain(void)
{
    struct buf b = BUF_INIT(4096);
    struct msg_authors a;
    size_t i;

    buf_addstr(&b, "a@");
    for (i = 0; i < 4; i++)
	buf_addstr(&b, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.");
    buf_addstr(&b, "example");			/* 4 * 62 + 7 = 255 */
    memset(&a, 0, sizeof(a));
    is_int(msg_from_domains(b.data, b.len, &a), MSG_BAD, "a domain over MSG_DOMAIN_MAX");
    for (i = 0; i < 600; i++)
	buf_addstr(&b, ".x");
    is_int(msg_from_domains(b.data, b.len, &a), MSG_BAD, "a domain over MSG_ADDR_MAX");
    buf_reset(&b);
    buf_addstr(&b, "a@");
    for (i = 0; i < 4; i++)
	buf_addstr(&b, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.");
    buf_addstr(&b, "examp");			/* 4 * 62 + 5 = 253 */
    is_int(msg_from_domains(b.data, b.len, &a), MSG_OK, "a domain of 253 bytes");
    is_int(a.n == 1 ? strlen(a.domain[0]) : 0, MSG_DOMAIN_MAX, "kept whole");
    buf_free(&b);
}

/* test_dot_atom - msg_is_dot_atom(), for ar(3) values and DMARC mailto: */

static void test_dot_atom(void)
{
    static const struct {
	const char *in;
	size_t len;			/* 0: strlen(in) */
	int want;
    } cases[] = {
	{"a", 0, 1},
	{"john.doe", 0, 1},
	{"!#$%&'*+-/=?^_`{|}~", 0, 1},
	{"a.b.c", 0, 1},
	{"", 0, 0},
	{".a", 0, 0},
	{"a.", 0, 0},
	{"a..b", 0, 0},
	{"a b", 0, 0},
	{"a@b", 0, 0},
	{"\"a\"", 0, 0},
	{"j\xc3\xb6hn", 0, 0},
	{"a\0b", 3, 0},
	{"ab.", 2, 1},
    };
    size_t i;

    for (i = 0; i < PD_NELEM(cases); i++) {
	size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
	char vis[64];

	str_printable(vis, sizeof(vis), cases[i].in, len);
	is_int(msg_is_dot_atom(cases[i].in, len), cases[i].want, nm("dot-atom %zu: %s", i, vis));
    }
}

/* cjk_label - n copies of U+4E2D: 3n bytes, an A-label of n + 6 */

static void cjk_label(struct buf *b, size_t n)
{
    while (n-- > 0)
	buf_addstr(b, "\xe4\xb8\xad");
}

/* test_addr_max - MSG_ADDR_MAX bytes of U-labels, though short as A-labels */

static void test_addr_max(void)
{
    struct buf b = BUF_INIT(4096);
    char out[DNS_NAME_MAX + 1];

    cjk_label(&b, 57);
    buf_addch(&b, '.');
    cjk_label(&b, 57);
    buf_addch(&b, '.');
    cjk_label(&b, 56);			/* 3 * 170 + 2 = 512 bytes */
    is_int(buf_len(&b), MSG_ADDR_MAX, "a UTF-8 domain of MSG_ADDR_MAX bytes");
    is_int(msg_domain_normalize(b.data, b.len, out, sizeof(out)), 0, "  normalizes");
    is_int(strlen(out), 63 + 1 + 63 + 1 + 62, "  to its A-labels");
    buf_reset(&b);
    cjk_label(&b, 57);
    buf_addch(&b, '.');
    cjk_label(&b, 57);
    buf_addch(&b, '.');
    cjk_label(&b, 55);
    buf_addstr(&b, ".abc");			/* 3 * 169 + 6 = 513 bytes */
    is_int(buf_len(&b), MSG_ADDR_MAX + 1, "a UTF-8 domain of MSG_ADDR_MAX + 1 bytes");
    is_int(msg_domain_normalize(b.data, b.len, out, sizeof(out)), -1,
	   "  is refused, short as its A-labels would be");
    buf_free(&b);
}

/* test_normalize - msg_domain_normalize() table */

static void test_normalize(void)
{
    static const struct {
	const char *in;
	size_t outsize;			/* 0: DNS_NAME_MAX + 1 */
	int ret;
	const char *want;
    } cases[] = {
	{"Example.COM", 0, 0, "example.com"},
	{"example.com.", 0, 0, "example.com"},
	{"example.com..", 0, -1, ""},
	{"", 0, -1, ""},
	{".", 0, -1, ""},
	{".example", 0, -1, ""},
	{"a..example", 0, -1, ""},
	{"localhost", 0, 0, "localhost"},
	{"_dmarc.Example.com", 0, 0, "_dmarc.example.com"},
	{"-a-.example", 0, 0, "-a-.example"},
	{"192.0.2.1", 0, 0, "192.0.2.1"},
	{"ex ample.com", 0, -1, ""},
	{"ex\"ample.com", 0, -1, ""},
	{"b\xc3\xbc""cher.example", 0, 0, "xn--bcher-kva.example"},
	{"B\xc3\x9c""CHER.Example.", 0, 0, "xn--bcher-kva.example"},
	{"b\xc3\xbc""cher.example\xe3\x80\x82", 0, 0, "xn--bcher-kva.example"},
	{"b\xc3\xbc""cher.example.\xe3\x80\x82", 0, -1, ""},
	{"_dmarc.b\xc3\xbc""cher.example", 0, 0, "_dmarc.xn--bcher-kva.example"},
	{"-a.b\xc3\xbc""cher", 0, -1, ""},
	{"xn--zz.b\xc3\xbc""cher", 0, -1, ""},
	{"\xff.example", 0, -1, ""},
	{"ex ample.b\xc3\xbc""cher", 0, -1, ""},
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example", 0, 0,
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example"},
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example", 0, -1, ""},
	{"example.com", 12, 0, "example.com"},
	{"example.com", 11, -1, ""},
    };
    char out[DNS_NAME_MAX + 1], vis[80];
    size_t i;

    for (i = 0; i < PD_NELEM(cases); i++) {
	size_t size = cases[i].outsize ? cases[i].outsize : sizeof(out);
	int ret = msg_domain_normalize(cases[i].in, strlen(cases[i].in), out, size);

	str_printable(vis, sizeof(vis), cases[i].in, strlen(cases[i].in));
	is_int(ret, cases[i].ret, nm("normalize %zu: %s", i, vis));
	is_str(ret == 0 ? out : "", cases[i].want, nm("normalize %zu: result", i));
    }
    ok(msg_domain_normalize("a\0b", 3, out, sizeof(out)) < 0, "normalize refuses NUL");
}

int main(void)
{
    test_head();
    test_head_count();
    test_head_size();
    test_field_is();
    test_unfold();
    test_from();
    test_from_append();
    test_long_domain();
    test_normalize();
    test_addr_max();
    test_dot_atom();
    return tap_done();
}
