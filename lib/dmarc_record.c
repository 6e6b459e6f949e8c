/*++
 * NAME
 *	dmarc_record 3
 * SUMMARY
 *	DMARC Policy Record parser (RFC 9989 4.7, 4.8) and mailto: URIs
 * SYNOPSIS
 *	#include "dmarc_record.h"
 *
 *	int	dmarc_record_parse(txt, len, rec, why, whysize)
 *	const char *dmarc_policy_name(policy)
 *	int	dmarc_uri_valid(uri, len)
 *	int	dmarc_uri_mailto(uri, addr, addrsize)
 * DESCRIPTION
 *	dmarc_record_parse() parses one TXT record, its character-strings
 *	already joined (RFC 9989 4.5), of len bytes that may hold any
 *	byte, NUL included.  It fills *rec and returns:
 * .IP DMARC_RECORD_NOT_DMARC
 *	the first tag is not "v=DMARC1": not a DMARC record, to be
 *	discarded before counting the records of a name (4.7 "v", 4.10
 *	steps 2 and 6).
 * .IP DMARC_RECORD_INVALID
 *	a DMARC record that gives no policy: p (or sp, np) is missing or
 *	invalid and rua holds no valid URI (4.10.1), or the record is
 *	longer than DMARC_RECORD_MAX.  *rec still holds what could be
 *	parsed (psd, rua, ...): an external-reporting authorization record
 *	("v=DMARC1;" at _report._dmarc, RFC 9990 section 3) is any record
 *	that is not DMARC_RECORD_NOT_DMARC, and its rua/ruf override.
 * .IP DMARC_RECORD_OK
 *	a usable record.  rec->p_from_rua is 1 when p was missing or
 *	invalid, or sp or np was invalid, and the record is used as
 *	"p=none" because rua holds a valid URI (4.10.1); rec->sp and
 *	rec->np are then DMARC_POLICY_UNSPEC.
 * .PP
 *	why (whysize bytes, may be NULL) receives a short reason for
 *	NOT_DMARC, INVALID and p_from_rua, printable and safe to log;
 *	it is "" for a plain OK.
 *
 *	Rules, RFC 9989 section 4.8 unless said otherwise:
 * .IP \(bu
 *	Tags are separated by ';' with optional SP/HTAB around it, and by
 *	'=' likewise; a trailing ';' is allowed.  White space before the
 *	first tag and after the last value is tolerated too (the DKIM
 *	tag-list of RFC 6376 3.2, which 4.7 says DMARC follows).
 * .IP \(bu
 *	The tag "v" must come first with the value "DMARC1", compared
 *	case-sensitively (%s"DMARC1").  Tag names and the keyword values
 *	of p, sp, np, adkim, aspf, t, psd, fo and the obsolete size unit
 *	are ABNF quoted strings, so case-insensitive (RFC 5234 2.3).
 * .IP \(bu
 *	Unknown tags are ignored (4.7), and so are pct, rf and ri, which
 *	RFC 9989 removed (C.5.2).  So are elements that are not
 *	"1*ALPHA = value" and empty elements.
 * .IP \(bu
 *	A tag given twice: the first one counts, later ones are ignored
 *	(the RFC is silent).
 * .IP \(bu
 *	An invalid value of adkim, aspf, t, psd or fo is replaced by the
 *	default ("Syntax errors in the remainder of the record MUST be
 *	discarded in favor of default values").  An invalid p, sp or np
 *	instead triggers the rule of 4.10.1 (see DMARC_RECORD_INVALID).
 * .IP \(bu
 *	fo is normalized to its options in the order 0, 1, d, s joined by
 *	':' ("s:1" becomes "1:s"); without a ruf tag it is "0" (4.7: its
 *	content MUST be ignored then).
 * .IP \(bu
 *	rua and ruf are comma-separated URIs, SP/HTAB allowed around each
 *	comma.  Each URI is checked with dmarc_uri_valid(); bad ones are
 *	dropped one by one.  At most DMARC_URIS_MAX URIs of at most
 *	DMARC_URI_MAX bytes are kept, as published (the obsolete "!size"
 *	suffix included).  Every scheme is kept; reporters ignore what
 *	dmarc_uri_mailto() refuses (4.7: unsupported schemes MUST be
 *	ignored).
 * .PP
 *	dmarc_policy_name() returns "none", "quarantine", "reject", or ""
 *	for DMARC_POLICY_UNSPEC and anything else.
 *
 *	dmarc_uri_valid() returns 1 when len bytes of uri are a DMARC
 *	reporting URI (4.8 dmarc-uri / obs-dmarc-uri): an RFC 3986 scheme,
 *	':', and a non-empty rest made of RFC 3986 URI characters and
 *	valid %HH escapes, with ',' and '!' encoded but for one trailing
 *	"!" 1*DIGIT [k/m/g/t].  Otherwise 0.
 *
 *	dmarc_uri_mailto() extracts the address of a mailto: URI, for
 *	rua/ruf: "mailto:a@b.example!10m" gives "a@b.example".  The scheme
 *	is case-insensitive, the "!size" suffix and any "?hfields" are
 *	dropped, %HH escapes are decoded.  The decoded address must be one
 *	plain local@domain: a dot-atom local-part of at most
 *	DMARC_LOCAL_MAX bytes and an LDH host name of at most DNS_NAME_MAX
 *	bytes (RFC 5321 4.1.2).  Quoted local-parts, address literals,
 *	non-ASCII and a list of addresses (a decoded ',') are refused.
 *	It returns 0, or -1 with addr set to "" (when addrsize > 0) if
 *	the URI is not a usable mailto: or the address does not fit.
 * LIMITS
 *	DMARC_RECORD_MAX, DMARC_URIS_MAX, DMARC_URI_MAX, DMARC_LOCAL_MAX,
 *	DNS_NAME_MAX, DNS_LABEL_MAX (limits.h).
 *--*/
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "compat.h"
#include "dmarc_record.h"
#include "limits.h"
#include "msg.h"
#include "str.h"

