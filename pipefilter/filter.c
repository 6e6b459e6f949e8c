/*++
 * NAME
 *	filter 3
 * SUMMARY
 *	one message through DKIM, SPF, DMARC and back into Postfix
 * SYNOPSIS
 *	#include "filter.h"
 *
 *	int	filter_message(conf, args, fd)
 * DESCRIPTION
 *	filter_message() reads one message from fd and returns the exit
 *	status of the pipe(8) command (sysexits): 0 delivered or
 *	deliberately discarded, 69 refused by a DMARC reject (reject =
 *	reject), 75 any temporary trouble, so Postfix keeps the message.
 *	On 69 and 75 the reason, with an enhanced status code, is on
 *	stderr, where pipe(8) takes it from.
 *
 *	The message goes out byte for byte as it came, except for our
 *	Authentication-Results field (and the spam header of a quarantine)
 *	at the top and the Authentication-Results fields that carry our
 *	authserv-id, which are forged and removed.
 *
 *	SPF: the verdict the policy server stored for the queue id is
 *	used when there is one for the same client; otherwise SPF is
 *	checked here.  One record per message goes to the store, however
 *	many pipe(8) deliveries the message takes; a store that cannot be
 *	written does not stop the mail.
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ar.h"
#include "dkimv.h"
#include "dmarc.h"
#include "dns.h"
#include "filter.h"
#include "inet.h"
#include "inject.h"
#include "log.h"
#include "msg.h"
#include "prefetch.h"
#include "results.h"
#include "spf.h"
#include "spool.h"
#include "store.h"
#include "str.h"
#include "verdict.h"

#define FILTER_MAX_SIZE	(4ULL * 1024 * 1024 * 1024)	/* far above message_size_limit */
#define FILTER_CHUNK	(64 * 1024)

/* Everything known about the message being filtered. */
struct filter {
    const struct conf *conf;
    const struct filter_args *args;
    const char *qid;			/* for logs: queue id or NOQUEUE */
    struct spool spool;
    struct msg_head head;
    int head_ok;
    unsigned char *removed;		/* per header field: forged AR */
    size_t nremoved;
    struct dns_resolver *dns;
    struct store *store;
    struct spf_result spf;		/* MAIL FROM identity */
    int spf_from_store;
    struct dkimv_result dkim;
    struct msg_authors authors;
    size_t nfrom;			/* From fields */
    int from_bad;
    struct dmarc_eval evals[MSG_AUTHORS_MAX];
    size_t nevals;
    struct verdict verdict;
    struct buf added;			/* our header fields */
};

/* filter_fail - a temporary failure: the reason to stderr, exit 75 */

static int filter_fail(struct filter *f, const char *what, const char *why)
{
    log_warn("%s: %s: %s; the message stays queued", f->qid, what, why);
    fprintf(stderr, "4.3.0 postdmarc: %s: %s\n", what, why);
    return EX_TEMPFAIL;
}

/* filter_skipped - local and authenticated senders pass unevaluated */

static int filter_skipped(const struct conf *conf, const struct filter_args *a)
{
    const struct conf_list *skip = &conf->filter_skip_addresses;
    struct inet_addr addr;
    struct inet_net net;
    size_t i;

    if (conf->filter_skip_authenticated && a->sasl_username && *a->sasl_username)
	return 1;
    if (a->client_addr == NULL || inet_addr_parse(a->client_addr, &addr) < 0)
	return 0;
    /* Entry by entry, no list built: conf_load() has checked each. */
    for (i = 0; i < skip->n; i++)
	if (inet_net_parse(skip->v[i], &net) == 0 && inet_net_match(&net, &addr))
	    return 1;
    return 0;
}

/* filter_mark_forged - fields carrying our authserv-id */

static int filter_mark_forged(struct filter *f)
{
    size_t i;

    if ((f->removed = calloc(f->head.n ? f->head.n : 1, 1)) == NULL)
	return -1;
    for (i = 0; i < f->head.n; i++) {
	const struct msg_field *fld = &f->head.v[i];

	/* Malformed ones (-1) go too: a laxer reader might take them as ours. */
	if (msg_field_is(fld, "Authentication-Results")
	    && ar_is_ours(fld->value, fld->value_len, f->conf->hostname) != 0) {
	    f->removed[i] = 1;
	    f->nremoved++;
	}
    }
    return 0;
}

