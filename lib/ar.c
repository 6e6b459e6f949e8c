/*++
 * NAME
 *	ar 3
 * SUMMARY
 *	Authentication-Results header fields (RFC 8601)
 * SYNOPSIS
 *	#include "ar.h"
 *
 *	int	ar_init(ar, authserv_id)
 *	void	ar_utf8(ar, on)
 *	int	ar_add_result(ar, method, result)
 *	int	ar_add_reason(ar, text)
 *	int	ar_add_prop(ar, ptype, property, value)
 *	int	ar_add_propn(ar, ptype, property, value, len)
 *	int	ar_add_comment(ar, text)
 *	int	ar_finish(ar, crlf, out)
 *	void	ar_free(ar)
 *	size_t	ar_results(ar)
 *	size_t	ar_dropped(ar)
 *
 *	int	ar_value(out, value, len)
 *	int	ar_value_as(out, value, len, form)
 *
 *	int	ar_authserv_id(value, len, id, idsize)
 *	int	ar_is_ours(value, len, authserv_id)
 * DESCRIPTION
 *	ar_init() starts a field for authserv_id, our configured name: 1 to
 *	AR_ID_MAX printable ASCII bytes, no space (written as a token when
 *	it is one, else as a quoted-string).  It returns 0, or -1 for a bad
 *	id; ar_free() is safe either way.  ar_utf8() lets later values and
 *	comments keep valid UTF-8 (only for messages sent with SMTPUTF8).
 *
 *	ar_add_result() starts a resinfo "; method=result".  Method and
 *	result come from our code and must be RFC 5321 Keywords of at most
 *	AR_KEYWORD_MAX bytes; the method may not be "none", which would
 *	read as no-result.  ar_add_reason() adds reason="text" (once,
 *	before any property); ar_add_prop() adds ptype.property=value with
 *	ptype one of smtp, header, body, policy, property a Keyword, and
 *	value escaped by ar_value(); ar_add_propn() takes a value of len
 *	bytes that may contain NUL (a C string would hide what follows a
 *	NUL: "a.example\0.evil" must not be shown as a.example).
 *	ar_add_comment() adds "(text)" after the last element, or after
 *	the authserv-id before any result.
 *
 *	Every add function returns 0 or -1.  A failure (bad argument, a
 *	call out of order, or the field would pass AR_HEADER_MAX) while a
 *	result is open removes that whole result, so that no result is ever
 *	shown without the properties that qualify it; later additions to it
 *	fail too, until the next ar_add_result().  ar_dropped() counts the
 *	results so removed, ar_results() those kept.  A failure with no
 *	result open changes nothing.
 *
 *	ar_finish() appends the whole field to out: "Authentication-Results:
 *	id; ...", with "; none" when no result was kept, ending in LF or,
 *	when crlf is nonzero, CRLF.  Lines are folded only between elements
 *	(at the space after ";", before a reason, property or comment; never
 *	inside a value or comment), so that none passes AR_LINE_MAX bytes
 *	unless one element is longer.  A resinfo that does not fit on the
 *	current line starts a new one; inside it, elements fill each line.
 *	Continuation lines start with a tab.  The field, folds included, is
 *	at most AR_HEADER_MAX bytes.  It returns 0, or -1 when out cannot
 *	take the field or memory ran out; the builder is left unchanged and
 *	may be finished again.
 *
 *	ar_value() appends one untrusted value as an RFC 8601 pvalue;
 *	ar_value_as() as form (see ar.h), for other header fields.  First
 *	the bytes are made safe: TAB becomes a space, every other control
 *	(NUL, CR, LF, DEL, C1) becomes "?", so that no byte can end the line
 *	or vanish and make one name look like another.  Without AR_UTF8 each
 *	non-ASCII character becomes "?" (the header stays 7-bit and
 *	parseable by every reader); with it, valid UTF-8 is kept except C1
 *	controls and invisible formatting (U+200B-U+200F, U+2028-U+202E,
 *	U+2060-U+2069, U+FEFF), and each invalid byte becomes "?".  A value
 *	longer than AR_VALUE_MAX bytes keeps its first AR_VALUE_MAX - 3 and
 *	ends in "...".  Then it is written bare when the form allows (token,
 *	dot-atom, dot-atom@domain-name), else as a quoted-string with '"'
 *	and '\' escaped as quoted-pairs: at most 2 * AR_VALUE_MAX + 2 bytes,
 *	never a line break, never a space, ";" or "(" outside the quotes.
 *	Returns 0, or -1 (out full).  A form not in ar.h is a bug: abort().
 *
 *	ar_authserv_id() reads the authserv-id at the start of the body of
 *	an Authentication-Results field (what follows the colon, folds and
 *	comments allowed, not NUL-terminated).  It returns 0 with the id in
 *	id (quotes removed, quoted-pairs resolved, NUL-terminated), or -1
 *	when the field is malformed up to the first ";" (after the id only
 *	CFWS, a version number and ";" or the end may follow) or the id
 *	does not fit in idsize bytes.
 *
 *	ar_is_ours() returns 1 when the field's authserv-id is authserv_id,
 *	compared without regard to ASCII case and to one trailing dot; 0
 *	when it is a different, well-formed id; -1 when the field is
 *	malformed.  Callers should remove the field unless the result is 0:
 *	a field we cannot read might be read as ours by someone else.
 * SEE ALSO
 *	RFC 8601, RFC 5322 3.2, RFC 2045 5.1, RFC 6532.
 *--*/
