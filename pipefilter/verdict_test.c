/* verdict_test - verdict_decide(): every policy, with and without t=y,
 * under every quarantine/reject/temperror setting; pass, none,
 * temperror and no author at all; several authors (the strictest failing
 * policy after t=y decides); a temporary DNS failure of SPF or DKIM
 * (auth_temperror) turning a fail into a temperror; verdict_unreadable()
 * under every reject setting.
 *
 * The expectations are written out as tables, not recomputed: table
 * "lowered" says what t=y makes of each policy, table "outcome" what each
 * applied policy becomes under each setting; the loops only combine them. */
#include <stdio.h>
#include <string.h>

#include "compat.h"
#include "conf.h"
#include "dmarc.h"
#include "results.h"
#include "tap.h"
#include "verdict.h"

#define NONE	RES_POLICY_NONE
#define QUAR	RES_POLICY_QUARANTINE
#define REJ	RES_POLICY_REJECT
#define TEST_MODE	RES_REASON_POLICY_TEST_MODE
#define LOCAL	RES_REASON_LOCAL_POLICY
#define NO_REASON	(-1)

static const char *const qnames[] = {"add_header", "none"};
static const char *const rnames[] = {"discard", "reject", "add_header"};
static const char *const tnames[] = {"tempfail", "accept"};

/* One author: what dmarc_evaluate() found. */
struct author {
    int result;				/* enum res_dmarc */
    int policy;				/* enum res_policy */
    int testing;			/* t=y */
};

/* mkeval - a dmarc_eval as dmarc_evaluate() would leave it */

static void mkeval(struct dmarc_eval *ev, const struct author *a, size_t i)
{
    memset(ev, 0, sizeof(*ev));
    ev->result = a->result;
    ev->policy = a->policy;
    ev->tag = 'p';
    ev->rec.p = a->policy;
    ev->rec.t = a->testing;
    snprintf(ev->policy_domain, sizeof(ev->policy_domain), "d%zu.example", i);
}

/* mkconf - the three settings verdict_decide() reads; the rest defaults */

static void mkconf(struct conf *c, int quarantine, int reject, int temperror)
{
    memset(c, 0, sizeof(*c));
    c->quarantine = quarantine;
    c->reject = reject;
    c->temperror = temperror;
}

/* What a verdict should be. */
struct want {
    int dmarc;
    int ev;				/* index of the deciding author, -1 none */
    int applied;
    int disposition;
    int action;
    int reason[2];			/* reason types in order, NO_REASON ends */
};

/* check - run verdict_decide() and compare every field */

static void check(const char *name, const struct conf *c, const struct author *au, size_t n,
		          int auth_temperror, const struct want *w)
{
    struct dmarc_eval evs[MSG_AUTHORS_MAX];
    struct verdict v;
    size_t i, nr = 0;
    int same;

    for (i = 0; i < n; i++)
	mkeval(&evs[i], &au[i], i);
    verdict_decide(c, evs, n, auth_temperror, &v);
    while (nr < 2 && w->reason[nr] != NO_REASON)
	nr++;
    same = v.dmarc == w->dmarc
	&& v.ev == (w->ev < 0 ? NULL : &evs[w->ev])
	&& v.applied == w->applied && v.disposition == w->disposition
	&& v.action == w->action && v.nreasons == nr;
    for (i = 0; same && i < nr; i++)
	same = v.reasons[i].type == w->reason[i] && v.reasons[i].comment[0] != 0;
    if (!ok(same, "%s", name))
	diag("got dmarc=%s ev=%d applied=%s disposition=%s action=%s reasons=%zu(%d); "
	     "want dmarc=%s ev=%d applied=%s disposition=%s action=%s reasons=%zu(%d)",
	     res_dmarc_name(v.dmarc), v.ev ? (int) (v.ev - evs) : -1,
	     res_policy_name(v.applied), res_disposition_name(v.disposition),
	     verdict_action_name(v.action), v.nreasons, v.nreasons ? v.reasons[0].type : -1,
	     res_dmarc_name(w->dmarc), w->ev, res_policy_name(w->applied),
	     res_disposition_name(w->disposition), verdict_action_name(w->action), nr,
	     nr ? w->reason[0] : -1);
}

 /*
  * A single author who fails: every policy x t=y x setting.
  */

