/*++
 * NAME
 *	spf 3
 * SUMMARY
 *	RFC 7208 SPF checks through libspf2, with our DNS layer
 * SYNOPSIS
 *	#include "spf.h"
 *
 *	struct spf_checker *spf_checker_new(resolver, receiver)
 *	void	spf_checker_free(checker)
 *	int	spf_check(checker, ip, helo, sender, scope, result)
 *	int	spf_received_header(out, result, ip, helo, sender, receiver)
 *	int	spf_domain_ok(domain)
 * DESCRIPTION
 *	spf_checker_new() makes a libspf2 server whose every DNS question
 *	goes through our resolver (dns(3)), so the [dns] nameservers,
 *	ports, timeouts and cache apply.  A checker is used by one thread
 *	at a time; the resolver may be shared.  receiver is our host name
 *	(the %{r} macro).  It returns NULL when memory runs out.
 *
 *	spf_check() runs check_host() for one identity of a transaction:
 *	SPF_SCOPE_HELO checks the HELO name (as postmaster@helo);
 *	SPF_SCOPE_MFROM checks the MAIL FROM address, and for the null
 *	sender postmaster@helo (RFC 7208 section 2.4).  A HELO that is not
 *	a domain name, or a sender domain that is malformed or has a
 *	single label, gives "none" without a lookup (section 4.3).
 *
 *	libspf2 fetches the SPF record through a hook of ours, which asks
 *	for TXT only (RFC 7208 section 3.1: type SPF is not used) and
 *	tells the outcomes libspf2 leaves "(invalid)" apart: no record
 *	(none), a DNS failure (temperror), several records or a record
 *	that does not compile (permerror).
 *
 *	result->reason is a short printable text for logs and replies;
 *	result->explanation the domain's explanation (exp=) on fail, or
 *	our default one when that is not exactly one TXT record of
 *	US-ASCII (RFC 7208 6.2).
 *	spf_check() returns 0, or -1 when memory runs out (result then
 *	says temperror).
 *
 *	spf_received_header() appends the value of an RFC 7208 section 9.1
 *	Received-SPF field (no field name, no line break) to out; every
 *	value from the peer is quoted or dropped so nothing can inject a
 *	line or a key.  It returns 0 or -1 (out full).
 *
 *	spf_domain_ok() says whether a domain can be checked at all.
 *--*/
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <spf2/spf.h>
#include <spf2/spf_dns.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ar.h"
#include "inet.h"
#include "log.h"
#include "results.h"
#include "spf.h"
#include "str.h"

/* libspf2 ends a macro unit at a space, so literal spaces are "%_". */
#define SPF_EXP_DEFAULT	"%{i}%_is%_not%_one%_of%_%{d}'s%_designated%_mail%_servers"

/* How the last record fetch ended, for the top-level result. */
enum { SPF_FETCH_OK, SPF_FETCH_NONE, SPF_FETCH_TEMP, SPF_FETCH_PERM };

struct spf_checker {
    SPF_server_t *server;
    SPF_dns_server_t dns;		/* our layer, hook -> this checker */
    struct dns_resolver *resolver;
    SPF_request_t *req;			/* the check under way */
    int fetches;			/* record fetches in this check */
    int top_fetch;			/* SPF_FETCH_* of the first one */
    char top_why[SPF_REASON_MAX];
};

 /*
  * libspf2 logging goes to ours.
  */

/* spf_log_error - libspf2 internal error: a bug */

static void PD_NORETURN spf_log_error(const char *file, int line, const char *msg)
{
    log_panic("libspf2: %s:%d: %s", file ? file : "?", line, msg);
}

/* spf_log_warning - libspf2 warning */

static void spf_log_warning(const char *file, int line, const char *msg)
{
    log_debug("libspf2 warning: %s", msg);
}

/* spf_log_info - libspf2 chatter */

static void spf_log_info(const char *file, int line, const char *msg)
{
    log_debug("libspf2: %s", msg);
}

 /*
  * Our DNS layer under libspf2.
  */

/* spf_dns_herrno - our status as the h_errno libspf2 expects */

static int spf_dns_herrno(int status)
{
    switch (status) {
    case DNS_FOUND:
	return NETDB_SUCCESS;
    case DNS_NXDOMAIN:
    case DNS_BADNAME:
	return HOST_NOT_FOUND;
    case DNS_NODATA:
	return NO_DATA;
    default:
	return TRY_AGAIN;
    }
}

/* spf_dns_fill - copy one of our records into libspf2's RR set */

