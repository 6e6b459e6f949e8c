/*++
 * NAME
 *	verdict 3
 * SUMMARY
 *	from DMARC results to what happens to the message
 * SYNOPSIS
 *	#include "verdict.h"
 *
 *	void	verdict_decide(conf, evals, n, auth_temperror, verdict)
 *	void	verdict_unreadable(conf, verdict)
 *	const char *verdict_action_name(action)
 * DESCRIPTION
 *	verdict_decide() combines the evaluations of every author domain
 *	of a message (n may be 0: no usable From, which is permerror, and
 *	the message is delivered) and applies the configuration:
 *
 *	A fail of any author decides, with the strictest policy among the
 *	failing ones; else a temperror; else a pass; else none.  A fail
 *	while SPF or a DKIM key lookup had a temporary DNS failure
 *	(auth_temperror) could have been a pass: it is a temperror.
 *
 *	t=y lowers the policy one step (reason policy_test_mode).  A
 *	quarantine is delivered with the spam header (quarantine =
 *	add_header) or not at all marked (none: reason local_policy).  A
 *	reject is discarded (reject = discard), refused with 5.7.1 (reject)
 *	or marked like a quarantine (add_header: reason local_policy).  A
 *	temperror fails temporarily (temperror = tempfail) or is delivered
 *	(accept).  The disposition is what a report says was done: pass
 *	for a pass under an enforcing policy, none when nothing was done.
 *
 *	verdict_unreadable() is for a header section that cannot be
 *	parsed: nothing can be judged, and delivering it unjudged would be
 *	a way around DMARC, so it is permerror handled as the reject
 *	setting handles a reject (disposition none: no policy was applied).
 *--*/
#include <stdio.h>
#include <string.h>

#include "results.h"
#include "verdict.h"

/* verdict_reason - note why the disposition differs from the policy */

static void verdict_reason(struct verdict *v, int type, const char *comment)
{
    if (v->nreasons >= STORE_REASONS_MAX)
	return;
    v->reasons[v->nreasons].type = type;
    snprintf(v->reasons[v->nreasons].comment, sizeof(v->reasons[0].comment), "%s", comment);
    v->nreasons++;
}

/* verdict_pick - the evaluation that decides */

static const struct dmarc_eval *verdict_pick(const struct dmarc_eval *evs, size_t n)
{
    const struct dmarc_eval *best = NULL;
    size_t i;

    for (i = 0; i < n; i++) {
	const struct dmarc_eval *e = &evs[i];

	if (e->result == RES_DMARC_FAIL) {
	    if (best == NULL || best->result != RES_DMARC_FAIL
		|| dmarc_apply_testing(e->policy, e->rec.t)
		> dmarc_apply_testing(best->policy, best->rec.t))
		best = e;
	} else if (e->result == RES_DMARC_TEMPERROR) {
	    if (best == NULL || best->result != RES_DMARC_FAIL)
		best = e;
	} else if (e->result == RES_DMARC_PASS) {
	    if (best == NULL || best->result == RES_DMARC_NONE)
		best = e;
	} else if (best == NULL) {
	    best = e;
	}
    }
    return best;
}

/* verdict_reject_action - what the reject setting does with a message */

static int verdict_reject_action(const struct conf *conf)
{
    return conf->reject == CONF_REJECT_REJECT ? VERDICT_REJECT
	: conf->reject == CONF_REJECT_ADD_HEADER ? VERDICT_QUARANTINE : VERDICT_DISCARD;
}

/* verdict_fail - apply a failing policy */

static void verdict_fail(const struct conf *conf, struct verdict *v)
{
    v->applied = dmarc_apply_testing(v->ev->policy, v->ev->rec.t);
    if (v->applied != v->ev->policy)
	verdict_reason(v, RES_REASON_POLICY_TEST_MODE, "t=y");
    switch (v->applied) {
    case RES_POLICY_REJECT:
	v->action = verdict_reject_action(conf);
	if (v->action == VERDICT_QUARANTINE) {
	    v->disposition = RES_DISP_QUARANTINE;
	    verdict_reason(v, RES_REASON_LOCAL_POLICY, "reject delivered as quarantine");
	} else {
	    v->disposition = RES_DISP_REJECT;
	}
	break;
    case RES_POLICY_QUARANTINE:
	if (conf->quarantine == CONF_QUARANTINE_ADD_HEADER) {
	    v->action = VERDICT_QUARANTINE;
	    v->disposition = RES_DISP_QUARANTINE;
	} else {
	    verdict_reason(v, RES_REASON_LOCAL_POLICY, "quarantine not applied");
	}
	break;
    default:
	break;
    }
}

/* verdict_init - nothing decided: delivered, nothing applied */

static void verdict_init(struct verdict *v)
{
    memset(v, 0, sizeof(*v));
    v->action = VERDICT_DELIVER;
    v->disposition = RES_DISP_NONE;
    v->applied = RES_POLICY_UNSPEC;
}

/* verdict_decide - what happens to the message */

void verdict_decide(const struct conf *conf, const struct dmarc_eval *evs, size_t n,
		            int auth_temperror, struct verdict *v)
{
    verdict_init(v);
    if ((v->ev = verdict_pick(evs, n)) == NULL) {
	v->dmarc = RES_DMARC_PERMERROR;
	return;
    }
    v->dmarc = v->ev->result;
    if (v->dmarc == RES_DMARC_FAIL && auth_temperror)
	v->dmarc = RES_DMARC_TEMPERROR;
    switch (v->dmarc) {
    case RES_DMARC_PASS:
	v->applied = v->ev->policy;
	if (v->ev->policy == RES_POLICY_QUARANTINE || v->ev->policy == RES_POLICY_REJECT)
	    v->disposition = RES_DISP_PASS;
	break;
    case RES_DMARC_FAIL:
	verdict_fail(conf, v);
	break;
    case RES_DMARC_TEMPERROR:
	if (conf->temperror == CONF_TEMPERROR_TEMPFAIL)
	    v->action = VERDICT_TEMPFAIL;
	break;
    default:
	break;
    }
}

/* verdict_unreadable - a header section that cannot be judged */

void verdict_unreadable(const struct conf *conf, struct verdict *v)
{
    verdict_init(v);
    v->dmarc = RES_DMARC_PERMERROR;
    v->action = verdict_reject_action(conf);
}

/* verdict_action_name - for logs */

const char *verdict_action_name(int action)
{
    static const char *const names[] = {"delivered", "quarantined", "discarded", "rejected",
    "deferred"};

    return action >= 0 && action <= VERDICT_TEMPFAIL ? names[action] : "?";
}