/* t=y lowers the policy one step (RFC 9989 p, t). */
static const struct {
    int policy, testing, applied, test_reason;
} lowered[] = {
    {NONE, 0, NONE, 0},
    {NONE, 1, NONE, 0},				/* nothing lower: no reason */
    {QUAR, 0, QUAR, 0},
    {QUAR, 1, NONE, 1},
    {REJ, 0, REJ, 0},
    {REJ, 1, QUAR, 1},
};

/* What the applied policy becomes, per [pipefilter] quarantine and reject. */
static const struct {
    int applied, quarantine, reject;
    int action, disposition, local_reason;
} outcome[] = {
    {NONE, CONF_QUARANTINE_ADD_HEADER, CONF_REJECT_DISCARD, VERDICT_DELIVER, RES_DISP_NONE, 0},
    {NONE, CONF_QUARANTINE_ADD_HEADER, CONF_REJECT_REJECT, VERDICT_DELIVER, RES_DISP_NONE, 0},
    {NONE, CONF_QUARANTINE_ADD_HEADER, CONF_REJECT_ADD_HEADER, VERDICT_DELIVER, RES_DISP_NONE, 0},
    {NONE, CONF_QUARANTINE_NONE, CONF_REJECT_DISCARD, VERDICT_DELIVER, RES_DISP_NONE, 0},
    {NONE, CONF_QUARANTINE_NONE, CONF_REJECT_REJECT, VERDICT_DELIVER, RES_DISP_NONE, 0},
    {NONE, CONF_QUARANTINE_NONE, CONF_REJECT_ADD_HEADER, VERDICT_DELIVER, RES_DISP_NONE, 0},
    {QUAR, CONF_QUARANTINE_ADD_HEADER, CONF_REJECT_DISCARD, VERDICT_QUARANTINE,
     RES_DISP_QUARANTINE, 0},
    {QUAR, CONF_QUARANTINE_ADD_HEADER, CONF_REJECT_REJECT, VERDICT_QUARANTINE,
     RES_DISP_QUARANTINE, 0},
    {QUAR, CONF_QUARANTINE_ADD_HEADER, CONF_REJECT_ADD_HEADER, VERDICT_QUARANTINE,
     RES_DISP_QUARANTINE, 0},
    {QUAR, CONF_QUARANTINE_NONE, CONF_REJECT_DISCARD, VERDICT_DELIVER, RES_DISP_NONE, 1},
    {QUAR, CONF_QUARANTINE_NONE, CONF_REJECT_REJECT, VERDICT_DELIVER, RES_DISP_NONE, 1},
    {QUAR, CONF_QUARANTINE_NONE, CONF_REJECT_ADD_HEADER, VERDICT_DELIVER, RES_DISP_NONE, 1},
    {REJ, CONF_QUARANTINE_ADD_HEADER, CONF_REJECT_DISCARD, VERDICT_DISCARD, RES_DISP_REJECT, 0},
    {REJ, CONF_QUARANTINE_ADD_HEADER, CONF_REJECT_REJECT, VERDICT_REJECT, RES_DISP_REJECT, 0},
    {REJ, CONF_QUARANTINE_ADD_HEADER, CONF_REJECT_ADD_HEADER, VERDICT_QUARANTINE,
     RES_DISP_QUARANTINE, 1},
    {REJ, CONF_QUARANTINE_NONE, CONF_REJECT_DISCARD, VERDICT_DISCARD, RES_DISP_REJECT, 0},
    {REJ, CONF_QUARANTINE_NONE, CONF_REJECT_REJECT, VERDICT_REJECT, RES_DISP_REJECT, 0},
    /* "reject = add_header" marks the message whatever quarantine says. */
    {REJ, CONF_QUARANTINE_NONE, CONF_REJECT_ADD_HEADER, VERDICT_QUARANTINE,
     RES_DISP_QUARANTINE, 1},
};

