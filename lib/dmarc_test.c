/* dmarc_test - policy discovery, tree walk and alignment over real DNS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "dmarc.h"
#include "dns.h"
#include "log.h"
#include "results.h"
#include "tap.h"
#include "testdns.h"

static struct dns_resolver *res;
static struct buf trace = BUF_INIT(8192);

/* tracer - note each _dmarc TXT query in trace */

static void tracer(void *ctx, const char *name, uint16_t type, int status)
{
    if (type == DNS_T_TXT && strncmp(name, "_dmarc.", 7) == 0)
	buf_printf(&trace, "%s%s", buf_len(&trace) ? " " : "", name + 7);
}

/* eval - one evaluation; dkim is "d1:pass,d2:fail" */

static void eval(struct dmarc_ctx *ctx, const char *author, const char *spf_domain, int spf,
		         const char *dkim, struct dmarc_eval *ev)
{
    struct dmarc_dkim sigs[8];
    struct dmarc_input in;
    char copy[256], *p, *save = NULL;
    size_t n = 0;

    snprintf(copy, sizeof(copy), "%s", dkim);
    for (p = strtok_r(copy, ",", &save); p && n < 8; p = strtok_r(NULL, ",", &save)) {
	char *colon = strchr(p, ':');

	*colon = 0;
	sigs[n].domain = p;
	sigs[n].result = strcmp(colon + 1, "pass") == 0 ? RES_DKIM_PASS : RES_DKIM_FAIL;
	n++;
    }
    in.author = author;
    in.spf_domain = spf_domain;
    in.spf_result = spf;
    in.ndkim = n;
    in.dkim = sigs;
    buf_reset(&trace);
    dmarc_evaluate(ctx, &in, ev);
}

