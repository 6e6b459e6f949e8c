/* ar_test - Authentication-Results: escaping, folding, our own id */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "ar.h"
#include "compat.h"
#include "str.h"
#include "tap.h"

#define ID	"mx.example.org"
#define NAME	"Authentication-Results: "
#define PYTHON	"/usr/bin/python3"

/* pr - a test input made printable for a test name (two at a time) */

static const char *pr(const char *s, size_t len)
{
    static char names[2][256];
    static int which;

    which = !which;
    str_printable(names[which], sizeof(names[which]), s, len ? len : strlen(s));
    return names[which];
}

/* top_count - occurrences of ch outside quoted strings and comments */

static size_t top_count(const char *s, size_t len, int ch)
{
    size_t i, n = 0;
    int quoted = 0, depth = 0;

    for (i = 0; i < len; i++) {
	if ((quoted || depth) && s[i] == '\\') {
	    i++;
	} else if (quoted) {
	    quoted = s[i] != '"';
	} else if (s[i] == '(') {
	    depth++;
	} else if (depth) {
	    depth -= s[i] == ')';
	} else if (s[i] == '"') {
	    quoted = 1;
	} else if (s[i] == ch) {
	    n++;
	}
    }
    return n;
}

/* folded_ok - every break a fold, the last one the end, lines <= max */

static int folded_ok(const char *s, size_t max_line)
{
    size_t len = strlen(s), i, col = 0;

    if (len == 0 || s[len - 1] != '\n')
	return 0;
    for (i = 0; i < len; i++) {
	if (s[i] == '\r' && s[i + 1] != '\n')
	    return 0;
	if (s[i] == '\r')
	    continue;
	if (s[i] != '\n') {
	    if (++col > max_line)
		return 0;
	    continue;
	}
	if (i + 1 < len && s[i + 1] != '\t' && s[i + 1] != ' ')
	    return 0;
	col = 0;
    }
    return 1;
}

/* build_one - a field with one result and one property */

static int build_one(struct buf *out, const char *value, size_t len)
{
    struct ar ar;
    int ret;

    if (ar_init(&ar, ID) < 0)
	return -1;
    ret = ar_add_result(&ar, "dkim", "pass") | ar_add_propn(&ar, "header", "d", value, len)
	| ar_add_prop(&ar, "header", "s", "sel") | ar_finish(&ar, 0, out);
    ar_free(&ar);
    return ret;
}

/* test_value - ar_value() and ar_value_as() table */

