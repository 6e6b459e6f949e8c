/* dmarc_record_test - DMARC Policy Record parser, RFC 9989 4.7 and 4.8 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "compat.h"
#include "dmarc_record.h"
#include "limits.h"
#include "str.h"
#include "tap.h"

/* A row gives the record as a literal; B() makes (text, length) of it. */
#define B(s)	(s), sizeof(s) - 1

#define OK	DMARC_RECORD_OK
#define NOTD	DMARC_RECORD_NOT_DMARC
#define INV	DMARC_RECORD_INVALID

struct rec_case {
    const char *txt;
    size_t len;
    int status;
    const char *want;			/* dump(), see below; NULL: not checked */
    const char *why;			/* substring of why; NULL: why is "" */
};

/*
 * dump - the record in one line, defaults left out: "p=reject" is
 * p=reject, sp/np unspecified, adkim=r, aspf=r, t=n, psd=u, fo=0, no
 * URIs.  "(rua)" marks p_from_rua.
 */
static const char *dump(const struct dmarc_record *rec)
{
    static struct buf b = BUF_INIT(64 * 1024);
    size_t i;

    buf_reset(&b);
    buf_printf(&b, "p=%s", rec->p ? dmarc_policy_name(rec->p) : "-");
    if (rec->p_from_rua)
	buf_printf(&b, "(rua)");
    if (rec->sp)
	buf_printf(&b, " sp=%s", dmarc_policy_name(rec->sp));
    if (rec->np)
	buf_printf(&b, " np=%s", dmarc_policy_name(rec->np));
    if (rec->adkim != 'r')
	buf_printf(&b, " adkim=%c", rec->adkim);
    if (rec->aspf != 'r')
	buf_printf(&b, " aspf=%c", rec->aspf);
    if (rec->t)
	buf_printf(&b, rec->t == 1 ? " t=y" : " t=%d", rec->t);
    if (rec->psd != 'u')
	buf_printf(&b, " psd=%c", rec->psd);
    if (strcmp(rec->fo, "0") != 0)
	buf_printf(&b, " fo=%s", rec->fo);
    for (i = 0; i < rec->nrua; i++)
	buf_printf(&b, "%s%s", i ? "," : " rua=", rec->rua[i]);
    for (i = 0; i < rec->nruf; i++)
	buf_printf(&b, "%s%s", i ? "," : " ruf=", rec->ruf[i]);
    return buf_str(&b);
}

/* parse_exact - parse from a heap copy of exactly len bytes (ASan) */

static int parse_exact(const char *txt, size_t len, struct dmarc_record *rec,
		               char *why, size_t whysize)
{
    char *copy = malloc(len ? len : 1);
    int status;

    memcpy(copy, txt, len);
    status = dmarc_record_parse(copy, len, rec, why, whysize);
    free(copy);
    return status;
}

/* run_cases - parse each record, check status, dump and reason */

static void run_cases(const char *group, const struct rec_case *cases, size_t n)
{
    static struct dmarc_record rec;
    char why[256], name[160];
    size_t i;
    int status;

    for (i = 0; i < n; i++) {
	const struct rec_case *c = cases + i;

	str_printable(name, sizeof(name), c->txt, c->len);
	status = parse_exact(c->txt, c->len, &rec, why, sizeof(why));
	if (!ok(status == c->status, "%s: status of \"%s\"", group, name))
	    diag("got %d, want %d (%s)", status, c->status, why);
	if (c->want)
	    is_str(dump(&rec), c->want, "  parsed as expected");
	if (c->why == NULL)
	    is_str(why, "", "  no reason given");
	else if (!ok(strstr(why, c->why) != NULL, "  reason mentions \"%s\"", c->why))
	    diag("got \"%s\"", why);
    }
}

#define RUN(group, cases)	run_cases((group), (cases), PD_NELEM(cases))

/* RFC 9989 Appendix B.2: the Domain Owner examples, verbatim. */
static void test_examples(void)
{
    static const struct rec_case cases[] = {
	/* B.2.1 */
	{B("v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com"), OK,
	 "p=none rua=mailto:dmarc-feedback@example.com", NULL},
	/* B.2.2 */
	{B("v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com; "
	   "ruf=mailto:auth-reports@example.com"), OK,
	 "p=none rua=mailto:dmarc-feedback@example.com ruf=mailto:auth-reports@example.com", NULL},
	/* B.2.3: the third party's authorization record has no policy */
	{B("v=DMARC1;"), INV, "p=-", "no p tag"},
	/* B.2.4: the override record: usable as p=none per 4.10.1 */
	{B("v=DMARC1; rua=mailto:aggregate-reports@thirdparty.example.net; "
	   "ruf=mailto:failure-reports@thirdparty.example.net"), OK,
	 "p=none(rua) rua=mailto:aggregate-reports@thirdparty.example.net "
	 "ruf=mailto:failure-reports@thirdparty.example.net", "no p tag; p=none"},
	/* B.2.5 */
	{B("v=DMARC1; p=quarantine; rua=mailto:dmarc-feedback@example.com,"
	   "mailto:tld-test@thirdparty.example.net; t=y"), OK,
	 "p=quarantine t=y rua=mailto:dmarc-feedback@example.com,"
	 "mailto:tld-test@thirdparty.example.net", NULL},
	{B("v=DMARC1; p=reject; rua=mailto:dmarc-feedback@example.com,"
	   "mailto:tld-test@thirdparty.example.net"), OK,
	 "p=reject rua=mailto:dmarc-feedback@example.com,"
	 "mailto:tld-test@thirdparty.example.net", NULL},
	/* A full record as seen in the wild. */
	{B("v=DMARC1; p=reject; sp=quarantine; np=reject; adkim=s; aspf=s; "
	   "fo=1; psd=n; t=n; rua=mailto:agg@example.org; ruf=mailto:fail@example.org"), OK,
	 "p=reject sp=quarantine np=reject adkim=s aspf=s psd=n fo=1 "
	 "rua=mailto:agg@example.org ruf=mailto:fail@example.org", NULL},
    };

    RUN("B.2 example", cases);
}