static const struct {
    const char *name, *author, *spf_domain;
    int spf;
    const char *dkim;
    int result, policy;
    char tag;
    const char *policy_domain, *org;
} cases[] = {
    /* RFC 9989 appendix B.4.1 */
    {"B.4.1: DKIM d=signing.example.com aligns with example.com (relaxed)",
     "example.com", "example.com", RES_SPF_FAIL, "signing.example.com:pass",
     RES_DMARC_PASS, RES_POLICY_REJECT, 'p', "example.com", "example.com"},
    {"B.4.1: SPF for example.com aligns", "example.com", "example.com", RES_SPF_PASS, "",
     RES_DMARC_PASS, RES_POLICY_REJECT, 'p', "example.com", "example.com"},
    /* B.4.2 */
    {"B.4.2: deep author, policy from example.com, DKIM aligned",
     "a.b.c.d.e.f.g.h.i.j.k.example.com", "example.com", RES_SPF_FAIL,
     "signing.example.com:pass", RES_DMARC_PASS, RES_POLICY_REJECT, 'p', "example.com",
     "example.com"},
    /* B.4.3 */
    {"B.4.3: giant.bank.example, SPF from mail.giant.bank.example aligned",
     "giant.bank.example", "mail.giant.bank.example", RES_SPF_PASS, "mail.mega.bank.example:pass",
     RES_DMARC_PASS, RES_POLICY_QUARANTINE, 'p', "giant.bank.example", "giant.bank.example"},
    {"B.4.3: DKIM from mail.mega.bank.example is not aligned",
     "giant.bank.example", "mail.giant.bank.example", RES_SPF_FAIL, "mail.mega.bank.example:pass",
     RES_DMARC_FAIL, RES_POLICY_QUARANTINE, 'p', "giant.bank.example", "giant.bank.example"},
    {"PSD policy for a bank.example subdomain without its own record",
     "small.bank.example", "", RES_SPF_NONE, "", RES_DMARC_FAIL, RES_POLICY_REJECT, 'p',
     "bank.example", "small.bank.example"},
    /* p, sp, np */
    {"p=reject, nothing aligned: fail", "reject.example.net", "other.example.org", RES_SPF_PASS,
     "other.example.org:pass", RES_DMARC_FAIL, RES_POLICY_REJECT, 'p', "reject.example.net",
     "reject.example.net"},
    {"subdomain of p=reject without sp: p applies", "sub.reject.example.net", "", RES_SPF_NONE, "",
     RES_DMARC_FAIL, RES_POLICY_REJECT, 'p', "reject.example.net", "reject.example.net"},
    {"sp=none for an existing subdomain", "www.quarantine.example.net", "", RES_SPF_NONE, "",
     RES_DMARC_FAIL, RES_POLICY_NONE, 's', "quarantine.example.net", "quarantine.example.net"},
    {"sp=reject for an existing subdomain", "exists.subpol.example.net", "", RES_SPF_NONE, "",
     RES_DMARC_FAIL, RES_POLICY_REJECT, 's', "subpol.example.net", "subpol.example.net"},
    {"np=quarantine for a non-existent subdomain (NXDOMAIN)", "nx.subpol.example.net", "",
     RES_SPF_NONE, "", RES_DMARC_FAIL, RES_POLICY_QUARANTINE, 'n', "subpol.example.net",
     "subpol.example.net"},
    {"a name with only MX records exists: sp", "deep.exists.subpol.example.net", "", RES_SPF_NONE,
     "", RES_DMARC_FAIL, RES_POLICY_REJECT, 's', "subpol.example.net", "subpol.example.net"},
    {"p=none for the domain itself", "subpol.example.net", "", RES_SPF_NONE, "",
     RES_DMARC_FAIL, RES_POLICY_NONE, 'p', "subpol.example.net", "subpol.example.net"},
    /* strict alignment */
    {"adkim=s: a subdomain signature does not align", "strict.example.net", "", RES_SPF_NONE,
     "mail.strict.example.net:pass", RES_DMARC_FAIL, RES_POLICY_REJECT, 'p',
     "strict.example.net", "strict.example.net"},
    {"adkim=s: the exact domain aligns", "strict.example.net", "", RES_SPF_NONE,
     "STRICT.example.net:pass", RES_DMARC_PASS, RES_POLICY_REJECT, 'p', "strict.example.net",
     "strict.example.net"},
    {"aspf=s: a subdomain MAIL FROM does not align", "strict.example.net",
     "mail.strict.example.net", RES_SPF_PASS, "", RES_DMARC_FAIL, RES_POLICY_REJECT, 'p',
     "strict.example.net", "strict.example.net"},
    {"relaxed: a DKIM fail never counts", "reject.example.net", "", RES_SPF_NONE,
     "reject.example.net:fail", RES_DMARC_FAIL, RES_POLICY_REJECT, 'p', "reject.example.net",
     "reject.example.net"},
    {"relaxed: SPF softfail never counts", "reject.example.net", "reject.example.net",
     RES_SPF_SOFTFAIL, "", RES_DMARC_FAIL, RES_POLICY_REJECT, 'p', "reject.example.net",
     "reject.example.net"},
    {"relaxed: a sibling under another org does not align", "reject.example.net",
     "quarantine.example.net", RES_SPF_PASS, "", RES_DMARC_FAIL, RES_POLICY_REJECT, 'p',
     "reject.example.net", "reject.example.net"},
    /* psd=n */
    {"psd=n fixes the organizational domain", "b.a.org.example.net", "a.org.example.net",
     RES_SPF_PASS, "", RES_DMARC_PASS, RES_POLICY_REJECT, 'p', "org.example.net",
     "org.example.net"},
    /* record tolerance */
    {"invalid p with a valid rua acts as p=none", "badp.example.net", "", RES_SPF_NONE, "",
     RES_DMARC_FAIL, RES_POLICY_NONE, 'p', "badp.example.net", "badp.example.net"},
    {"invalid p without rua: no policy", "badp-norua.example.net", "", RES_SPF_NONE, "",
     RES_DMARC_NONE, RES_POLICY_UNSPEC, 0, "", ""},
    {"two records at one name: none", "two.example.net", "", RES_SPF_NONE, "",
     RES_DMARC_NONE, RES_POLICY_UNSPEC, 0, "", ""},
    {"v not first: not a DMARC record", "notfirst.example.net", "", RES_SPF_NONE, "",
     RES_DMARC_NONE, RES_POLICY_UNSPEC, 0, "", ""},
    {"white space around separators", "spaced.example.net", "", RES_SPF_NONE, "",
     RES_DMARC_FAIL, RES_POLICY_QUARANTINE, 'p', "spaced.example.net", "spaced.example.net"},
    {"no record anywhere: none", "nothing.example.org", "", RES_SPF_PASS, "", RES_DMARC_NONE,
     RES_POLICY_UNSPEC, 0, "", ""},
    {"SERVFAIL on the policy: temperror", "temp.example.net", "", RES_SPF_NONE, "",
     RES_DMARC_TEMPERROR, RES_POLICY_UNSPEC, 0, "", ""},
    {"t=y is reported with its policy", "testing.example.net", "", RES_SPF_NONE, "",
     RES_DMARC_FAIL, RES_POLICY_REJECT, 'p', "testing.example.net", "testing.example.net"},
};

