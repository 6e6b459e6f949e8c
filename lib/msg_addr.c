/*++
 * NAME
 *	msg_addr 3
 * SUMMARY
 *	author domains of a From field
 * SYNOPSIS
 *	#include "msg.h"
 *
 *	int	msg_from_domains(value, len, authors)
 *	int	msg_domain_normalize(in, len, out, outsize)
 *	int	msg_is_dot_atom(s, len)
 * DESCRIPTION
 *	msg_from_domains() parses the len bytes of a From field value, folded
 *	or not, as an RFC 5322 address-list, and appends the domain of each
 *	mailbox to *authors (zero it once; call again for more From fields).
 *	Accepted besides the plain forms: display names of atoms, quoted
 *	strings and RFC 2047 encoded words (a well-formed encoded word is one
 *	opaque piece of an atom, whatever it contains, also in comments);
 *	nested comments; groups, empty or not, the final ";" optional at the
 *	end of the value; empty list elements; source routes
 *	"<@a,@b:local@domain>"; local parts of words and dots in any order
 *	(but no two words without a dot between them); one trailing dot on
 *	a domain; 8-bit UTF-8 in atoms and quoted strings (RFC 6532).
 *
 *	Each domain is normalized with msg_domain_normalize() and kept once:
 *	authors->n counts the distinct domains kept (at most
 *	MSG_AUTHORS_MAX), authors->seen every mailbox seen, duplicates and
 *	those past the limit included, authors->literals the mailboxes
 *	among them whose domain is a [domain-literal], which have no domain
 *	to evaluate and are not kept.  A mailbox is counted once it is
 *	whole: after its ">", or after its addr-spec when the next token is
 *	"," or ";" or the end.
 *
 *	The result is MSG_OK when the whole value parsed, even if it holds
 *	no mailbox (empty, white space, comments, empty groups).  It is
 *	MSG_BAD on the first syntax error, which includes a NUL byte, a
 *	phrase without an address ("From: foo", "Doe, John <j@example>"),
 *	an unquoted "@" in a display name, and a domain that does not
 *	normalize; the mailboxes counted before the error stay in *authors.
 *	A caller must not let a MSG_BAD From pass DMARC: RFC 7489 6.6.1
 *	leaves it to the receiver, and a From field that mail readers may
 *	parse differently is how author domains are spoofed.  MSG_NOMEM
 *	means memory ran out in libidn2.
 *
 *	msg_domain_normalize() turns len bytes of a domain into the form
 *	used for DNS lookups and comparison: one trailing dot removed, ASCII
 *	lower-cased, UTF-8 U-labels converted to A-labels with libidn2
 *	(UTS #46 non-transitional, which also folds case).  The result must
 *	be a host name: labels of letters, digits, "-" and "_", 1 to
 *	DNS_LABEL_MAX long, at most MSG_DOMAIN_MAX in all.  One label is
 *	enough (the DMARC layer decides what it makes of it).  A hyphen at
 *	the start or end of a label is accepted: DNS allows it, the name
 *	only goes into lookups and into header values where "-" is
 *	harmless, and refusing it would turn a lookup that merely finds
 *	nothing into a malformed From.  ASCII names are not given to
 *	libidn2, so "xn--" labels are taken as they are.  The result is
 *	written to out (outsize bytes, NUL included); 0 or -1.
 *
 *	msg_is_dot_atom() returns 1 when len bytes of s are an RFC 5322
 *	dot-atom-text of US-ASCII atext (no 8-bit bytes), else 0.
 *--*/
#include <idn2.h>
#include <string.h>

#include "log.h"
#include "msg.h"
#include "str.h"

/* Token types beyond single special characters. */
enum {
    MSG_T_END = 256,
    MSG_T_ATOM,				/* atext and encoded words */
    MSG_T_QSTR,				/* "quoted string" */
    MSG_T_DLIT,				/* [domain literal] */
    MSG_T_BAD				/* anything that cannot be a token */
};

struct msg_lex {
    const char *p;			/* next byte */
    const char *end;
};

struct msg_tok {
    int type;
    const char *s;
    size_t len;
};

/* What was read before "<", ":" or "@". */
struct msg_seq {
    size_t words;			/* atoms and quoted strings */
    int adjacent;			/* two words without a dot between */
};

/* msg_is_atext - RFC 5322 atext, and 8-bit bytes (RFC 6532) */

static int msg_is_atext(unsigned char c)
{
    if (STR_IS_ALPHA(c) || STR_IS_DIGIT(c) || c >= 0x80)
	return 1;
    return c != 0 && memchr("!#$%&'*+-/=?^_`{|}~", c, 19) != NULL;
}

/* msg_is_dot_atom - atext runs joined by single dots, US-ASCII only */