static int spf_dns_fill(SPF_dns_rr_t *spfrr, int idx, const struct dns_rr *rr)
{
    size_t need = rr->len + 1;

    if (rr->type == DNS_T_A)
	need = sizeof(struct in_addr);
    else if (rr->type == DNS_T_AAAA)
	need = sizeof(struct in6_addr);
    if (SPF_dns_rr_buf_realloc(spfrr, idx, need) != SPF_E_SUCCESS)
	return -1;
    switch (rr->type) {
    case DNS_T_A:
	memcpy(&spfrr->rr[idx]->a, rr->data, 4);
	break;
    case DNS_T_AAAA:
	memcpy(&spfrr->rr[idx]->aaaa, rr->data, 16);
	break;
    default:
	/* TXT, MX, PTR: NUL-terminated text (a TXT with a NUL inside is
	 * cut there; libspf2 works on C strings). */
	memcpy(spfrr->rr[idx]->txt, rr->data, rr->len + 1);
	break;
    }
    return 0;
}

/* spf_dns_lookup - the lookup hook libspf2 calls */

static SPF_dns_rr_t *spf_dns_lookup(SPF_dns_server_t *layer, const char *domain,
				            ns_type type, int should_cache)
{
    struct spf_checker *ck = layer->hook;
    struct dns_answer *a;
    SPF_dns_rr_t *spfrr;
    int status, i;

    status = dns_lookup(ck->resolver, domain, (uint16_t) type, &a);
    spfrr = SPF_dns_rr_new_init(layer, domain, type, a ? (int) a->ttl : 0,
				spf_dns_herrno(status));
    if (spfrr == NULL || status != DNS_FOUND) {
	dns_answer_free(a);
	return spfrr;
    }
    for (i = 0; i < (int) a->n; i++) {
	if (spf_dns_fill(spfrr, i, &a->rr[i]) < 0) {
	    spfrr->herrno = TRY_AGAIN;		/* out of memory */
	    break;
	}
    }
    spfrr->num_rr = i;
    dns_answer_free(a);
    return spfrr;
}

/* spf_is_record - does a TXT string start an SPF version 1 record */

static int spf_is_record(const struct dns_rr *rr)
{
    const char *t = (const char *) rr->data;

    return rr->len >= 6 && str_neq_ci(t, 6, "v=spf1") && (t[6] == ' ' || t[6] == 0);
}

/* spf_fetch_done - remember how the top-level fetch ended */

static SPF_errcode_t spf_fetch_done(struct spf_checker *ck, SPF_response_t *resp,
				            int how, SPF_errcode_t err, const char *what,
				            const char *domain)
{
    char why[SPF_REASON_MAX];

    snprintf(why, sizeof(why), "%s %.200s", what, domain);
    if (ck->fetches++ == 0) {
	ck->top_fetch = how;
	memcpy(ck->top_why, why, sizeof(why));
    }
    return SPF_response_add_error(resp, err, "%s", why);
}

/* spf_dns_get_spf - fetch and compile a domain's record (RFC 7208 4.4, 4.5) */

static SPF_errcode_t spf_dns_get_spf(SPF_server_t *server, SPF_request_t *req,
				             SPF_response_t *resp, SPF_record_t **recp)
{
    struct spf_checker *ck = server->resolver->hook;
    const char *domain = req->cur_dom;
    struct dns_answer *a;
    size_t i, found = 0, idx = 0;
    SPF_errcode_t err;
    int status;

    *recp = NULL;
    status = dns_lookup(ck->resolver, domain, DNS_T_TXT, &a);
    if (status == DNS_TEMPFAIL || status == DNS_NOMEM) {
	dns_answer_free(a);
	return spf_fetch_done(ck, resp, SPF_FETCH_TEMP, SPF_E_DNS_ERROR,
			      "DNS failure looking up", domain);
    }
    for (i = 0; status == DNS_FOUND && i < a->n; i++) {
	if (spf_is_record(&a->rr[i])) {
	    found++;
	    idx = i;
	}
    }
    if (found != 1) {
	dns_answer_free(a);
	if (found > 1)
	    return spf_fetch_done(ck, resp, SPF_FETCH_PERM, SPF_E_MULTIPLE_RECORDS,
				  "multiple SPF records for", domain);
	return spf_fetch_done(ck, resp, SPF_FETCH_NONE, SPF_E_NOT_SPF,
			      "no SPF record for", domain);
    }
    if (strlen((const char *) a->rr[idx].data) != a->rr[idx].len) {
	dns_answer_free(a);
	return spf_fetch_done(ck, resp, SPF_FETCH_PERM, SPF_E_SYNTAX,
			      "a NUL byte in the SPF record of", domain);
    }
    err = SPF_record_compile(server, resp, recp, (const char *) a->rr[idx].data);
    dns_answer_free(a);
    if (err != SPF_E_SUCCESS) {
	if (*recp) {
	    SPF_record_free(*recp);
	    *recp = NULL;
	}
	return spf_fetch_done(ck, resp, SPF_FETCH_PERM, SPF_E_SYNTAX,
			      "syntax error in the SPF record of", domain);
    }
    if (ck->fetches++ == 0)
	ck->top_fetch = SPF_FETCH_OK;
    return SPF_E_SUCCESS;
}