static void test_value(void)
{
    static const struct {
	const char *in;
	size_t len;				/* 0: strlen */
	int form;
	const char *want;
    } cases[] = {
	{"example.com", 0, AR_FORM_PVALUE, "example.com"},
	{"user@example.com", 0, AR_FORM_PVALUE, "user@example.com"},
	{"@example.com", 0, AR_FORM_PVALUE, "@example.com"},
	{"SRS0=HHH=TT=example.com=user@forwarder.example", 0, AR_FORM_PVALUE,
	 "SRS0=HHH=TT=example.com=user@forwarder.example"},	/* '=' is atext */
	{"first.last+tag@sub.example.com", 0, AR_FORM_PVALUE, "first.last+tag@sub.example.com"},
	{"user@localhost", 0, AR_FORM_PVALUE, "\"user@localhost\""},
	{"user.@example.com", 0, AR_FORM_PVALUE, "\"user.@example.com\""},
	{"user@exa_mple.com", 0, AR_FORM_PVALUE, "\"user@exa_mple.com\""},
	{"user@-bad.example", 0, AR_FORM_PVALUE, "\"user@-bad.example\""},
	{"a@b@example.com", 0, AR_FORM_PVALUE, "\"a@b@example.com\""},
	{"a.example; dkim=pass", 0, AR_FORM_PVALUE, "\"a.example; dkim=pass\""},
	{"a\"b", 0, AR_FORM_PVALUE, "\"a\\\"b\""},
	{"a\\b", 0, AR_FORM_PVALUE, "\"a\\\\b\""},
	{"a(b)c", 0, AR_FORM_PVALUE, "\"a(b)c\""},
	{"a\r\nb", 0, AR_FORM_PVALUE, "\"a??b\""},
	{"a\r\n\tdkim=pass", 0, AR_FORM_PVALUE, "\"a?? dkim=pass\""},
	{"a\nX-Evil: 1", 0, AR_FORM_PVALUE, "\"a?X-Evil: 1\""},
	{"a\0b.example", 11, AR_FORM_PVALUE, "\"a?b.example\""},
	{"a\tb", 0, AR_FORM_PVALUE, "\"a b\""},
	{"\x01\x1b[31m\x7f", 0, AR_FORM_PVALUE, "\"??[31m?\""},
	{"", 0, AR_FORM_PVALUE, "\"\""},
	{"=?utf-8?q?x?=", 0, AR_FORM_PVALUE, "\"=?utf-8?q?x?=\""},
	{"j\xc3\xb6rg@example.com", 0, AR_FORM_PVALUE, "j?rg@example.com"},
	{"j\xc3\xb6rg@example.com", 0, AR_FORM_PVALUE | AR_UTF8, "\"j\xc3\xb6rg@example.com\""},
	{"\xff\xfe", 0, AR_FORM_PVALUE | AR_UTF8, "\"??\""},
	{"\xc0\xaf", 0, AR_FORM_PVALUE | AR_UTF8, "\"??\""},
	{"\xed\xa0\x80", 0, AR_FORM_PVALUE | AR_UTF8, "\"???\""},
	{"\xf4\x90\x80\x80", 0, AR_FORM_PVALUE | AR_UTF8, "\"????\""},
	{"a\xc3", 0, AR_FORM_PVALUE | AR_UTF8, "\"a?\""},
	{"pay\xe2\x80\xaelap", 0, AR_FORM_PVALUE | AR_UTF8, "\"pay?lap\""},
	{"a\xe2\x80\xa8" "b", 0, AR_FORM_PVALUE | AR_UTF8, "\"a?b\""},
	{"a\xc2\x85" "b", 0, AR_FORM_PVALUE | AR_UTF8, "\"a?b\""},
	{"\xef\xbb\xbf" "x", 0, AR_FORM_PVALUE | AR_UTF8, "\"?x\""},
	{"\xe2\x82\xac\xf0\x9f\x98\x80", 0, AR_FORM_PVALUE | AR_UTF8, "\"\xe2\x82\xac\xf0\x9f\x98\x80\""},
	{"user@example.com", 0, AR_FORM_TOKEN, "\"user@example.com\""},
	{"pass", 0, AR_FORM_TOKEN, "pass"},
	{"a/b", 0, AR_FORM_TOKEN, "\"a/b\""},
	{"a=b?c", 0, AR_FORM_ATOM, "a=b?c"},
	{"a.b", 0, AR_FORM_ATOM, "a.b"},
	{"a..b", 0, AR_FORM_ATOM, "\"a..b\""},
	{".a", 0, AR_FORM_ATOM, "\".a\""},
	{"user@example.com", 0, AR_FORM_ATOM, "\"user@example.com\""},
	{"pass", 0, AR_FORM_QUOTED, "\"pass\""},
    };
    struct buf b = BUF_INIT(4 * AR_VALUE_MAX);
    size_t i;

    for (i = 0; i < PD_NELEM(cases); i++) {
	size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);

	buf_reset(&b);
	ok(ar_value_as(&b, cases[i].in, len, cases[i].form) == 0, "value %zu written", i);
	is_str(buf_str(&b), cases[i].want, "escaped as expected");
    }
    buf_free(&b);
}

/* test_value_limit - AR_VALUE_MAX, cut at a character boundary */

static void test_value_limit(void)
{
    char in[AR_VALUE_MAX + 100], want[AR_VALUE_MAX + 8];
    struct buf b = BUF_INIT(4 * AR_VALUE_MAX);

    memset(in, 'a', sizeof(in));
    ar_value(&b, in, AR_VALUE_MAX);
    is_int(buf_len(&b), AR_VALUE_MAX, "a value of AR_VALUE_MAX bytes is kept whole");
    buf_reset(&b);
    ar_value(&b, in, sizeof(in));
    memset(want, 'a', AR_VALUE_MAX - 3);
    memcpy(want + AR_VALUE_MAX - 3, "...", 4);
    is_str(buf_str(&b), want, "a longer one is cut and ends in ...");
    buf_reset(&b);
    in[AR_VALUE_MAX - 4] = (char) 0xc3;		/* a two-byte character across the cut */
    in[AR_VALUE_MAX - 3] = (char) 0xa9;
    ar_value_as(&b, in, sizeof(in), AR_FORM_PVALUE | AR_UTF8);
    ok(buf_len(&b) == AR_VALUE_MAX - 4 + 3 && strcmp(buf_str(&b) + AR_VALUE_MAX - 5, "a...") == 0,
       "the cut falls before a character that would straddle it");
    buf_reset(&b);
    memset(in, '"', sizeof(in));
    ar_value(&b, in, sizeof(in));
    is_int(buf_len(&b), 2 * (AR_VALUE_MAX - 3) + 3 + 2, "escaping doubles at most");
    ok(ar_value(&b, "x", 1) == 0 && ar_value(&b, NULL, 5) == 0
       && strcmp(buf_str(&b) + buf_len(&b) - 3, "x\"\"") == 0, "NULL is an empty value");
    buf_free(&b);
}

/* test_label_limit - a domain label of DNS_LABEL_MAX bytes is bare, one more is quoted */