/* Parser state of one record. */
struct dmarc_parse {
    struct dmarc_record *rec;
    unsigned seen;			/* bit per dmarc_tags[] entry */
    int rua_ok;				/* rua holds a syntactically valid URI */
    char problem[96];			/* first bad p/sp/np, for why */
};

typedef void (*dmarc_tag_fn) (struct dmarc_parse *, const char *, size_t);

static void dmarc_tag_p(struct dmarc_parse *, const char *, size_t);
static void dmarc_tag_sp(struct dmarc_parse *, const char *, size_t);
static void dmarc_tag_np(struct dmarc_parse *, const char *, size_t);
static void dmarc_tag_adkim(struct dmarc_parse *, const char *, size_t);
static void dmarc_tag_aspf(struct dmarc_parse *, const char *, size_t);
static void dmarc_tag_t(struct dmarc_parse *, const char *, size_t);
static void dmarc_tag_psd(struct dmarc_parse *, const char *, size_t);
static void dmarc_tag_fo(struct dmarc_parse *, const char *, size_t);
static void dmarc_tag_rua(struct dmarc_parse *, const char *, size_t);
static void dmarc_tag_ruf(struct dmarc_parse *, const char *, size_t);

/* The tags of RFC 9989 4.7; every other name is ignored. */
enum {
    DMARC_TAG_V, DMARC_TAG_P, DMARC_TAG_SP, DMARC_TAG_NP, DMARC_TAG_ADKIM,
    DMARC_TAG_ASPF, DMARC_TAG_T, DMARC_TAG_PSD, DMARC_TAG_FO, DMARC_TAG_RUA,
    DMARC_TAG_RUF, DMARC_TAG_COUNT
};

static const struct dmarc_tag_def {
    const char *name;
    dmarc_tag_fn parse;
} dmarc_tags[DMARC_TAG_COUNT] = {
    [DMARC_TAG_V] = {"v", NULL},	/* again after the first: ignored */
    [DMARC_TAG_P] = {"p", dmarc_tag_p},
    [DMARC_TAG_SP] = {"sp", dmarc_tag_sp},
    [DMARC_TAG_NP] = {"np", dmarc_tag_np},
    [DMARC_TAG_ADKIM] = {"adkim", dmarc_tag_adkim},
    [DMARC_TAG_ASPF] = {"aspf", dmarc_tag_aspf},
    [DMARC_TAG_T] = {"t", dmarc_tag_t},
    [DMARC_TAG_PSD] = {"psd", dmarc_tag_psd},
    [DMARC_TAG_FO] = {"fo", dmarc_tag_fo},
    [DMARC_TAG_RUA] = {"rua", dmarc_tag_rua},
    [DMARC_TAG_RUF] = {"ruf", dmarc_tag_ruf},
};