int msg_is_dot_atom(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || s[0] == '.' || s[len - 1] == '.')
	return 0;
    for (i = 0; i < len; i++) {
	unsigned char c = (unsigned char) s[i];

	if (c == '.' ? s[i + 1] == '.' : c >= 0x80 || !msg_is_atext(c))
	    return 0;
    }
    return 1;
}

/* msg_is_token - RFC 2047 token character, for charsets */

static int msg_is_token(unsigned char c)
{
    return c > 32 && c < 127 && memchr("()<>@,;:\\\"/[]?.=", c, 17) == NULL;
}

/* msg_encword - length of an RFC 2047 encoded word at p, or 0 */

static size_t msg_encword(const char *p, const char *end)
{
    const char *q = p + 2;
    const char *cs = q;

    if (end - p < 2 || p[0] != '=' || p[1] != '?')
	return 0;
    while (q < end && msg_is_token((unsigned char) *q))
	q++;
    if (q == cs || end - q < 3 || q[0] != '?' || q[2] != '?'
	|| (q[1] != 'B' && q[1] != 'b' && q[1] != 'Q' && q[1] != 'q'))
	return 0;
    /* The text ends at the first "?", which keeps every attempt linear. */
    for (q += 3; q < end && *q != '?'; q++)
	if ((unsigned char) *q <= 32 || *q == 127)
	    return 0;
    if (end - q < 2 || q[1] != '=')
	return 0;
    return (size_t) (q + 2 - p);
}

/* msg_skip_cfws - skip white space, line breaks and nested comments */

static int msg_skip_cfws(struct msg_lex *lx)
{
    const char *p = lx->p;
    size_t depth = 0, ew;

    while (p < lx->end) {
	unsigned char c = (unsigned char) *p;

	if (depth == 0 && !STR_IS_WSP(c) && c != '\r' && c != '\n' && c != '(')
	    break;
	if (depth > 0 && c == '\\') {
	    if (lx->end - p < 2)
		return -1;
	    p += 2;
	    continue;
	}
	if (depth > 0 && (ew = msg_encword(p, lx->end)) > 0) {
	    p += ew;
	    continue;
	}
	if (c == '(')
	    depth++;
	else if (c == ')')
	    depth--;
	p++;
    }
    lx->p = p;
    return depth > 0 ? -1 : 0;
}

/* msg_lex_delim - quoted string or domain literal, quoted-pairs inside */

static int msg_lex_delim(struct msg_lex *lx, char close, int type)
{
    const char *p;

    for (p = lx->p + 1; p < lx->end; p++) {
	if (*p == '\\') {
	    if (lx->end - p < 2)
		return MSG_T_BAD;
	    p++;
	} else if (*p == close) {
	    lx->p = p + 1;
	    return type;
	} else if (type == MSG_T_DLIT && *p == '[') {
	    return MSG_T_BAD;
	}
    }
    return MSG_T_BAD;
}

/* msg_lex_atom - a run of atext and encoded words */

static int msg_lex_atom(struct msg_lex *lx)
{
    size_t ew;

    while (lx->p < lx->end) {
	if ((ew = msg_encword(lx->p, lx->end)) > 0)
	    lx->p += ew;
	else if (msg_is_atext((unsigned char) *lx->p))
	    lx->p++;
	else
	    break;
    }
    return MSG_T_ATOM;
}

/* msg_lex_next - the next token; a bad one does not advance */

static int msg_lex_next(struct msg_lex *lx, struct msg_tok *t)
{
    unsigned char c;

    t->len = 0;
    if (msg_skip_cfws(lx) < 0) {
	t->s = lx->p;
	return t->type = MSG_T_BAD;
    }
    t->s = lx->p;
    if (lx->p >= lx->end)
	return t->type = MSG_T_END;
    switch (c = (unsigned char) *lx->p) {
    case '"':
	t->type = msg_lex_delim(lx, '"', MSG_T_QSTR);
	break;
    case '[':
	t->type = msg_lex_delim(lx, ']', MSG_T_DLIT);
	break;
    case '<': case '>': case '@': case ',': case ':': case ';': case '.':
	lx->p++;
	t->type = c;
	break;
    default:
	t->type = msg_is_atext(c) ? msg_lex_atom(lx) : MSG_T_BAD;
	break;
    }
    t->len = (size_t) (lx->p - t->s);
    return t->type;
}

/* msg_lex_peek - the type of the next token, not consumed */

static int msg_lex_peek(const struct msg_lex *lx)
{
    struct msg_lex copy = *lx;
    struct msg_tok t;

    return msg_lex_next(&copy, &t);
}

/* msg_lex_skip - consume the next token */

static void msg_lex_skip(struct msg_lex *lx)
{
    struct msg_tok t;

    (void) msg_lex_next(lx, &t);
}