/* test_cases - the evaluation table, tree walk mode */

static void test_cases(struct dmarc_ctx *ctx)
{
    struct dmarc_eval ev;
    size_t i;

    for (i = 0; i < PD_NELEM(cases); i++) {
	eval(ctx, cases[i].author, cases[i].spf_domain, cases[i].spf, cases[i].dkim, &ev);
	if (!ok(ev.result == cases[i].result && ev.policy == cases[i].policy
		&& (cases[i].tag == 0 || ev.tag == cases[i].tag)
		&& strcmp(ev.policy_domain, cases[i].policy_domain) == 0
		&& (*cases[i].org == 0 || strcmp(ev.org_domain, cases[i].org) == 0),
		"%s", cases[i].name))
	    diag("got %s, policy %s (%c) at \"%s\", org \"%s\" (%s); queries: %s",
		 res_dmarc_name(ev.result), res_policy_name(ev.policy), ev.tag ? ev.tag : '-',
		 ev.policy_domain, ev.org_domain, ev.reason, buf_str(&trace));
    }
}

/* test_walks - the queries of each tree walk, DMARC_TREE_WALK_MAX of them at most */

static void test_walks(struct dmarc_ctx *ctx)
{
    struct dmarc_eval ev;
    char org[256];

    eval(ctx, "a.b.c.d.e.f.g.h.i.j.k.example.com", "", RES_SPF_NONE, "", &ev);
    is_str(buf_str(&trace), "a.b.c.d.e.f.g.h.i.j.k.example.com g.h.i.j.k.example.com "
	   "h.i.j.k.example.com i.j.k.example.com j.k.example.com k.example.com example.com com",
	   "B.4.2: the eight queries of the deep tree walk, in order");
    buf_reset(&trace);
    dmarc_org_domain(ctx, "signing.example.com", org, sizeof(org));
    is_str(buf_str(&trace), "signing.example.com example.com com",
	   "B.4.1: org domain of signing.example.com: three queries");
    is_str(org, "example.com", "B.4.1: fewest labels wins");
    buf_reset(&trace);
    dmarc_org_domain(ctx, "mail.mega.bank.example", org, sizeof(org));
    is_str(buf_str(&trace), "mail.mega.bank.example mega.bank.example bank.example",
	   "B.4.3: the walk stops at psd=y");
    is_str(org, "mega.bank.example", "B.4.3: one label below the PSD");
    buf_reset(&trace);
    dmarc_org_domain(ctx, "a.b.c.d.e.f.g.example.com", org, sizeof(org));
    is_str(buf_str(&trace), "a.b.c.d.e.f.g.example.com c.d.e.f.g.example.com "
	   "d.e.f.g.example.com e.f.g.example.com f.g.example.com g.example.com example.com com",
	   "nine labels: the first jump goes straight to seven labels");
    buf_reset(&trace);
    eval(ctx, "example.com", "example.com", RES_SPF_PASS, "", &ev);
    is_str(buf_str(&trace), "example.com com", "walk continues past the author's own record");
    is_int(dmarc_apply_testing(RES_POLICY_REJECT, 1), RES_POLICY_QUARANTINE, "t=y: reject -> quarantine");
    is_int(dmarc_apply_testing(RES_POLICY_QUARANTINE, 1), RES_POLICY_NONE, "t=y: quarantine -> none");
    is_int(dmarc_apply_testing(RES_POLICY_NONE, 1), RES_POLICY_NONE, "t=y: none stays none");
    is_int(dmarc_apply_testing(RES_POLICY_REJECT, 0), RES_POLICY_REJECT, "t=n: unchanged");
}