/* filter_domain_of - the domain of an address, lower case */

static void filter_domain_of(const char *addr, char *out, size_t size)
{
    const char *at = addr ? strrchr(addr, '@') : NULL;

    if (at == NULL || msg_domain_normalize(at + 1, strlen(at + 1), out, size) < 0)
	out[0] = 0;
}

/* filter_spf_domain - the domain SPF is about: MAIL FROM's, or HELO's for <> */

static void filter_spf_domain(const struct filter *f, char *out, size_t size)
{
    const struct filter_args *a = f->args;
    struct inet_addr ip;

    out[0] = 0;
    if (f->spf_from_store) {
	if (str_copy(out, f->spf.domain, size) < 0)
	    out[0] = 0;
	return;
    }
    if (a->client_addr == NULL || *a->client_addr == 0)
	return;					/* no SPF check */
    filter_domain_of(a->sender, out, size);
    if (out[0] == 0 && a->client_helo && inet_addr_parse(a->client_helo, &ip) < 0
	&& a->client_helo[0] != '[' && str_copy(out, a->client_helo, size) < 0)
	out[0] = 0;
}

/* filter_prefetch - the message's DNS questions asked at once */

static void filter_prefetch(struct filter *f)
{
    struct prefetch pf;
    char spf_d[DNS_NAME_MAX + 1];

    /* The SPF record only when SPF is checked here. */
    filter_spf_domain(f, spf_d, sizeof(spf_d));
    prefetch_names(&pf, &f->head, f->conf->max_signatures, &f->authors, spf_d,
		   !f->spf_from_store);
    prefetch_ask(&pf, f->dns);
}

/* filter_spf_stored - the policy server's verdict for this message, if any */

static int filter_spf_stored(struct filter *f)
{
    const struct filter_args *a = f->args;
    struct store_spf rec;

    if (f->store == NULL || a->queue_id == NULL || *a->queue_id == 0
	|| store_spf_get(f->store, a->queue_id, &rec) != STORE_OK
	|| (a->client_addr && strcmp(rec.client_addr, a->client_addr) != 0))
	return 0;
    memset(&f->spf, 0, sizeof(f->spf));
    f->spf.result = rec.mfrom_result;
    f->spf.scope = SPF_SCOPE_MFROM;
    if (str_copy(f->spf.domain, rec.domain, sizeof(f->spf.domain)) < 0)
	f->spf.domain[0] = 0;
    snprintf(f->spf.sender, sizeof(f->spf.sender), "%.256s%.256s",
	     *rec.mail_from ? rec.mail_from : "postmaster@", *rec.mail_from ? "" : rec.helo);
    snprintf(f->spf.reason, sizeof(f->spf.reason), "from the SMTP-time check");
    return 1;
}

/* filter_spf - the MAIL FROM verdict, checked here */

static int filter_spf(struct filter *f)
{
    const struct filter_args *a = f->args;
    const char *helo = a->client_helo ? a->client_helo : "";
    struct spf_checker *ck;

    memset(&f->spf, 0, sizeof(f->spf));
    if (a->client_addr == NULL || *a->client_addr == 0) {
	f->spf.result = RES_SPF_NONE;
	snprintf(f->spf.reason, sizeof(f->spf.reason), "no client address");
	return 0;
    }
    if ((ck = spf_checker_new(f->dns, f->conf->hostname)) == NULL)
	return -1;
    spf_check(ck, a->client_addr, helo, a->sender, SPF_SCOPE_MFROM, &f->spf);
    spf_checker_free(ck);
    return 0;
}

/* filter_dkim_body - the body through the verifier, from the spool */

static int filter_dkim_body(struct filter *f, struct dkimv_msg *vm)
{
    char chunk[FILTER_CHUNK];
    uint64_t off;
    long n;

    for (off = f->head.head_len; off < f->spool.size; off += (uint64_t) n) {
	if ((n = spool_get(&f->spool, off, chunk, sizeof(chunk))) <= 0)
	    return -1;
	if (dkimv_body(vm, chunk, (size_t) n) < 0)
	    return -1;
    }
    return 0;
}

/* filter_dkim - verify every signature (up to max_signatures) */