/*
 * RFC 9989 4.7 "v" and 4.8 dmarc-version = "v" equals %s"DMARC1": the
 * first tag, the value case-sensitive; anything else is not a DMARC
 * record (also 4.10 steps 2 and 6).  The tag name "v" is an ABNF
 * quoted string, so "V" matches (RFC 5234 2.3).
 */
static void test_version(void)
{
    static const struct rec_case cases[] = {
	{B("v=DMARC1; p=none"), OK, "p=none", NULL},
	{B("v=DMARC1;p=none"), OK, "p=none", NULL},
	{B("v=DMARC1"), INV, "p=-", "no p tag and no valid rua"},
	{B("V=DMARC1; p=none"), OK, "p=none", NULL},
	{B("v = DMARC1 ; p = none"), OK, "p=none", NULL},
	{B("v\t=\tDMARC1\t;p=none"), OK, "p=none", NULL},
	{B("  v=DMARC1; p=none"), OK, "p=none", NULL},	/* RFC 6376 3.2 FWS */
	{B("v=DMARC1; p=none; v=DMARC2"), OK, "p=none", NULL},	/* later v ignored */
	{B("v=dmarc1; p=none"), NOTD, NULL, "not a DMARC record"},
	{B("v=Dmarc1; p=none"), NOTD, NULL, "first tag is not v=DMARC1"},
	{B("v=DMARC2; p=none"), NOTD, NULL, "not a DMARC"},
	{B("v=DMARC10; p=none"), NOTD, NULL, "not a DMARC"},
	{B("v=DMARC; p=none"), NOTD, NULL, "not a DMARC"},
	{B("v=\"DMARC1\"; p=none"), NOTD, NULL, "not a DMARC"},
	{B("v=DMARC1 p=none"), NOTD, NULL, "not a DMARC"},	/* no ';' */
	{B("v=DMARC1, p=none"), NOTD, NULL, "not a DMARC"},
	{B("v=DMARC1\0; p=none"), NOTD, NULL, "not a DMARC"},
	{B("p=none; v=DMARC1"), NOTD, NULL, "not a DMARC"},
	{B("; v=DMARC1; p=none"), NOTD, NULL, "not a DMARC"},
	{B("vv=DMARC1; p=none"), NOTD, NULL, "not a DMARC"},
	{B("version=DMARC1; p=none"), NOTD, NULL, "not a DMARC"},
	{B("v=spf1 -all"), NOTD, NULL, "not a DMARC"},
	{B("DMARC1; p=none"), NOTD, NULL, "not a DMARC"},
	{B("=DMARC1; p=none"), NOTD, NULL, "not a DMARC"},
	{B("v=; p=none"), NOTD, NULL, "not a DMARC"},
	{B("v"), NOTD, NULL, "not a DMARC"},
	{B("   "), NOTD, NULL, "not a DMARC"},
	{B(""), NOTD, NULL, "empty record"},
	{B("\xefv=DMARC1; p=none"), NOTD, NULL, "not a DMARC"},
    };

    RUN("4.7 v", cases);
}

/*
 * RFC 9989 4.8: dmarc-sep = *WSP ";" *WSP, equals = *WSP "=" *WSP,
 * dmarc-record ends in an optional dmarc-sep.  Only SP and HTAB are
 * white space.  Empty elements are tolerated.
 */
static void test_separators(void)
{
    static const struct rec_case cases[] = {
	{B("v=DMARC1 ;\tp\t=\treject\t;  "), OK, "p=reject", NULL},
	{B("v=DMARC1; p=reject;"), OK, "p=reject", NULL},
	{B("v=DMARC1; p=reject; "), OK, "p=reject", NULL},
	{B("v=DMARC1; p=reject  "), OK, "p=reject", NULL},
	{B("v=DMARC1;;p=reject;;"), OK, "p=reject", NULL},
	{B("v=DMARC1; ; p=reject; ;"), OK, "p=reject", NULL},
	{B("v=DMARC1;p=reject;sp=none;adkim=s"), OK, "p=reject sp=none adkim=s", NULL},
	/* CR and LF are not WSP: the value is "reject\r\n", invalid */
	{B("v=DMARC1; p=reject\r\n"), INV, "p=-", "invalid p value \"reject\\x0d\\x0a\""},
	{B("v=DMARC1;\r\np=reject"), INV, "p=-", "no p tag"},
    };

    RUN("4.8 separators", cases);
}

/*
 * RFC 9989 4.7: unknown tags MUST be ignored; pct, rf and ri were
 * removed (C.5.2, A.6) and are unknown now.  4.8: elements that are
 * not 1*ALPHA equals 1*dmarc-value are syntax errors, ignored.
 */
