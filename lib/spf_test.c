/* spf_test - SPF checks over the real test DNS server */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dns.h"
#include "log.h"
#include "results.h"
#include "spf.h"
#include "tap.h"
#include "testdns.h"

static const struct {
    const char *ip, *helo, *sender;
    int scope, want;
    const char *name;
} cases[] = {
    {"192.0.2.5", "mx.example.net", "u@spf-pass.example.com", SPF_SCOPE_MFROM, RES_SPF_PASS, "ip4 pass"},
    {"198.51.100.5", "mx.example.net", "u@spf-pass.example.com", SPF_SCOPE_MFROM, RES_SPF_FAIL, "ip4 miss, -all fails"},
    {"2001:db8:1::25", "mx.example.net", "u@spf-pass.example.com", SPF_SCOPE_MFROM, RES_SPF_PASS, "ip6 pass"},
    {"2001:db8:9::25", "mx.example.net", "u@spf-pass.example.com", SPF_SCOPE_MFROM, RES_SPF_FAIL, "ip6 miss"},
    {"::ffff:192.0.2.5", "mx.example.net", "u@spf-pass.example.com", SPF_SCOPE_MFROM, RES_SPF_PASS, "v4-mapped v6 checked as v4"},
    {"192.0.2.5", "mx.example.net", "u@spf-fail.example.com", SPF_SCOPE_MFROM, RES_SPF_FAIL, "fail"},
    {"192.0.2.5", "mx.example.net", "u@spf-softfail.example.com", SPF_SCOPE_MFROM, RES_SPF_SOFTFAIL, "softfail"},
    {"192.0.2.5", "mx.example.net", "u@spf-neutral.example.com", SPF_SCOPE_MFROM, RES_SPF_NEUTRAL, "neutral"},
    {"192.0.2.5", "mx.example.net", "u@spf-none.example.com", SPF_SCOPE_MFROM, RES_SPF_NONE, "no TXT: none"},
    {"192.0.2.5", "mx.example.net", "u@spf-notspf.example.com", SPF_SCOPE_MFROM, RES_SPF_NONE, "TXT but no v=spf1 (v=spf10 is not it): none"},
    {"192.0.2.5", "mx.example.net", "u@nonexistent.example.com", SPF_SCOPE_MFROM, RES_SPF_NONE, "NXDOMAIN: none"},
    {"192.0.2.5", "mx.example.net", "u@spf-two.example.com", SPF_SCOPE_MFROM, RES_SPF_PERMERROR, "two records: permerror"},
    {"192.0.2.5", "mx.example.net", "u@spf-syntax.example.com", SPF_SCOPE_MFROM, RES_SPF_PERMERROR, "syntax error: permerror"},
    {"192.0.2.5", "mx.example.net", "u@x.servfail.example.net", SPF_SCOPE_MFROM, RES_SPF_TEMPERROR, "SERVFAIL on the record: temperror"},
    {"192.0.2.5", "mx.example.net", "u@spf-temp.example.com", SPF_SCOPE_MFROM, RES_SPF_TEMPERROR, "SERVFAIL in an include: temperror"},
    {"192.0.2.5", "mx.example.net", "u@spf-silent.example.com", SPF_SCOPE_MFROM, RES_SPF_TEMPERROR, "timeout in an a: mechanism: temperror"},
    {"192.0.2.5", "mx.example.net", "u@spf-incl.example.com", SPF_SCOPE_MFROM, RES_SPF_PASS, "include pass"},
    {"198.51.100.5", "mx.example.net", "u@spf-incl.example.com", SPF_SCOPE_MFROM, RES_SPF_FAIL, "include miss"},
    {"192.0.2.5", "mx.example.net", "u@spf-incl-none.example.com", SPF_SCOPE_MFROM, RES_SPF_PERMERROR, "include of a domain without SPF: permerror"},
    {"192.0.2.5", "mx.example.net", "u@spf-redirect.example.com", SPF_SCOPE_MFROM, RES_SPF_PASS, "redirect"},
    {"198.51.100.77", "mx.example.net", "u@spf-mx.example.com", SPF_SCOPE_MFROM, RES_SPF_PASS, "mx mechanism"},
    {"198.51.100.78", "mx.example.net", "u@spf-mx.example.com", SPF_SCOPE_MFROM, RES_SPF_FAIL, "mx mechanism miss"},
    {"198.51.100.88", "mx.example.net", "u@spf-a.example.com", SPF_SCOPE_MFROM, RES_SPF_PASS, "a mechanism v4"},
    {"2001:db8:2::88", "mx.example.net", "u@spf-a.example.com", SPF_SCOPE_MFROM, RES_SPF_PASS, "a mechanism v6"},
    {"192.0.2.5", "mx.example.net", "u@spf-case.example.com", SPF_SCOPE_MFROM, RES_SPF_PASS, "upper-case record"},
    {"192.0.2.5", "mx.example.net", "u@spf-loop.example.com", SPF_SCOPE_MFROM, RES_SPF_PERMERROR, "include loop: permerror"},
    {"192.0.2.5", "mx.example.net", "u@spf-many.example.com", SPF_SCOPE_MFROM, RES_SPF_PERMERROR, "more than 10 lookups: permerror"},
    {"192.0.2.10", "spf-helo.example.com", "", SPF_SCOPE_MFROM, RES_SPF_PASS, "null sender: postmaster@helo"},
    {"192.0.2.11", "spf-helo.example.com", "", SPF_SCOPE_MFROM, RES_SPF_FAIL, "null sender fails on the helo domain"},
    {"192.0.2.10", "spf-helo.example.com", "u@spf-fail.example.com", SPF_SCOPE_HELO, RES_SPF_PASS, "helo identity"},
    {"192.0.2.11", "spf-helo.example.com", "u@spf-pass.example.com", SPF_SCOPE_HELO, RES_SPF_FAIL, "helo identity fail"},
    {"192.0.2.10", "[192.0.2.10]", "u@spf-pass.example.com", SPF_SCOPE_HELO, RES_SPF_NONE, "address-literal helo: none"},
    {"192.0.2.10", "localhost", "", SPF_SCOPE_MFROM, RES_SPF_NONE, "single-label helo, null sender: none"},
    {"192.0.2.5", "mx.example.net", "u@com", SPF_SCOPE_MFROM, RES_SPF_NONE, "single-label sender domain: none"},
    {"192.0.2.5", "mx.example.net", "u@a..b.example.com", SPF_SCOPE_MFROM, RES_SPF_NONE, "empty label: none"},
    {"192.0.2.5", "mx.example.net", "u@0123456789012345678901234567890123456789012345678901234567890123.example.com", SPF_SCOPE_MFROM, RES_SPF_NONE, "64-byte label: none"},
    {"192.0.2.5", "mx.example.net", "@spf-pass.example.com", SPF_SCOPE_MFROM, RES_SPF_PASS, "no local part: postmaster"},
    {"unknown", "mx.example.net", "u@spf-fail.example.com", SPF_SCOPE_MFROM, RES_SPF_NONE, "no client IP address: none (never temperror)"},
};