static void test_label_limit(void)
{
    struct buf in = BUF_INIT(AR_VALUE_MAX), b = BUF_INIT(4 * AR_VALUE_MAX);
    int i;

    buf_addstr(&in, "a@");
    for (i = 0; i < DNS_LABEL_MAX; i++)
	buf_addch(&in, 'b');
    buf_addstr(&in, ".example");
    ar_value(&b, buf_str(&in), buf_len(&in));
    is_str(buf_str(&b), buf_str(&in), "a label of DNS_LABEL_MAX bytes is written bare");
    buf_reset(&b);
    buf_truncate(&in, 2 + DNS_LABEL_MAX);
    buf_addstr(&in, "b.example");
    ar_value(&b, buf_str(&in), buf_len(&in));
    ok(buf_len(&b) == buf_len(&in) + 2 && buf_str(&b)[0] == '"',
       "a label of DNS_LABEL_MAX + 1 bytes is quoted");
    buf_free(&in);
    buf_free(&b);
}

/* test_keyword_limit - a method or result of AR_KEYWORD_MAX bytes is taken */

static void test_keyword_limit(void)
{
    char kw[AR_KEYWORD_MAX + 2];
    struct ar ar;

    memset(kw, 'a', sizeof(kw) - 1);
    kw[AR_KEYWORD_MAX] = 0;
    if (ar_init(&ar, ID) < 0)
	return;
    ok(ar_add_result(&ar, kw, "pass") == 0 && ar_add_result(&ar, "x-y", kw) == 0,
       "keywords of AR_KEYWORD_MAX bytes accepted");
    kw[AR_KEYWORD_MAX] = 'a';
    kw[AR_KEYWORD_MAX + 1] = 0;
    ok(ar_add_result(&ar, kw, "pass") < 0 && ar_add_result(&ar, "x-y", kw) < 0,
       "one byte more refused");
    is_int(ar_results(&ar), 2, "two results kept");
    ar_free(&ar);
}

/* test_id_limit - ar_is_ours() reads an id of AR_ID_MAX bytes and a dot */

static void test_id_limit(void)
{
    char ours[AR_ID_MAX + 1], field[AR_ID_MAX + 16];

    memset(ours, 'a', AR_ID_MAX);
    ours[AR_ID_MAX] = 0;
    snprintf(field, sizeof(field), "%s.; none", ours);
    is_int(ar_is_ours(field, strlen(field), ours), 1,
	   "an id of AR_ID_MAX bytes with a trailing dot is ours");
    snprintf(field, sizeof(field), "%s.a; none", ours);
    is_int(ar_is_ours(field, strlen(field), ours), -1,
	   "an id too long to be anyone's is malformed");
}

/* test_init - authserv-ids ar_init() takes and refuses */

static void test_init(void)
{
    static const char *bad[] = {
	"", "mx example.org", "mx.example.org\r\n", "mx\x01",
	"\xc3\xa9.example", NULL,
    };
    char longid[AR_ID_MAX + 2];
    struct ar ar;
    struct buf out = BUF_INIT(AR_HEADER_MAX);
    size_t i;

    for (i = 0; i < PD_NELEM(bad); i++) {
	ok(ar_init(&ar, bad[i]) < 0, "authserv-id %zu refused", i);
	ok(ar_add_result(&ar, "spf", "pass") < 0 && ar_finish(&ar, 0, &out) < 0,
	   "a refused builder refuses everything");
	ar_free(&ar);
    }
    memset(longid, 'a', sizeof(longid));
    longid[AR_ID_MAX + 1] = 0;
    ok(ar_init(&ar, longid) < 0, "an id over AR_ID_MAX is refused");
    ar_free(&ar);
    longid[AR_ID_MAX] = 0;
    ok(ar_init(&ar, longid) == 0, "an id of AR_ID_MAX is accepted");
    ar_free(&ar);
    ok(ar_init(&ar, "odd/id") == 0 && ar_finish(&ar, 0, &out) == 0,
       "an id that is not a token is accepted");
    is_str(buf_str(&out), NAME "\"odd/id\"; none\n", "and quoted");
    ar_free(&ar);
    ar_free(NULL);
    buf_free(&out);
}

/* test_build - whole fields, as written */

