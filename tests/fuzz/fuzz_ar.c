/* fuzz_ar - Authentication-Results: reading ids, writing hostile values */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ar.h"

#define NAME	"Authentication-Results: "

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* die - an invariant broke */

static void die(const char *what, const char *field)
{
    fprintf(stderr, "fuzz_ar: %s\n%s\n", what, field ? field : "");
    abort();
}

/* check_read - the reader's promises on any input */

static void check_read(const char *s, size_t len)
{
    char id[AR_ID_MAX + 2];
    int ours = ar_is_ours(s, len, "mx.example.org");

    if (ours < -1 || ours > 1)
	die("ar_is_ours out of range", NULL);
    if (ar_authserv_id(s, len, id, sizeof(id)) == 0) {
	if (id[0] == 0 || strlen(id) >= sizeof(id))
	    die("empty or unterminated id", NULL);
	if (ar_is_ours(s, len, id) != 1)
	    die("the id read is not recognised as ours", NULL);
    } else if (ours != -1) {
	die("unreadable field not reported as malformed", NULL);
    }
}

/* check_lines - line ends, folds, bytes, lengths */

static void check_lines(const char *f, size_t len, int crlf, int utf8)
{
    size_t i, col = 0, seps = 0;
    int quoted = 0, depth = 0, esc = 0;

    if (len < sizeof(NAME) || memcmp(f, NAME, sizeof(NAME) - 1) != 0)
	die("no field name", f);
    if (f[len - 1] != '\n' || (crlf && (len < 2 || f[len - 2] != '\r')))
	die("no line end at the end", f);
    for (i = 0; i < len; i++) {
	unsigned char c = (unsigned char) f[i];

	if (c == '\r' && (!crlf || f[i + 1] != '\n'))
	    die("stray CR", f);
	if (c == '\n' && ((crlf && f[i - 1] != '\r') || (i + 1 < len && f[i + 1] != '\t')))
	    die("line break that is not a fold", f);
	if (c == '\n' || c == '\r') {
	    if (col > AR_LINE_MAX && seps > 0)
		die("long line that could have been folded", f);
	    col = seps = 0;
	    continue;
	}
	if ((c < 0x20 && !(c == '\t' && col == 0)) || c == 0x7f || (c >= 0x80 && !utf8))
	    die("control or 8-bit byte", f);
	if (c >= 0x80 && !quoted && !depth)
	    die("8-bit byte outside a quoted string or comment", f);
	if (c == ' ' && !quoted && !depth && i != sizeof(NAME) - 2)
	    seps++;
	col++;
	if (esc) {
	    esc = 0;
	} else if ((quoted || depth) && c == '\\') {
	    esc = 1;
	} else if (quoted) {
	    quoted = c != '"';
	} else if (c == '(') {
	    depth++;
	} else if (depth) {
	    depth -= c == ')';
	} else if (c == '"') {
	    quoted = 1;
	}
    }
    if (quoted || depth || esc)
	die("unbalanced quotes or comments", f);
}

/* top_byte - step over s[*i] in quoted strings and comments (a quoted-pair
   whole); 1 when s[*i] is a byte outside them */

static int top_byte(const char *s, size_t *i, int *quoted, int *depth)
{
    if ((*quoted || *depth) && s[*i] == '\\')
	(*i)++;
    else if (*quoted)
	*quoted = s[*i] != '"';
    else if (s[*i] == '(')
	(*depth)++;
    else if (*depth)
	*depth -= s[*i] == ')';
    else if (s[*i] == '"')
	*quoted = 1;
    else
	return 1;
    return 0;
}

/* count_top - occurrences of ch outside quoted strings and comments */

static size_t count_top(const char *s, size_t len, int ch)
{
    size_t i, n = 0;
    int quoted = 0, depth = 0;

    for (i = 0; i < len; i++)
	if (top_byte(s, &i, &quoted, &depth) && s[i] == ch)
	    n++;
    return n;
}

/* count_kv - top-level words (between spaces, tabs, line breaks, ";")
   with a top-level "=": one per method=result, reason= and property */

static size_t count_kv(const char *s, size_t len)
{
    size_t i, n = 0;
    int quoted = 0, depth = 0, seen = 0;

    for (i = 0; i < len; i++) {
	if (!top_byte(s, &i, &quoted, &depth))
	    continue;
	if (strchr(" \t\r\n;", s[i]))
	    seen = 0;
	else if (s[i] == '=' && !seen)
	    n += seen = 1;
    }
    return n;
}

/* check_value - ar_value_as() output is one safe element */