static int filter_dkim(struct filter *f)
{
    struct dkimv *dv;
    struct dkimv_msg *vm;
    size_t i;
    int ret = -1, eoh;

    f->dkim.n = f->dkim.seen = 0;
    for (i = 0; i < f->head.n && !msg_field_is(&f->head.v[i], "DKIM-Signature"); i++)
	 /* void */ ;
    if (i == f->head.n)
	return 0;				/* unsigned: no library to set up */
    if ((dv = dkimv_new(f->dns, f->conf->max_signatures)) == NULL)
	return -1;
    if ((vm = dkimv_start(dv, f->qid)) != NULL) {
	for (i = 0; i < f->head.n; i++) {
	    const struct msg_field *fld = &f->head.v[i];

	    if (dkimv_header(vm, fld->raw, (size_t) (fld->value + fld->value_len - fld->raw)) < 0)
		break;
	}
	if (i == f->head.n && (eoh = dkimv_eoh(vm)) >= 0
	    && (eoh == 1 || filter_dkim_body(f, vm) == 0))
	    ret = dkimv_finish(vm, &f->dkim);
	dkimv_msg_free(vm);
    }
    dkimv_free(dv);
    return ret;
}

/* filter_authors - author domains of every From field */

static void filter_authors(struct filter *f)
{
    size_t i;

    memset(&f->authors, 0, sizeof(f->authors));
    for (i = 0; i < f->head.n; i++) {
	const struct msg_field *fld = &f->head.v[i];

	if (!msg_field_is(fld, "From"))
	    continue;
	f->nfrom++;
	if (msg_from_domains(fld->value, fld->value_len, &f->authors) != MSG_OK)
	    f->from_bad = 1;
    }
}

/* filter_dmarc - evaluate each author domain */

static int filter_dmarc(struct filter *f)
{
    struct dmarc_dkim sigs[DKIM_SIGS_MAX];
    struct dmarc_input in;
    struct dmarc_ctx *ctx;
    char err[128];
    size_t i;

    if ((ctx = dmarc_new(f->dns, f->conf->org_domain, f->conf->psl_file, err, sizeof(err))) == NULL) {
	log_error("%s: %s", f->qid, err);
	return -1;
    }
    for (i = 0; i < f->dkim.n; i++) {
	sigs[i].domain = f->dkim.sig[i].domain;
	sigs[i].result = f->dkim.sig[i].result;
    }
    in.spf_domain = f->spf.domain;
    in.spf_result = f->spf.result;
    in.ndkim = f->dkim.n;
    in.dkim = sigs;
    f->nevals = 0;
    /* A From that is partly unreadable is judged by the domains we could
     * read (RFC 9989 5.3.1 allows going on): garbage after an address
     * must not be a way around the policy. */
    for (i = 0; i < f->authors.n; i++) {
	in.author = f->authors.domain[i];
	dmarc_evaluate(ctx, &in, &f->evals[f->nevals++]);
    }
    dmarc_free(ctx);
    return 0;
}

/* filter_could_align - might id align with the author of ev (RFC 9989 4.4) */

static int filter_could_align(const struct dmarc_eval *ev, const char *author, const char *id,
			              char mode)
{
    size_t il = strlen(id), ol = strlen(ev->org_domain);

    if (il == 0 || ol == 0 || str_eq_ci(id, author))
	return 1;				/* unknown, or identical */
    if (mode == 's')
	return 0;
    /* Relaxed: the organizational domain of id is a suffix of id. */
    return il >= ol && str_eq_ci(id + il - ol, ev->org_domain)
	&& (il == ol || id[il - ol - 1] == '.');
}

/* filter_auth_temperror - could a DNS failure have hidden a pass */

static int filter_auth_temperror(const struct filter *f)
{
    size_t i, j;

    /*
     * Only an identifier that could align with a failing author could
     * have turned its fail into a pass.  Counting every temperror let
     * any sender turn a p=reject fail into an endless deferral (and, at
     * the end of the queue lifetime, a bounce to the forged sender) by
     * adding a signature for a domain whose DNS does not answer.
     */
    for (i = 0; i < f->nevals; i++) {
	const struct dmarc_eval *ev = &f->evals[i];
	const char *author = f->authors.domain[i];

	if (ev->result != RES_DMARC_FAIL)
	    continue;
	if (f->spf.result == RES_SPF_TEMPERROR
	    && filter_could_align(ev, author, f->spf.domain, ev->rec.aspf))
	    return 1;
	for (j = 0; j < f->dkim.n; j++)
	    if (f->dkim.sig[j].result == RES_DKIM_TEMPERROR
		&& filter_could_align(ev, author, f->dkim.sig[j].domain, ev->rec.adkim))
		return 1;
    }
    return 0;
}

 /*
  * Our header fields.
  */