static void test_build(void)
{
    struct ar ar;
    struct buf out = BUF_INIT(AR_HEADER_MAX);

    if (!ok(ar_init(&ar, ID) == 0, "init"))
	return;
    ok(ar_finish(&ar, 0, &out) == 0, "finish with no result");
    is_str(buf_str(&out), NAME ID "; none\n", "no result is \"none\"");
    buf_reset(&out);
    ok(ar_finish(&ar, 1, &out) == 0, "finish again, CRLF");
    is_str(buf_str(&out), NAME ID "; none\r\n", "CRLF line end");
    ok(ar_add_comment(&ar, "postdmarc") == 0, "comment before any result");
    ok(ar_add_result(&ar, "spf", "pass") == 0, "spf=pass");
    ok(ar_add_comment(&ar, "a (b) \\ c\r\n") == 0, "comment with specials");
    ok(ar_add_prop(&ar, "smtp", "mailfrom", "user@example.com") == 0, "smtp.mailfrom");
    ok(ar_add_result(&ar, "dkim", "fail") == 0, "dkim=fail");
    ok(ar_add_reason(&ar, "bad \"sig\"") == 0, "reason");
    ok(ar_add_prop(&ar, "header", "d", "example.com") == 0, "header.d");
    buf_reset(&out);
    ok(ar_finish(&ar, 0, &out) == 0, "finish");
    is_str(buf_str(&out), NAME ID " (postdmarc);\n"
	   "\tspf=pass (a \\(b\\) \\\\ c?" "?) smtp.mailfrom=user@example.com;\n"
	   "\tdkim=fail reason=\"bad \\\"sig\\\"\" header.d=example.com\n",
	   "the field, one resinfo a line");
    is_int(ar_results(&ar), 2, "two results");
    ar_free(&ar);

    ok(ar_init(&ar, "MX.Example.ORG") == 0 && ar_add_result(&ar, "dmarc", "pass") == 0
       && ar_add_prop(&ar, "header", "from", "example.com") == 0
       && ar_add_prop(&ar, "policy", "dmarc", "none") == 0, "dmarc result");
    buf_reset(&out);
    ok(ar_finish(&ar, 1, &out) == 0, "finish");
    is_str(buf_str(&out), NAME "MX.Example.ORG;\r\n"
	   "\tdmarc=pass header.from=example.com policy.dmarc=none\r\n",
	   "a resinfo that does not fit starts a line");
    ar_free(&ar);
    buf_free(&out);
}

/* test_order - calls out of order drop the open result */

static void test_order(void)
{
    struct ar ar;
    struct buf out = BUF_INIT(AR_HEADER_MAX);
    static const char *bad_keywords[] = {
	"", "spf;", "spf=pass", "-spf", "spf-", "dkim/1", "sp f", "spf\r\n",
	"\xc3\xa9", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    };
    static const char *bad_methods[] = {"none", "NONE"};
    size_t i;

    if (ar_init(&ar, ID) < 0)
	return;
    ok(ar_add_prop(&ar, "header", "d", "x") < 0, "a property before any result fails");
    ok(ar_add_reason(&ar, "x") < 0, "so does a reason");
    ok(ar_add_result(&ar, "spf", "pass") == 0 && ar_add_prop(&ar, "smtp", "mailfrom", "a@b.example") == 0,
       "spf=pass");
    for (i = 0; i < PD_NELEM(bad_keywords); i++) {
	ok(ar_add_result(&ar, bad_keywords[i], "pass") < 0, "method \"%s\" refused", pr(bad_keywords[i], 0));
	ok(ar_add_result(&ar, "dkim", bad_keywords[i]) < 0, "result \"%s\" refused", pr(bad_keywords[i], 0));
	ok(ar_add_prop(&ar, "header", "d", "evil.example") < 0,
	   "and a property does not attach to the previous result");
    }
    for (i = 0; i < PD_NELEM(bad_methods); i++)
	ok(ar_add_result(&ar, bad_methods[i], "pass") < 0, "method %s refused: it reads as no-result",
	   bad_methods[i]);
    ok(ar_add_result(&ar, "dkim", "pass") == 0 && ar_add_prop(&ar, "header", "d", "a.example") == 0
       && ar_add_prop(&ar, "header", "b", "abcdefgh") == 0, "dkim=pass");
    ok(ar_add_reason(&ar, "late") < 0, "a reason after a property fails");
    ok(ar_add_prop(&ar, "header", "s", "sel") < 0, "the result was dropped whole");
    ok(ar_add_result(&ar, "dkim", "fail") == 0 && ar_add_prop(&ar, "evil", "d", "x") < 0,
       "unknown ptype refused");
    ok(ar_add_result(&ar, "dkim", "fail") == 0 && ar_add_prop(&ar, "header", "d=x", "x") < 0,
       "property with '=' refused");
    ok(ar_add_result(&ar, "dkim", "neutral") == 0 && ar_add_reason(&ar, "a") == 0
       && ar_add_reason(&ar, "b") < 0, "a second reason fails");
    ok(ar_finish(&ar, 0, &out) == 0, "finish");
    is_str(buf_str(&out), NAME ID "; spf=pass smtp.mailfrom=a@b.example\n", "only spf is left");
    is_int(ar_results(&ar), 1, "one result kept");
    is_int(ar_dropped(&ar), 2 * PD_NELEM(bad_keywords) + PD_NELEM(bad_methods) + 4, "the others counted as dropped");
    ar_free(&ar);
    buf_free(&out);
}

/* test_inject - hostile values stay inside their element */

