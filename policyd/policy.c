/*++
 * NAME
 *	policy 3
 * SUMMARY
 *	SPF decisions for policy requests
 * SYNOPSIS
 *	#include "policy.h"
 *
 *	struct pol_world *pol_world_new(conf, err, errsize)
 *	struct pol_world *pol_world_ref(world)
 *	void	pol_world_unref(world)
 *
 *	void	pol_conn_init(conn)
 *	void	pol_conn_free(conn)
 *	int	pol_decide(conn, world, store, counters, req, action)
 *	void	pol_flush_log(conn)
 *
 *	int	pol_counters_init(counters)
 *	void	pol_counters_flush(counters, store)
 *	void	pol_counters_free(counters)
 * DESCRIPTION
 *	A world is the configuration with what is built from it (the DNS
 *	resolver, the address lists).  It is immutable and reference
 *	counted, so a reload (SIGHUP) swaps worlds while requests judged
 *	by the old one finish.  pol_world_new() takes over conf; it returns
 *	NULL with a reason in err when something cannot be built.
 *
 *	pol_decide() answers one smtpd_access_policy request: it writes
 *	the action (without "action=" and without line breaks) to action.
 *	Per transaction (the "instance" attribute) the HELO identity is
 *	checked first, then MAIL FROM; the verdict is then repeated for
 *	the later recipients of the same transaction without new lookups
 *	(a reject or defer again, DUNNO after the one PREPEND).  At
 *	END-OF-MESSAGE the verdict is written to the store under the
 *	queue id, for the filter and the reporter.  The log line of a new
 *	verdict waits in the connection until pol_flush_log(), which the
 *	server calls once the answer is written.
 *
 *	Clients in skip_addresses and, with skip_authenticated, clients
 *	that authenticated get DUNNO with no lookup.  Clients in the
 *	whitelist are checked (for the header) but never rejected or
 *	deferred.
 *
 *	Rejections and deferrals are counted for postdmarc-reporter --stats
 *	in counters, in memory: pol_counters_flush() writes them to the
 *	store in one transaction (the server does so every second), so a
 *	flood of forged mail costs no disk write per message.
 *
 *	On internal trouble it returns -1 (the caller then closes the
 *	connection without an answer, and Postfix tries again later, as
 *	SMTPD_POLICY_README asks); otherwise 0.
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ar.h"
#include "log.h"
#include "policy.h"
#include "results.h"
#include "str.h"

#define POL_TEXT_MAX	400		/* reply text, well under 512 */

/* pol_world_new - build a world from a configuration */

struct pol_world *pol_world_new(struct conf *conf, char *err, size_t errsize)
{
    const char *why = NULL;
    struct pol_world *w;

    if ((w = calloc(1, sizeof(*w))) == NULL) {
	snprintf(err, errsize, "out of memory");
	return NULL;
    }
    w->refs = 1;
    if (inet_netlist_parse(conf->policyd_skip_addresses.v, conf->policyd_skip_addresses.n,
			   &w->skip) != 0
	|| inet_netlist_parse(conf->whitelist.v, conf->whitelist.n, &w->whitelist) != 0)
	why = "bad address list";
    else if ((w->dns = dns_create(conf->nameservers.v, conf->nameservers.n, conf->dns_timeout,
				  conf->dns_attempts, conf->dns_cache_size)) == NULL)
	why = "cannot set up the DNS resolver";
    if (why) {
	snprintf(err, errsize, "%s", why);
	pol_world_unref(w);			/* conf stays the caller's */
	return NULL;
    }
    w->conf = conf;
    return w;
}

/* pol_world_ref - one more user */

struct pol_world *pol_world_ref(struct pol_world *w)
{
    __atomic_add_fetch(&w->refs, 1, __ATOMIC_RELAXED);
    return w;
}

/* pol_world_unref - one user less; the last frees */

