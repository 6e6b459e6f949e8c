/*++
 * NAME
 *	dmarc 3
 * SUMMARY
 *	RFC 9989 DMARC: policy discovery, organizational domains, alignment
 * SYNOPSIS
 *	#include "dmarc.h"
 *
 *	struct dmarc_ctx *dmarc_new(resolver, org_mode, psl_file, err, errsize)
 *	void	dmarc_free(ctx)
 *	int	dmarc_psl_preload(psl_file)
 *	void	dmarc_evaluate(ctx, input, eval)
 *	int	dmarc_org_domain(ctx, domain, org, size)
 *	int	dmarc_apply_testing(policy, testing)
 * DESCRIPTION
 *	dmarc_new() prepares evaluation by the DNS tree walk of RFC 9989
 *	section 4.10 (org_mode CONF_ORG_TREE) or, for those who need RFC
 *	7489 behaviour, by the public suffix list through libpsl
 *	(CONF_ORG_PSL; psl_file empty: libpsl's built-in list).  It returns
 *	NULL with a reason in err when the list cannot be loaded.
 *
 *	dmarc_psl_preload() loads a list file once for a process that forks
 *	one process per message (6 ms of CPU for Debian's list, which
 *	every message would otherwise pay): dmarc_new() with the same
 *	psl_file uses it, without reading the file.  An empty psl_file
 *	forgets it.  It returns 0, or -1 when the file cannot be loaded (the
 *	list loaded before stays).  Not for threads: call it while no
 *	context exists.
 *
 *	dmarc_evaluate() judges one author domain: it finds the policy
 *	record (the author domain's, else its organizational domain's,
 *	else its public suffix domain's: section 4.10.1), chooses p, sp or
 *	np (np for a subdomain that does not exist, by the NXDOMAIN test of
 *	appendix A.4), and checks DKIM and SPF alignment, strict or relaxed
 *	(section 4.10.2; only the MAIL FROM identity counts for SPF).  The
 *	result is pass, fail, none (no usable record: DMARC does not apply),
 *	or temperror (a DNS failure kept the answer from being known).  It
 *	cannot fail: it allocates nothing (the tree walk uses room set aside
 *	by dmarc_new()), so a context serves one thread at a time.
 *
 *	dmarc_org_domain() writes the organizational domain of a domain;
 *	it returns 0, or -1 on a temporary DNS failure.
 *
 *	dmarc_apply_testing() returns the policy one level lower when
 *	testing (t=y): reject becomes quarantine, quarantine none.
 *--*/
#include <libpsl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "dmarc.h"
#include "log.h"
#include "results.h"
#include "str.h"

/* One record found on the way up. */
struct dmarc_found {
    char domain[DNS_NAME_MAX + 1];
    struct dmarc_record rec;
};

/* The records of one tree walk, longest name first. */
struct dmarc_walk {
    size_t n;
    struct dmarc_found f[DMARC_TREE_WALK_MAX];
};

enum { FETCH_FOUND, FETCH_NONE, FETCH_TEMP };

struct dmarc_ctx {
    struct dns_resolver *dns;
    int mode;				/* CONF_ORG_TREE or CONF_ORG_PSL */
    psl_ctx_t *psl;			/* owned unless built in */
    int psl_owned;
    struct dmarc_walk walk;		/* one tree walk at a time */
};

static psl_ctx_t *dmarc_psl;		/* dmarc_psl_preload()'s list */
static char dmarc_psl_path[PD_PATH_MAX];	/* and its file */

/* dmarc_psl_preload - a list file loaded once for every context after */

int dmarc_psl_preload(const char *psl_file)
{
    psl_ctx_t *psl = NULL;

    if (*psl_file && (strlen(psl_file) >= sizeof(dmarc_psl_path)
		      || (psl = psl_load_file(psl_file)) == NULL))
	return -1;
    psl_free(dmarc_psl);
    dmarc_psl = psl;
    memcpy(dmarc_psl_path, psl_file, strlen(psl_file) + 1);
    return 0;
}

/* dmarc_new - prepare evaluation */