/* find_outcome - the outcome row of a combination */

static int find_outcome(int applied, int quarantine, int reject)
{
    size_t i;

    for (i = 0; i < PD_NELEM(outcome); i++)
	if (outcome[i].applied == applied && outcome[i].quarantine == quarantine
	    && outcome[i].reject == reject)
	    return (int) i;
    return -1;
}

/* test_single_fail - one failing author, every combination */

static void test_single_fail(void)
{
    size_t l;
    int q, r, t, o;
    char name[256];
    struct conf c;

    for (l = 0; l < PD_NELEM(lowered); l++)
	for (q = 0; q < 2; q++)
	    for (r = 0; r < 3; r++)
		for (t = 0; t < 2; t++) {
		    struct author a = {RES_DMARC_FAIL, lowered[l].policy, lowered[l].testing};
		    struct want w;
		    size_t nr = 0;

		    if ((o = find_outcome(lowered[l].applied, q, r)) < 0) {
			ok(0, "no outcome row for %d/%d/%d", lowered[l].applied, q, r);
			continue;
		    }
		    mkconf(&c, q, r, t);
		    w.dmarc = RES_DMARC_FAIL;
		    w.ev = 0;
		    w.applied = lowered[l].applied;
		    w.action = outcome[o].action;
		    w.disposition = outcome[o].disposition;
		    w.reason[0] = w.reason[1] = NO_REASON;
		    if (lowered[l].test_reason)
			w.reason[nr++] = TEST_MODE;
		    if (outcome[o].local_reason)
			w.reason[nr++] = LOCAL;
		    snprintf(name, sizeof(name), "fail p=%s%s, quarantine=%s reject=%s "
			     "temperror=%s: %s, disposition %s",
			     res_policy_name(a.policy), a.testing ? " t=y" : "", qnames[q],
			     rnames[r], tnames[t], verdict_action_name(w.action),
			     res_disposition_name(w.disposition));
		    check(name, &c, &a, 1, 0, &w);
		}
}

 /*
  * A single author who passes, has no policy, or a temperror.
  */

/* test_single_other - pass, none, temperror under every setting */

static void test_single_other(void)
{
    static const int policies[] = {NONE, QUAR, REJ};
    char name[256];
    struct conf c;
    size_t p;
    int q, r, t, testing;

    for (p = 0; p < PD_NELEM(policies); p++)
	for (testing = 0; testing < 2; testing++)
	    for (q = 0; q < 2; q++)
		for (r = 0; r < 3; r++)
		    for (t = 0; t < 2; t++) {
			struct author pass = {RES_DMARC_PASS, policies[p], testing};
			struct author temp = {RES_DMARC_TEMPERROR, policies[p], testing};
			/* A pass reports the policy as published; t=y changes nothing. */
			struct want wp = {RES_DMARC_PASS, 0, policies[p],
			    policies[p] == NONE ? RES_DISP_NONE : RES_DISP_PASS,
			VERDICT_DELIVER, {NO_REASON, NO_REASON}};
			struct want wt = {RES_DMARC_TEMPERROR, 0, RES_POLICY_UNSPEC,
			    RES_DISP_NONE, t == CONF_TEMPERROR_TEMPFAIL ? VERDICT_TEMPFAIL
			: VERDICT_DELIVER, {NO_REASON, NO_REASON}};

			mkconf(&c, q, r, t);
			snprintf(name, sizeof(name), "pass p=%s%s, quarantine=%s reject=%s "
				 "temperror=%s: delivered, disposition %s",
				 res_policy_name(policies[p]), testing ? " t=y" : "", qnames[q],
				 rnames[r], tnames[t], res_disposition_name(wp.disposition));
			check(name, &c, &pass, 1, 0, &wp);
			snprintf(name, sizeof(name), "temperror p=%s%s, quarantine=%s reject=%s "
				 "temperror=%s: %s", res_policy_name(policies[p]),
				 testing ? " t=y" : "", qnames[q], rnames[r], tnames[t],
				 verdict_action_name(wt.action));
			check(name, &c, &temp, 1, 0, &wt);
		    }
}