#include <stdlib.h>
#include <string.h>

#include "ar.h"
#include "msg.h"
#include "str.h"

#define AR_NAME		"Authentication-Results:"
#define AR_SEP		'\001'		/* fold point; never in clean text */
#define AR_SEP_RESULT	'\002'		/* fold point before a resinfo */
#define AR_TSPECIALS	"()<>@,;:\\\"/[]?="

/* What the builder accepts next. */
enum { AR_ST_DEAD, AR_ST_ID, AR_ST_METHOD, AR_ST_PROPS, AR_ST_SKIP };

/* Worst case of what ar_finish() adds to the body: name, space, "; none"
   with a fold, CRLF. */
#define AR_OVERHEAD	(sizeof(AR_NAME) + 8 + 2)

/* ar_is_token_char - RFC 2045 token byte */

static int ar_is_token_char(int c)
{
    return c > 0x20 && c < 0x7f && strchr(AR_TSPECIALS, c) == NULL;
}

/* ar_is_let_dig - letter or digit */

static int ar_is_let_dig(int c)
{
    return STR_IS_ALPHA(c) || STR_IS_DIGIT(c);
}

/* ar_is_token - non-empty run of token bytes */

static int ar_is_token(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
	if (!ar_is_token_char((unsigned char) s[i]))
	    return 0;
    return n > 0;
}

/* ar_is_keyword - RFC 5321 Let-dig [Ldh-str] of n bytes */

static int ar_is_keyword(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || n > AR_KEYWORD_MAX || !ar_is_let_dig(s[0]) || !ar_is_let_dig(s[n - 1]))
	return 0;
    for (i = 1; i < n; i++)
	if (!ar_is_let_dig(s[i]) && s[i] != '-')
	    return 0;
    return 1;
}

/* ar_is_domain - RFC 6376 domain-name: two or more sub-domains */

static int ar_is_domain(const char *s, size_t n)
{
    size_t i, start = 0, labels = 0;

    for (i = 0; i <= n; i++) {
	if (i < n && s[i] != '.')
	    continue;
	if (!ar_is_keyword(s + start, i - start) || i - start > DNS_LABEL_MAX)
	    return 0;
	labels++;
	start = i + 1;
    }
    return labels >= 2;
}

/* ar_is_addr - [ [ dot-atom ] "@" ] domain-name with the "@" present */

static int ar_is_addr(const char *s, size_t n)
{
    const char *at = memchr(s, '@', n);
    size_t local;

    if (at == NULL)
	return 0;
    local = (size_t) (at - s);
    return (local == 0 || msg_is_dot_atom(s, local))
	&& ar_is_domain(at + 1, n - local - 1);
}

/* ar_utf8_len - length of the valid UTF-8 sequence at s, or 0 */

static size_t ar_utf8_len(const unsigned char *s, size_t len, unsigned *cp)
{
    unsigned c = s[0], v, lo = 0x80, hi = 0xbf;
    size_t n, i;

    if (c >= 0xc2 && c <= 0xdf) {
	n = 2;
	v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
	n = 3;
	v = c & 0x0f;
	lo = c == 0xe0 ? 0xa0 : 0x80;		/* overlong */
	hi = c == 0xed ? 0x9f : 0xbf;		/* surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
	n = 4;
	v = c & 0x07;
	lo = c == 0xf0 ? 0x90 : 0x80;		/* overlong */
	hi = c == 0xf4 ? 0x8f : 0xbf;		/* past U+10FFFF */
    } else {
	return 0;
    }
    if (len < n)
	return 0;
    for (i = 1; i < n; i++) {
	if (s[i] < lo || s[i] > hi)
	    return 0;
	lo = 0x80;
	hi = 0xbf;
	v = v << 6 | (s[i] & 0x3f);
    }
    *cp = v;
    return n;
}