/* filter_ar_dkim - one dkim= result per signature */

static void filter_ar_dkim(struct ar *ar, const struct dkimv_result *dk)
{
    size_t i;

    if (dk->n == 0) {
	ar_add_result(ar, "dkim", "none");
	return;
    }
    for (i = 0; i < dk->n; i++) {
	const struct dkimv_sig *s = &dk->sig[i];

	ar_add_result(ar, "dkim", res_dkim_name(s->result));
	if (s->result != RES_DKIM_PASS && s->reason[0]) {
	    ar_add_comment(ar, s->reason);
	} else if (s->keybits) {
	    char bits[32];

	    snprintf(bits, sizeof(bits), "%u-bit key", s->keybits);
	    ar_add_comment(ar, bits);
	}
	/* Empty for a signature the library could not read: an empty
	 * header.d="" is legal but trips common AR parsers; leave it out. */
	if (s->domain[0])
	    ar_add_prop(ar, "header", "d", s->domain);
	if (s->selector[0])
	    ar_add_prop(ar, "header", "s", s->selector);
	if (s->algorithm[0])
	    ar_add_prop(ar, "header", "a", s->algorithm);
	if (s->b[0])
	    ar_add_prop(ar, "header", "b", s->b);
    }
}

/* filter_ar_dmarc - the dmarc= result */

static void filter_ar_dmarc(struct ar *ar, const struct filter *f)
{
    const struct verdict *v = &f->verdict;
    const struct dmarc_eval *ev = v->ev;
    char comment[160];

    ar_add_result(ar, "dmarc", res_dmarc_name(v->dmarc));
    if (ev == NULL) {
	ar_add_comment(ar, f->nfrom == 0 ? "no From header field" : "no usable author domain");
	return;
    }
    if (ev->policy_domain[0])
	snprintf(comment, sizeof(comment), "p=%s%s%s%s dis=%s", res_policy_name(ev->rec.p),
		 ev->tag == 's' ? " sp=" : ev->tag == 'n' ? " np=" : "",
		 ev->tag == 's' || ev->tag == 'n' ? res_policy_name(ev->policy) : "",
		 ev->rec.t ? " t=y" : "", res_disposition_name(v->disposition));
    else
	snprintf(comment, sizeof(comment), "%s", ev->reason);
    ar_add_comment(ar, comment);
    ar_add_prop(ar, "header", "from", f->authors.domain[ev - f->evals]);
    if (ev->policy_domain[0] && (v->dmarc == RES_DMARC_PASS || v->dmarc == RES_DMARC_FAIL))
	ar_add_prop(ar, "policy", "dmarc", res_policy_name(v->dmarc == RES_DMARC_FAIL
							   ? v->applied : ev->policy));
}

/* filter_ar - our Authentication-Results field */

static int filter_ar(struct filter *f, int crlf)
{
    const struct filter_args *a = f->args;
    struct ar ar;
    int ret;

    if (ar_init(&ar, f->conf->hostname) < 0)
	return -1;
    if (!f->head_ok) {
	ar_add_result(&ar, "dmarc", "permerror");
	ar_add_comment(&ar, "header section too large or malformed; not evaluated");
	ret = ar_finish(&ar, crlf, &f->added);
	ar_free(&ar);
	return ret;
    }
    ar_add_result(&ar, "spf", res_spf_name(f->spf.result));
    if (f->spf.reason[0])
	ar_add_comment(&ar, f->spf.reason);
    if (*a->sender)
	ar_add_prop(&ar, "smtp", "mailfrom", a->sender);
    else if (f->spf.sender[0])
	ar_add_prop(&ar, "smtp", "mailfrom", f->spf.sender);
    if (a->client_helo && *a->client_helo)
	ar_add_prop(&ar, "smtp", "helo", a->client_helo);
    filter_ar_dkim(&ar, &f->dkim);
    filter_ar_dmarc(&ar, f);
    ret = ar_finish(&ar, crlf, &f->added);
    ar_free(&ar);
    return ret;
}