static void test_inject(void)
{
    static const struct {
	const char *value;
	size_t len;
    } cases[] = {
	{"a.example; dkim=pass", 0},
	{"a.example\"; dkim=pass", 0},
	{"a.example\\\"; dkim=pass header.d=b.example", 0},
	{"a.example (; dkim=pass", 0},
	{"a.example) ; dkim=pass", 0},
	{"a.example\r\nAuthentication-Results: mx.example.org; dkim=pass", 0},
	{"a.example\n\t; dkim=pass", 0},
	{"a.example\r; dkim=pass", 0},
	{"a.example\0; dkim=pass", 21},
	{"a.example header.d=b.example", 0},
	{"\"\\\"\\\\\"(((((;", 0},
	{"a.example\xc2\x85; dkim=pass", 0},
    };
    struct buf out = BUF_INIT(AR_HEADER_MAX);
    size_t i;

    for (i = 0; i < PD_NELEM(cases); i++) {
	const char *v = cases[i].value;
	size_t len = cases[i].len ? cases[i].len : strlen(v), n;

	buf_reset(&out);
	ok(build_one(&out, v, len) == 0, "header.d value %zu written", i);
	n = buf_len(&out);
	ok(top_count(buf_str(&out), n, ';') == 1 && top_count(buf_str(&out), n, '=') == 3
	   && folded_ok(buf_str(&out), 1000), "it stays inside one pvalue");
	if (top_count(buf_str(&out), n, ';') != 1)
	    diag("%s", buf_str(&out));
	is_int(ar_is_ours(buf_str(&out) + sizeof(NAME) - 2, n - sizeof(NAME) + 2, ID), 1,
	       "and the field is still recognised as ours");
    }
    buf_free(&out);
}

/* test_fold - long fields folded between elements */

static void test_fold(void)
{
    struct ar ar;
    struct buf out = BUF_INIT(AR_HEADER_MAX);
    char d[100];
    int i, fail = 0;

    if (ar_init(&ar, ID) < 0)
	return;
    for (i = 0; i < 40; i++) {
	snprintf(d, sizeof(d), "signer%d.example.com", i);
	fail |= ar_add_result(&ar, "dkim", i % 3 ? "pass" : "fail");
	fail |= ar_add_prop(&ar, "header", "d", d);
	fail |= ar_add_prop(&ar, "header", "s", "selector2024");
	fail |= ar_add_prop(&ar, "header", "b", "AbCdEfGh");
    }
    ok(!fail && ar_finish(&ar, 1, &out) == 0, "forty DKIM results");
    ok(folded_ok(buf_str(&out), AR_LINE_MAX), "every line <= %d, every break a fold", AR_LINE_MAX);
    is_int(top_count(buf_str(&out), buf_len(&out), ';'), 40, "forty resinfo");
    is_int(ar_is_ours(buf_str(&out) + sizeof(NAME) - 2, buf_len(&out) - sizeof(NAME) + 2, ID), 1,
	   "ours when read back");
    ar_free(&ar);

    if (ar_init(&ar, ID) < 0)
	return;
    memset(d, 'x', sizeof(d) - 1);
    d[sizeof(d) - 1] = 0;
    ok(ar_add_result(&ar, "dkim", "pass") == 0 && ar_add_prop(&ar, "header", "d", d) == 0
       && ar_add_prop(&ar, "header", "s", d) == 0, "long values");
    buf_reset(&out);
    ok(ar_finish(&ar, 0, &out) == 0 && !folded_ok(buf_str(&out), AR_LINE_MAX)
       && folded_ok(buf_str(&out), 1 + 9 + 99), "an element longer than a line gets a line of its own");
    ar_free(&ar);
    buf_free(&out);
}

/* test_overflow - AR_HEADER_MAX: results that do not fit are dropped whole */

static void test_overflow(void)
{
    struct ar ar;
    struct buf out = BUF_INIT(AR_HEADER_MAX);
    char big[AR_VALUE_MAX + 1];
    size_t kept = 0, tries;

    memset(big, '"', AR_VALUE_MAX);		/* escaped to twice the length */
    big[AR_VALUE_MAX] = 0;
    if (ar_init(&ar, ID) < 0)
	return;
    for (tries = 0; tries < 100; tries++) {
	if (ar_add_result(&ar, "dkim", "pass") < 0)
	    break;
	if (ar_add_prop(&ar, "header", "d", "a.example") < 0 || ar_add_prop(&ar, "header", "s", big) < 0)
	    break;
	kept++;
    }
    ok(tries < 100, "the builder fills up");
    is_int(ar_results(&ar), kept, "the result that did not fit was removed whole");
    is_int(ar_dropped(&ar), 1, "and counted");
    ok(ar_add_prop(&ar, "header", "b", "x") < 0, "later properties for it fail");
    ok(ar_add_result(&ar, "spf", "pass") == 0, "a small result still fits");
    ok(ar_finish(&ar, 1, &out) == 0, "finish");
    ok(buf_len(&out) <= AR_HEADER_MAX, "the field is at most AR_HEADER_MAX (%zu)", buf_len(&out));
    is_int(top_count(buf_str(&out), buf_len(&out), ';'), kept + 1, "every kept result is there");
    is_int(top_count(buf_str(&out), buf_len(&out), '='), 3 * kept + 1, "with all its properties");
    ok(folded_ok(buf_str(&out), 2 * AR_VALUE_MAX + 20), "folded");
    while (ar_add_result(&ar, "x", "y") == 0)
	;
    buf_reset(&out);
    ok(ar_finish(&ar, 1, &out) == 0 && buf_len(&out) <= AR_HEADER_MAX, "filled to the brim");
    diag("%zu bytes", buf_len(&out));
    ar_free(&ar);
    buf_free(&out);
}