/* ar_invisible - code points that must not reach a header */

static int ar_invisible(unsigned cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x200b && cp <= 0x200f)
	|| (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2069)
	|| cp == 0xfeff;
}

/* ar_clean - safe, bounded copy of untrusted bytes (see DESCRIPTION) */

static size_t ar_clean(char *dst, const char *src, size_t len, int utf8)
{
    const unsigned char *s = (const unsigned char *) src;
    size_t lim = len > AR_VALUE_MAX ? AR_VALUE_MAX - 3 : len;
    size_t i = 0, o = 0, n;
    unsigned cp;

    while (i < lim) {
	if (s[i] < 0x80) {
	    dst[o++] = s[i] == '\t' ? ' ' : s[i] < 0x20 || s[i] == 0x7f ? '?' : (char) s[i];
	    i++;
	} else if ((n = ar_utf8_len(s + i, len - i, &cp)) == 0) {
	    dst[o++] = '?';
	    i++;
	} else if (i + n > lim) {
	    break;				/* cut at a character boundary */
	} else {
	    if (utf8 && !ar_invisible(cp)) {
		memcpy(dst + o, s + i, n);
		o += n;
	    } else {
		dst[o++] = '?';
	    }
	    i += n;
	}
    }
    if (len > lim) {
	memcpy(dst + o, "...", 3);
	o += 3;
    }
    return o;
}

/* ar_put_escaped - open, escape the bytes in specials, close */

static int ar_put_escaped(struct buf *out, int open, const char *s, size_t n,
			          const char *specials, int close)
{
    size_t i;

    if (buf_reserve(out, 2 * n + 2) < 0)
	return -1;
    buf_addch(out, open);
    for (i = 0; i < n; i++) {
	if (s[i] && strchr(specials, s[i]))
	    buf_addch(out, '\\');
	buf_addch(out, s[i]);
    }
    return buf_addch(out, close);
}

/* ar_value_as - append an untrusted value in the given form */

int ar_value_as(struct buf *out, const char *value, size_t len, int form)
{
    char t[AR_VALUE_MAX];
    size_t n = ar_clean(t, value ? value : "", value ? len : 0, form & AR_UTF8);
    int bare;

    switch (form & AR_FORM_MASK) {
    case AR_FORM_PVALUE:
	bare = ar_is_token(t, n) || ar_is_addr(t, n);
	break;
    case AR_FORM_TOKEN:
	bare = ar_is_token(t, n);
	break;
    case AR_FORM_ATOM:
	bare = msg_is_dot_atom(t, n);
	break;
    case AR_FORM_QUOTED:
	bare = 0;
	break;
    default:
	abort();				/* caller bug */
    }
    if (bare)
	return buf_add(out, t, n);
    return ar_put_escaped(out, '"', t, n, "\"\\", '"');
}

/* ar_value - append an untrusted value as an RFC 8601 pvalue */

int ar_value(struct buf *out, const char *value, size_t len)
{
    return ar_value_as(out, value, len, AR_FORM_PVALUE);
}

/* ar_comment - append untrusted text as a comment */

int ar_comment(struct buf *out, const char *text, int utf8)
{
    char t[AR_VALUE_MAX];
    size_t n = ar_clean(t, text ? text : "", text ? strlen(text) : 0, utf8);

    return ar_put_escaped(out, '(', t, n, "()\\", ')');
}

/* ar_init - start a field for our authserv-id */

int ar_init(struct ar *ar, const char *id)
{
    size_t n, i;

    buf_init(&ar->body, AR_HEADER_MAX);
    ar->chunks = ar->results = ar->dropped = 0;
    ar->open_len = ar->open_chunks = 0;
    ar->state = AR_ST_DEAD;
    ar->flags = 0;
    if (id == NULL || (n = strlen(id)) == 0 || n > AR_ID_MAX)
	return -1;
    for (i = 0; i < n; i++)
	if ((unsigned char) id[i] <= 0x20 || (unsigned char) id[i] >= 0x7f)
	    return -1;
    if (ar_value_as(&ar->body, id, n, AR_FORM_TOKEN) < 0)
	return -1;
    ar->state = AR_ST_ID;
    return 0;
}