/* test_none - no policy, no author */

static void test_none(void)
{
    struct author none = {RES_DMARC_NONE, RES_POLICY_UNSPEC, 0};
    struct want w_none = {RES_DMARC_NONE, 0, RES_POLICY_UNSPEC, RES_DISP_NONE,
    VERDICT_DELIVER, {NO_REASON, NO_REASON}};
    struct want w_perm = {RES_DMARC_PERMERROR, -1, RES_POLICY_UNSPEC, RES_DISP_NONE,
    VERDICT_DELIVER, {NO_REASON, NO_REASON}};
    struct conf c;
    int r;

    for (r = 0; r < 3; r++) {
	char name[128];

	mkconf(&c, CONF_QUARANTINE_ADD_HEADER, r, CONF_TEMPERROR_TEMPFAIL);
	snprintf(name, sizeof(name), "no policy, reject=%s: none, delivered", rnames[r]);
	check(name, &c, &none, 1, 0, &w_none);
	snprintf(name, sizeof(name), "no usable author (n=0), reject=%s: permerror, delivered",
		 rnames[r]);
	check(name, &c, &none, 0, 0, &w_perm);
	snprintf(name, sizeof(name), "no author with auth_temperror, reject=%s: still "
		 "permerror", rnames[r]);
	check(name, &c, &none, 0, 1, &w_perm);
    }
}

 /*
  * auth_temperror: SPF or a DKIM key lookup failed temporarily.
  */

/* test_auth_temperror - a fail could have been a pass */

static void test_auth_temperror(void)
{
    static const struct {
	const char *name;
	struct author a;
	int temperror;
	struct want w;
    } cases[] = {
	{"auth_temperror turns fail p=reject into temperror: deferred",
	    {RES_DMARC_FAIL, REJ, 0}, CONF_TEMPERROR_TEMPFAIL,
	{RES_DMARC_TEMPERROR, 0, RES_POLICY_UNSPEC, RES_DISP_NONE, VERDICT_TEMPFAIL,
	{NO_REASON, NO_REASON}}},
	{"auth_temperror, fail p=reject, temperror=accept: delivered unmarked",
	    {RES_DMARC_FAIL, REJ, 0}, CONF_TEMPERROR_ACCEPT,
	{RES_DMARC_TEMPERROR, 0, RES_POLICY_UNSPEC, RES_DISP_NONE, VERDICT_DELIVER,
	{NO_REASON, NO_REASON}}},
	{"auth_temperror, fail p=none: temperror too", {RES_DMARC_FAIL, NONE, 0},
	    CONF_TEMPERROR_TEMPFAIL,
	{RES_DMARC_TEMPERROR, 0, RES_POLICY_UNSPEC, RES_DISP_NONE, VERDICT_TEMPFAIL,
	{NO_REASON, NO_REASON}}},
	{"auth_temperror, fail p=reject t=y: temperror, no test-mode reason",
	    {RES_DMARC_FAIL, REJ, 1}, CONF_TEMPERROR_TEMPFAIL,
	{RES_DMARC_TEMPERROR, 0, RES_POLICY_UNSPEC, RES_DISP_NONE, VERDICT_TEMPFAIL,
	{NO_REASON, NO_REASON}}},
	{"auth_temperror does not touch a pass", {RES_DMARC_PASS, REJ, 0},
	    CONF_TEMPERROR_TEMPFAIL,
	{RES_DMARC_PASS, 0, REJ, RES_DISP_PASS, VERDICT_DELIVER, {NO_REASON, NO_REASON}}},
	{"auth_temperror does not touch none", {RES_DMARC_NONE, RES_POLICY_UNSPEC, 0},
	    CONF_TEMPERROR_TEMPFAIL,
	{RES_DMARC_NONE, 0, RES_POLICY_UNSPEC, RES_DISP_NONE, VERDICT_DELIVER,
	{NO_REASON, NO_REASON}}},
    };
    struct conf c;
    size_t i;

    for (i = 0; i < PD_NELEM(cases); i++) {
	mkconf(&c, CONF_QUARANTINE_ADD_HEADER, CONF_REJECT_REJECT, cases[i].temperror);
	check(cases[i].name, &c, &cases[i].a, 1, 1, &cases[i].w);
    }
}

 /*
  * Several authors.
  */