void pol_world_unref(struct pol_world *w)
{
    if (w == NULL || __atomic_sub_fetch(&w->refs, 1, __ATOMIC_ACQ_REL) != 0)
	return;
    inet_netlist_free(&w->skip);
    inet_netlist_free(&w->whitelist);
    dns_destroy(w->dns);
    conf_free(w->conf);
    free(w);
}

/* pol_conn_init - fresh connection state */

void pol_conn_init(struct pol_conn *c)
{
    memset(c, 0, sizeof(*c));
}

/* pol_conn_free - release connection state */

void pol_conn_free(struct pol_conn *c)
{
    spf_checker_free(c->ck);
    if (c->world)
	pol_world_unref(c->world);
    memset(c, 0, sizeof(*c));
}

/* pol_checker - this connection's SPF checker for the current world */

static struct spf_checker *pol_checker(struct pol_conn *c, struct pol_world *w)
{
    if (c->world != w) {
	spf_checker_free(c->ck);
	c->ck = NULL;
	if (c->world)
	    pol_world_unref(c->world);
	c->world = pol_world_ref(w);
    }
    if (c->ck == NULL)
	c->ck = spf_checker_new(w->dns, w->conf->hostname);
    return c->ck;
}

/* pol_rejects - does a result fall in a *_reject set */

static int pol_rejects(int setting, int result)
{
    switch (setting) {
    case CONF_SPF_REJECT_FAIL:
	return result == RES_SPF_FAIL;
    case CONF_SPF_REJECT_SOFTFAIL:
	return result == RES_SPF_FAIL || result == RES_SPF_SOFTFAIL;
    case CONF_SPF_REJECT_NOT_PASS:
	/* Errors have their own settings (permerror_reject, temperror_defer). */
	return result != RES_SPF_PASS && result != RES_SPF_TEMPERROR
	    && result != RES_SPF_PERMERROR;
    default:
	return 0;
    }
}

/* pol_reject_text - "550 5.7.23 ..." for a failed identity */

static void pol_reject_text(struct buf *out, const char *code, const struct spf_result *r,
			            const char *ip)
{
    buf_printf(out, "%s SPF %s for %s %.200s: ", code, res_spf_name(r->result),
	       r->scope == SPF_SCOPE_HELO ? "HELO" : "MAIL FROM", r->domain);
    if (r->explanation[0])
	buf_printf(out, "%.200s", r->explanation);
    else
	buf_printf(out, "%s is not allowed to send this mail", ip);
    buf_truncate(out, POL_TEXT_MAX);
}

/* pol_error_text - "550 5.7.24 ..." or "DEFER_IF_PERMIT 4.7.24 ..." */

static void pol_error_text(struct buf *out, const char *code, const struct spf_result *r)
{
    buf_printf(out, "%s SPF %s for %.200s: %.150s", code, res_spf_name(r->result), r->domain,
	       r->reason);
    buf_truncate(out, POL_TEXT_MAX);
}

/* pol_header_ar - the result as a one-line Authentication-Results */

static int pol_header_ar(struct buf *out, const struct conf *conf, const struct spf_result *r,
			         const char *helo)
{
    struct buf field = BUF_INIT(AR_HEADER_MAX);
    struct ar ar;
    const char *p;
    int ret = -1;

    if (ar_init(&ar, conf->hostname) < 0)
	return -1;
    ar_add_result(&ar, "spf", res_spf_name(r->result));
    ar_add_comment(&ar, r->reason);
    ar_add_prop(&ar, "smtp", "mailfrom", r->sender);
    if (*helo)
	ar_add_prop(&ar, "smtp", "helo", helo);
    if (ar_finish(&ar, 0, &field) == 0) {
	/* PREPEND takes one line: unfold (folds are only at white space). */
	buf_addstr(out, "PREPEND ");
	for (p = buf_str(&field); *p; p++)
	    if (*p != '\n' && *p != '\r')
		buf_addch(out, *p == '\t' ? ' ' : *p);
	ret = buf_error(out) ? -1 : 0;
    }
    ar_free(&ar);
    buf_free(&field);
    return ret;
}