static void test_unknown(void)
{
    static const struct rec_case cases[] = {
	{B("v=DMARC1; p=reject; pct=0"), OK, "p=reject", NULL},
	{B("v=DMARC1; p=reject; pct=50; rf=afrf; ri=3600"), OK, "p=reject", NULL},
	{B("v=DMARC1; p=reject; pct=bogus"), OK, "p=reject", NULL},
	{B("v=DMARC1; x=y; p=reject; foo=bar baz"), OK, "p=reject", NULL},
	{B("v=DMARC1; p=reject; garbage"), OK, "p=reject", NULL},
	{B("v=DMARC1; garbage; p=reject"), OK, "p=reject", NULL},
	{B("v=DMARC1; 1x=2; x-y=1; p=reject; =none; sp x=none"), OK, "p=reject", NULL},
	{B("v=DMARC1; p=reject; p2=none; pp=none; spx=none"), OK, "p=reject", NULL},
	{B("v=DMARC1; p=reject; \xff=none; \x01=x"), OK, "p=reject", NULL},
	{B("v=DMARC1; p=reject; ext=a=b=c"), OK, "p=reject", NULL},
    };

    RUN("4.7 unknown tags", cases);
}

/*
 * Tag names are case-insensitive, so are the keyword values (ABNF
 * quoted strings, RFC 5234 2.3); only "DMARC1" is case-sensitive.
 */
static void test_case(void)
{
    static const struct rec_case cases[] = {
	{B("v=DMARC1; P=Reject; SP=NONE; Np=QuaRantine"), OK,
	 "p=reject sp=none np=quarantine", NULL},
	{B("v=DMARC1; p=none; ADKIM=S; AsPf=S; T=Y; PSD=N"), OK,
	 "p=none adkim=s aspf=s t=y psd=n", NULL},
	{B("v=DMARC1; p=none; FO=D:S; RUF=MAILTO:F@EXAMPLE.COM"), OK,
	 "p=none fo=d:s ruf=MAILTO:F@EXAMPLE.COM", NULL},
    };

    RUN("case", cases);
}

/*
 * A tag given twice: RFC 9989 is silent; the first one counts.
 */
static void test_duplicates(void)
{
    static const struct rec_case cases[] = {
	{B("v=DMARC1; p=reject; p=none"), OK, "p=reject", NULL},
	{B("v=DMARC1; p=reject; P=none"), OK, "p=reject", NULL},
	{B("v=DMARC1; p=bogus; p=reject"), INV, "p=-", "invalid p value \"bogus\""},
	{B("v=DMARC1; p=none; adkim=s; adkim=r"), OK, "p=none adkim=s", NULL},
	{B("v=DMARC1; p=none; adkim=x; adkim=s"), OK, "p=none", NULL},
	{B("v=DMARC1; p=none; rua=mailto:a@x.example; rua=mailto:b@x.example"), OK,
	 "p=none rua=mailto:a@x.example", NULL},
	{B("v=DMARC1; rua=bogus; rua=mailto:b@x.example"), INV, "p=-", "no p tag"},
    };

    RUN("duplicate tags", cases);
}

/*
 * RFC 9989 4.7 "p" (dmarc-request) and 4.10.1: a record without a
 * valid p, or with an invalid sp or np, is used as p=none when rua
 * holds at least one syntactically valid URI, and otherwise not used.
 */
static void test_policy(void)
{
    static const struct rec_case cases[] = {
	{B("v=DMARC1; p=none"), OK, "p=none", NULL},
	{B("v=DMARC1; p=quarantine"), OK, "p=quarantine", NULL},
	{B("v=DMARC1; p=reject"), OK, "p=reject", NULL},
	{B("v=DMARC1; p=   reject   "), OK, "p=reject", NULL},
	{B("v=DMARC1; p="), INV, "p=-", "invalid p value \"\""},
	{B("v=DMARC1; p=rejected"), INV, "p=-", "invalid p value"},
	{B("v=DMARC1; p=rej"), INV, "p=-", "invalid p value"},
	{B("v=DMARC1; p=re ject"), INV, "p=-", "invalid p value \"re ject\""},
	{B("v=DMARC1; p=reject,none"), INV, "p=-", "invalid p value"},
	{B("v=DMARC1; p=\"reject\""), INV, "p=-", "invalid p value"},
	{B("v=DMARC1; adkim=s"), INV, "p=- adkim=s", "no p tag and no valid rua URI"},
	{B("v=DMARC1; p=rejectrejectrejectrejectrejectrejectrejectreject"), INV, "p=-",
	 "invalid p value \"rejectrejectrejectrejectrejectreject...\" and no valid rua"},
	/* the rua rule */
	{B("v=DMARC1; rua=mailto:r@x.example"), OK, "p=none(rua) rua=mailto:r@x.example",
	 "no p tag; p=none as rua is valid (RFC 9989 4.10.1)"},
	{B("v=DMARC1; p=bogus; rua=mailto:r@x.example"), OK,
	 "p=none(rua) rua=mailto:r@x.example", "invalid p value \"bogus\"; p=none"},
	{B("v=DMARC1; rua=https://r.example/dmarc"), OK,
	 "p=none(rua) rua=https://r.example/dmarc", "p=none"},
	{B("v=DMARC1; rua=bogus, also bogus"), INV, "p=-", "no p tag and no valid rua"},
	{B("v=DMARC1; p=bogus; rua="), INV, "p=-", "invalid p value"},
	{B("v=DMARC1; p=bogus; ruf=mailto:r@x.example"), INV,
	 "p=- ruf=mailto:r@x.example", "invalid p value"},
	{B("v=DMARC1; p=bogus; adkim=s; psd=y; rua=mailto:r@x.example"), OK,
	 "p=none(rua) adkim=s psd=y rua=mailto:r@x.example", "p=none"},
    };

    RUN("4.7 p / 4.10.1", cases);
}