/* test_authserv_id - ar_authserv_id() table */

static void test_authserv_id(void)
{
    static const struct {
	const char *in;
	size_t size;
	int ret;
	const char *want;
    } cases[] = {
	{" (forged) \"MX.Example.ORG\" ; spf=pass", 64, 0, "MX.Example.ORG"},
	{"\r\n\tmx.example.org;", 64, 0, "mx.example.org"},
	{"\"a\\\"b\\\\c\"; none", 64, 0, "a\"b\\c"},
	{"\"mx.exa\r\n\tmple.org\";", 64, 0, "mx.exa\tmple.org"},
	{"mx.example.org 1 ; none", 64, 0, "mx.example.org"},
	{"mx.example.org(c)1(c);", 64, 0, "mx.example.org"},
	{"mx.example.org", 15, 0, "mx.example.org"},
	{"mx.example.org", 14, -1, ""},
	{"\"\"; none", 64, -1, ""},
	{"mx.example.org 1x; none", 64, -1, ""},
	{"\"mx\"1; none", 64, -1, ""},
    };
    char id[64];
    size_t i;

    for (i = 0; i < PD_NELEM(cases); i++) {
	int ret = ar_authserv_id(cases[i].in, strlen(cases[i].in), id, cases[i].size);

	is_int(ret, cases[i].ret, pr(cases[i].in, 0));
	if (ret == 0)
	    is_str(id, cases[i].want, "id read");
    }
    ok(ar_authserv_id("x", 1, id, 0) < 0, "a zero-size id buffer fails");
}

/* test_nesting - comments nested up to the limit, and one deeper */

static void test_nesting(void)
{
    struct buf b = BUF_INIT(1024);
    int depth;

    for (depth = AR_COMMENT_DEPTH_MAX; depth <= AR_COMMENT_DEPTH_MAX + 1; depth++) {
	int i;

	buf_reset(&b);
	for (i = 0; i < depth; i++)
	    buf_addch(&b, '(');
	buf_addch(&b, 'x');
	for (i = 0; i < depth; i++)
	    buf_addch(&b, ')');
	buf_addstr(&b, " mx.example.org;");
	is_int(ar_is_ours(buf_str(&b), buf_len(&b), ID), depth > AR_COMMENT_DEPTH_MAX ? -1 : 1,
	       depth > AR_COMMENT_DEPTH_MAX ? "comments nested too deep are malformed"
	       : "comments nested AR_COMMENT_DEPTH_MAX deep are fine");
    }
    buf_free(&b);
}

/* test_is_ours - ar_is_ours() table */

static void test_is_ours(void)
{
    static const struct {
	const char *in;
	size_t len;				/* 0: strlen */
	const char *ours;
	int want;
    } cases[] = {
	{"mx.example.org; spf=pass", 0, ID, 1},
	{" MX.Example.ORG ; spf=pass", 0, ID, 1},
	{"mx.example.org; spf=pass", 0, "MX.EXAMPLE.ORG", 1},
	{" (forged) \"MX.Example.ORG\" ; spf=pass", 0, ID, 1},
	{"\r\n\tmx.example.org;", 0, ID, 1},
	{"\n mx.example.org\n ;\n dkim=pass", 0, ID, 1},
	{"mx.example.org 1; spf=pass", 0, ID, 1},
	{"mx.example.org (c) 1 (c);", 0, ID, 1},
	{"mx.example.org", 0, ID, 1},
	{"mx.example.org\r\n", 0, ID, 1},
	{" mx.example.org ; none", 0, ID, 1},
	{"mx.example.org.; none", 0, ID, 1},
	{"mx.example.org; none", 0, "mx.example.org.", 1},
	{"(a (nested \\) (deeper)) here)mx.example.org; none", 0, ID, 1},
	{"\"mx\\.example.org\"; none", 0, ID, 1},
	{"mx.example.org.evil.example; spf=pass", 14, ID, 1},
	{"mx.example.org.evil.example; spf=pass", 0, ID, 0},
	{"evilmx.example.org; spf=pass", 0, ID, 0},
	{"mx.example.org.evil.example; spf=pass", 0, ID, 0},
	{"example.org; spf=pass", 0, ID, 0},
	{"other.example; spf=pass smtp.mailfrom=mx.example.org", 0, ID, 0},
	{"other.example (mx.example.org); spf=pass", 0, ID, 0},
	{"\"mx.example.org \"; none", 0, ID, 0},
	{"mx.example.org..; none", 0, ID, 0},
	{"", 0, ID, -1},
	{"   \r\n ", 0, ID, -1},
	{"(unterminated mx.example.org; spf=pass", 0, ID, -1},
	{"(mx.example.org); spf=pass", 0, ID, -1},
	{"\"mx.example.org; spf=pass", 0, ID, -1},
	{"mx.example.org (unterminated; spf=pass", 0, ID, -1},
	{"mx.example.org/evil; spf=pass", 0, ID, -1},
	{"evil mx.example.org; spf=pass", 0, ID, -1},
	{"mx.example.org\r\nX-Evil: 1", 0, ID, -1},
	{"mx.example.org\r; spf=pass", 0, ID, -1},
	{"mx.example.org\0; spf=pass", 25, ID, -1},
	{"\0mx.example.org; spf=pass", 25, ID, -1},
	{"mx\r\n .example.org;", 0, ID, -1},
	{"; spf=pass", 0, ID, -1},
	{"\"mx.example.org\\", 0, ID, -1},
	{"(\\", 0, ID, -1},
    };
    size_t i;

    for (i = 0; i < PD_NELEM(cases); i++) {
	size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
	char *copy = malloc(len ? len : 1);	/* exactly len bytes: ASan sees overreads */

	memcpy(copy, cases[i].in, len);
	is_int(ar_is_ours(copy, len, cases[i].ours), cases[i].want, pr(cases[i].in, len));
	free(copy);
    }
    test_nesting();
}