/* dmarc_why - fill the caller's reason buffer */

static void PD_PRINTF(3, 4) dmarc_why(char *why, size_t size, const char *fmt, ...)
{
    va_list ap;

    if (why == NULL || size == 0)
	return;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
}

/* dmarc_trim - strip SP and HTAB around a span */

static const char *dmarc_trim(const char *s, size_t *len)
{
    size_t n = *len;

    while (n > 0 && STR_IS_WSP(*s)) {
	s++;
	n--;
    }
    while (n > 0 && STR_IS_WSP(s[n - 1]))
	n--;
    *len = n;
    return s;
}

/* dmarc_split_tag - split "name = value" of one element */

static int dmarc_split_tag(const char *s, size_t len, const char **name, size_t *nlen,
			   const char **val, size_t *vlen)
{
    const char *eq;
    size_t i;

    if ((eq = memchr(s, '=', len)) == NULL)
	return -1;
    *nlen = (size_t) (eq - s);
    *name = dmarc_trim(s, nlen);
    *vlen = len - (size_t) (eq - s) - 1;
    *val = dmarc_trim(eq + 1, vlen);
    if (*nlen == 0)
	return -1;
    for (i = 0; i < *nlen; i++)
	if (!STR_IS_ALPHA((*name)[i]))
	    return -1;			/* dmarc-tag = 1*ALPHA equals ... */
    return 0;
}

/* dmarc_is_version - is the first element "v=DMARC1"? */

static int dmarc_is_version(const char *s, size_t len)
{
    const char *name, *val;
    size_t nlen, vlen;

    if (dmarc_split_tag(s, len, &name, &nlen, &val, &vlen) < 0)
	return 0;
    return nlen == 1 && STR_TOLOWER(*name) == 'v'
	&& vlen == 6 && memcmp(val, "DMARC1", 6) == 0;
}

/* dmarc_tag - dispatch one element between semicolons */

static void dmarc_tag(struct dmarc_parse *st, const char *s, size_t len)
{
    const char *name, *val;
    size_t nlen, vlen, i;

    if (dmarc_split_tag(s, len, &name, &nlen, &val, &vlen) < 0)
	return;				/* syntax error: ignored */
    for (i = 0; i < PD_NELEM(dmarc_tags); i++) {
	if (!str_neq_ci(name, nlen, dmarc_tags[i].name))
	    continue;
	if (st->seen & (1u << i))
	    return;			/* given twice: the first counts */
	st->seen |= 1u << i;
	if (dmarc_tags[i].parse)
	    dmarc_tags[i].parse(st, val, vlen);
	return;
    }
}

/* dmarc_record_init - the defaults of RFC 9989 4.7 */

static void dmarc_record_init(struct dmarc_record *rec)
{
    memset(rec, 0, sizeof(*rec));
    rec->p = rec->sp = rec->np = DMARC_POLICY_UNSPEC;
    rec->adkim = rec->aspf = 'r';
    rec->psd = 'u';
    rec->fo[0] = '0';
}

/* dmarc_record_finish - apply RFC 9989 4.10.1 to a missing/bad policy */

