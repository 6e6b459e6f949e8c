/*++
 * NAME
 *	deliver 3
 * SUMMARY
 *	sending stored reports to their authorized destinations
 * SYNOPSIS
 *	#include "deliver.h"
 *
 *	int	deliver_authorized(dmarc, dns, policy_domain, addr, size, why, whysize)
 *	int	deliver_reports(conf, store, dns, opts, stats)
 * DESCRIPTION
 *	deliver_authorized() applies RFC 9990 section 4: a destination
 *	whose host is in another organizational domain than the policy
 *	domain gets reports only when <policy-domain>._report._dmarc.<host>
 *	has a TXT record starting with v=DMARC1 (a wildcard counts).  Such
 *	a record may name a new address on the same host (its rua=), which
 *	replaces addr; one on another host forbids both.  It returns
 *	AUTH_OK, AUTH_NO, or AUTH_TEMP when DNS failed (try again later).
 *
 *	deliver_reports() tries every destination still pending (each
 *	whose retry time has come, or all with opts->force): SMTP, or a
 *	file with opts->outdir.  Accepted or permanently refused (5xx)
 *	destinations are done; anything else is tried again later, backing
 *	off from retry_min, until retry_period after the report was made.
 *	The state is written to the store after every attempt, and a
 *	report is deleted once all its destinations are done: an accepted
 *	report never goes out again, and an interrupted run sends the same
 *	report (same id, same file name) again next time.
 *--*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "deliver.h"
#include "dmarc_record.h"
#include "log.h"
#include "mail.h"
#include "smtp.h"
#include "str.h"

#define DELIVER_BACKOFF_MAX	(6 * 3600)	/* seconds between tries, at most */
#define DELIVER_BATCH		200	/* reports per state write, --output */

/* deliver_host - the host part of an address */

static const char *deliver_host(const char *addr)
{
    const char *at = strrchr(addr, '@');

    return at ? at + 1 : "";
}

/* deliver_override - a rua= of the authorizing record, same host only */

static int deliver_override(const struct dmarc_record *rec, const char *host, char *addr,
			            size_t size)
{
    char a[MSG_ADDR_MAX + 1];
    size_t i;
    int other = 0;

    for (i = 0; i < rec->nrua; i++) {
	if (dmarc_uri_mailto(rec->rua[i], a, sizeof(a)) < 0)
	    continue;
	if (str_eq_ci(deliver_host(a), host))
	    return str_copy(addr, a, size) < 0 ? AUTH_NO : AUTH_OK;
	other = 1;
    }
    return other ? AUTH_NO : AUTH_OK;
}

/* deliver_authorized - may this destination have reports of that domain */

int deliver_authorized(struct dmarc_ctx *dmarc, struct dns_resolver *dns, const char *domain,
		               char *addr, size_t size, char *why, size_t whysize)
{
    char host[DNS_NAME_MAX + 1], org1[DNS_NAME_MAX + 1], org2[DNS_NAME_MAX + 1];
    char qname[2 * DNS_NAME_MAX + 32], w[64];
    struct dmarc_record rec;
    struct dns_answer *a;
    size_t i;
    int status, ret = AUTH_NO;

    if (str_copy(host, deliver_host(addr), sizeof(host)) < 0 || *host == 0)
	return snprintf(why, whysize, "no host"), AUTH_NO;
    if (str_eq_ci(host, domain))
	return AUTH_OK;
    if (dmarc_org_domain(dmarc, domain, org1, sizeof(org1)) < 0
	|| dmarc_org_domain(dmarc, host, org2, sizeof(org2)) < 0)
	return snprintf(why, whysize, "DNS failure finding organizational domains"), AUTH_TEMP;
    if (str_eq_ci(org1, org2))
	return AUTH_OK;
    if (snprintf(qname, sizeof(qname), "%s._report._dmarc.%s", domain, host) > DNS_NAME_MAX)
	return snprintf(why, whysize, "authorization name too long"), AUTH_NO;
    status = dns_lookup(dns, qname, DNS_T_TXT, &a);
    if (status == DNS_TEMPFAIL || status == DNS_NOMEM) {
	dns_answer_free(a);
	return snprintf(why, whysize, "DNS failure looking up %s", qname), AUTH_TEMP;
    }
    snprintf(why, whysize, "%s has no v=DMARC1 record", qname);
    for (i = 0; status == DNS_FOUND && i < a->n && ret == AUTH_NO; i++) {
	if (dmarc_record_parse((const char *) a->rr[i].data, a->rr[i].len, &rec, w, sizeof(w))
	    == DMARC_RECORD_NOT_DMARC)
	    continue;
	if ((ret = deliver_override(&rec, host, addr, size)) == AUTH_NO)
	    snprintf(why, whysize, "%s redirects to another host", qname);
    }
    dns_answer_free(a);
    return ret;
}