#define A_PASS(p)	{RES_DMARC_PASS, p, 0}
#define A_FAIL(p)	{RES_DMARC_FAIL, p, 0}
#define A_FAILT(p)	{RES_DMARC_FAIL, p, 1}
#define A_TEMP		{RES_DMARC_TEMPERROR, REJ, 0}
#define A_NONE		{RES_DMARC_NONE, RES_POLICY_UNSPEC, 0}
#define W(d, e, ap, disp, act)	{d, e, ap, disp, act, {NO_REASON, NO_REASON}}
#define WR(d, e, ap, disp, act, r)	{d, e, ap, disp, act, {r, NO_REASON}}

/* test_several - the strictest failing policy decides */

static void test_several(void)
{
    static const struct {
	const char *name;
	size_t n;
	struct author a[MSG_AUTHORS_MAX];
	struct want w;
    } cases[] = {
	{"pass and fail p=none: the fail decides", 2, {A_PASS(REJ), A_FAIL(NONE)},
	W(RES_DMARC_FAIL, 1, NONE, RES_DISP_NONE, VERDICT_DELIVER)},
	{"fail p=quarantine, fail p=reject: reject", 2, {A_FAIL(QUAR), A_FAIL(REJ)},
	W(RES_DMARC_FAIL, 1, REJ, RES_DISP_REJECT, VERDICT_DISCARD)},
	{"fail p=reject, fail p=quarantine: reject (order does not matter)", 2,
	    {A_FAIL(REJ), A_FAIL(QUAR)},
	W(RES_DMARC_FAIL, 0, REJ, RES_DISP_REJECT, VERDICT_DISCARD)},
	{"fail p=none, fail p=reject t=y: quarantine after t=y", 2,
	    {A_FAIL(NONE), A_FAILT(REJ)},
	WR(RES_DMARC_FAIL, 1, QUAR, RES_DISP_QUARANTINE, VERDICT_QUARANTINE, TEST_MODE)},
	{"fail p=reject t=y, fail p=reject: reject (t=y compared after lowering)", 2,
	    {A_FAILT(REJ), A_FAIL(REJ)},
	W(RES_DMARC_FAIL, 1, REJ, RES_DISP_REJECT, VERDICT_DISCARD)},
	{"fail p=quarantine t=y, fail p=none: none either way, the first kept", 2,
	    {A_FAILT(QUAR), A_FAIL(NONE)},
	WR(RES_DMARC_FAIL, 0, NONE, RES_DISP_NONE, VERDICT_DELIVER, TEST_MODE)},
	{"temperror and fail p=none: the fail decides", 2, {A_TEMP, A_FAIL(NONE)},
	W(RES_DMARC_FAIL, 1, NONE, RES_DISP_NONE, VERDICT_DELIVER)},
	{"pass and temperror: temperror, deferred", 2, {A_PASS(REJ), A_TEMP},
	W(RES_DMARC_TEMPERROR, 1, RES_POLICY_UNSPEC, RES_DISP_NONE, VERDICT_TEMPFAIL)},
	{"temperror and pass: temperror, deferred", 2, {A_TEMP, A_PASS(REJ)},
	W(RES_DMARC_TEMPERROR, 0, RES_POLICY_UNSPEC, RES_DISP_NONE, VERDICT_TEMPFAIL)},
	{"none and pass: pass", 2, {A_NONE, A_PASS(QUAR)},
	W(RES_DMARC_PASS, 1, QUAR, RES_DISP_PASS, VERDICT_DELIVER)},
	{"pass and none: pass", 2, {A_PASS(NONE), A_NONE},
	W(RES_DMARC_PASS, 0, NONE, RES_DISP_NONE, VERDICT_DELIVER)},
	{"none and none: none", 2, {A_NONE, A_NONE},
	W(RES_DMARC_NONE, 0, RES_POLICY_UNSPEC, RES_DISP_NONE, VERDICT_DELIVER)},
	{"two passes: the first", 2, {A_PASS(QUAR), A_PASS(REJ)},
	W(RES_DMARC_PASS, 0, QUAR, RES_DISP_PASS, VERDICT_DELIVER)},
	{"8 authors, only the 8th fails p=reject: reject", 8,
	    {A_PASS(REJ), A_NONE, A_PASS(NONE), A_NONE, A_PASS(QUAR), A_NONE, A_NONE,
	A_FAIL(REJ)}, W(RES_DMARC_FAIL, 7, REJ, RES_DISP_REJECT, VERDICT_DISCARD)},
	{"8 failing authors of rising strictness: the strictest", 8,
	    {A_FAIL(NONE), A_FAILT(QUAR), A_FAIL(NONE), A_FAILT(REJ), A_FAIL(QUAR),
	A_FAILT(REJ), A_FAIL(REJ), A_FAIL(NONE)},
	W(RES_DMARC_FAIL, 6, REJ, RES_DISP_REJECT, VERDICT_DISCARD)},
    };
    struct conf c;
    size_t i;

    mkconf(&c, CONF_QUARANTINE_ADD_HEADER, CONF_REJECT_DISCARD, CONF_TEMPERROR_TEMPFAIL);
    for (i = 0; i < PD_NELEM(cases); i++)
	check(cases[i].name, &c, cases[i].a, cases[i].n, 0, &cases[i].w);

    /* auth_temperror applies to the combined verdict. */
    {
	struct author a[] = {A_PASS(REJ), A_FAIL(REJ)};
	struct want w = W(RES_DMARC_TEMPERROR, 1, RES_POLICY_UNSPEC, RES_DISP_NONE,
			  VERDICT_TEMPFAIL);

	check("pass and fail with auth_temperror: temperror", &c, a, 2, 1, &w);
    }
}