/* msg_seq_read - words and dots; returns the type that ended them */

static int msg_seq_read(struct msg_lex *lx, struct msg_seq *sq)
{
    int type, prev_word = 0;

    sq->words = 0;
    sq->adjacent = 0;
    for (;;) {
	switch (type = msg_lex_peek(lx)) {
	case MSG_T_ATOM:
	case MSG_T_QSTR:
	    if (prev_word)
		sq->adjacent = 1;
	    sq->words++;
	    prev_word = 1;
	    break;
	case '.':
	    prev_word = 0;
	    break;
	default:
	    return type;
	}
	msg_lex_skip(lx);
    }
}

/* msg_domain_read - domain after "@": atoms and dots, or a literal */

static int msg_domain_read(struct msg_lex *lx, char *dom, size_t size, size_t *dlen)
{
    struct msg_tok t;
    size_t n = 0;

    *dlen = 0;
    if (msg_lex_next(lx, &t) == MSG_T_DLIT)
	return 0;				/* *dlen 0: a literal */
    if (t.type != MSG_T_ATOM)
	return -1;
    for (;;) {
	if (t.len >= size - n)
	    return -1;
	memcpy(dom + n, t.s, t.len);
	n += t.len;
	if (msg_lex_peek(lx) != '.')
	    break;
	msg_lex_skip(lx);
	if (n + 1 >= size)
	    return -1;
	dom[n++] = '.';
	if (msg_lex_peek(lx) != MSG_T_ATOM)
	    break;				/* one trailing dot */
	msg_lex_next(lx, &t);
    }
    dom[n] = 0;
    *dlen = n;
    return 0;
}

/* msg_domain_norm - msg_domain_normalize() with a MSG_* result */

static int msg_domain_norm(const char *in, size_t len, char *out, size_t outsize);

/* msg_author_add - count a mailbox, keep its domain once */

static int msg_author_add(struct msg_authors *out, const char *raw, size_t len)
{
    char dom[DNS_NAME_MAX + 1];
    size_t i;
    int ret;

    if (len == 0) {
	out->seen++;
	out->literals++;
	return MSG_OK;
    }
    if ((ret = msg_domain_norm(raw, len, dom, sizeof(dom))) != MSG_OK)
	return ret;
    out->seen++;
    for (i = 0; i < out->n; i++)
	if (strcmp(out->domain[i], dom) == 0)
	    return MSG_OK;
    if (out->n < MSG_AUTHORS_MAX) {
	if (str_copy(out->domain[out->n], dom, sizeof(out->domain[0])) < 0)
	    log_panic("msg_author_add: domain does not fit");
	out->n++;
    }
    return MSG_OK;
}

/* msg_route_skip - obsolete source route "@a,@b:" inside "<" */

static int msg_route_skip(struct msg_lex *lx)
{
    char dom[MSG_ADDR_MAX + 1];
    struct msg_lex save = *lx;
    struct msg_tok t;
    size_t dlen;

    while (msg_lex_next(lx, &t) == ',')
	 /* void */ ;
    if (t.type != '@') {
	*lx = save;
	return MSG_OK;				/* no route */
    }
    for (;;) {
	if (msg_domain_read(lx, dom, sizeof(dom), &dlen) < 0)
	    return MSG_BAD;
	while (msg_lex_next(lx, &t) == ',')
	     /* void */ ;
	if (t.type == ':')
	    return MSG_OK;
	if (t.type != '@')
	    return MSG_BAD;
    }
}

/* msg_angle_addr - the rest of "<" [route] addr-spec ">" */

static int msg_angle_addr(struct msg_lex *lx, struct msg_authors *out)
{
    char dom[MSG_ADDR_MAX + 1];
    struct msg_seq sq;
    size_t dlen;
    int ret;

    if ((ret = msg_route_skip(lx)) != MSG_OK)
	return ret;
    if (msg_seq_read(lx, &sq) != '@' || sq.words == 0 || sq.adjacent)
	return MSG_BAD;
    msg_lex_skip(lx);
    if (msg_domain_read(lx, dom, sizeof(dom), &dlen) < 0)
	return MSG_BAD;
    if (msg_lex_peek(lx) != '>')
	return MSG_BAD;
    msg_lex_skip(lx);
    return msg_author_add(out, dom, dlen);
}

/* msg_addr_spec - the rest of a bare local-part "@" domain */

static int msg_addr_spec(struct msg_lex *lx, struct msg_authors *out, int in_group)
{
    char dom[MSG_ADDR_MAX + 1];
    size_t dlen;
    int type;

    if (msg_domain_read(lx, dom, sizeof(dom), &dlen) < 0)
	return MSG_BAD;
    type = msg_lex_peek(lx);
    if (type != ',' && type != MSG_T_END && !(in_group && type == ';'))
	return MSG_BAD;
    return msg_author_add(out, dom, dlen);
}