/* deliver_file - the message into outdir as NAME[.N].eml */

static int deliver_file(const char *outdir, const char *name, size_t dest, size_t ndests,
			        const struct buf *msg, char *err, size_t errsize)
{
    char path[4096], tmp[4200];
    ssize_t n;
    size_t done = 0;
    int fd;

    if (ndests > 1)
	snprintf(path, sizeof(path), "%s/%s.%zu.eml", outdir, name, dest + 1);
    else
	snprintf(path, sizeof(path), "%s/%s.eml", outdir, name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
	snprintf(err, errsize, "%.200s: %s", tmp, strerror(errno));
	return -1;
    }
    while (done < msg->len && (n = write(fd, msg->data + done, msg->len - done)) > 0)
	done += (size_t) n;
    /* No fsync: the name appears whole or not at all, and a report whose
     * state was not yet written is written again under the same name. */
    if (done != msg->len || close(fd) < 0 || rename(tmp, path) < 0) {
	snprintf(err, errsize, "%.200s: %s", path, strerror(errno));
	unlink(tmp);
	return -1;
    }
    snprintf(err, errsize, "written to %.200s", path);
    return 0;
}

/* deliver_backoff - when to try a destination again */

static uint64_t deliver_backoff(const struct conf *conf, unsigned attempts, uint64_t now)
{
    uint64_t delay = conf->retry_min / 1000;
    unsigned i;

    for (i = 1; i < attempts && delay < DELIVER_BACKOFF_MAX; i++)
	delay *= 2;
    return now + (delay < DELIVER_BACKOFF_MAX ? delay : DELIVER_BACKOFF_MAX);
}

/* deliver_bcc - copies of a message the destination accepted, best effort */

static void deliver_bcc(const struct conf *conf, const struct store_report *rp, size_t d,
			        const struct buf *msg)
{
    char err[STORE_COMMENT_MAX + 1];
    size_t i;

    /* A transaction each, after the destination's own: whatever happens
     * to a copy leaves the destination's state alone. */
    for (i = 0; i < conf->bcc.n; i++)
	if (smtp_send(conf, conf->bcc.v[i], msg->data, msg->len, err, sizeof(err)) != SMTP_SENT)
	    log_warn("report %s to <%s>: bcc copy to <%s> not sent: %s", rp->id,
		     rp->dests[d].addr, conf->bcc.v[i], err);
}

/* deliver_send - compose and hand over one message: SMTP_* */

static int deliver_send(const struct conf *conf, const struct deliver_opts *o,
			        const struct store_report *rp, size_t d, char *err, size_t errsize)
{
    struct buf msg = BUF_INIT(STORE_REPORT_MAX * 2);
    char name[512];
    int ret;

    if (mail_compose(conf, rp, d, time(NULL), &msg) < 0
	|| mail_filename(conf, rp, name, sizeof(name)) < 0) {
	buf_free(&msg);
	snprintf(err, errsize, "cannot compose the message");
	return SMTP_TEMP;
    }
    if (o->outdir)
	ret = deliver_file(o->outdir, name, d, rp->ndests, &msg, err, errsize) == 0
	    ? SMTP_SENT : SMTP_TEMP;
    else if ((ret = smtp_send(conf, rp->dests[d].addr, msg.data, msg.len, err, errsize))
	     == SMTP_SENT)
	deliver_bcc(conf, rp, d, &msg);
    buf_free(&msg);
    return ret;
}

/* deliver_note - remember the outcome of the last attempt */

static void deliver_note(struct store_dest *x, const char *why)
{
    if (str_copy(x->last_error, why, sizeof(x->last_error)) < 0) {
	/* Too long: str_copy() left the start of it, terminated. */
    }
}

/* deliver_retry_at - the earliest retry still pending */

static void deliver_retry_at(struct deliver_stats *s, uint64_t when)
{
    if (s->next_try == 0 || when < s->next_try)
	s->next_try = when;
}

/* deliver_dest - one attempt for one destination; 1 when the state changed */

static int deliver_dest(const struct conf *conf, struct dmarc_ctx *dmarc,
			        struct dns_resolver *dns, const struct deliver_opts *o,
			        struct store_report *rp, size_t d, struct deliver_stats *s)
{
    struct store_dest *x = &rp->dests[d];
    uint64_t now = (uint64_t) time(NULL);
    char why[STORE_COMMENT_MAX + 1];
    int auth, r;