struct dmarc_ctx *dmarc_new(struct dns_resolver *dns, int mode, const char *psl_file,
			            char *err, size_t errsize)
{
    struct dmarc_ctx *ctx;

    /* malloc, not calloc: the walk needs no zeroing, and most of its
     * pages are never touched. */
    if ((ctx = malloc(sizeof(*ctx))) == NULL) {
	snprintf(err, errsize, "out of memory");
	return NULL;
    }
    ctx->dns = dns;
    ctx->mode = mode;
    ctx->psl = NULL;
    ctx->psl_owned = 0;
    if (mode == CONF_ORG_PSL) {
	if (psl_file && *psl_file && dmarc_psl && strcmp(psl_file, dmarc_psl_path) == 0) {
	    ctx->psl = dmarc_psl;
	} else if (psl_file && *psl_file) {
	    ctx->psl = psl_load_file(psl_file);
	    ctx->psl_owned = 1;
	} else {
	    ctx->psl = (psl_ctx_t *) psl_builtin();
	}
	if (ctx->psl == NULL) {
	    snprintf(err, errsize, "cannot load the public suffix list %s",
		     psl_file && *psl_file ? psl_file : "(built in)");
	    free(ctx);
	    return NULL;
	}
    }
    return ctx;
}

/* dmarc_free - release */

void dmarc_free(struct dmarc_ctx *ctx)
{
    if (ctx == NULL)
	return;
    if (ctx->psl_owned)
	psl_free(ctx->psl);
    free(ctx);
}

/* dmarc_labels - number of labels of a name */

static size_t dmarc_labels(const char *name)
{
    size_t n = *name ? 1 : 0;

    for (; *name; name++)
	n += *name == '.';
    return n;
}

/* dmarc_tail - the last n labels of a name */

static const char *dmarc_tail(const char *name, size_t n)
{
    size_t have = dmarc_labels(name);

    while (have > n && (name = strchr(name, '.')) != NULL) {
	name++;
	have--;
    }
    return name ? name : "";
}

/* dmarc_fetch - the one DMARC record at _dmarc.<domain> */

static int dmarc_fetch(struct dmarc_ctx *ctx, const char *domain, struct dmarc_record *out)
{
    char qname[DNS_NAME_MAX + 8], why[128];
    struct dns_answer *a;
    struct dmarc_record rec;
    size_t i, dmarc = 0;
    int status, usable = 0;

    if (snprintf(qname, sizeof(qname), "_dmarc.%s", domain) >= (int) sizeof(qname))
	return FETCH_NONE;
    status = dns_lookup(ctx->dns, qname, DNS_T_TXT, &a);
    if (status == DNS_TEMPFAIL || status == DNS_NOMEM) {
	dns_answer_free(a);
	return FETCH_TEMP;
    }
    for (i = 0; status == DNS_FOUND && i < a->n; i++) {
	int r = dmarc_record_parse((const char *) a->rr[i].data, a->rr[i].len, &rec,
				   why, sizeof(why));

	if (r == DMARC_RECORD_NOT_DMARC)
	    continue;
	dmarc++;
	if (r == DMARC_RECORD_OK) {
	    *out = rec;
	    usable = 1;
	} else {
	    log_debug("dmarc: %s: unusable record: %s", qname, why);
	}
    }
    dns_answer_free(a);
    /* Several records at one name are all discarded (4.10 step 2). */
    return dmarc == 1 && usable ? FETCH_FOUND : FETCH_NONE;
}

/* dmarc_walk - the DNS tree walk of section 4.10 from start */

static int dmarc_walk(struct dmarc_ctx *ctx, const char *start, struct dmarc_walk *w)
{
    size_t labels = dmarc_labels(start), next;
    const char *target = start;
    int r;

    w->n = 0;
    for (;;) {
	struct dmarc_found *f = &w->f[w->n];

	if ((r = dmarc_fetch(ctx, target, &f->rec)) == FETCH_TEMP)
	    return FETCH_TEMP;
	if (r == FETCH_FOUND) {
	    if (str_copy(f->domain, target, sizeof(f->domain)) < 0)
		return FETCH_NONE;
	    w->n++;
	    if (f->rec.psd == 'y' || f->rec.psd == 'n')
		break;				/* step 2 and step 6 */
	}
	/* Steps 3, 4, 7: at most DMARC_TREE_WALK_MAX queries however long
	 * the name (so at most as many records found). */
	if (labels <= 1 || w->n >= DMARC_TREE_WALK_MAX)
	    break;
	next = target == start && labels >= DMARC_TREE_WALK_MAX ? DMARC_TREE_WALK_MAX - 1
	    : labels - 1;
	target = dmarc_tail(start, next);
	labels = next;
    }
    return w->n ? FETCH_FOUND : FETCH_NONE;
}

/* dmarc_org_select - the organizational domain from a walk (4.10.2) */

static void dmarc_org_select(const char *start, const struct dmarc_walk *w, char *org,
			             size_t size)
{
    const char *pick = start;
    size_t i;

    for (i = 0; i < w->n; i++) {
	if (w->f[i].rec.psd == 'n') {
	    pick = w->f[i].domain;
	    break;
	}
	if (w->f[i].rec.psd == 'y' && strcmp(w->f[i].domain, start) != 0) {
	    pick = dmarc_tail(start, dmarc_labels(w->f[i].domain) + 1);
	    break;
	}
    }
    if (i == w->n && w->n > 0)
	pick = w->f[w->n - 1].domain;		/* fewest labels */
    if (str_copy(org, pick, size) < 0)
	org[0] = 0;
}