static void test_cases(struct spf_checker *ck)
{
    struct spf_result res;
    size_t i;

    for (i = 0; i < PD_NELEM(cases); i++) {
	spf_check(ck, cases[i].ip, cases[i].helo, cases[i].sender, cases[i].scope, &res);
	if (!ok(res.result == cases[i].want, "%s: %s", cases[i].name, res_spf_name(cases[i].want)))
	    diag("got %s (%s)", res_spf_name(res.result), res.reason);
    }
}

static void test_details(struct spf_checker *ck)
{
    struct spf_result res;
    struct buf h = BUF_INIT(2048);

    spf_check(ck, "192.0.2.5", "mx.example.net", "u@spf-exp.example.com", SPF_SCOPE_MFROM, &res);
    is_str(res.explanation, "Host 192.0.2.5 may not send for spf-exp.example.com",
	   "the domain's explanation, macros expanded");
    is_str(res.domain, "spf-exp.example.com", "domain checked");
    spf_check(ck, "192.0.2.5", "mx.example.net", "u@spf-8bit.example.com", SPF_SCOPE_MFROM, &res);
    ok(strchr(res.explanation, '\n') == NULL && strchr(res.explanation, '\r') == NULL,
       "a hostile explanation comes out on one printable line: %s", res.explanation);
    is_str(res.explanation, "192.0.2.5 is not one of spf-8bit.example.com's designated mail servers",
	   "an explanation not in US-ASCII: our default one instead (RFC 7208 6.2)");
    spf_check(ck, "2001:db8:1::25", "mx\"x.example.net", "we\"ird(x)@spf-pass.example.com",
	      SPF_SCOPE_MFROM, &res);
    spf_received_header(&h, &res, "2001:db8:1::25", "mx\"x.example.net\r\nX: y",
			"we\"ird(x)@spf-pass.example.com", "mx.example.org");
    ok(strncmp(buf_str(&h), "pass (mx.example.org: domain of we\"ird\\(x\\)@spf-pass.example.com ",
	       strlen("pass (mx.example.org: domain of we\"ird\\(x\\)@spf-pass.example.com ")) == 0,
       "Received-SPF starts with the result and a comment");
    ok(strstr(buf_str(&h), " client-ip=\"2001:db8:1::25\";") != NULL, "v6 client-ip quoted");
    ok(strstr(buf_str(&h), " envelope-from=\"we\\\"ird(x)@spf-pass.example.com\";") != NULL,
       "envelope-from quoted with escapes");
    ok(strstr(buf_str(&h), " helo=\"mx\\\"x.example.net??X: y\";") != NULL,
       "CR and LF in the helo value become ? (no line break, nothing lost unseen)");
    ok(strstr(buf_str(&h), " receiver=mx.example.org; identity=mailfrom;") != NULL,
       "receiver and identity");
    ok(strpbrk(buf_str(&h), "\r\n") == NULL, "one line: %s", buf_str(&h));
    buf_free(&h);
}