/*
 * RFC 9989 4.7 "sp" and "np" (dmarc-request), absent means unspecified
 * (the caller inherits); an invalid one falls under 4.10.1 like p.
 */
static void test_subdomain_policy(void)
{
    static const struct rec_case cases[] = {
	{B("v=DMARC1; p=reject; sp=none"), OK, "p=reject sp=none", NULL},
	{B("v=DMARC1; p=none; sp=quarantine; np=reject"), OK,
	 "p=none sp=quarantine np=reject", NULL},
	{B("v=DMARC1; p=none; np=quarantine"), OK, "p=none np=quarantine", NULL},
	{B("v=DMARC1; p=reject; sp=bogus"), INV, "p=reject", "invalid sp value \"bogus\""},
	{B("v=DMARC1; p=reject; np="), INV, "p=reject", "invalid np value"},
	{B("v=DMARC1; p=reject; sp=none; np=all"), INV, "p=reject sp=none", "invalid np value \"all\""},
	{B("v=DMARC1; p=reject; sp=bogus; rua=mailto:r@x.example"), OK,
	 "p=none(rua) rua=mailto:r@x.example", "invalid sp value \"bogus\"; p=none"},
	{B("v=DMARC1; p=reject; sp=reject; np=x; rua=mailto:r@x.example"), OK,
	 "p=none(rua) rua=mailto:r@x.example", "invalid np value"},
	{B("v=DMARC1; sp=reject; np=reject; rua=mailto:r@x.example"), OK,
	 "p=none(rua) rua=mailto:r@x.example", "no p tag"},
	/* several bad ones: the reason names the first, in record order */
	{B("v=DMARC1; p=bogus; sp=worse"), INV, "p=-", "invalid p value \"bogus\" and"},
	{B("v=DMARC1; np=bad; p=worse"), INV, "p=-", "invalid np value \"bad\" and"},
    };

    RUN("4.7 sp/np", cases);
}

/*
 * RFC 9989 4.7 adkim, aspf (dmarc-rors, default r), t (dmarc-yorn,
 * default n), psd (dmarc-psd, default u).  4.8: a syntax error is
 * replaced by the default.
 */
static void test_flags(void)
{
    static const struct rec_case cases[] = {
	{B("v=DMARC1; p=none; adkim=s; aspf=s"), OK, "p=none adkim=s aspf=s", NULL},
	{B("v=DMARC1; p=none; adkim=r; aspf=r"), OK, "p=none", NULL},
	{B("v=DMARC1; p=none; adkim=x; aspf=strict"), OK, "p=none", NULL},
	{B("v=DMARC1; p=none; adkim=; aspf= "), OK, "p=none", NULL},
	{B("v=DMARC1; p=none; adkim=s s; aspf=rs"), OK, "p=none", NULL},
	{B("v=DMARC1; p=none; t=y"), OK, "p=none t=y", NULL},
	{B("v=DMARC1; p=none; t=n"), OK, "p=none", NULL},
	{B("v=DMARC1; p=none; t=yes"), OK, "p=none", NULL},
	{B("v=DMARC1; p=none; t=1"), OK, "p=none", NULL},
	{B("v=DMARC1; p=none; t="), OK, "p=none", NULL},
	{B("v=DMARC1; p=none; psd=y"), OK, "p=none psd=y", NULL},
	{B("v=DMARC1; p=none; psd=n"), OK, "p=none psd=n", NULL},
	{B("v=DMARC1; p=none; psd=u"), OK, "p=none", NULL},
	{B("v=DMARC1; p=none; psd=yes"), OK, "p=none", NULL},
	{B("v=DMARC1; p=none; psd=x"), OK, "p=none", NULL},
	{B("v=DMARC1; p=none; psd=\0"), OK, "p=none", NULL},
    };

    RUN("4.7 adkim/aspf/t/psd", cases);
}

/*
 * RFC 9989 4.7 "fo" and 4.8 dmarc-fo: colon-separated 0 1 d s, 0 and
 * 1 mutually exclusive, each at most once; default "0"; the content
 * MUST be ignored without a ruf tag.  Normalized to the order 0 1 d s.
 */