/* filter_spam_header - the quarantine mark, in the message's line ending */

static int filter_spam_header(struct filter *f, int crlf)
{
    buf_addstr(&f->added, f->conf->spam_header);
    buf_addstr(&f->added, crlf ? "\r\n" : "\n");
    return buf_error(&f->added) ? -1 : 0;
}

 /*
  * The record.
  */

/* filter_policy_snapshot - the published policy, as it was */

static void filter_policy_snapshot(const struct dmarc_eval *ev, struct store_policy *p)
{
    size_t i;

    memset(p, 0, sizeof(*p));
    if (ev == NULL || ev->policy_domain[0] == 0)
	return;
    memcpy(p->domain, ev->policy_domain, sizeof(p->domain));
    p->p = ev->rec.p;
    p->sp = ev->rec.sp;
    p->np = ev->rec.np;
    p->adkim = ev->rec.adkim;
    p->aspf = ev->rec.aspf;
    p->testing = ev->rec.t;
    p->psd = ev->rec.psd;
    memcpy(p->fo, ev->rec.fo, sizeof(p->fo) < sizeof(ev->rec.fo) ? sizeof(p->fo)
	   : sizeof(ev->rec.fo));
    p->fo[sizeof(p->fo) - 1] = 0;
    p->discovery = ev->discovery;
    for (i = 0; i < ev->rec.nrua && i < DMARC_URIS_MAX; i++)
	memcpy(p->rua[i], ev->rec.rua[i], sizeof(p->rua[i]));
    p->nrua = i;
}

/* filter_record - one store record for the message */

static void filter_record(struct filter *f)
{
    const struct filter_args *a = f->args;
    const struct verdict *v = &f->verdict;
    struct store_msg *m;
    size_t i;
    int rc;

    if (f->store == NULL || a->queue_id == NULL || *a->queue_id == 0)
	return;
    if ((m = calloc(1, sizeof(*m))) == NULL) {
	log_warn("%s: store: out of memory; not recorded", f->qid);
	return;
    }
    m->time = (uint64_t) time(NULL);
    if (str_copy(m->queue_id, a->queue_id, sizeof(m->queue_id)) < 0
	|| str_copy(m->source_ip, a->client_addr ? a->client_addr : "", sizeof(m->source_ip)) < 0)
	m->source_ip[0] = 0;
    filter_domain_of(a->sender, m->env_from, sizeof(m->env_from));
    filter_domain_of(a->nrcpt ? a->rcpt[0] : NULL, m->env_to, sizeof(m->env_to));
    if (v->ev)
	memcpy(m->header_from, f->authors.domain[v->ev - f->evals], sizeof(m->header_from));
    memcpy(m->spf_domain, f->spf.domain, sizeof(m->spf_domain));
    m->spf_scope = 0;				/* mfrom: the only one DMARC uses */
    m->spf_result = f->spf.result;
    for (i = 0; i < f->dkim.n && i < STORE_DKIM_MAX; i++) {
	memcpy(m->dkim[i].domain, f->dkim.sig[i].domain, sizeof(m->dkim[i].domain));
	memcpy(m->dkim[i].selector, f->dkim.sig[i].selector, sizeof(m->dkim[i].selector));
	m->dkim[i].result = f->dkim.sig[i].result;
    }
    m->ndkim = i;
    m->dmarc_result = v->dmarc;
    m->dkim_aligned = v->ev ? v->ev->dkim_aligned : 0;
    m->spf_aligned = v->ev ? v->ev->spf_aligned : 0;
    m->disposition = v->disposition;
    m->nreasons = v->nreasons;
    memcpy(m->reasons, v->reasons, sizeof(m->reasons));
    filter_policy_snapshot(v->ev, &m->policy);
    if ((rc = store_msg_put(f->store, m)) == STORE_DUP)
	log_info("%s: already recorded (another delivery of the same message)", f->qid);
    else if (rc != STORE_OK)
	log_warn("%s: store: %s; not recorded", f->qid, store_error(f->store));
    free(m);
}

 /*
  * Delivery.
  */