/* test_domain_ok - what spf_domain_ok() lets through, DNS_NAME_MAX and DNS_LABEL_MAX */

static void test_domain_ok(void)
{
    static const struct {
	const char *domain;
	int want;
    } t[] = {
	{"example.com", 1}, {"com", 0}, {"", 0}, {"example.com.", 0}, {".example.com", 0},
	{"a..example.com", 0}, {"ex ample.com", 0}, {"ex\\ample.com", 0}, {"u@example.com", 0},
	{"[192.0.2.1]", 0}, {"ex\"ample.com", 0}, {"ex\tample.com", 0}, {"ex\177ample.com", 0},
	{"ex_ample.com", 1},
	{"012345678901234567890123456789012345678901234567890123456789012.com", 1},
	{"0123456789012345678901234567890123456789012345678901234567890123.com", 0},
    };
    char name[DNS_NAME_MAX + 1];
    size_t i;

    for (i = 0; i < PD_NELEM(t); i++)
	if (!ok(spf_domain_ok(t[i].domain) == t[i].want, "spf_domain_ok(\"%s\") is %d",
		t[i].domain, t[i].want))
	    diag("got %d", !t[i].want);
    /* DNS_NAME_MAX bytes on the wire: DNS_NAME_MAX - 2 in text. */
    memset(name, 'a', sizeof(name));
    for (i = 50; i < sizeof(name); i += 51)
	name[i] = '.';
    name[DNS_NAME_MAX - 2] = 0;
    is_int(spf_domain_ok(name), 1, "spf_domain_ok: a domain of DNS_NAME_MAX - 2 bytes");
    name[DNS_NAME_MAX - 2] = 'a';
    name[DNS_NAME_MAX - 1] = 0;
    is_int(spf_domain_ok(name), 0, "spf_domain_ok: a domain of DNS_NAME_MAX - 1 bytes");
}

int main(void)
{
    struct dns_resolver *res;
    struct spf_checker *ck;

    log_init("spf_test");
    test_domain_ok();
    if ((res = testdns_resolver(1000, 1, 1000)) == NULL) {
	ok(0, "test DNS server starts");
	return tap_done();
    }
    ck = spf_checker_new(res, "mx.example.org");
    test_cases(ck);
    test_details(ck);
    spf_checker_free(ck);
    dns_destroy(res);
    return tap_done();
}