static void test_fo(void)
{
#define FO(v)	"v=DMARC1; p=none; ruf=mailto:f@x.example; fo=" v
#define FO_WANT(v) "p=none fo=" v " ruf=mailto:f@x.example"
#define FO_DEFAULT "p=none ruf=mailto:f@x.example"
    static const struct rec_case cases[] = {
	{B(FO("0")), OK, FO_DEFAULT, NULL},
	{B(FO("1")), OK, FO_WANT("1"), NULL},
	{B(FO("d")), OK, FO_WANT("d"), NULL},
	{B(FO("s")), OK, FO_WANT("s"), NULL},
	{B(FO("0:d")), OK, FO_WANT("0:d"), NULL},
	{B(FO("1:d:s")), OK, FO_WANT("1:d:s"), NULL},
	{B(FO("s:d:1")), OK, FO_WANT("1:d:s"), NULL},
	{B(FO("d:1:s")), OK, FO_WANT("1:d:s"), NULL},
	{B(FO("d:s")), OK, FO_WANT("d:s"), NULL},
	{B(FO("S:D")), OK, FO_WANT("d:s"), NULL},
	{B(FO("  1  ")), OK, FO_WANT("1"), NULL},
	/* invalid: the default */
	{B(FO("0:1")), OK, FO_DEFAULT, NULL},
	{B(FO("1:0")), OK, FO_DEFAULT, NULL},
	{B(FO("d:d")), OK, FO_DEFAULT, NULL},
	{B(FO("1:1")), OK, FO_DEFAULT, NULL},
	{B(FO("2")), OK, FO_DEFAULT, NULL},
	{B(FO("1:")), OK, FO_DEFAULT, NULL},
	{B(FO(":1")), OK, FO_DEFAULT, NULL},
	{B(FO("1::d")), OK, FO_DEFAULT, NULL},
	{B(FO("1 : d")), OK, FO_DEFAULT, NULL},
	{B(FO("1,d")), OK, FO_DEFAULT, NULL},
	{B(FO("10")), OK, FO_DEFAULT, NULL},
	{B(FO("")), OK, FO_DEFAULT, NULL},
	{B(FO("0:d:s:1")), OK, FO_DEFAULT, NULL},
	/* without ruf the tag is ignored; a ruf tag without a valid URI counts */
	{B("v=DMARC1; p=none; fo=1"), OK, "p=none", NULL},
	{B("v=DMARC1; p=none; fo=d:s; rua=mailto:a@x.example"), OK,
	 "p=none rua=mailto:a@x.example", NULL},
	{B("v=DMARC1; p=none; fo=1; ruf=bogus"), OK, "p=none fo=1", NULL},
    };
#undef FO
#undef FO_WANT
#undef FO_DEFAULT

    RUN("4.7 fo", cases);
}

/*
 * RFC 9989 4.6, 4.7 rua/ruf and 4.8 dmarc-urilist: URIs separated by
 * *WSP "," *WSP; commas and '!' inside a URI MUST be encoded; the
 * obsolete "!" size suffix is accepted and kept as published.  Bad
 * URIs are dropped one by one.
 */
static void test_uris(void)
{
    static const struct rec_case cases[] = {
	{B("v=DMARC1; p=none; rua=mailto:a@x.example , \tmailto:b@x.example"), OK,
	 "p=none rua=mailto:a@x.example,mailto:b@x.example", NULL},
	{B("v=DMARC1; p=none; rua=mailto:a@x.example,,mailto:b@x.example,"), OK,
	 "p=none rua=mailto:a@x.example,mailto:b@x.example", NULL},
	{B("v=DMARC1; p=none; rua=mailto:a@x.example!10m, mailto:b@x.example!5"), OK,
	 "p=none rua=mailto:a@x.example!10m,mailto:b@x.example!5", NULL},
	{B("v=DMARC1; p=none; rua=mailto:a@x.example!1T"), OK,
	 "p=none rua=mailto:a@x.example!1T", NULL},
	{B("v=DMARC1; p=none; rua=mailto:a%2Cb@x.example, mailto:a%21b@x.example"), OK,
	 "p=none rua=mailto:a%2Cb@x.example,mailto:a%21b@x.example", NULL},
	{B("v=DMARC1; p=none; rua=https://r.example/dmarc?x=1&y=2"), OK,
	 "p=none rua=https://r.example/dmarc?x=1&y=2", NULL},
	{B("v=DMARC1; p=none; rua=mailto:a@x.example,bogus,mailto:b@x.example"), OK,
	 "p=none rua=mailto:a@x.example,mailto:b@x.example", NULL},
	{B("v=DMARC1; p=none; ruf=mailto:a@x.example!10x,mailto:b@x.example!"), OK,
	 "p=none", NULL},
	{B("v=DMARC1; p=none; ruf=mailto:a!b@x.example, mailto:c@x.example!k"), OK,
	 "p=none", NULL},
	{B("v=DMARC1; p=none; ruf=mailto:a@x.example!1!2"), OK, "p=none", NULL},
	{B("v=DMARC1; p=none; rua=mailto:a@x.example mailto:b@x.example"), OK,
	 "p=none", NULL},
	{B("v=DMARC1; p=none; rua=mailto:a%zz@x.example,mailto:b%4@x.example,mailto:c%"), OK,
	 "p=none", NULL},
	{B("v=DMARC1; p=none; rua=a@x.example, :x, 1http:x, mailto:, ht%74p:x"), OK,
	 "p=none", NULL},
	{B("v=DMARC1; p=none; rua=mailto:a<b>@x.example, mailto:\"a\"@x.example"), OK,
	 "p=none", NULL},
	{B("v=DMARC1; p=none; rua=mailto:\xc3\xa9@x.example, mailto:a@x.example\0"), OK,
	 "p=none", NULL},
	{B("v=DMARC1; p=none; rua=mailto:a\\b@x.example, mailto:a^b@x.example"), OK,
	 "p=none", NULL},
	{B("v=DMARC1; p=none; rua=x-foo+bar.1:opaque"), OK, "p=none rua=x-foo+bar.1:opaque", NULL},
	{B("v=DMARC1; p=none; rua=mailto:nobody"), OK, "p=none rua=mailto:nobody", NULL},
    };

    RUN("4.8 dmarc-urilist", cases);
}