/* Round trip through Debian's python3-authres. */

enum { OP_END, OP_RESULT, OP_REASON, OP_PROP, OP_COMMENT };

struct op {
    int op;
    const char *a, *b, *c;
    size_t len;				/* OP_PROP: 0 is strlen(c) */
};

static const struct op sample_basic[] = {
    {OP_COMMENT, "postdmarc 0.1"},
    {OP_RESULT, "spf", "pass"}, {OP_COMMENT, "sender SPF authorized"},
    {OP_PROP, "smtp", "mailfrom", "user@example.com"},
    {OP_RESULT, "dkim", "pass"}, {OP_PROP, "header", "d", "example.com"},
    {OP_PROP, "header", "s", "sel"}, {OP_PROP, "header", "b", "abcdefgh"},
    {OP_RESULT, "dmarc", "pass"}, {OP_PROP, "header", "from", "example.com"},
    {OP_PROP, "policy", "dmarc", "reject"},
    {OP_END},
};
static const char want_basic[] =
    "id mx.example.org\nresult spf pass\nprop smtp.mailfrom user@example.com\n"
    "result dkim pass\nprop header.d example.com\nprop header.s sel\n"
    "prop header.b abcdefgh\nresult dmarc pass\nprop header.from example.com\n"
    "prop policy.dmarc reject\n";

/* authres drops a quoted pvalue not followed by ";" or the end: quoted
   values come last in their resinfo. */
static const struct op sample_hostile[] = {
    {OP_RESULT, "dkim", "fail"}, {OP_REASON, "bad signature; dkim=pass"},
    {OP_PROP, "header", "d", "a.example; dkim=pass"},
    {OP_RESULT, "dkim", "neutral"}, {OP_PROP, "header", "s", "sel"},
    {OP_PROP, "header", "d", "a\"b\\c"},
    {OP_RESULT, "dkim", "neutral"}, {OP_COMMENT, "a (b) \\ c\r\n"},
    {OP_PROP, "header", "d", "x(y)z"},
    {OP_RESULT, "dkim", "neutral"}, {OP_PROP, "header", "d", "a.example\r\n\tdkim=pass"},
    {OP_RESULT, "spf", "none"}, {OP_PROP, "smtp", "mailfrom", "\"quoted local\"@example.com"},
    {OP_RESULT, "dkim", "neutral"}, {OP_PROP, "header", "d", "j\xc3\xb6rg.example"},
    {OP_RESULT, "dkim", "neutral"}, {OP_PROP, "header", "d", "a\0b;c", 5},
    {OP_RESULT, "dkim", "neutral"}, {OP_PROP, "header", "d", ""},
    {OP_RESULT, "dmarc", "fail"}, {OP_PROP, "header", "from", "@example.com"},
    {OP_END},
};
static const char want_hostile[] =
    "id mx.example.org\nresult dkim fail\nreason bad signature; dkim=pass\n"
    "prop header.d a.example; dkim=pass\n"
    "result dkim neutral\nprop header.s sel\nprop header.d a\"b\\c\n"
    "result dkim neutral\nprop header.d x(y)z\n"
    "result dkim neutral\nprop header.d a.example?? dkim=pass\n"
    "result spf none\nprop smtp.mailfrom \"quoted local\"@example.com\n"
    "result dkim neutral\nprop header.d j?rg.example\n"
    "result dkim neutral\nprop header.d a?b;c\n"
    "result dkim neutral\nprop header.d \n"
    "result dmarc fail\nprop header.from @example.com\n";

static const struct op sample_none[] = {{OP_COMMENT, "nothing checked"}, {OP_END}};
static const char want_none[] = "id mx.example.org\n";

/* build_ops - a field from a list of operations */