static void check_value(const char *v, size_t len, int form)
{
    struct buf b = BUF_INIT(4 * AR_VALUE_MAX);
    size_t n, i;
    const char *s;

    if (ar_value_as(&b, v, len, form) < 0)
	die("ar_value_as failed", NULL);
    s = buf_str(&b);
    n = buf_len(&b);
    if (n > 2 * AR_VALUE_MAX + 2)
	die("value too long", s);
    for (i = 0; i < n; i++)
	if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f
	    || ((unsigned char) s[i] >= 0x80 && !(form & AR_UTF8)))
	    die("control in value", s);
    if (n && s[0] == '"') {
	if (n < 2 || s[n - 1] != '"')
	    die("bad quoted-string", s);
	for (i = 1; i < n - 1; i++) {
	    if (s[i] == '\\')
		i++;
	    else if (s[i] == '"')
		die("unescaped quote", s);
	}
	if (i != n - 1)
	    die("escape swallows the closing quote", s);
    } else {
	for (i = 0; i < n; i++)
	    if (s[i] == ' ' || (s[i] && strchr("\"();,\\[]<>:", s[i])))
		die("special in a bare value", s);
	if (n == 0)
	    die("empty bare value", s);
    }
    buf_free(&b);
}

/* build - a field with hostile values; counts what went in */

static void build(const char *id, const char *v, size_t len, int flags, int crlf)
{
    char *cv = malloc(len + 1);			/* for the C-string functions */
    struct ar ar;
    struct buf out = BUF_INIT(AR_HEADER_MAX);
    size_t results = 0, elems = 0, eq, i, rounds = 1 + (len % 23);
    char got[AR_ID_MAX + 2];

    if (cv == NULL)
	return;
    memcpy(cv, v, len);
    cv[len] = 0;
    if (ar_init(&ar, id) < 0) {
	ar_free(&ar);
	id = "mx.example.org";
	if (ar_init(&ar, id) < 0)
	    die("ar_init", NULL);
    }
    ar_utf8(&ar, flags);
    if (ar_add_comment(&ar, cv) < 0)
	die("comment after the id", NULL);
    for (i = 0; i < rounds; i++) {
	int ok = ar_add_result(&ar, i % 2 ? "dkim" : "spf", "pass") == 0;

	eq = ok;
	ok = ok && (i % 3 || ar_add_reason(&ar, cv) == 0);
	eq += ok && i % 3 == 0;
	ok = ok && ar_add_propn(&ar, "header", "d", v, len) == 0;
	ok = ok && ar_add_comment(&ar, cv) == 0;
	ok = ok && ar_add_prop(&ar, "smtp", "mailfrom", "user@example.com") == 0;
	if (ok) {
	    results++;
	    elems += eq + 2;
	}
    }
    if (ar_results(&ar) != results || ar_dropped(&ar) != rounds - results)
	die("result counts", NULL);
    if (ar_finish(&ar, crlf, &out) < 0)
	die("ar_finish", NULL);
    if (buf_len(&out) > AR_HEADER_MAX)
	die("field over AR_HEADER_MAX", buf_str(&out));
    check_lines(buf_str(&out), buf_len(&out), crlf, flags);
    if (count_top(buf_str(&out), buf_len(&out), ';') != (results ? results : 1))
	die("';' count differs from results", buf_str(&out));
    if (count_kv(buf_str(&out), buf_len(&out)) != elems)
	die("'=' count differs from elements", buf_str(&out));
    if (ar_is_ours(buf_str(&out) + sizeof(NAME) - 2, buf_len(&out) - sizeof(NAME) + 2, id) != 1)
	die("our own field is not ours", buf_str(&out));
    if (ar_authserv_id(buf_str(&out) + sizeof(NAME) - 2, buf_len(&out) - sizeof(NAME) + 2,
		       got, sizeof(got)) < 0 || strcmp(got, id) != 0)
	die("our own id does not read back", buf_str(&out));
    ar_free(&ar);
    buf_free(&out);
    free(cv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *) data, *nl = memchr(s, '\n', size);
    char id[AR_ID_MAX + 1] = "mx.example.org";
    size_t off = 0;
    int form;

    check_read(s, size);
    if (nl && (size_t) (nl - s) < sizeof(id)) {
	memcpy(id, s, (size_t) (nl - s));
	id[nl - s] = 0;
	off = (size_t) (nl - s) + 1;
    }
    for (form = 0; form < 8; form++)
	check_value(s + off, size - off, (form & 3) | (form & 4 ? AR_UTF8 : 0));
    build(id, s + off, size - off, size & 1, (size >> 1) & 1);
    return 0;
}