/* Bytes a string cannot hold, and lengths that end inside the text. */
static void test_binary(void)
{
    static const struct rec_case cases[] = {
	{B("v=DMARC1; p=reject\0"), INV, "p=-", "invalid p value \"reject\\x00\""},
	{B("v=DMARC1; p=reject;\0"), OK, "p=reject", NULL},
	{B("v=DMARC1; p=reject; x=\0\0\0; rua=mailto:a@x.example"), OK,
	 "p=reject rua=mailto:a@x.example", NULL},
	{B("v=DMARC1; p=reject; rua=mailto:a@x\0.example"), OK, "p=reject", NULL},
	{B("v=DMARC1; p\0=reject"), INV, "p=-", "no p tag"},
	{"v=DMARC1; p=rejectXYZ", 18, OK, "p=reject", NULL},
	{"v=DMARC1; p=reject; rua=mailto:a@x.example", 34, OK,
	 "p=reject rua=mailto:a@x", NULL},
	{"v=DMARC1; p=reject", 7, NOTD, NULL, "not a DMARC"},
	{"v=DMARC1; p=reject", 8, INV, "p=-", "no p tag"},
    };

    RUN("binary", cases);
}

/* add_uri - append ",mailto:<n copies of 'a'>@x.example" style URIs */

static void add_uri(struct buf *b, size_t urilen, int tag)
{
    static const char head[] = "mailto:", tail[] = "@x.example";
    size_t i, fill = urilen - (sizeof(head) - 1) - (sizeof(tail) - 1);

    buf_printf(b, "%s%s", tag ? "" : ",", head);
    for (i = 0; i < fill; i++)
	buf_addch(b, (int) 'a' + (int) (i % 26));
    buf_addstr(b, tail);
}

/* The limits of limits.h: DMARC_URIS_MAX, DMARC_URI_MAX, DMARC_RECORD_MAX. */
static void test_limits(void)
{
    static struct dmarc_record rec;
    struct buf b = BUF_INIT(BUF_MAX_ANY);
    char why[128];
    size_t i;

    /* DMARC_URIS_MAX: the first ones are kept, the rest dropped */
    buf_addstr(&b, "v=DMARC1; p=none; rua=");
    for (i = 0; i < DMARC_URIS_MAX + 3; i++)
	buf_printf(&b, "%smailto:r%zu@x.example", i ? "," : "", i);
    is_int(parse_exact(buf_str(&b), buf_len(&b), &rec, why, sizeof(why)), OK,
	   "more than DMARC_URIS_MAX rua URIs");
    is_int(rec.nrua, DMARC_URIS_MAX, "  DMARC_URIS_MAX kept");
    is_str(rec.rua[0], "mailto:r0@x.example", "  first kept");
    is_str(rec.rua[DMARC_URIS_MAX - 1], "mailto:r15@x.example", "  last kept");

    /* DMARC_URI_MAX: a URI that long is kept, a longer one dropped */
    buf_reset(&b);
    buf_addstr(&b, "v=DMARC1; p=none; ruf=");
    add_uri(&b, DMARC_URI_MAX, 1);
    add_uri(&b, DMARC_URI_MAX + 1, 0);
    add_uri(&b, 20, 0);
    is_int(parse_exact(buf_str(&b), buf_len(&b), &rec, why, sizeof(why)), OK,
	   "URIs around DMARC_URI_MAX");
    is_int(rec.nruf, 2, "  the one over DMARC_URI_MAX dropped");
    is_int(strlen(rec.ruf[0]), DMARC_URI_MAX, "  DMARC_URI_MAX bytes kept whole");
    is_int(strlen(rec.ruf[1]), 20, "  the short one after it kept");

    /* 4.10.1 asks for a syntactically valid URI: a long one still counts */
    buf_reset(&b);
    buf_addstr(&b, "v=DMARC1; rua=");
    add_uri(&b, DMARC_URI_MAX + 1, 1);
    is_int(parse_exact(buf_str(&b), buf_len(&b), &rec, why, sizeof(why)), OK,
	   "a valid rua URI too long to keep still makes p=none");
    ok(rec.p == DMARC_POLICY_NONE && rec.p_from_rua && rec.nrua == 0, "  p=none, nothing kept");

    /* DMARC_RECORD_MAX */
    buf_reset(&b);
    buf_addstr(&b, "v=DMARC1; p=reject; x=");
    while (buf_len(&b) < DMARC_RECORD_MAX)
	buf_addch(&b, 'x');
    is_int(parse_exact(buf_str(&b), buf_len(&b), &rec, why, sizeof(why)), OK,
	   "a record of DMARC_RECORD_MAX bytes");
    buf_addch(&b, 'x');
    is_int(parse_exact(buf_str(&b), buf_len(&b), &rec, why, sizeof(why)), INV,
	   "a record over DMARC_RECORD_MAX bytes is invalid");
    ok(strstr(why, "longer than") != NULL, "  reason: %s", why);
    is_int(parse_exact(buf_str(&b) + 1, buf_len(&b) - 1, &rec, why, sizeof(why)), NOTD,
	   "  without its leading v it is not DMARC at all");
    buf_reset(&b);
    buf_addstr(&b, "v=spf1 ");
    while (buf_len(&b) <= DMARC_RECORD_MAX)
	buf_addch(&b, 'x');
    is_int(parse_exact(buf_str(&b), buf_len(&b), &rec, why, sizeof(why)), NOTD,
	   "a long non-DMARC record is not DMARC");
    buf_free(&b);
}