    if (x->state != STORE_DEST_PENDING)
	return 0;
    if (conf->retry_period && now > rp->created + conf->retry_period / 1000 && x->attempts) {
	x->state = STORE_DEST_FAILED;
	log_warn("report %s to <%s>: giving up after %u attempts (%s)", rp->id, x->addr,
		 x->attempts, x->last_error);
	s->failed++;
	return 1;
    }
    if (!o->force && x->next_try > now) {
	deliver_retry_at(s, x->next_try);
	return 0;
    }
    why[0] = 0;
    auth = deliver_authorized(dmarc, dns, rp->domain, x->addr, sizeof(x->addr), why, sizeof(why));
    if (o->dry_run) {
	fprintf(o->listing, "report %s of %s to <%s>: %s%s%s\n", rp->id, rp->domain, x->addr,
		auth == AUTH_OK ? "would be sent" : auth == AUTH_NO ? "not authorized"
		: "authorization unknown now", *why ? ": " : "", why);
	return 0;
    }
    if (auth == AUTH_NO) {
	x->state = STORE_DEST_SKIPPED;
	deliver_note(x, why);
	log_info("report %s to <%s>: not authorized: %s", rp->id, x->addr, why);
	s->skipped++;
	return 1;
    }
    x->attempts++;
    r = auth == AUTH_TEMP ? SMTP_TEMP : deliver_send(conf, o, rp, d, why, sizeof(why));
    deliver_note(x, why);
    if (r == SMTP_SENT) {
	x->state = STORE_DEST_SENT;
	s->sent++;
	log_info("report %s of %s to <%s>: sent (%s)", rp->id, rp->domain, x->addr, why);
    } else if (r == SMTP_PERM) {
	x->state = STORE_DEST_FAILED;
	s->failed++;
	log_warn("report %s of %s to <%s>: refused: %s", rp->id, rp->domain, x->addr, why);
    } else {
	x->next_try = deliver_backoff(conf, x->attempts, now);
	deliver_retry_at(s, x->next_try);
	s->deferred++;
	log_warn("report %s of %s to <%s>: deferred: %s", rp->id, rp->domain, x->addr, why);
    }
    return 1;
}

/* deliver_report - every destination of one report; 1 when it changed */

static int deliver_report(const struct conf *conf, struct store *st, struct dmarc_ctx *dmarc,
			          struct dns_resolver *dns, const struct deliver_opts *o,
			          struct store_report *rp, struct deliver_stats *s)
{
    size_t d;
    int changed = 0, c;

    for (d = 0; d < rp->ndests; d++) {
	c = deliver_dest(conf, dmarc, dns, o, rp, d, s);
	changed |= c;
	/* Over SMTP the state is written after every attempt: a crash
	 * sends again what was not yet marked, never what was.  Files are
	 * written under their final name, so there a batch will do. */
	if (c && !o->outdir && store_report_apply(st, &rp, 1) != STORE_OK)
	    log_warn("report %s: store: %s", rp->id, store_error(st));
    }
    return changed;
}

/* deliver_flush - write the state of a batch of reports */

static int deliver_flush(struct store *st, struct store_report **batch, size_t *n)
{
    size_t i;
    int ret = store_report_apply(st, batch, *n) == STORE_OK ? 0 : -1;

    if (ret < 0)
	log_warn("reports: store: %s", store_error(st));
    for (i = 0; i < *n; i++) {
	store_report_release(batch[i]);
	free(batch[i]);
    }
    *n = 0;
    return ret;
}

/* deliver_reports - every report with destinations to try */

int deliver_reports(const struct conf *conf, struct store *st, struct dns_resolver *dns,
		            const struct deliver_opts *o, struct deliver_stats *s)
{
    struct store_report *batch[DELIVER_BATCH], *rp;
    struct dmarc_ctx *dmarc;
    char **ids, err[128];
    size_t n, i, nb = 0;
    int ret = 0;

    memset(s, 0, sizeof(*s));
    if ((dmarc = dmarc_new(dns, conf->org_domain, conf->psl_file, err, sizeof(err))) == NULL) {
	log_error("reports: %s", err);
	return -1;
    }
    if (store_report_ids(st, &ids, &n) != STORE_OK) {
	dmarc_free(dmarc);
	return -1;
    }
    for (i = 0; i < n; i++) {
	if ((rp = malloc(sizeof(*rp))) == NULL || store_report_get(st, ids[i], rp) != STORE_OK) {
	    free(rp);
	    ret = -1;
	} else if (deliver_report(conf, st, dmarc, dns, o, rp, s) && o->outdir) {
	    batch[nb++] = rp;			/* written with the others */
	} else {
	    store_report_release(rp);
	    free(rp);
	}
	if (nb == DELIVER_BATCH && deliver_flush(st, batch, &nb) < 0)
	    ret = -1;
	free(ids[i]);
    }
    if (deliver_flush(st, batch, &nb) < 0)
	ret = -1;
    free(ids);
    dmarc_free(dmarc);
    return ret;
}