/* pol_header - the PREPEND action, or DUNNO */

static int pol_header(struct buf *out, const struct conf *conf, const struct spf_result *r,
		              const char *ip, const char *helo, const char *sender)
{
    switch (conf->header) {
    case CONF_HEADER_RECEIVED_SPF:
	buf_addstr(out, "PREPEND Received-SPF: ");
	return spf_received_header(out, r, ip, helo, sender, conf->hostname);
    case CONF_HEADER_AR:
	return pol_header_ar(out, conf, r, helo);
    default:
	buf_addstr(out, "DUNNO");
	return 0;
    }
}

/* pol_judge - check both identities and choose the action */

static int pol_judge(struct pol_conn *c, struct pol_world *w, const char *ip,
		             const char *helo, const char *sender, struct buf *out)
{
    const struct conf *conf = w->conf;
    struct spf_checker *ck = pol_checker(c, w);
    int helo_on = conf->helo_reject != CONF_SPF_REJECT_OFF;

    if (ck == NULL)
	return -1;
    spf_check(ck, ip, helo, sender, SPF_SCOPE_HELO, &c->helo);
    if (!c->whitelisted && pol_rejects(conf->helo_reject, c->helo.result)) {
	pol_reject_text(out, "550 5.7.23", &c->helo, ip);
	return 0;
    }
    /* A null sender is checked as postmaster@HELO: the same question. */
    if (*sender == 0)
	c->mfrom = c->helo, c->mfrom.scope = SPF_SCOPE_MFROM;
    else
	spf_check(ck, ip, helo, sender, SPF_SCOPE_MFROM, &c->mfrom);
    if (c->whitelisted)
	return pol_header(out, conf, &c->mfrom, ip, helo, sender);
    if (pol_rejects(conf->mail_from_reject, c->mfrom.result))
	pol_reject_text(out, "550 5.7.23", &c->mfrom, ip);
    else if (conf->permerror_reject && c->mfrom.result == RES_SPF_PERMERROR)
	pol_error_text(out, "550 5.7.24", &c->mfrom);
    else if (conf->permerror_reject && helo_on && c->helo.result == RES_SPF_PERMERROR)
	pol_error_text(out, "550 5.7.24", &c->helo);
    else if (conf->temperror_defer && c->mfrom.result == RES_SPF_TEMPERROR)
	pol_error_text(out, "DEFER_IF_PERMIT 4.7.24", &c->mfrom);
    else if (conf->temperror_defer && helo_on && c->helo.result == RES_SPF_TEMPERROR)
	pol_error_text(out, "DEFER_IF_PERMIT 4.7.24", &c->helo);
    else
	return pol_header(out, conf, &c->mfrom, ip, helo, sender);
    return 0;
}

/* pol_store - the transaction's verdict into the store */

static void pol_store(struct pol_conn *c, struct store *st, const char *qid, const char *ip,
		              const char *helo, const char *sender)
{
    struct store_spf rec;

    if (st == NULL)
	return;
    memset(&rec, 0, sizeof(rec));
    rec.time = (uint64_t) time(NULL);
    if (str_copy(rec.queue_id, qid, sizeof(rec.queue_id)) < 0
	|| str_copy(rec.client_addr, ip, sizeof(rec.client_addr)) < 0
	|| str_copy(rec.helo, helo, sizeof(rec.helo)) < 0
	|| str_copy(rec.mail_from, sender, sizeof(rec.mail_from)) < 0) {
	log_warn("%s: not stored: a field is too long", *qid ? qid : "NOQUEUE");
	return;
    }
    if (str_copy(rec.domain, c->mfrom.domain, sizeof(rec.domain)) < 0)
	rec.domain[0] = 0;
    rec.helo_result = c->helo.result;
    rec.mfrom_result = c->mfrom.result;
    rec.action = c->action;
    if (store_spf_put(st, &rec) != STORE_OK)
	log_warn("%s: store: %s", *qid ? qid : "NOQUEUE", store_error(st));
}