/* ar_utf8 - allow UTF-8 in later values and comments */

void ar_utf8(struct ar *ar, int on)
{
    ar->flags = on ? AR_UTF8 : 0;
}

/* ar_fail - a failed addition: drop the open result, if any */

static int ar_fail(struct ar *ar)
{
    if (ar->state == AR_ST_METHOD || ar->state == AR_ST_PROPS) {
	buf_truncate(&ar->body, ar->open_len);
	ar->chunks = ar->open_chunks;
	ar->results--;
	ar->dropped++;
	ar->state = AR_ST_SKIP;
    }
    return -1;
}

/* ar_append - add one element after a fold point, within the limit */

static int ar_append(struct ar *ar, const struct buf *piece, int semi)
{
    size_t need = buf_len(piece) + 1 + (semi != 0);
    int sep = semi ? AR_SEP_RESULT : AR_SEP;

    if (buf_error(piece) || buf_error(&ar->body))
	return -1;
    if (buf_len(&ar->body) + need + 2 * (ar->chunks + 1) > AR_HEADER_MAX - AR_OVERHEAD)
	return -1;
    if ((semi && buf_addch(&ar->body, ';') < 0)
	|| buf_addch(&ar->body, sep) < 0
	|| buf_add(&ar->body, buf_str(piece), buf_len(piece)) < 0) {
	ar->state = AR_ST_DEAD;			/* out of memory */
	return -1;
    }
    ar->chunks++;
    return 0;
}

/* ar_add_element - append a reason or property to the open result */

static int ar_add_element(struct ar *ar, struct buf *piece)
{
    int ret = ar_append(ar, piece, 0);

    buf_free(piece);
    if (ret < 0)
	return ar_fail(ar);
    ar->state = AR_ST_PROPS;
    return 0;
}

/* ar_add_result - start a resinfo */

int ar_add_result(struct ar *ar, const char *method, const char *result)
{
    struct buf piece = BUF_INIT(AR_HEADER_MAX);
    size_t len = buf_len(&ar->body), chunks = ar->chunks;
    int ret;

    if (ar->state == AR_ST_DEAD)
	return -1;
    if (method == NULL || result == NULL || str_eq_ci(method, "none")
	|| !ar_is_keyword(method, strlen(method))
	|| !ar_is_keyword(result, strlen(result))) {
	ar->dropped++;
	ar->state = AR_ST_SKIP;
	return -1;
    }
    buf_printf(&piece, "%s=%s", method, result);
    ret = ar_append(ar, &piece, 1);
    buf_free(&piece);
    if (ret < 0) {				/* nothing was appended */
	if (ar->state != AR_ST_DEAD) {
	    ar->dropped++;
	    ar->state = AR_ST_SKIP;
	}
	return -1;
    }
    ar->open_len = len;
    ar->open_chunks = chunks;
    ar->results++;
    ar->state = AR_ST_METHOD;
    return 0;
}

/* ar_add_reason - reason="text" for the open result */

int ar_add_reason(struct ar *ar, const char *text)
{
    struct buf piece = BUF_INIT(AR_HEADER_MAX);

    if (ar->state != AR_ST_METHOD)
	return ar_fail(ar);
    buf_addstr(&piece, "reason=");
    ar_value_as(&piece, text, text ? strlen(text) : 0, AR_FORM_QUOTED | ar->flags);
    return ar_add_element(ar, &piece);
}

/* ar_is_ptype - one of the RFC 8601 ptypes */

static int ar_is_ptype(const char *s)
{
    return str_eq_ci(s, "smtp") || str_eq_ci(s, "header")
	|| str_eq_ci(s, "body") || str_eq_ci(s, "policy");
}

/* ar_add_propn - ptype.property=value of len bytes for the open result */

int ar_add_propn(struct ar *ar, const char *ptype, const char *property,
		         const char *value, size_t len)
{
    struct buf piece = BUF_INIT(AR_HEADER_MAX);

    if (ar->state != AR_ST_METHOD && ar->state != AR_ST_PROPS)
	return ar_fail(ar);
    if (ptype == NULL || property == NULL || !ar_is_ptype(ptype)
	|| !ar_is_keyword(property, strlen(property)))
	return ar_fail(ar);
    buf_printf(&piece, "%s.%s=", ptype, property);
    ar_value_as(&piece, value, len, AR_FORM_PVALUE | ar->flags);
    return ar_add_element(ar, &piece);
}