/* filter_pieces - our fields, then the message minus the forged fields */

static size_t filter_pieces(struct filter *f, struct inject_piece *p, size_t max)
{
    size_t n = 0, i;
    uint64_t off = 0;

    p[n].data = buf_str(&f->added);
    p[n].off = 0;
    p[n++].len = buf_len(&f->added);
    if (f->head_ok && f->nremoved) {
	for (i = 0; i < f->head.n && n + 1 < max; i++) {
	    uint64_t start = (uint64_t) (f->head.v[i].raw - f->spool.mem.data);

	    if (!f->removed[i])
		continue;
	    if (start > off) {
		p[n].data = NULL;
		p[n].off = off;
		p[n++].len = start - off;
	    }
	    off = start + f->head.v[i].raw_len;
	}
    }
    p[n].data = NULL;
    p[n].off = off;
    p[n++].len = f->spool.size - off;
    return n;
}

/* filter_record_cb - filter_record() while sendmail queues the message */

static void filter_record_cb(void *context)
{
    filter_record(context);
}

/* filter_deliver - reinject, recording the message meanwhile; 0 or 75 */

static int filter_deliver(struct filter *f)
{
    const struct filter_args *a = f->args;
    struct inject_piece *p;
    size_t np;
    char err[300];
    int ret;

    /* A server's process whose postdmarc-pipefilter Postfix killed at
     * its time limit: Postfix will try again, so this one must not. */
    if (inject_gone(a->front)) {
	log_warn("%s: postdmarc-pipefilter has gone (Postfix gave up this delivery and "
		 "will try again): not reinjected", f->qid);
	return EX_TEMPFAIL;
    }
    if ((p = calloc(f->nremoved * 2 + 3, sizeof(*p))) == NULL)
	return filter_fail(f, "reinjection", "out of memory");
    np = filter_pieces(f, p, f->nremoved * 2 + 3);
    ret = inject_run(f->conf->sendmail.v, f->conf->sendmail.n, a->sender, a->rcpt, a->nrcpt,
		     p, np, &f->spool, a->front, filter_record_cb, f, err, sizeof(err));
    free(p);
    return ret < 0 ? filter_fail(f, "reinjection failed", err) : 0;
}

/* filter_log - one line per message */

static void filter_log(const struct filter *f, const char *action)
{
    const struct verdict *v = &f->verdict;
    char from[128], dkim[160] = "";
    size_t i, o = 0;

    str_printable(from, sizeof(from), f->args->sender, strlen(f->args->sender));
    for (i = 0; i < f->dkim.n && o < sizeof(dkim) - 1; i++)
	o += (size_t) snprintf(dkim + o, sizeof(dkim) - o, "%s%s:%s", i ? "," : "",
			       f->dkim.sig[i].domain, res_dkim_name(f->dkim.sig[i].result));
    log_info("%s: from=<%s>, header_from=%s, spf=%s%s, dkim=%s, dmarc=%s, policy=%s, "
	     "disposition=%s, removed_ar=%zu, action=%s", f->qid, from,
	     v->ev ? f->authors.domain[v->ev - f->evals] : "-", res_spf_name(f->spf.result),
	     f->spf_from_store ? " (policyd)" : "", f->dkim.n ? dkim : "none",
	     res_dmarc_name(v->dmarc), v->ev && v->ev->policy_domain[0]
	     ? res_policy_name(v->applied != RES_POLICY_UNSPEC ? v->applied : v->ev->policy) : "-",
	     res_disposition_name(v->disposition), f->nremoved, action);
}

/* filter_evaluate - SPF, DKIM, DMARC and the verdict; -1: tempfail */

static int filter_evaluate(struct filter *f)
{
    filter_authors(f);
    if (filter_mark_forged(f) < 0)
	return -1;
    f->spf_from_store = filter_spf_stored(f);
    filter_prefetch(f);			/* before any lookup below */
    if (!f->spf_from_store && filter_spf(f) < 0)
	return -1;
    if (filter_dkim(f) < 0)
	return -1;
    if (filter_dmarc(f) < 0)
	return -1;
    verdict_decide(f->conf, f->evals, f->nevals, filter_auth_temperror(f), &f->verdict);
    return 0;
}