static int msg_list(struct msg_lex *, struct msg_authors *, int);

/* msg_address - one mailbox, or a group when not in one */

static int msg_address(struct msg_lex *lx, struct msg_authors *out, int in_group)
{
    struct msg_seq sq;

    switch (msg_seq_read(lx, &sq)) {
    case '<':
	msg_lex_skip(lx);
	return msg_angle_addr(lx, out);
    case ':':
	if (in_group || sq.words == 0)
	    return MSG_BAD;
	msg_lex_skip(lx);
	return msg_list(lx, out, 1);
    case '@':
	if (sq.words == 0 || sq.adjacent)
	    return MSG_BAD;
	msg_lex_skip(lx);
	return msg_addr_spec(lx, out, in_group);
    default:
	return MSG_BAD;
    }
}

/* msg_list - addresses up to the end, or in_group the rest of a group
 * after "name:", up to ";" or the end (";" missing: tolerated) */

static int msg_list(struct msg_lex *lx, struct msg_authors *out, int in_group)
{
    struct msg_tok t;
    int type, ret;

    for (;;) {
	type = msg_lex_peek(lx);
	if (type == MSG_T_END)
	    return MSG_OK;
	if (type == ',' || (in_group && type == ';')) {
	    msg_lex_skip(lx);
	    if (type == ';')
		return MSG_OK;
	    continue;				/* an empty element */
	}
	if ((ret = msg_address(lx, out, in_group)) != MSG_OK)
	    return ret;
	type = msg_lex_next(lx, &t);
	if (type == MSG_T_END || (in_group && type == ';'))
	    return MSG_OK;
	if (type != ',')
	    return MSG_BAD;
    }
}

/* msg_from_domains - author domains of a From field value */

int msg_from_domains(const char *value, size_t len, struct msg_authors *out)
{
    struct msg_lex lx;

    if (out->n > MSG_AUTHORS_MAX)
	log_panic("msg_from_domains: authors->n %zu: not zeroed", out->n);
    if (len == 0)
	return MSG_OK;
    if (memchr(value, 0, len) != NULL)
	return MSG_BAD;
    lx.p = value;
    lx.end = value + len;
    return msg_list(&lx, out, 0);
}

/* msg_host_copy - check a host name, lower-case it into out */

static int msg_host_copy(const char *in, size_t len, char *out, size_t outsize)
{
    size_t i, label = 0;

    if (len > 0 && in[len - 1] == '.')
	len--;
    if (len == 0 || len > MSG_DOMAIN_MAX || len >= outsize)
	return MSG_BAD;
    for (i = 0; i < len; i++) {
	char c = in[i];

	if (c == '.') {
	    if (label == 0)
		return MSG_BAD;
	    label = 0;
	} else if (STR_IS_ALPHA(c) || STR_IS_DIGIT(c) || c == '-' || c == '_') {
	    if (label >= DNS_LABEL_MAX)
		return MSG_BAD;
	    label++;
	} else {
	    return MSG_BAD;
	}
    }
    if (label == 0)
	return MSG_BAD;
    for (i = 0; i < len; i++)
	out[i] = (char) STR_TOLOWER(in[i]);
    out[len] = 0;
    return MSG_OK;
}

/* msg_domain_norm - normalize a domain; MSG_OK, MSG_BAD or MSG_NOMEM */

static int msg_domain_norm(const char *in, size_t len, char *out, size_t outsize)
{
    char tmp[MSG_ADDR_MAX + 1];
    char *ace = NULL;
    size_t i;
    int ascii = 1, rc;

    if (outsize > 0)
	out[0] = 0;
    if (len == 0 || len > MSG_ADDR_MAX)
	return MSG_BAD;
    for (i = 0; i < len; i++) {
	if (in[i] == 0)
	    return MSG_BAD;
	if ((unsigned char) in[i] >= 0x80)
	    ascii = 0;
    }
    if (ascii)
	return msg_host_copy(in, len, out, outsize);
    memcpy(tmp, in, len);
    tmp[len] = 0;
    rc = idn2_to_ascii_8z(tmp, &ace, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
    if (rc == IDN2_MALLOC)
	return MSG_NOMEM;
    if (rc != IDN2_OK || ace == NULL)
	return MSG_BAD;
    rc = msg_host_copy(ace, strlen(ace), out, outsize);
    idn2_free(ace);
    return rc;
}

/* msg_domain_normalize - lower-case A-label host name, or -1 */

int msg_domain_normalize(const char *in, size_t len, char *out, size_t outsize)
{
    return msg_domain_norm(in, len, out, outsize) == MSG_OK ? 0 : -1;
}