/* ar_add_prop - ptype.property=value for the open result */

int ar_add_prop(struct ar *ar, const char *ptype, const char *property,
		        const char *value)
{
    return ar_add_propn(ar, ptype, property, value, value ? strlen(value) : 0);
}

/* ar_add_comment - "(text)" after the last element */

int ar_add_comment(struct ar *ar, const char *text)
{
    struct buf piece = BUF_INIT(AR_HEADER_MAX);
    int ret;

    if (ar->state == AR_ST_DEAD || ar->state == AR_ST_SKIP)
	return -1;
    ar_comment(&piece, text, ar->flags);
    ret = ar_append(ar, &piece, 0);
    buf_free(&piece);
    return ret < 0 ? ar_fail(ar) : 0;
}

/* ar_span - bytes up to the next fold point, or with whole, next resinfo */

static size_t ar_span(const char *s, const char *end, int whole)
{
    const char *p;

    for (p = s; p < end; p++)
	if (*p == AR_SEP_RESULT || (*p == AR_SEP && !whole))
	    break;
    return (size_t) (p - s);
}

/* ar_fold - append body elements to out, folding long lines */

static void ar_fold(struct buf *out, const char *s, size_t len, const char *eol)
{
    const char *end = s + len;
    size_t col, n, want;
    int sep;

    n = ar_span(s, end, 0);			/* the authserv-id stays put */
    buf_add(out, s, n);
    col = sizeof(AR_NAME) + n;
    for (s += n; s < end; s += n) {
	sep = *s++;
	n = ar_span(s, end, 0);
	want = sep == AR_SEP_RESULT ? ar_span(s, end, 1) : n;
	if (col + 1 + want > AR_LINE_MAX) {	/* a resinfo starts a line if it can */
	    buf_addstr(out, eol);
	    buf_addch(out, '\t');
	    col = 1 + n;
	} else {
	    buf_addch(out, ' ');
	    col += 1 + n;
	}
	buf_add(out, s, n);
    }
}

/* ar_finish - the whole field, folded */

int ar_finish(const struct ar *ar, int crlf, struct buf *out)
{
    struct buf body = BUF_INIT(AR_HEADER_MAX);
    const char *eol = crlf ? "\r\n" : "\n";
    size_t start = out->len;
    int ret;

    if (ar->state == AR_ST_DEAD || buf_error(&ar->body))
	return -1;
    buf_add(&body, buf_str(&ar->body), buf_len(&ar->body));
    if (ar->results == 0) {
	buf_addch(&body, ';');
	buf_addch(&body, AR_SEP_RESULT);
	buf_addstr(&body, "none");
    }
    if (buf_error(&body)
	|| buf_reserve(out, buf_len(&body) + 2 * ar->chunks + AR_OVERHEAD) < 0) {
	buf_free(&body);
	return -1;
    }
    buf_addstr(out, AR_NAME " ");
    ar_fold(out, buf_str(&body), buf_len(&body), eol);
    ret = buf_addstr(out, eol);
    buf_free(&body);
    if (ret < 0 || out->len - start > AR_HEADER_MAX)
	abort();				/* the reserve above was wrong */
    return 0;
}

/* ar_free - release the builder */

void ar_free(struct ar *ar)
{
    if (ar == NULL)
	return;
    buf_free(&ar->body);
    ar->state = AR_ST_DEAD;
}

/* Reading: a cursor over a field body. */
struct ar_in {
    const char *s;
    size_t len;
    size_t i;
};

/* ar_fws_break - skip a line break that is a fold; -1 when it is not */

static int ar_fws_break(struct ar_in *in, int may_end)
{
    size_t j = in->i;

    if (in->s[j] == '\r') {
	if (j + 1 >= in->len || in->s[j + 1] != '\n')
	    return -1;
	j++;
    }
    j++;
    if (j == in->len && may_end) {
	in->i = j;				/* the field's own line end */
	return 0;
    }
    if (j >= in->len || !STR_IS_WSP(in->s[j]))
	return -1;
    in->i = j;
    return 0;
}

/* ar_skip_comment - skip one comment, nested ones included */