/* spf_expand_text - expand an explanation's macros (RFC 7208 6.2) */

static SPF_errcode_t spf_expand_text(struct spf_checker *ck, SPF_server_t *server,
				             const char *text, char **bufp, size_t *buflenp)
{
    struct buf esc = BUF_INIT(DNS_TXT_MAX * 2);
    SPF_response_t *scratch;
    SPF_macro_t *mac = NULL;
    SPF_errcode_t err;
    const char *p;

    /* libspf2 takes a space for the end of a macro unit: spell it %_. */
    for (p = text; *p; p++)
	*p == ' ' ? buf_addstr(&esc, "%_") : buf_addch(&esc, *p);
    if (buf_error(&esc) || (scratch = SPF_response_new(ck->req)) == NULL) {
	buf_free(&esc);
	return SPF_E_NO_MEMORY;
    }
    err = SPF_record_compile_macro(server, scratch, &mac, buf_str(&esc));
    if (err == SPF_E_SUCCESS)
	/* The compiled data follows the header (spf_internal.h). */
	err = SPF_record_expand_data(server, ck->req, scratch,
				     (SPF_data_t *) ((char *) mac + sizeof(SPF_macro_t)),
				     mac->macro_len, bufp, buflenp);
    SPF_macro_free(mac);
    SPF_response_free(scratch);
    buf_free(&esc);
    return err;
}

/* spf_is_ascii - a TXT record of US-ASCII, no NUL */

static int spf_is_ascii(const struct dns_rr *rr)
{
    size_t i;

    for (i = 0; i < rr->len; i++)
	if (rr->data[i] == 0 || rr->data[i] >= 128)
	    return 0;
    return 1;
}

/* spf_dns_get_exp - the exp= text of a domain, macros expanded */

static SPF_errcode_t spf_dns_get_exp(SPF_server_t *server, const char *domain,
				             char **bufp, size_t *buflenp)
{
    struct spf_checker *ck = server->resolver->hook;
    struct dns_answer *a;
    SPF_errcode_t err;
    int status;

    /* One TXT record of US-ASCII, or else as if there were no exp=
     * (RFC 7208 6.2). */
    status = dns_lookup(ck->resolver, domain, DNS_T_TXT, &a);
    if (status == DNS_FOUND && a->n == 1 && spf_is_ascii(&a->rr[0])
	&& spf_expand_text(ck, server, (char *) a->rr[0].data, bufp, buflenp) == SPF_E_SUCCESS)
	err = SPF_E_SUCCESS;
    else
	err = spf_expand_text(ck, server, SPF_EXP_DEFAULT, bufp, buflenp);
    dns_answer_free(a);
    return err;
}

/* spf_checker_new - a libspf2 server on our resolver */

struct spf_checker *spf_checker_new(struct dns_resolver *resolver, const char *receiver)
{
    static int handlers_set;
    struct spf_checker *ck;
    SPF_response_t *resp = NULL;

    if (!handlers_set) {
	SPF_error_handler = spf_log_error;
	SPF_warning_handler = spf_log_warning;
	SPF_info_handler = spf_log_info;
	SPF_debug_handler = spf_log_info;
	handlers_set = 1;
    }
    if ((ck = calloc(1, sizeof(*ck))) == NULL)
	return NULL;
    ck->resolver = resolver;
    ck->dns.destroy = NULL;			/* ours, not libspf2's, to free */
    ck->dns.lookup = spf_dns_lookup;
    ck->dns.get_spf = spf_dns_get_spf;
    ck->dns.get_exp = spf_dns_get_exp;
    ck->dns.name = "postdmarc";
    ck->dns.hook = ck;
    if ((ck->server = SPF_server_new_dns(&ck->dns, 0)) == NULL) {
	free(ck);
	return NULL;
    }
    SPF_server_set_rec_dom(ck->server, receiver);
    SPF_server_set_explanation(ck->server, SPF_EXP_DEFAULT, &resp);
    SPF_response_free(resp);
    return ck;
}