/* pol_counters_init - no counts yet */

int pol_counters_init(struct pol_counters *pc)
{
    pthread_mutex_init(&pc->lock, NULL);
    return hmap_init(&pc->rows, 64);
}

/* pol_count - one more rejection or deferral for a domain today */

static void pol_count(struct pol_counters *pc, const char *domain, int action)
{
    uint32_t day = (uint32_t) (time(NULL) / 86400);
    struct store_stat **slot;
    char key[DNS_NAME_MAX + 16];
    int created, n;

    if (pc == NULL)
	return;
    n = snprintf(key, sizeof(key), "%u/%.255s", day, domain);
    pthread_mutex_lock(&pc->lock);
    slot = (struct store_stat **) hmap_slot(&pc->rows, key, (size_t) n, &created);
    if (slot && created && (*slot = calloc(1, sizeof(**slot))) != NULL) {
	(*slot)->day = day;
	snprintf((*slot)->domain, sizeof((*slot)->domain), "%s", domain);
    }
    if (slot && *slot)
	(*slot)->n[action == STORE_ACT_REJECT ? STORE_STAT_SPF_REJECT : STORE_STAT_SPF_DEFER]++;
    pthread_mutex_unlock(&pc->lock);
}

/* pol_counters_flush - write what was counted, start again */

void pol_counters_flush(struct pol_counters *pc, struct store *st)
{
    struct hmap rows;
    struct store_stat **v;
    size_t i, n, m;

    pthread_mutex_lock(&pc->lock);
    rows = pc->rows;
    if (hmap_count(&rows) == 0 || st == NULL || hmap_init(&pc->rows, 64) < 0) {
	pthread_mutex_unlock(&pc->lock);
	return;
    }
    pthread_mutex_unlock(&pc->lock);
    n = hmap_count(&rows);
    if ((v = calloc(n, sizeof(*v))) != NULL) {
	for (i = m = 0; i < n; i++)
	    if ((v[m] = hmap_at(&rows, i)->value) != NULL)
		m++;				/* not one whose calloc failed */
	if (store_stat_add(st, v, m) != STORE_OK)
	    log_warn("store: counting rejections: %s", store_error(st));
	free(v);
    }
    hmap_free(&rows, free);
}

/* pol_counters_free - release (after a last flush) */

void pol_counters_free(struct pol_counters *pc)
{
    hmap_free(&pc->rows, free);
    pthread_mutex_destroy(&pc->lock);
}

/* pol_log - the line for the decision, written by pol_flush_log() */

static void pol_log(struct pol_conn *c, const char *qid, const char *ip, const char *helo,
		            const char *sender)
{
    char id[STORE_QID_MAX + 1], client[64], h[128], from[128], act[160];

    str_printable(id, sizeof(id), qid, strlen(qid));
    str_printable(client, sizeof(client), ip, strlen(ip));
    str_printable(h, sizeof(h), helo, strlen(helo));
    str_printable(from, sizeof(from), sender, strlen(sender));
    /* A prepended header is there by its name only (pol_decide()). */
    str_printable(act, sizeof(act), c->verdict, strlen(c->verdict));
    snprintf(c->logline, sizeof(c->logline),
	     "%s: client=%s, helo=%s, from=<%s>, spf_helo=%s, spf_mailfrom=%s, action=%s",
	     *id ? id : "NOQUEUE", client, h, from, res_spf_name(c->helo.result),
	     res_spf_name(c->mfrom.result), act);
}

/* pol_flush_log - log the last decision's line, if not yet done */

void pol_flush_log(struct pol_conn *c)
{
    if (c->logline[0]) {
	log_info("%s", c->logline);
	c->logline[0] = 0;
    }
}