static int ar_skip_comment(struct ar_in *in)
{
    int depth = 0;
    unsigned char c;

    while (in->i < in->len) {
	c = (unsigned char) in->s[in->i];
	if (c == '\\') {
	    if (in->i + 1 >= in->len || (unsigned char) in->s[in->i + 1] < 0x20
		|| in->s[in->i + 1] == 0x7f)
		return -1;
	    in->i += 2;
	    continue;
	}
	if (c == '\r' || c == '\n') {
	    if (ar_fws_break(in, 0) < 0)
		return -1;
	    continue;
	}
	if (c < 0x20 ? c != '\t' : c == 0x7f)
	    return -1;
	in->i++;
	if (c == '(' && ++depth > AR_COMMENT_DEPTH_MAX)
	    return -1;
	if (c == ')' && --depth == 0)
	    return 0;
    }
    return -1;					/* unterminated */
}

/* ar_skip_cfws - skip white space, folds and comments */

static int ar_skip_cfws(struct ar_in *in)
{
    while (in->i < in->len) {
	char c = in->s[in->i];

	if (STR_IS_WSP(c)) {
	    in->i++;
	} else if (c == '\r' || c == '\n') {
	    if (ar_fws_break(in, 1) < 0)
		return -1;
	} else if (c == '(') {
	    if (ar_skip_comment(in) < 0)
		return -1;
	} else {
	    break;
	}
    }
    return 0;
}

/* ar_quoted - read a quoted-string into id, quoted-pairs resolved */

static int ar_quoted(struct ar_in *in, char *id, size_t size, size_t *n)
{
    unsigned char c;

    for (in->i++; in->i < in->len; in->i++) {
	c = (unsigned char) in->s[in->i];
	if (c == '"') {
	    in->i++;
	    return 0;
	}
	if (c == '\r' || c == '\n') {
	    if (ar_fws_break(in, 0) < 0)
		return -1;
	    c = (unsigned char) in->s[in->i];	/* the WSP after the fold */
	} else if (c == '\\') {
	    if (++in->i >= in->len)
		return -1;
	    c = (unsigned char) in->s[in->i];
	}
	if (c < 0x20 ? c != '\t' : c == 0x7f)
	    return -1;
	if (*n + 1 >= size)
	    return -1;
	id[(*n)++] = (char) c;
    }
    return -1;					/* unterminated */
}

/* ar_authserv_id - the authserv-id of an existing field */

int ar_authserv_id(const char *value, size_t len, char *id, size_t size)
{
    struct ar_in in = {value, len, 0};
    size_t n = 0;

    if (size == 0)
	return -1;
    id[0] = 0;
    if (ar_skip_cfws(&in) < 0 || in.i >= len)
	return -1;
    if (value[in.i] == '"') {
	if (ar_quoted(&in, id, size, &n) < 0)
	    return -1;
    } else {
	for (; in.i < len && ar_is_token_char((unsigned char) value[in.i]); in.i++) {
	    if (n + 1 >= size)
		return -1;
	    id[n++] = value[in.i];
	}
    }
    id[n] = 0;
    if (n == 0 || ar_skip_cfws(&in) < 0)
	return -1;
    if (in.i < len && STR_IS_DIGIT(value[in.i])) {
	if (in.i == 0 || !(STR_IS_WSP(value[in.i - 1]) || value[in.i - 1] == ')'))
	    return -1;				/* no CFWS before the version */
	while (in.i < len && STR_IS_DIGIT(value[in.i]))
	    in.i++;
	if (ar_skip_cfws(&in) < 0)
	    return -1;
    }
    return in.i == len || value[in.i] == ';' ? 0 : -1;
}

/* ar_id_eq - case-insensitive equality, one trailing dot ignored */

static int ar_id_eq(const char *a, const char *b)
{
    size_t alen = strlen(a), blen = strlen(b), i;

    if (alen > 1 && a[alen - 1] == '.')
	alen--;
    if (blen > 1 && b[blen - 1] == '.')
	blen--;
    if (alen != blen)
	return 0;
    for (i = 0; i < alen; i++)
	if (STR_TOLOWER(a[i]) != STR_TOLOWER(b[i]))
	    return 0;
    return 1;
}

/* ar_is_ours - does the field claim our authserv-id? */

int ar_is_ours(const char *value, size_t len, const char *authserv_id)
{
    char id[AR_ID_MAX + 2];

    if (ar_authserv_id(value, len, id, sizeof(id)) < 0)
	return -1;
    return authserv_id != NULL && ar_id_eq(id, authserv_id);
}