/* spf_checker_free - release a checker */

void spf_checker_free(struct spf_checker *ck)
{
    if (ck == NULL)
	return;
    SPF_server_free(ck->server);
    free(ck);
}

 /*
  * Checking.
  */

/* spf_domain_ok - a multi-label domain with sane labels (RFC 7208 4.3) */

int spf_domain_ok(const char *domain)
{
    size_t len = strlen(domain);

    /* dns_name_ok() checks the length and the labels; a domain here has
     * no final dot, no space or address punctuation, and a dot. */
    return dns_name_ok(domain) && domain[len - 1] != '.'
	&& strpbrk(domain, " \\\"();<>@[],:") == NULL && strchr(domain, '.') != NULL;
}

/* spf_result_code - libspf2's result as ours */

static int spf_result_code(SPF_result_t r)
{
    switch (r) {
    case SPF_RESULT_PASS:
	return RES_SPF_PASS;
    case SPF_RESULT_FAIL:
	return RES_SPF_FAIL;
    case SPF_RESULT_SOFTFAIL:
	return RES_SPF_SOFTFAIL;
    case SPF_RESULT_NEUTRAL:
	return RES_SPF_NEUTRAL;
    case SPF_RESULT_NONE:
	return RES_SPF_NONE;
    case SPF_RESULT_TEMPERROR:
	return RES_SPF_TEMPERROR;
    default:
	return RES_SPF_PERMERROR;
    }
}

/* spf_identity - sender and domain of the identity checked */

static int spf_identity(const char *helo, const char *sender, int scope,
			        struct spf_result *res)
{
    const char *at;

    if (scope == SPF_SCOPE_HELO || *sender == 0) {
	if (str_copy(res->domain, helo, sizeof(res->domain)) < 0)
	    return -1;
	snprintf(res->sender, sizeof(res->sender), "postmaster@%s", res->domain);
	return 0;
    }
    if ((at = strrchr(sender, '@')) == NULL)
	return -1;
    if (str_copy(res->domain, at + 1, sizeof(res->domain)) < 0)
	return -1;
    if (at == sender)				/* "@domain": no local part */
	snprintf(res->sender, sizeof(res->sender), "postmaster%s", sender);
    else if (str_copy(res->sender, sender, sizeof(res->sender)) < 0)
	return -1;
    return 0;
}

/* spf_set_ip - the client address into a request */

static int spf_set_ip(SPF_request_t *req, const struct inet_addr *addr)
{
    struct in_addr v4;
    struct in6_addr v6;

    if (addr->family == AF_INET) {
	memcpy(&v4, addr->a, 4);
	return SPF_request_set_ipv4(req, v4) == SPF_E_SUCCESS ? 0 : -1;
    }
    memcpy(&v6, addr->a, 16);
    return SPF_request_set_ipv6(req, v6) == SPF_E_SUCCESS ? 0 : -1;
}

/* spf_finish - result, reason and explanation from a response */

static void spf_finish(struct spf_checker *ck, SPF_response_t *resp, SPF_errcode_t err,
		               struct spf_result *res)
{
    const char *exp;
    char tmp[SPF_REASON_MAX];

    if (ck->fetches > 0 && ck->top_fetch != SPF_FETCH_OK) {
	/* The record itself could not be had: libspf2 says "(invalid)". */
	res->result = ck->top_fetch == SPF_FETCH_NONE ? RES_SPF_NONE
	    : ck->top_fetch == SPF_FETCH_TEMP ? RES_SPF_TEMPERROR : RES_SPF_PERMERROR;
	str_printable(res->reason, sizeof(res->reason), ck->top_why, strlen(ck->top_why));
	return;
    }
    if (resp == NULL || SPF_response_result(resp) == SPF_RESULT_INVALID)
	res->result = err == SPF_E_DNS_ERROR || err == SPF_E_NO_MEMORY
	    ? RES_SPF_TEMPERROR : RES_SPF_PERMERROR;
    else
	res->result = spf_result_code(SPF_response_result(resp));
    snprintf(tmp, sizeof(tmp), "%s", err != SPF_E_SUCCESS ? SPF_strerror(err)
	     : res->result == RES_SPF_PASS ? "designates the client as a permitted sender"
	     : res->result == RES_SPF_FAIL ? "does not designate the client as a permitted sender"
	     : res->result == RES_SPF_SOFTFAIL ? "discourages use of the client"
	     : "makes no statement about the client");
    str_printable(res->reason, sizeof(res->reason), tmp, strlen(tmp));
    if (res->result == RES_SPF_FAIL && resp
	&& (exp = SPF_response_get_explanation(resp)) != NULL)
	str_printable(res->explanation, sizeof(res->explanation), exp, strlen(exp));
}