static int dmarc_record_finish(struct dmarc_parse *st, char *why, size_t whysize)
{
    struct dmarc_record *rec = st->rec;

    if ((st->seen & (1u << DMARC_TAG_RUF)) == 0) {
	rec->fo[0] = '0';		/* 4.7 fo: ignored without ruf */
	rec->fo[1] = 0;
    }
    if (st->problem[0] == 0 && rec->p == DMARC_POLICY_UNSPEC)
	dmarc_why(st->problem, sizeof(st->problem), "no p tag");
    if (st->problem[0] == 0)
	return DMARC_RECORD_OK;
    if (st->rua_ok) {
	rec->p = DMARC_POLICY_NONE;
	rec->sp = rec->np = DMARC_POLICY_UNSPEC;
	rec->p_from_rua = 1;
	dmarc_why(why, whysize, "%s; p=none as rua is valid (RFC 9989 4.10.1)",
		  st->problem);
	return DMARC_RECORD_OK;
    }
    dmarc_why(why, whysize, "%s and no valid rua URI (RFC 9989 4.10.1)",
	      st->problem);
    return DMARC_RECORD_INVALID;
}

/* dmarc_record_parse - parse one joined TXT record */

int dmarc_record_parse(const char *txt, size_t len, struct dmarc_record *rec,
		       char *why, size_t whysize)
{
    struct dmarc_parse st;
    const char *p, *end, *semi;
    size_t n;

    dmarc_record_init(rec);
    dmarc_why(why, whysize, "%s", "");
    if (txt == NULL || len == 0) {
	dmarc_why(why, whysize, "empty record");
	return DMARC_RECORD_NOT_DMARC;
    }
    end = txt + len;
    p = (semi = memchr(txt, ';', len)) ? semi : end;
    if (!dmarc_is_version(txt, (size_t) (p - txt))) {
	dmarc_why(why, whysize, "not a DMARC record: first tag is not v=DMARC1");
	return DMARC_RECORD_NOT_DMARC;
    }
    if (len > DMARC_RECORD_MAX) {
	dmarc_why(why, whysize, "record longer than %d bytes", DMARC_RECORD_MAX);
	return DMARC_RECORD_INVALID;
    }
    memset(&st, 0, sizeof(st));
    st.rec = rec;
    while (p < end) {			/* p is at a ';' */
	p++;
	semi = memchr(p, ';', (size_t) (end - p));
	n = semi ? (size_t) (semi - p) : (size_t) (end - p);
	dmarc_tag(&st, p, n);
	p += n;
    }
    return dmarc_record_finish(&st, why, whysize);
}

/* dmarc_policy_parse - none / quarantine / reject */

static int dmarc_policy_parse(const char *s, size_t len)
{
    int policy;

    for (policy = DMARC_POLICY_NONE; policy <= DMARC_POLICY_REJECT; policy++)
	if (str_neq_ci(s, len, dmarc_policy_name(policy)))
	    return policy;
    return DMARC_POLICY_UNSPEC;
}

/* dmarc_policy_tag - a p, sp or np value; remember the first bad one */

static void dmarc_policy_tag(struct dmarc_parse *st, int *field, const char *tag,
			     const char *s, size_t len)
{
    char show[40];

    if ((*field = dmarc_policy_parse(s, len)) != DMARC_POLICY_UNSPEC)
	return;
    if (st->problem[0])
	return;
    str_printable(show, sizeof(show), s, len);
    dmarc_why(st->problem, sizeof(st->problem), "invalid %s value \"%s\"", tag, show);
}

/* dmarc_tag_p - the policy for the domain itself */

static void dmarc_tag_p(struct dmarc_parse *st, const char *s, size_t len)
{
    dmarc_policy_tag(st, &st->rec->p, "p", s, len);
}

/* dmarc_tag_sp - the policy for existing subdomains */

static void dmarc_tag_sp(struct dmarc_parse *st, const char *s, size_t len)
{
    dmarc_policy_tag(st, &st->rec->sp, "sp", s, len);
}

/* dmarc_tag_np - the policy for non-existent subdomains */

static void dmarc_tag_np(struct dmarc_parse *st, const char *s, size_t len)
{
    dmarc_policy_tag(st, &st->rec->np, "np", s, len);
}

/* dmarc_letter - a one-letter value out of a set, lower case, or 0 */

static char dmarc_letter(const char *s, size_t len, const char *set)
{
    char c;

    if (len != 1)
	return 0;
    c = (char) STR_TOLOWER(*s);
    return c != 0 && strchr(set, c) ? c : 0;
}

/* dmarc_tag_adkim - dmarc-rors, default r */