static int build_ops(const struct op *ops, int crlf, struct buf *out)
{
    struct ar ar;
    int ret = 0;

    if (ar_init(&ar, ID) < 0)
	return -1;
    for (; ops->op != OP_END; ops++) {
	if (ops->op == OP_RESULT)
	    ret |= ar_add_result(&ar, ops->a, ops->b);
	else if (ops->op == OP_REASON)
	    ret |= ar_add_reason(&ar, ops->a);
	else if (ops->op == OP_COMMENT)
	    ret |= ar_add_comment(&ar, ops->a);
	else
	    ret |= ar_add_propn(&ar, ops->a, ops->b, ops->c,
				ops->len ? ops->len : strlen(ops->c));
    }
    ret |= ar_finish(&ar, crlf, out);
    ar_free(&ar);
    return ret;
}

/* python_parse - run tests/ar_parse.py on a field; its exit status */

static int python_parse(const char *script, const char *field, struct buf *result)
{
    char in[] = "/tmp/ar_testXXXXXX", outp[] = "/tmp/ar_testXXXXXX";
    char cmd[1024], chunk[512];
    int fdi = mkstemp(in), fdo = mkstemp(outp), status = -1;
    FILE *fp;
    size_t n;

    if (fdi < 0 || fdo < 0)
	return -1;
    close(fdo);
    if (write(fdi, field, strlen(field)) == (ssize_t) strlen(field)
	&& snprintf(cmd, sizeof(cmd), PYTHON " '%s' <%s >%s 2>&1", script, in, outp)
	< (int) sizeof(cmd)) {
	status = system(cmd);
	status = status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    close(fdi);
    if ((fp = fopen(outp, "r")) != NULL) {
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
	    buf_add(result, chunk, n);
	fclose(fp);
    }
    unlink(in);
    unlink(outp);
    return status;
}

/* test_python_many - many results: folded, and every one read back */

static void test_python_many(const char *script)
{
    struct buf field = BUF_INIT(AR_HEADER_MAX), got = BUF_INIT(65536), want = BUF_INIT(65536);
    struct ar ar;
    char d[64];
    int j;

    buf_addstr(&want, "id mx.example.org\n");
    if (ar_init(&ar, ID) < 0)
	abort();
    for (j = 0; j < 30; j++) {
	snprintf(d, sizeof(d), "d%d.example", j);
	ar_add_result(&ar, "dkim", "pass");
	ar_add_prop(&ar, "header", "d", d);
	ar_add_prop(&ar, "header", "i", "@a.example");
	buf_printf(&want, "result dkim pass\nprop header.d %s\nprop header.i @a.example\n", d);
    }
    ok(ar_finish(&ar, 1, &field) == 0 && folded_ok(buf_str(&field), AR_LINE_MAX),
       "thirty results folded");
    ar_free(&ar);
    is_int(python_parse(script, buf_str(&field), &got), 0, "authres parses it");
    is_str(buf_str(&got), buf_str(&want), "every result read back");
    buf_free(&field);
    buf_free(&got);
    buf_free(&want);
}

/* test_python - our fields as Python's email parser reads them */

static void test_python(void)
{
    static const struct {
	const char *name;
	const struct op *ops;
	const char *want;
	int crlf;
    } samples[] = {
	{"basic", sample_basic, want_basic, 0},
	{"basic, CRLF", sample_basic, want_basic, 1},
	{"hostile values", sample_hostile, want_hostile, 0},
	{"hostile values, CRLF", sample_hostile, want_hostile, 1},
	{"no result", sample_none, want_none, 1},
    };
    const char *top = getenv("PD_TOP");
    char script[512];
    struct buf field = BUF_INIT(AR_HEADER_MAX), got = BUF_INIT(65536);
    size_t i;

    snprintf(script, sizeof(script), "%s/tests/ar_parse.py", top ? top : ".");
    if (access(PYTHON, X_OK) < 0 || access(script, R_OK) < 0
	|| python_parse(script, NAME ID "; none\n", &got) != 0) {
	ok(1, "authres round trip # SKIP no %s with authres, or no %s", PYTHON, script);
	buf_free(&got);
	return;
    }
    for (i = 0; i < PD_NELEM(samples); i++) {
	buf_reset(&field);
	buf_reset(&got);
	ok(build_ops(samples[i].ops, samples[i].crlf, &field) == 0, "build %s", samples[i].name);
	is_int(python_parse(script, buf_str(&field), &got), 0, "authres parses it");
	is_str(buf_str(&got), samples[i].want, samples[i].name);
	ok(folded_ok(buf_str(&field), AR_LINE_MAX), "folded");
    }
    buf_free(&field);
    buf_free(&got);
    test_python_many(script);
}

int main(void)
{
    test_value();
    test_value_limit();
    test_label_limit();
    test_keyword_limit();
    test_init();
    test_build();
    test_order();
    test_inject();
    test_fold();
    test_overflow();
    test_authserv_id();
    test_is_ours();
    test_id_limit();
    test_python();
    return tap_done();
}