/* filter_act - carry out the verdict */

static int filter_act(struct filter *f)
{
    const struct verdict *v = &f->verdict;
    int crlf = f->head_ok ? f->head.crlf : 0, ret;

    if (v->action == VERDICT_TEMPFAIL) {
	filter_log(f, "deferred");
	fprintf(stderr, "4.7.0 postdmarc: DMARC temporary failure (%s)\n",
		v->ev ? v->ev->reason : "DNS");
	return EX_TEMPFAIL;
    }
    if (filter_ar(f, crlf) < 0
	|| (v->action == VERDICT_QUARANTINE && filter_spam_header(f, crlf) < 0))
	return filter_fail(f, "header", "out of memory");
    switch (v->action) {
    case VERDICT_DISCARD:
	filter_record(f);
	filter_log(f, "discarded");
	return 0;
    case VERDICT_REJECT:
	filter_record(f);
	filter_log(f, "rejected");
	if (v->ev)
	    fprintf(stderr, "5.7.1 Message rejected: DMARC policy of %s\n",
		    v->ev->policy_domain);
	else
	    fprintf(stderr, "5.6.0 Message rejected: header section cannot be evaluated\n");
	return EX_UNAVAILABLE;
    default:
	if ((ret = filter_deliver(f)) == 0)
	    filter_log(f, verdict_action_name(v->action));
	return ret;
    }
}

/* filter_open - DNS resolver and store */

static int filter_open(struct filter *f)
{
    const struct conf *conf = f->conf;

    f->dns = dns_create(conf->nameservers.v, conf->nameservers.n, conf->dns_timeout,
			conf->dns_attempts, conf->dns_cache_size < 1000 ? conf->dns_cache_size : 1000);
    if (f->dns == NULL)
	return -1;
    if ((f->store = store_open(conf->store, STORE_CREATE)) == NULL)
	log_warn("%s: store %s: %s; store=error: the message is not recorded", f->qid,
		 conf->store, store_last_error());
    return 0;
}

/* filter_free - release everything */

static void filter_free(struct filter *f)
{
    spool_free(&f->spool);
    msg_head_free(&f->head);
    free(f->removed);
    dns_destroy(f->dns);
    store_close(f->store);
    buf_free(&f->added);
}

/* filter_message - the whole job for one message */

int filter_message(const struct conf *conf, const struct filter_args *args, int fd)
{
    const char *tmpdir = *conf->tmpdir ? conf->tmpdir
	: getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp";
    struct filter *f;
    int ret, r;

    if ((f = calloc(1, sizeof(*f))) == NULL) {
	fprintf(stderr, "4.3.0 postdmarc: out of memory\n");
	return EX_TEMPFAIL;
    }
    f->conf = conf;
    f->args = args;
    f->qid = args->queue_id && *args->queue_id ? args->queue_id : "NOQUEUE";
    buf_init(&f->added, AR_HEADER_MAX * 2);
    if (spool_read(&f->spool, fd, (size_t) conf->spool_threshold, FILTER_MAX_SIZE, tmpdir) < 0) {
	ret = filter_fail(f, "reading the message", f->spool.error);
    } else if (filter_skipped(conf, args)) {
	log_info("%s: from=<%s>, client=%s: not evaluated (local or authenticated)", f->qid,
		 args->sender, args->client_addr ? args->client_addr : "");
	ret = filter_deliver(f);
    } else if (filter_open(f) < 0) {
	ret = filter_fail(f, "DNS", "cannot set up the resolver");
    } else {
	r = msg_head_parse(f->spool.mem.data ? f->spool.mem.data : "", f->spool.mem.len,
			   f->spool.size == f->spool.mem.len, &f->head);
	f->head_ok = r == MSG_OK;
	if (!f->head_ok) {
	    /* Far past anything Postfix passes by default. */
	    log_warn("%s: header section: %s; handled as a DMARC reject", f->qid,
		     msg_strerror(r));
	    verdict_unreadable(conf, &f->verdict);
	    ret = filter_act(f);
	} else if (filter_evaluate(f) < 0) {
	    ret = filter_fail(f, "evaluation", "out of memory or library failure");
	} else {
	    ret = filter_act(f);
	}
    }
    filter_free(f);
    free(f);
    return ret;
}