/* dmarc_org_psl - the registrable domain by the public suffix list */

static void dmarc_org_psl(struct dmarc_ctx *ctx, const char *domain, char *org, size_t size)
{
    const char *reg = psl_registrable_domain(ctx->psl, domain);

    if (str_copy(org, reg ? reg : domain, size) < 0)
	org[0] = 0;
}

/* dmarc_org_domain - organizational domain of any domain */

int dmarc_org_domain(struct dmarc_ctx *ctx, const char *domain, char *org, size_t size)
{
    if (ctx->mode == CONF_ORG_PSL) {
	dmarc_org_psl(ctx, domain, org, size);
	return 0;
    }
    if (dmarc_walk(ctx, domain, &ctx->walk) == FETCH_TEMP)
	return -1;
    dmarc_org_select(domain, &ctx->walk, org, size);
    return 0;
}

/* dmarc_apply_testing - t=y: one level lower */

int dmarc_apply_testing(int policy, int testing)
{
    if (!testing)
	return policy;
    return policy == RES_POLICY_REJECT ? RES_POLICY_QUARANTINE
	: policy == RES_POLICY_QUARANTINE ? RES_POLICY_NONE : policy;
}

 /*
  * Evaluation.
  */

/* dmarc_discover_psl - RFC 7489: the author's record, else its org's */

static int dmarc_discover_psl(struct dmarc_ctx *ctx, const char *author, struct dmarc_eval *ev)
{
    int r;

    ev->discovery = RES_DISCOVERY_PSL;
    dmarc_org_psl(ctx, author, ev->org_domain, sizeof(ev->org_domain));
    if ((r = dmarc_fetch(ctx, author, &ev->rec)) == FETCH_FOUND) {
	if (str_copy(ev->policy_domain, author, sizeof(ev->policy_domain)) < 0)
	    return FETCH_NONE;
	return FETCH_FOUND;
    }
    if (r == FETCH_TEMP || strcmp(author, ev->org_domain) == 0)
	return r;
    if ((r = dmarc_fetch(ctx, ev->org_domain, &ev->rec)) == FETCH_FOUND
	&& str_copy(ev->policy_domain, ev->org_domain, sizeof(ev->policy_domain)) < 0)
	return FETCH_NONE;
    return r;
}

/* dmarc_discover_tree - RFC 9989 4.10.1: author, org, then PSD record */

static int dmarc_discover_tree(struct dmarc_ctx *ctx, const char *author, struct dmarc_eval *ev)
{
    struct dmarc_walk *w = &ctx->walk;
    const struct dmarc_found *use = NULL;
    size_t i;

    ev->discovery = RES_DISCOVERY_TREEWALK;
    if (dmarc_walk(ctx, author, w) == FETCH_TEMP)
	return FETCH_TEMP;
    dmarc_org_select(author, w, ev->org_domain, sizeof(ev->org_domain));
    for (i = 0; i < w->n && use == NULL; i++)
	if (strcmp(w->f[i].domain, author) == 0)
	    use = &w->f[i];
    for (i = 0; i < w->n && use == NULL; i++)
	if (strcmp(w->f[i].domain, ev->org_domain) == 0)
	    use = &w->f[i];
    for (i = 0; i < w->n && use == NULL; i++)
	if (w->f[i].rec.psd == 'y')
	    use = &w->f[i];
    if (use) {
	ev->rec = use->rec;
	memcpy(ev->policy_domain, use->domain, sizeof(ev->policy_domain));
    }
    return use ? FETCH_FOUND : FETCH_NONE;
}

/* dmarc_exists - does a domain exist (appendix A.4): 1, 0, -1 temporary */

static int dmarc_exists(struct dmarc_ctx *ctx, const char *domain)
{
    struct dns_answer *a;
    int status = dns_lookup(ctx->dns, domain, DNS_T_A, &a);

    dns_answer_free(a);
    if (status == DNS_TEMPFAIL || status == DNS_NOMEM)
	return -1;
    return status != DNS_NXDOMAIN && status != DNS_BADNAME;
}

/* dmarc_choose_policy - p, sp or np for the author (4.10.1) */