/* test_psl_preload - a list loaded once serves contexts after, file gone */

static void test_psl_preload(void)
{
    const char *build = getenv("PD_BUILD") ? getenv("PD_BUILD") : "build";
    char path[512], org[256], err[128];
    struct dmarc_ctx *ctx;
    FILE *fp;

    snprintf(path, sizeof(path), "%s/tmp/dmarc_test-%ld.psl", build, (long) getpid());
    if ((fp = fopen(path, "w")) == NULL) {
	ok(0, "a list file written");
	return;
    }
    fputs("// a list of its own\ncom\nlist.example\n", fp);
    fclose(fp);
    ok(dmarc_psl_preload("/nonexistent/psl.dat") < 0, "preloading a missing file: -1");
    ok(dmarc_psl_preload(path) == 0, "a list file preloaded");
    unlink(path);
    ctx = dmarc_new(res, CONF_ORG_PSL, path, err, sizeof(err));
    ok(ctx != NULL, "its file gone, a context still gets the list");
    if (ctx)
	dmarc_org_domain(ctx, "a.b.list.example", org, sizeof(org));
    is_str(ctx ? org : "", "b.list.example", "  and it is that list (list.example a suffix)");
    dmarc_free(ctx);
    ok(dmarc_psl_preload("") == 0
       && dmarc_new(res, CONF_ORG_PSL, path, err, sizeof(err)) == NULL,
       "forgotten: the file is read again, and is gone");
}

/* test_psl - discovery by the public suffix list */

static void test_psl(void)
{
    char err[128];
    struct dmarc_ctx *ctx = dmarc_new(res, CONF_ORG_PSL, "", err, sizeof(err));
    struct dmarc_eval ev;
    char org[256];

    ok(ctx != NULL, "PSL mode with libpsl's built-in list");
    if (ctx == NULL)
	return;
    eval(ctx, "sub.reject.example.net", "", RES_SPF_NONE, "", &ev);
    ok(ev.result == RES_DMARC_NONE && ev.discovery == RES_DISCOVERY_PSL
       && strcmp(ev.org_domain, "example.net") == 0,
       "PSL: example.net is the org of sub.reject.example.net and has no record: none "
       "(the tree walk finds reject.example.net)");
    eval(ctx, "reject.example.net", "", RES_SPF_NONE, "", &ev);
    ok(ev.result == RES_DMARC_FAIL && strcmp(ev.policy_domain, "reject.example.net") == 0,
       "PSL: the author's own record");
    eval(ctx, "www.example.com", "mail.example.com", RES_SPF_PASS, "", &ev);
    ok(ev.result == RES_DMARC_PASS && strcmp(ev.policy_domain, "example.com") == 0,
       "PSL: policy at the registrable domain, relaxed SPF alignment");
    dmarc_org_domain(ctx, "a.b.example.co.uk", org, sizeof(org));
    is_str(org, "example.co.uk", "PSL: multi-label public suffix");
    dmarc_free(ctx);
    ok(dmarc_new(res, CONF_ORG_PSL, "/nonexistent/psl.dat", err, sizeof(err)) == NULL,
       "a missing list file is an error: %s", err);
    test_psl_preload();
}

int main(void)
{
    struct dmarc_ctx *ctx;
    char err[128];

    log_init("dmarc_test");
    if ((res = testdns_resolver(1000, 1, 1000)) == NULL) {
	ok(0, "test DNS server starts");
	return tap_done();
    }
    dns_set_trace(res, tracer, NULL);
    ctx = dmarc_new(res, CONF_ORG_TREE, NULL, err, sizeof(err));
    test_cases(ctx);
    test_walks(ctx);
    dmarc_free(ctx);
    test_psl();
    dns_destroy(res);
    buf_free(&trace);
    return tap_done();
}