/* spf_query - SPF_request_query_mailfrom() without its loopback pass */

static SPF_errcode_t spf_query(struct spf_checker *ck, SPF_request_t *req,
			               SPF_response_t **respp)
{
    SPF_record_t *rec = NULL;
    SPF_errcode_t err;

    /* libspf2 passes every 127/8 and ::1 client unasked; RFC 7208 does
     * not, so this is its query_mailfrom() minus that shortcut. */
    if ((*respp = SPF_response_new(req)) == NULL)
	return SPF_E_NO_MEMORY;
    req->cur_dom = req->env_from_dp;
    err = SPF_server_get_record(ck->server, req, *respp, &rec);
    if (err != SPF_E_SUCCESS) {
	if (rec)
	    SPF_record_free(rec);
	return err;
    }
    (*respp)->spf_record_exp = rec;
    err = SPF_record_interpret(rec, req, *respp, 0);
    SPF_record_free(rec);
    return err;
}

/* spf_check - check_host() for one identity */

int spf_check(struct spf_checker *ck, const char *ip, const char *helo, const char *sender,
	              int scope, struct spf_result *res)
{
    SPF_request_t *req;
    SPF_response_t *resp = NULL;
    SPF_errcode_t err;
    struct inet_addr addr;

    memset(res, 0, sizeof(*res));
    res->scope = scope;
    res->result = RES_SPF_NONE;
    if (spf_identity(helo, sender, scope, res) < 0 || !spf_domain_ok(res->domain)) {
	snprintf(res->reason, sizeof(res->reason), "no checkable domain");
	return 0;
    }
    if (inet_addr_parse(ip, &addr) < 0) {
	/* Nothing to check against: no answer will ever come, so none. */
	snprintf(res->reason, sizeof(res->reason), "no client IP address");
	return 0;
    }
    if ((req = SPF_request_new(ck->server)) == NULL || spf_set_ip(req, &addr) < 0
	|| SPF_request_set_helo_dom(req, helo) != SPF_E_SUCCESS
	|| SPF_request_set_env_from(req, res->sender) != SPF_E_SUCCESS) {
	SPF_request_free(req);
	res->result = RES_SPF_TEMPERROR;
	snprintf(res->reason, sizeof(res->reason), "cannot set up the check");
	return -1;
    }
    ck->fetches = 0;
    ck->req = req;
    err = spf_query(ck, req, &resp);
    ck->req = NULL;
    spf_finish(ck, resp, err, res);
    SPF_response_free(resp);
    SPF_request_free(req);
    return 0;
}

 /*
  * The Received-SPF header.
  */

/* spf_kv - " key=value;", the value a dot-atom or a quoted-string */

static void spf_kv(struct buf *out, const char *key, const char *value)
{
    buf_addch(out, ' ');
    buf_addstr(out, key);
    buf_addch(out, '=');
    ar_value_as(out, value, strlen(value), AR_FORM_ATOM);
    buf_addch(out, ';');
}

/* spf_received_header - RFC 7208 9.1 field value, one line */

int spf_received_header(struct buf *out, const struct spf_result *res, const char *ip,
			        const char *helo, const char *sender, const char *receiver)
{
    char comment[3 * SPF_REASON_MAX];

    snprintf(comment, sizeof(comment), "%.253s: %s%.253s%s%.240s", receiver,
	     !res->domain[0] ? "" : res->scope == SPF_SCOPE_HELO ? "helo " : "domain of ",
	     !res->domain[0] ? "" : res->scope == SPF_SCOPE_HELO ? res->domain : res->sender,
	     res->domain[0] ? " " : "", res->reason);
    buf_addstr(out, res_spf_name(res->result));
    buf_addch(out, ' ');
    ar_comment(out, comment, 0);		/* escaped: nothing can end it early */
    spf_kv(out, "client-ip", ip);
    spf_kv(out, "envelope-from", *sender ? sender : "<>");
    spf_kv(out, "helo", helo);
    spf_kv(out, "receiver", receiver);
    spf_kv(out, "identity", res->scope == SPF_SCOPE_HELO ? "helo" : "mailfrom");
    return buf_error(out) ? -1 : 0;
}