/* why: optional, bounded; rec is reset on every call. */
static void test_why(void)
{
    static struct dmarc_record rec;
    char why[8];

    is_int(dmarc_record_parse(B("v=DMARC1; p=x"), &rec, NULL, 0), INV, "why may be NULL");
    is_int(dmarc_record_parse(B("v=DMARC1; p=x"), &rec, why, sizeof(why)), INV, "small why");
    is_str(why, "invalid", "  truncated and terminated");
    why[0] = 'z';
    is_int(dmarc_record_parse(B("nope"), &rec, why, 1), NOTD, "why of one byte");
    is_str(why, "", "  just the terminator");
    is_int(dmarc_record_parse(NULL, 0, &rec, why, sizeof(why)), NOTD, "NULL text");
    dmarc_record_parse(B("v=DMARC1; p=reject; sp=none; adkim=s; t=y; psd=y; "
			 "rua=mailto:a@x.example; ruf=mailto:b@x.example; fo=1"), &rec, NULL, 0);
    dmarc_record_parse(B("v=DMARC1; p=none"), &rec, why, sizeof(why));
    is_str(dump(&rec), "p=none", "every field reset between calls");
}

/* dmarc_uri_valid() on its own */
static void test_uri_valid(void)
{
    static const struct {
	const char *uri;
	int want;
    } cases[] = {
	{"mailto:a@x.example", 1},
	{"MAILTO:a@x.example!0", 1},
	{"https://[2001:db8::1]:8443/r?a=b#frag", 1},
	{"mailto:a%2c@x", 1},
	{"m:x", 1},
	{"mailto:a@x.example!", 0},
	{"mailto:a@x.example!10mb", 0},
	{"mailto:a@x.example,", 0},
	{"mailto:a@x.example ", 0},
	{"mailto:a@x%2", 0},
	{"mailto:", 0},
	{"mailto!1", 0},
	{"!1", 0},
	{"", 0},
	{"-x:y", 0},
	{"x y:z", 0},
	{"mailto:a\x7f@x", 0},
	{"mailto:a{b}@x", 0},
	{"mailto:a|b@x", 0},
    };
    size_t i;

    for (i = 0; i < PD_NELEM(cases); i++)
	is_int(dmarc_uri_valid(cases[i].uri, strlen(cases[i].uri)), cases[i].want,
	       cases[i].uri);
}

/*
 * dmarc_uri_mailto(): RFC 6068 mailto: with RFC 3986 percent-decoding;
 * one plain address local@domain (RFC 5321 4.1.2).
 */