/* test_unreadable - a header section that cannot be parsed: as a reject */

static void test_unreadable(void)
{
    static const int action[] = {VERDICT_DISCARD, VERDICT_REJECT, VERDICT_QUARANTINE};
    static const struct author failing = {RES_DMARC_FAIL, REJ, 1};
    struct dmarc_eval ev;
    struct verdict v;
    struct conf c;
    char name[128];
    int r;

    for (r = 0; r < 3; r++) {
	mkconf(&c, CONF_QUARANTINE_NONE, r, CONF_TEMPERROR_ACCEPT);
	mkeval(&ev, &failing, 0);
	verdict_decide(&c, &ev, 1, 0, &v);	/* one with a reason, to overwrite */
	verdict_unreadable(&c, &v);
	snprintf(name, sizeof(name), "unreadable header section, reject=%s: permerror, %s, "
		 "disposition none", rnames[r], verdict_action_name(action[r]));
	ok(v.dmarc == RES_DMARC_PERMERROR && v.ev == NULL && v.applied == RES_POLICY_UNSPEC
	   && v.disposition == RES_DISP_NONE && v.action == action[r] && v.nreasons == 0,
	   "%s", name);
    }
}

/* test_names - the action names of the logs */

static void test_names(void)
{
    is_str(verdict_action_name(VERDICT_DELIVER), "delivered", "action name: delivered");
    is_str(verdict_action_name(VERDICT_QUARANTINE), "quarantined", "action name: quarantined");
    is_str(verdict_action_name(VERDICT_DISCARD), "discarded", "action name: discarded");
    is_str(verdict_action_name(VERDICT_REJECT), "rejected", "action name: rejected");
    is_str(verdict_action_name(VERDICT_TEMPFAIL), "deferred", "action name: deferred");
    is_str(verdict_action_name(-1), "?", "action name: out of range below");
    is_str(verdict_action_name(VERDICT_TEMPFAIL + 1), "?", "action name: out of range above");
}

int main(void)
{
    test_single_fail();
    test_single_other();
    test_none();
    test_auth_temperror();
    test_several();
    test_unreadable();
    test_names();
    return tap_done();
}