static void dmarc_tag_adkim(struct dmarc_parse *st, const char *s, size_t len)
{
    char c = dmarc_letter(s, len, "rs");

    if (c)
	st->rec->adkim = c;
}

/* dmarc_tag_aspf - dmarc-rors, default r */

static void dmarc_tag_aspf(struct dmarc_parse *st, const char *s, size_t len)
{
    char c = dmarc_letter(s, len, "rs");

    if (c)
	st->rec->aspf = c;
}

/* dmarc_tag_t - dmarc-yorn, default n */

static void dmarc_tag_t(struct dmarc_parse *st, const char *s, size_t len)
{
    st->rec->t = dmarc_letter(s, len, "yn") == 'y';
}

/* dmarc_tag_psd - dmarc-psd, default u */

static void dmarc_tag_psd(struct dmarc_parse *st, const char *s, size_t len)
{
    char c = dmarc_letter(s, len, "ynu");

    if (c)
	st->rec->psd = c;
}

/* dmarc_tag_fo - dmarc-fo: a set of 0 1 d s, 0 and 1 exclusive */

static void dmarc_tag_fo(struct dmarc_parse *st, const char *s, size_t len)
{
    static const char opts[] = "01ds";
    unsigned mask = 0, bit;
    const char *k;
    size_t i, o = 0;
    char c;

    if (len == 0 || s[len - 1] == ':')
	return;				/* keep the default */
    for (i = 0; i < len; i += 2) {
	c = (char) STR_TOLOWER(s[i]);
	if ((k = memchr(opts, c, 4)) == NULL || (i + 1 < len && s[i + 1] != ':'))
	    return;
	bit = 1u << (k - opts);
	if (mask & bit)
	    return;			/* "each may appear at most once" */
	mask |= bit;
    }
    if ((mask & 3) == 3)
	return;				/* 0 and 1 are mutually exclusive */
    for (i = 0; i < 4; i++) {
	if ((mask & (1u << i)) == 0)
	    continue;
	if (o)
	    st->rec->fo[o++] = ':';
	st->rec->fo[o++] = opts[i];
    }
    st->rec->fo[o] = 0;
}

/* dmarc_uri_list - split a dmarc-urilist, keep the valid URIs */

static int dmarc_uri_list(const char *s, size_t len,
			  char (*out)[DMARC_URI_MAX + 1], size_t *count)
{
    const char *end = s + len, *comma, *u;
    size_t n;
    int valid = 0;

    for (;;) {
	comma = memchr(s, ',', (size_t) (end - s));
	n = comma ? (size_t) (comma - s) : (size_t) (end - s);
	u = dmarc_trim(s, &n);
	if (n > 0 && dmarc_uri_valid(u, n)) {
	    valid = 1;
	    if (*count < DMARC_URIS_MAX && n <= DMARC_URI_MAX
		&& str_ncopy(out[*count], DMARC_URI_MAX + 1, u, n) == 0)
		(*count)++;
	}
	if (comma == NULL)
	    return valid;
	s = comma + 1;
    }
}

/* dmarc_tag_rua - aggregate report URIs; one valid URI rescues p (4.10.1) */

static void dmarc_tag_rua(struct dmarc_parse *st, const char *s, size_t len)
{
    st->rua_ok = dmarc_uri_list(s, len, st->rec->rua, &st->rec->nrua);
}

/* dmarc_tag_ruf - failure report URIs */

static void dmarc_tag_ruf(struct dmarc_parse *st, const char *s, size_t len)
{
    (void) dmarc_uri_list(s, len, st->rec->ruf, &st->rec->nruf);
}

/* dmarc_policy_name - the record spelling of a policy */

const char *dmarc_policy_name(int policy)
{
    return res_policy_name(policy);
}

/* dmarc_hex - value of a hex digit, or -1 */