static int dmarc_choose_policy(struct dmarc_ctx *ctx, const char *author, struct dmarc_eval *ev,
			               int need_np)
{
    const struct dmarc_record *rec = &ev->rec;
    int exists;

    ev->tag = 'p';
    ev->policy = rec->p;
    if (strcmp(author, ev->policy_domain) == 0)
	return 0;
    /* The existence test costs a query: only a failing message needs it. */
    if (need_np && rec->np != RES_POLICY_UNSPEC) {
	if ((exists = dmarc_exists(ctx, author)) < 0)
	    return -1;
	if (!exists) {
	    ev->tag = 'n';
	    ev->policy = rec->np;
	    return 0;
	}
    }
    if (rec->sp != RES_POLICY_UNSPEC) {
	ev->tag = 's';
	ev->policy = rec->sp;
    }
    return 0;
}

/* dmarc_aligned - is an identifier aligned with the author: 1, 0, -1 temp */

static int dmarc_aligned(struct dmarc_ctx *ctx, const struct dmarc_eval *ev,
			         const char *author, const char *id, char mode)
{
    char org[DNS_NAME_MAX + 1];

    if (id == NULL || *id == 0)
	return 0;
    if (str_eq_ci(author, id))
	return 1;
    if (mode == 's')
	return 0;
    /* Relaxed: the same organizational domain.  A quick no first: an
     * identifier outside the author's organizational domain cannot have
     * it as its own. */
    if (ctx->mode == CONF_ORG_TREE) {
	size_t ol = strlen(ev->org_domain), il = strlen(id);

	if (il < ol || !str_eq_ci(id + il - ol, ev->org_domain)
	    || (il > ol && id[il - ol - 1] != '.'))
	    return 0;
    }
    if (dmarc_org_domain(ctx, id, org, sizeof(org)) < 0)
	return -1;
    return str_eq_ci(org, ev->org_domain);
}

/* dmarc_alignment - DKIM and SPF alignment; -1 when DNS failed */

static int dmarc_alignment(struct dmarc_ctx *ctx, const struct dmarc_input *in,
			           struct dmarc_eval *ev)
{
    int temp = 0, r;
    size_t i;

    for (i = 0; i < in->ndkim && !ev->dkim_aligned; i++) {
	if (in->dkim[i].result != RES_DKIM_PASS)
	    continue;
	if ((r = dmarc_aligned(ctx, ev, in->author, in->dkim[i].domain, ev->rec.adkim)) < 0)
	    temp = 1;
	else if (r > 0) {
	    ev->dkim_aligned = 1;
	    if (str_copy(ev->dkim_domain, in->dkim[i].domain, sizeof(ev->dkim_domain)) < 0)
		ev->dkim_domain[0] = 0;
	}
    }
    if (in->spf_result == RES_SPF_PASS) {
	if ((r = dmarc_aligned(ctx, ev, in->author, in->spf_domain, ev->rec.aspf)) < 0)
	    temp = 1;
	else
	    ev->spf_aligned = r;
    }
    return temp && !ev->dkim_aligned && !ev->spf_aligned ? -1 : 0;
}

/* dmarc_evaluate - the DMARC verdict for one author domain */

void dmarc_evaluate(struct dmarc_ctx *ctx, const struct dmarc_input *in, struct dmarc_eval *ev)
{
    int r;

    memset(ev, 0, sizeof(ev[0]));
    ev->result = RES_DMARC_NONE;
    ev->policy = RES_POLICY_UNSPEC;
    r = ctx->mode == CONF_ORG_PSL ? dmarc_discover_psl(ctx, in->author, ev)
	: dmarc_discover_tree(ctx, in->author, ev);
    if (r == FETCH_TEMP) {
	ev->result = RES_DMARC_TEMPERROR;
	snprintf(ev->reason, sizeof(ev->reason), "DNS failure looking up the policy");
	return;
    }
    if (r == FETCH_NONE) {
	snprintf(ev->reason, sizeof(ev->reason), "no policy");
	return;
    }
    if (dmarc_alignment(ctx, in, ev) < 0) {
	ev->result = RES_DMARC_TEMPERROR;
	snprintf(ev->reason, sizeof(ev->reason), "DNS failure checking alignment");
	return;
    }
    ev->result = ev->dkim_aligned || ev->spf_aligned ? RES_DMARC_PASS : RES_DMARC_FAIL;
    if (dmarc_choose_policy(ctx, in->author, ev, ev->result == RES_DMARC_FAIL) < 0) {
	ev->result = RES_DMARC_TEMPERROR;
	snprintf(ev->reason, sizeof(ev->reason), "DNS failure checking the domain exists");
	return;
    }
    snprintf(ev->reason, sizeof(ev->reason), "%s", ev->result == RES_DMARC_PASS
	     ? (ev->dkim_aligned ? "aligned DKIM pass" : "aligned SPF pass")
	     : "no aligned DKIM or SPF pass");
}