static void test_mailto(void)
{
    static const struct {
	const char *uri;
	const char *want;		/* NULL: refused */
    } cases[] = {
	{"mailto:a@b.example", "a@b.example"},
	{"MAILTO:Dmarc@Example.COM", "Dmarc@Example.COM"},
	{"MailTo:user.name+tag@sub.example.org", "user.name+tag@sub.example.org"},
	{"mailto:a@b.example!10m", "a@b.example"},
	{"mailto:a@b.example!10", "a@b.example"},
	{"mailto:a@b.example!1G", "a@b.example"},
	{"mailto:a%2Bb@b.example", "a+b@b.example"},
	{"mailto:%61%62@b.%65xample", "ab@b.example"},
	{"mailto:a%21b@b.example!5k", "a!b@b.example"},
	{"mailto:a@b.example?subject=dmarc%20report", "a@b.example"},
	{"mailto:a@b.example#frag", "a@b.example"},
	{"mailto:x@localhost", "x@localhost"},
	{"mailto:o'brien@x-y.example", "o'brien@x-y.example"},
	{"mailto:a@1.2.3.example", "a@1.2.3.example"},
	/* not usable */
	{"https://r.example/dmarc", NULL},
	{"mailtox:a@b.example", NULL},
	{"mail:a@b.example", NULL},
	{"mailto:a@b.example!", NULL},
	{"mailto:a@b.example!m", NULL},
	{"mailto:a@b.example!10mb", NULL},
	{"mailto:a!b@b.example", NULL},
	{"mailto:a@b.example,mailto:c@d.example", NULL},
	{"mailto:a%2Cb@b.example", NULL},
	{"mailto:a@b.example%2Cc@d.example", NULL},
	{"mailto:nobody", NULL},
	{"mailto:", NULL},
	{"mailto:?to=a@b.example", NULL},
	{"mailto:@b.example", NULL},
	{"mailto:a@", NULL},
	{"mailto:a@b@c.example", NULL},
	{"mailto:a%40b@c.example", NULL},
	{"mailto:a..b@x.example", NULL},
	{"mailto:.a@x.example", NULL},
	{"mailto:a.@x.example", NULL},
	{"mailto:a@-x.example", NULL},
	{"mailto:a@x-.example", NULL},
	{"mailto:a@x..example", NULL},
	{"mailto:a@.x.example", NULL},
	{"mailto:a@x.example.", NULL},
	{"mailto:a@[192.0.2.1]", NULL},
	{"mailto:a@%5B192.0.2.1%5D", NULL},
	{"mailto:a@x_y.example", NULL},
	{"mailto:a%00@x.example", NULL},
	{"mailto:a%0D%0ARCPT@x.example", NULL},
	{"mailto:%C3%A9@x.example", NULL},
	{"mailto:a@%C3%A9.example", NULL},
	{"mailto:a%20b@x.example", NULL},
	{"mailto:a b@x.example", NULL},
	{"mailto:%22a%22@x.example", NULL},
	{"mailto:a%3Cb%3E@x.example", NULL},
	{"mailto:a@x.example ", NULL},
	{"mailto:a%zz@x.example", NULL},
	{"", NULL},
    };
    char addr[MSG_ADDR_MAX + 1], uri[DMARC_URI_MAX + 16];
    struct buf b = BUF_INIT(BUF_MAX_ANY);
    size_t i;

    for (i = 0; i < PD_NELEM(cases); i++) {
	int ret = dmarc_uri_mailto(cases[i].uri, addr, sizeof(addr));

	if (cases[i].want) {
	    ok(ret == 0, "mailto \"%s\"", cases[i].uri);
	    is_str(addr, cases[i].want, "  address");
	} else {
	    ok(ret == -1 && *addr == 0, "mailto \"%s\" refused", cases[i].uri);
	}
    }

    /* DMARC_LOCAL_MAX and DNS_LABEL_MAX */
    buf_addstr(&b, "mailto:");
    for (i = 0; i < DMARC_LOCAL_MAX; i++)
	buf_addch(&b, 'l');
    buf_addstr(&b, "@x.example");
    is_int(dmarc_uri_mailto(buf_str(&b), addr, sizeof(addr)), 0, "local-part of DMARC_LOCAL_MAX");
    buf_reset(&b);
    buf_addstr(&b, "mailto:");
    for (i = 0; i <= DMARC_LOCAL_MAX; i++)
	buf_addch(&b, 'l');
    buf_addstr(&b, "@x.example");
    is_int(dmarc_uri_mailto(buf_str(&b), addr, sizeof(addr)), -1, "local-part over DMARC_LOCAL_MAX");
    buf_reset(&b);
    buf_addstr(&b, "mailto:a@");
    for (i = 0; i < DNS_LABEL_MAX; i++)
	buf_addch(&b, 'd');
    buf_addstr(&b, ".example");
    is_int(dmarc_uri_mailto(buf_str(&b), addr, sizeof(addr)), 0, "label of DNS_LABEL_MAX");
    buf_reset(&b);
    buf_addstr(&b, "mailto:a@d");
    for (i = 0; i < DNS_LABEL_MAX; i++)
	buf_addch(&b, 'd');
    buf_addstr(&b, ".example");
    is_int(dmarc_uri_mailto(buf_str(&b), addr, sizeof(addr)), -1, "label over DNS_LABEL_MAX");
    buf_reset(&b);
    buf_addstr(&b, "mailto:a@");
    for (i = 0; i < DNS_NAME_MAX / 2; i++)
	buf_addstr(&b, "d.");
    buf_addstr(&b, "dd");
    is_int(dmarc_uri_mailto(buf_str(&b), addr, sizeof(addr)), -1, "domain over DNS_NAME_MAX");
    buf_free(&b);

    /* DMARC_URI_MAX */
    memset(uri, 0, sizeof(uri));
    memcpy(uri, "mailto:a@", 9);
    memset(uri + 9, 'x', DMARC_URI_MAX - 9 + 1);
    is_int(dmarc_uri_mailto(uri, addr, sizeof(addr)), -1, "URI over DMARC_URI_MAX");

    /* addrsize */
    is_int(dmarc_uri_mailto("mailto:a@b.example", addr, 11), -1, "address one byte too big");
    is_str(addr, "", "  addr left empty");
    is_int(dmarc_uri_mailto("mailto:a@b.example", addr, 12), 0, "address that just fits");
    is_str(addr, "a@b.example", "  copied");
    is_int(dmarc_uri_mailto("mailto:a@b.example", addr, 0), -1, "addrsize 0");
}

/* test_policy_name - the spelling of each policy */

static void test_policy_name(void)
{
    is_str(dmarc_policy_name(DMARC_POLICY_UNSPEC), "", "unspec");
    is_str(dmarc_policy_name(DMARC_POLICY_NONE), "none", "none");
    is_str(dmarc_policy_name(DMARC_POLICY_QUARANTINE), "quarantine", "quarantine");
    is_str(dmarc_policy_name(DMARC_POLICY_REJECT), "reject", "reject");
    is_str(dmarc_policy_name(-1), "", "out of range, low");
    is_str(dmarc_policy_name(99), "", "out of range, high");
}

int main(void)
{
    test_examples();
    test_version();
    test_separators();
    test_unknown();
    test_case();
    test_duplicates();
    test_policy();
    test_subdomain_policy();
    test_flags();
    test_fo();
    test_uris();
    test_binary();
    test_limits();
    test_why();
    test_uri_valid();
    test_mailto();
    test_policy_name();
    return tap_done();
}