static int dmarc_hex(int c)
{
    if (STR_IS_DIGIT(c))
	return c - '0';
    c = STR_TOLOWER(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* dmarc_uri_body - length without the obsolete "!size", 0 if '!' misused */

static size_t dmarc_uri_body(const char *s, size_t len)
{
    const char *bang;
    size_t i;

    if ((bang = memchr(s, '!', len)) == NULL)
	return len;
    i = (size_t) (bang - s) + 1;
    if (i >= len || !STR_IS_DIGIT(s[i]))
	return 0;
    while (i < len && STR_IS_DIGIT(s[i]))
	i++;
    if (i < len && memchr("kmgt", STR_TOLOWER(s[i]), 4))
	i++;
    return i == len ? (size_t) (bang - s) : 0;
}

/* dmarc_uri_char - RFC 3986 URI character, ',' and '!' excluded (4.8) */

static int dmarc_uri_char(int c)
{
    static const char other[] = "-._~:/?#[]@$&'()*+;=";

    return STR_IS_ALPHA(c) || STR_IS_DIGIT(c)
	|| (c != 0 && memchr(other, c, sizeof(other) - 1) != NULL);
}

/* dmarc_uri_valid - syntax of one dmarc-uri / obs-dmarc-uri */

int dmarc_uri_valid(const char *s, size_t len)
{
    size_t i = 0;

    if ((len = dmarc_uri_body(s, len)) == 0 || !STR_IS_ALPHA(s[0]))
	return 0;
    while (i < len && (STR_IS_ALPHA(s[i]) || STR_IS_DIGIT(s[i])
		       || s[i] == '+' || s[i] == '-' || s[i] == '.'))
	i++;
    if (i >= len || s[i] != ':' || i + 1 >= len)
	return 0;			/* no scheme, or nothing after it */
    for (i++; i < len; i++) {
	if (s[i] == '%') {
	    if (i + 2 >= len || dmarc_hex(s[i + 1]) < 0 || dmarc_hex(s[i + 2]) < 0)
		return 0;
	    i += 2;
	} else if (!dmarc_uri_char((unsigned char) s[i])) {
	    return 0;
	}
    }
    return 1;
}

/* dmarc_local_ok - a dot-atom local-part */

static int dmarc_local_ok(const char *s, size_t len)
{
    return len <= DMARC_LOCAL_MAX && msg_is_dot_atom(s, len);
}

/* dmarc_domain_ok - an LDH host name, RFC 5321 4.1.2 Domain */

static int dmarc_domain_ok(const char *s, size_t len)
{
    size_t i, label = 0;

    if (len == 0 || len > DNS_NAME_MAX)
	return 0;
    for (i = 0; i <= len; i++) {
	if (i == len || s[i] == '.') {
	    if (label == 0 || s[i - 1] == '-' || s[i - label] == '-')
		return 0;
	    label = 0;
	} else if (STR_IS_ALPHA(s[i]) || STR_IS_DIGIT(s[i]) || s[i] == '-') {
	    if (++label > DNS_LABEL_MAX)
		return 0;
	} else {
	    return 0;
	}
    }
    return 1;
}

/* dmarc_uri_mailto - the address of a mailto: reporting URI */

int dmarc_uri_mailto(const char *uri, char *addr, size_t addrsize)
{
    size_t len, i, o = 0;
    const char *at;
    int c;

    if (addrsize == 0)
	return -1;
    *addr = 0;
    len = strnlen(uri, DMARC_URI_MAX + 1);
    if (len > DMARC_URI_MAX || !dmarc_uri_valid(uri, len))
	return -1;
    len = dmarc_uri_body(uri, len);
    if (len < 7 || !str_neq_ci(uri, 7, "mailto:"))
	return -1;
    for (i = 7; i < len && uri[i] != '?' && uri[i] != '#'; i++) {
	c = (unsigned char) uri[i];
	if (c == '%') {			/* well-formed: dmarc_uri_valid() */
	    c = dmarc_hex(uri[i + 1]) * 16 + dmarc_hex(uri[i + 2]);
	    i += 2;
	}
	if (o + 1 >= addrsize) {
	    *addr = 0;
	    return -1;
	}
	addr[o++] = (char) c;
    }
    addr[o] = 0;
    if ((at = memchr(addr, '@', o)) == NULL
	|| !dmarc_local_ok(addr, (size_t) (at - addr))
	|| !dmarc_domain_ok(at + 1, o - (size_t) (at - addr) - 1)) {
	*addr = 0;
	return -1;
    }
    return 0;
}