/* pol_skipped - clients that are never checked */

static int pol_skipped(struct pol_world *w, const struct req *req, const char *ip)
{
    const char *sasl = req_get(req, "sasl_username");
    struct inet_addr addr;

    if (w->conf->policyd_skip_authenticated && sasl && *sasl)
	return 1;
    return inet_addr_parse(ip, &addr) == 0 && inet_netlist_match(&w->skip, &addr);
}

/* pol_new_instance - forget the previous transaction */

static void pol_new_instance(struct pol_conn *c, struct pol_world *w, const char *instance,
			             const char *ip)
{
    struct inet_addr addr;

    if (str_copy(c->instance, instance, sizeof(c->instance)) < 0)
	c->instance[0] = 0;			/* absurd; never matches again */
    c->decided = c->stored = 0;
    c->verdict[0] = 0;
    c->whitelisted = inet_addr_parse(ip, &addr) == 0
	&& inet_netlist_match(&w->whitelist, &addr);
}

/* pol_decide - answer one request */

int pol_decide(struct pol_conn *c, struct pol_world *w, struct store *st,
	               struct pol_counters *pc, const struct req *req, struct buf *out)
{
    const char *type = req_get(req, "request"), *state = req_get(req, "protocol_state");
    const char *ip = req_get(req, "client_address"), *instance = req_get(req, "instance");
    const char *helo = req_get(req, "helo_name"), *sender = req_get(req, "sender");
    const char *qid = req_get(req, "queue_id");
    int eom = state && strcmp(state, "END-OF-MESSAGE") == 0;

    if (type == NULL || strcmp(type, "smtpd_access_policy") != 0) {
	log_warn("unsupported request type \"%.50s\"", type ? type : "");
	return -1;
    }
    if (ip == NULL || *ip == 0 || pol_skipped(w, req, ip)) {
	buf_addstr(out, "DUNNO");
	return 0;
    }
    helo = helo ? helo : "";
    sender = sender ? sender : "";
    qid = qid ? qid : "";
    if (instance == NULL || strcmp(instance, c->instance) != 0 || *instance == 0)
	pol_new_instance(c, w, instance ? instance : "", ip);
    if (!c->decided) {
	if (pol_judge(c, w, ip, helo, sender, out) < 0 || buf_error(out))
	    return -1;
	/* Of a PREPEND only the field name is kept: later requests get
	 * DUNNO, and the log names the field.  The whole header would not
	 * fit, and a long sender then got no answer at all. */
	if (str_ncopy(c->verdict, sizeof(c->verdict), buf_str(out),
		      strncmp(buf_str(out), "PREPEND ", 8) == 0 ? strcspn(buf_str(out), ":")
		      : buf_len(out)) < 0)
	    return -1;
	c->decided = 1;
	c->action = strncmp(c->verdict, "550", 3) == 0 ? STORE_ACT_REJECT
	    : strncmp(c->verdict, "DEFER", 5) == 0 ? STORE_ACT_DEFER : STORE_ACT_ACCEPT;
	pol_log(c, qid, ip, helo, sender);
	if (c->action != STORE_ACT_ACCEPT)
	    pol_count(pc, c->mfrom.domain[0] ? c->mfrom.domain : c->helo.domain, c->action);
	/* PREPEND cannot run at END-OF-MESSAGE (access(5)). */
	if (eom && strncmp(c->verdict, "PREPEND", 7) == 0) {
	    buf_reset(out);
	    buf_addstr(out, "DUNNO");
	}
    } else {
	buf_reset(out);
	buf_addstr(out, strncmp(c->verdict, "PREPEND", 7) == 0 ? "DUNNO" : c->verdict);
    }
    if (eom && !c->stored && *qid && c->action == STORE_ACT_ACCEPT) {
	pol_store(c, st, qid, ip, helo, sender);
	c->stored = 1;
    }
    return 0;
}
