/*++
 * NAME
 *	dns 3
 * SUMMARY
 *	DNS stub resolver with a TTL-respecting cache, on libldns
 * SYNOPSIS
 *	#include "dns.h"
 *
 *	struct dns_resolver *dns_create(servers, nservers, timeout_ms,
 *					attempts, cache_size)
 *	void	dns_destroy(res)
 *	int	dns_lookup(res, name, type, answerp)
 *	int	dns_prefetch(res, names, types, n)
 *	void	dns_answer_free(answer)
 *	const char *dns_status_str(status)
 *	void	dns_stats(res, hits, misses)
 *	int	dns_name_ok(name)
 * DESCRIPTION
 *	A stub resolver for the recursive servers of the [dns] section.
 *	libldns builds and parses the packets; the sockets are our own, so
 *	that every server may have its own port, a timeout never marks a
 *	server dead, and the time a lookup may take is bounded.
 *
 *	dns_create() takes "host[:port]" / "[v6addr]:port" strings; with
 *	none it reads the nameserver lines of /etc/resolv.conf.  timeout_ms
 *	bounds one whole lookup; it is shared out among attempts rounds
 *	over all servers.  cache_size is the number of answers kept (0:
 *	no cache).  It returns NULL when no server is usable.
 *
 *	dns_lookup() asks for records of one type at name (presentation
 *	form, no escapes needed for ordinary names).  It follows CNAME
 *	chains in the answer.  A truncated UDP answer is asked again over
 *	TCP.  SERVFAIL, REFUSED, timeouts and malformed answers are
 *	DNS_TEMPFAIL.  It returns the status and, for every status but
 *	DNS_BADNAME and DNS_NOMEM, sets *answerp to an answer that the
 *	caller releases with dns_answer_free() (which accepts NULL).
 *	Found and negative answers are cached for their TTL (negative
 *	ones for the SOA minimum, at most DNS_NEG_TTL_MAX); temporary
 *	failures are not cached.  Thread-safe.
 *
 *	dns_prefetch() sends the queries for n names (types[i] at
 *	names[i], at most DNS_PREFETCH_MAX) at once to the first server and
 *	puts the answers that come within one attempt's time (at most a
 *	second: a silent server costs the lookups that follow their own
 *	time all the same) into the cache,
 *	so that the dns_lookup() calls that follow, one after another as
 *	the SPF, DKIM and DMARC libraries make them, find them there: one
 *	round trip instead of one per name.  Names already cached, asked
 *	twice or not valid are skipped.  It returns how many answers it
 *	cached; without a cache it does nothing.
 *
 *	dns_set_trace() registers a function called with every lookup
 *	(name, type, status), cached or not.
 *
 *	dns_name_ok() says whether a name can be asked at all (length,
 *	label sizes, printable ASCII and space, no backslash); 1 or 0.
 *
 * SEE ALSO
 *	dns_cache(3), dns_wire(3)
 *--*/
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ldns/ldns.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns.h"
#include "dns_cache.h"
#include "inet.h"
#include "limits.h"
#include "log.h"
#include "str.h"

#define DNS_NEG_TTL_DEFAULT 60
#define DNS_PREFETCH_WAIT_MS 1000	/* the longest dns_prefetch() waits */

struct dns_server {
    struct sockaddr_storage ss;
    socklen_t len;
    char text[INET_HOST_MAX + 8];
};

struct dns_resolver {
    struct dns_server servers[DNS_NAMESERVERS_MAX];
    size_t nservers;
    uint64_t timeout_ms;
    unsigned attempts;
    struct dns_cache *cache;
    dns_trace_fn trace;			/* every lookup, for tests and debugging */
    void *trace_ctx;
};

/* dns_status_str - name of a status, for logs */

const char *dns_status_str(int status)
{
    static const char *const names[] = {
	"found", "NXDOMAIN", "no data", "temporary failure", "bad name", "out of memory",
    };

    return status >= 0 && (size_t) status < PD_NELEM(names) ? names[status] : "unknown";
}

/* dns_add_server - one host[:port] */

static int dns_add_server(struct dns_resolver *res, const char *text)
{
    struct inet_endpoint ep;
    struct dns_server *srv;

    if (res->nservers >= DNS_NAMESERVERS_MAX)
	return 0;				/* more are ignored, like resolv.conf */
    if (inet_hostport_parse(text, 53, &ep) < 0)
	return -1;
    srv = &res->servers[res->nservers];
    if (inet_sockaddr(&ep, &srv->ss, &srv->len) < 0)
	return -1;
    snprintf(srv->text, sizeof(srv->text), "%s%s%s:%u", strchr(ep.host, ':') ? "[" : "",
	     ep.host, strchr(ep.host, ':') ? "]" : "", ep.port);
    res->nservers++;
    return 0;
}

/* dns_read_resolv_conf - nameserver lines of /etc/resolv.conf */

static void dns_read_resolv_conf(struct dns_resolver *res)
{
    char line[512], addr[INET_HOST_MAX];
    FILE *fp;

    if ((fp = fopen("/etc/resolv.conf", "r")) == NULL)
	return;
    while (fgets(line, sizeof(line), fp) != NULL) {
	char *p = line, *end;

	if (strncmp(p, "nameserver", 10) != 0 || !STR_IS_WSP(p[10]))
	    continue;
	for (p += 10; STR_IS_WSP(*p); p++)
	     /* void */ ;
	for (end = p; *end && !STR_IS_WSP(*end) && *end != '\n' && *end != '%'; end++)
	     /* void */ ;
	if (str_ncopy(addr, sizeof(addr), p, (size_t) (end - p)) == 0
	    && dns_add_server(res, addr) < 0)
	    log_warn("/etc/resolv.conf: ignoring nameserver %s", addr);
    }
    fclose(fp);
}

/* dns_create - resolver for the given servers */

struct dns_resolver *dns_create(char *const *servers, size_t nservers, uint64_t timeout_ms,
				        unsigned attempts, unsigned cache_size)
{
    struct dns_resolver *res;
    size_t i;

    if ((res = calloc(1, sizeof(*res))) == NULL)
	return NULL;
    for (i = 0; i < nservers; i++) {
	if (dns_add_server(res, servers[i]) < 0) {
	    log_warn("bad nameserver \"%s\"", servers[i]);
	    free(res);
	    return NULL;
	}
    }
    if (res->nservers == 0)
	dns_read_resolv_conf(res);
    if (res->nservers == 0)
	dns_add_server(res, "127.0.0.1");
    res->timeout_ms = timeout_ms ? timeout_ms : 5000;
    res->attempts = attempts ? attempts : 1;
    if (cache_size && (res->cache = dns_cache_create(cache_size)) == NULL) {
	free(res);
	return NULL;
    }
    return res;
}

/* dns_destroy - release the resolver */

void dns_destroy(struct dns_resolver *res)
{
    if (res == NULL)
	return;
    dns_cache_destroy(res->cache);
    free(res);
}

/* dns_set_trace - watch every lookup */

void dns_set_trace(struct dns_resolver *res, dns_trace_fn fn, void *ctx)
{
    res->trace = fn;
    res->trace_ctx = ctx;
}

/* dns_stats - cache hit and miss counters */

void dns_stats(struct dns_resolver *res, unsigned long *hits, unsigned long *misses)
{
    *hits = *misses = 0;
    if (res->cache)
	dns_cache_stats(res->cache, hits, misses);
}

/* dns_name_ok - can this name be asked */

int dns_name_ok(const char *name)
{
    size_t len = strlen(name), label = 0;
    const char *p;

    /* At most DNS_NAME_MAX bytes on the wire: 2 more than the text
     * without its final dot (the first length byte and the root). */
    if (len == 0 || len - (len > 1 && name[len - 1] == '.') > DNS_NAME_MAX - 2
	|| (len > 1 && name[len - 1] == '.' && name[len - 2] == '.'))
	return 0;
    for (p = name; *p; p++) {
	if (*p == '.') {
	    if (label == 0 && p[1] != 0)
		return 0;
	    label = 0;
	} else if (*p == '\\' || (unsigned char) *p < ' ' || (unsigned char) *p >= 127) {
	    /* No escapes, no binary.  A space is a label byte like any
	     * other: SPF macros make one (%_, RFC 7208 7.3). */
	    return 0;
	} else if (++label > DNS_LABEL_MAX) {
	    return 0;
	}
    }
    return 1;
}

 /*
  * Transport.
  */

/* dns_wait - poll one descriptor until ready or the deadline */

static int dns_wait(int fd, short events, uint64_t deadline)
{
    struct pollfd pfd = {fd, events, 0};
    uint64_t now;
    int n;

    for (;;) {
	now = dns_now_ms();
	if (now >= deadline)
	    return 0;
	n = poll(&pfd, 1, (int) (deadline - now));
	if (n > 0)
	    return 1;
	if (n == 0)
	    return 0;
	if (errno != EINTR)
	    return -1;
    }
}

/* dns_match - is this packet the answer to our query */

static int dns_match(const ldns_pkt *ans, uint16_t id, const ldns_rdf *qname, uint16_t type)
{
    ldns_rr *q;

    if (ldns_pkt_id(ans) != id || !ldns_pkt_qr(ans)
	|| ldns_rr_list_rr_count(ldns_pkt_question(ans)) != 1)
	return 0;
    q = ldns_rr_list_rr(ldns_pkt_question(ans), 0);
    return ldns_rr_get_type(q) == type && ldns_rr_get_class(q) == LDNS_RR_CLASS_IN
	&& ldns_dname_compare(ldns_rr_owner(q), qname) == 0;
}

/* dns_udp_open - a UDP socket connected to a server; -1 on trouble */

static int dns_udp_open(const struct dns_server *srv)
{
    int fd = socket(srv->ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    if (fd >= 0 && connect(fd, (const struct sockaddr *) &srv->ss, srv->len) < 0) {
	close(fd);
	return -1;
    }
    return fd;
}

/* dns_udp_recv - the next packet that parses; NULL at the deadline or on trouble */

static ldns_pkt *dns_udp_recv(int fd, uint64_t deadline)
{
    uint8_t reply[DNS_UDP_MAX * 4];
    ldns_pkt *ans;
    ssize_t n;

    /* Junk is skipped, not taken as failure. */
    while (dns_wait(fd, POLLIN, deadline) > 0) {
	if ((n = recv(fd, reply, sizeof(reply), 0)) < 0) {
	    if (errno == EAGAIN || errno == EINTR)
		continue;
	    return NULL;			/* ECONNREFUSED and friends */
	}
	ans = NULL;
	if (ldns_wire2pkt(&ans, reply, (size_t) n) == LDNS_STATUS_OK)
	    return ans;
    }
    return NULL;
}

/* dns_udp - one query over UDP; NULL on timeout or trouble */

static ldns_pkt *dns_udp(const struct dns_server *srv, const uint8_t *wire, size_t wlen,
			         uint16_t id, const ldns_rdf *qname, uint16_t type,
			         uint64_t deadline)
{
    ldns_pkt *ans;
    int fd;

    if ((fd = dns_udp_open(srv)) < 0)
	return NULL;
    if (send(fd, wire, wlen, 0) != (ssize_t) wlen) {
	close(fd);
	return NULL;
    }
    /* Keep reading until the real answer or the deadline: answers with
     * the wrong ID are ignored, not taken as failure. */
    while ((ans = dns_udp_recv(fd, deadline)) != NULL && !dns_match(ans, id, qname, type))
	ldns_pkt_free(ans);
    close(fd);
    return ans;
}

/* dns_io_all - read or write exactly len bytes before the deadline */

static int dns_io_all(int fd, uint8_t *buf, size_t len, int writing, uint64_t deadline)
{
    size_t done = 0;
    ssize_t n;

    while (done < len) {
	if (dns_wait(fd, writing ? POLLOUT : POLLIN, deadline) <= 0)
	    return -1;
	n = writing ? send(fd, buf + done, len - done, MSG_NOSIGNAL)
	    : recv(fd, buf + done, len - done, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
	    continue;
	if (n <= 0)
	    return -1;
	done += (size_t) n;
    }
    return 0;
}

/* dns_tcp - one query over TCP; NULL on timeout or trouble */

static ldns_pkt *dns_tcp(const struct dns_server *srv, const uint8_t *wire, size_t wlen,
			         uint16_t id, const ldns_rdf *qname, uint16_t type,
			         uint64_t deadline)
{
    uint8_t head[2], *body = NULL, *out;
    ldns_pkt *ans = NULL;
    size_t blen;
    int fd;

    fd = socket(srv->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || (out = malloc(wlen + 2)) == NULL) {
	if (fd >= 0)
	    close(fd);
	return NULL;
    }
    out[0] = (uint8_t) (wlen >> 8);
    out[1] = (uint8_t) wlen;
    memcpy(out + 2, wire, wlen);
    if ((connect(fd, (const struct sockaddr *) &srv->ss, srv->len) == 0 || errno == EINPROGRESS)
	&& dns_io_all(fd, out, wlen + 2, 1, deadline) == 0
	&& dns_io_all(fd, head, 2, 0, deadline) == 0
	&& (blen = (size_t) head[0] << 8 | head[1]) > 0
	&& (body = malloc(blen)) != NULL
	&& dns_io_all(fd, body, blen, 0, deadline) == 0
	&& ldns_wire2pkt(&ans, body, blen) == LDNS_STATUS_OK
	&& !dns_match(ans, id, qname, type)) {
	ldns_pkt_free(ans);
	ans = NULL;
    }
    free(out);
    free(body);
    close(fd);
    return ans;
}

/* dns_query_wire - a query packet with a fresh random ID; 0 or -1 */

static int dns_query_wire(const ldns_rdf *qname, uint16_t type, uint16_t *id, uint8_t **wire,
			          size_t *wlen)
{
    ldns_pkt *query;
    ldns_status st;

    if ((query = ldns_pkt_query_new(ldns_rdf_clone(qname), type, LDNS_RR_CLASS_IN, LDNS_RD)) == NULL)
	return -1;
    /* Our own random ID: ldns would ask OpenSSL, whose generator costs
     * half a millisecond to set up in every filter process. */
    if (getrandom(id, sizeof(*id), 0) != (ssize_t) sizeof(*id))
	*id = (uint16_t) (dns_now_ms() * 2654435761u >> 16);
    ldns_pkt_set_id(query, *id);
    ldns_pkt_set_edns_udp_size(query, DNS_UDP_MAX);
    st = ldns_pkt2wire(wire, query, wlen);
    ldns_pkt_free(query);
    return st == LDNS_STATUS_OK ? 0 : -1;
}

/* dns_slice - how long one attempt at one server may take */

static uint64_t dns_slice(const struct dns_resolver *res)
{
    uint64_t tries = (uint64_t) res->attempts * res->nservers;

    return res->timeout_ms / tries ? res->timeout_ms / tries : 1;
}

/* dns_exchange - ask every server, attempts rounds, within timeout */

static ldns_pkt *dns_exchange(struct dns_resolver *res, const ldns_rdf *qname, uint16_t type)
{
    ldns_pkt *ans = NULL;
    uint8_t *wire = NULL;
    size_t wlen, tries, i;
    uint64_t start = dns_now_ms(), slice, deadline;
    uint16_t id;

    if (dns_query_wire(qname, type, &id, &wire, &wlen) < 0)
	return NULL;
    tries = res->attempts * res->nservers;
    slice = dns_slice(res);
    for (i = 0; i < tries && ans == NULL; i++) {
	const struct dns_server *srv = &res->servers[i % res->nservers];

	deadline = start + slice * (i + 1);
	if (i + 1 == tries)
	    deadline = start + res->timeout_ms;
	ans = dns_udp(srv, wire, wlen, id, qname, type, deadline);
	if (ans && ldns_pkt_tc(ans)) {
	    ldns_pkt_free(ans);
	    ans = dns_tcp(srv, wire, wlen, id, qname, type, start + res->timeout_ms);
	}
	if (ans && ldns_pkt_get_rcode(ans) != LDNS_RCODE_NOERROR
	    && ldns_pkt_get_rcode(ans) != LDNS_RCODE_NXDOMAIN && i + 1 < tries) {
	    ldns_pkt_free(ans);			/* SERVFAIL and such: next server */
	    ans = NULL;
	}
    }
    free(wire);
    return ans;
}

 /*
  * Answers.
  */

/* dns_name_text - a domain name rdf as lower-case text, no final dot */

static char *dns_name_text(const ldns_rdf *rdf)
{
    char *text = ldns_rdf2str(rdf), *copy;
    size_t len;

    if (text == NULL)
	return NULL;
    len = strlen(text);
    if (len > 1 && text[len - 1] == '.')
	text[--len] = 0;
    str_lower(text);
    copy = str_ndup(text, len);			/* our allocator, not ldns' */
    LDNS_FREE(text);
    return copy;
}

/* dns_rr_fill - convert one ldns record */

static int dns_rr_fill(struct dns_rr *out, const ldns_rr *rr)
{
    const ldns_rdf *rdf;
    size_t i, total = 0;

    out->type = (uint16_t) ldns_rr_get_type(rr);
    out->ttl = ldns_rr_ttl(rr);
    switch (out->type) {
    case DNS_T_A:
    case DNS_T_AAAA:
	if (ldns_rr_rd_count(rr) != 1)
	    return -1;
	rdf = ldns_rr_rdf(rr, 0);
	if (ldns_rdf_size(rdf) != (out->type == DNS_T_A ? 4u : 16u))
	    return -1;
	out->len = ldns_rdf_size(rdf);
	if ((out->data = malloc(out->len + 1)) == NULL)
	    return -1;
	memcpy(out->data, ldns_rdf_data(rdf), out->len);
	out->data[out->len] = 0;
	return 0;
    case DNS_T_TXT:
    case DNS_T_SPF:
	/* DNS_TXT_MAX counts the bytes joined, not the length bytes. */
	for (i = 0; i < ldns_rr_rd_count(rr); i++)
	    if (ldns_rdf_size(ldns_rr_rdf(rr, i)) > 0)
		total += ldns_rdf_size(ldns_rr_rdf(rr, i)) - 1;
	if (total > DNS_TXT_MAX || (out->data = malloc(total + 1)) == NULL)
	    return -1;
	for (i = 0, out->len = 0; i < ldns_rr_rd_count(rr); i++) {
	    rdf = ldns_rr_rdf(rr, i);
	    if (ldns_rdf_size(rdf) < 1)
		continue;
	    /* Each character-string: a length byte, then the bytes. */
	    memcpy(out->data + out->len, ldns_rdf_data(rdf) + 1, ldns_rdf_size(rdf) - 1);
	    out->len += ldns_rdf_size(rdf) - 1;
	}
	out->data[out->len] = 0;
	return 0;
    case DNS_T_MX:
	if (ldns_rr_rd_count(rr) != 2)
	    return -1;
	out->pref = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
	rdf = ldns_rr_rdf(rr, 1);
	break;
    default:					/* PTR, CNAME, NS */
	if (ldns_rr_rd_count(rr) != 1)
	    return -1;
	rdf = ldns_rr_rdf(rr, 0);
	break;
    }
    if ((out->data = (unsigned char *) dns_name_text(rdf)) == NULL)
	return -1;
    out->len = strlen((char *) out->data);
    return 0;
}

/* dns_neg_ttl - negative caching time from the SOA of the authority */

static uint32_t dns_neg_ttl(const ldns_pkt *ans)
{
    ldns_rr_list *auth = ldns_pkt_authority(ans);
    size_t i;

    for (i = 0; i < ldns_rr_list_rr_count(auth); i++) {
	ldns_rr *rr = ldns_rr_list_rr(auth, i);

	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && ldns_rr_rd_count(rr) == 7) {
	    uint32_t min = ldns_rdf2native_int32(ldns_rr_rdf(rr, 6));
	    uint32_t ttl = ldns_rr_ttl(rr) < min ? ldns_rr_ttl(rr) : min;

	    return ttl < DNS_NEG_TTL_MAX ? ttl : DNS_NEG_TTL_MAX;
	}
    }
    return DNS_NEG_TTL_DEFAULT;
}

/* dns_chain_target - follow CNAMEs from qname within the answer */

static const ldns_rdf *dns_chain_target(const ldns_rr_list *an, const ldns_rdf *qname)
{
    const ldns_rdf *name = qname;
    size_t hops, i;

    for (hops = 0; hops < 16; hops++) {
	const ldns_rdf *next = NULL;

	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
	    ldns_rr *rr = ldns_rr_list_rr(an, i);

	    if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && ldns_rr_rd_count(rr) == 1
		&& ldns_dname_compare(ldns_rr_owner(rr), name) == 0) {
		next = ldns_rr_rdf(rr, 0);
		break;
	    }
	}
	if (next == NULL)
	    return name;
	name = next;
    }
    return name;
}

/* dns_answer_new - empty answer with a status */

static struct dns_answer *dns_answer_new(int status, uint16_t type)
{
    struct dns_answer *a;

    if ((a = calloc(1, sizeof(*a))) == NULL)
	return NULL;
    a->status = status;
    a->type = type;
    a->refs = 1;
    return a;
}

/* dns_answer_build - our answer from an ldns packet */

static struct dns_answer *dns_answer_build(const ldns_pkt *ans, const ldns_rdf *qname,
					           uint16_t type)
{
    ldns_rr_list *an = ldns_pkt_answer(ans);
    const ldns_rdf *owner = dns_chain_target(an, qname);
    struct dns_answer *a;
    size_t i, count = ldns_rr_list_rr_count(an);
    uint32_t ttl = DNS_TTL_MAX;

    switch (ldns_pkt_get_rcode(ans)) {
    case LDNS_RCODE_NOERROR:
	break;
    case LDNS_RCODE_NXDOMAIN:
	if ((a = dns_answer_new(DNS_NXDOMAIN, type)) != NULL)
	    a->ttl = dns_neg_ttl(ans);
	return a;
    default:
	return dns_answer_new(DNS_TEMPFAIL, type);
    }
    if ((a = dns_answer_new(DNS_FOUND, type)) == NULL
	|| (count && (a->rr = calloc(count, sizeof(*a->rr))) == NULL)) {
	free(a);
	return NULL;
    }
    for (i = 0; i < count && a->n < DNS_ANSWER_RR_MAX; i++) {
	ldns_rr *rr = ldns_rr_list_rr(an, i);

	if (ldns_rr_get_type(rr) != type || ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN
	    || ldns_dname_compare(ldns_rr_owner(rr), owner) != 0)
	    continue;
	if (dns_rr_fill(&a->rr[a->n], rr) < 0)
	    continue;				/* malformed record: skip it */
	if (a->rr[a->n].ttl < ttl)
	    ttl = a->rr[a->n].ttl;
	a->n++;
    }
    if (a->n == 0) {
	a->status = DNS_NODATA;
	ttl = dns_neg_ttl(ans);
    }
    a->ttl = ttl;
    return a;
}

/* dns_key - a name as the cache knows it: lower case, no final dot */

static int dns_key(const char *name, char *key, size_t size)
{
    size_t len;

    if (!dns_name_ok(name) || str_copy(key, name, size) < 0)
	return -1;
    len = strlen(key);
    if (len > 1 && key[len - 1] == '.')
	key[--len] = 0;
    str_lower(key);
    return 0;
}

/* dns_lookup - records of one type at a name */

int dns_lookup(struct dns_resolver *res, const char *name, uint16_t type,
	               struct dns_answer **answerp)
{
    char key[DNS_NAME_MAX + 2];
    ldns_rdf *qname;
    ldns_pkt *pkt;
    struct dns_answer *a;

    *answerp = NULL;
    if (dns_key(name, key, sizeof(key)) < 0)
	return DNS_BADNAME;
    if ((a = dns_cache_get(res->cache, key, type)) != NULL) {
	if (res->trace)
	    res->trace(res->trace_ctx, key, type, a->status);
	*answerp = a;
	return a->status;
    }
    if ((qname = ldns_dname_new_frm_str(key)) == NULL)
	return DNS_BADNAME;
    if ((pkt = dns_exchange(res, qname, type)) == NULL) {
	a = dns_answer_new(DNS_TEMPFAIL, type);
    } else {
	a = dns_answer_build(pkt, qname, type);
	ldns_pkt_free(pkt);
    }
    ldns_rdf_deep_free(qname);
    if (a == NULL)
	return DNS_NOMEM;
    if (a->status != DNS_TEMPFAIL)
	dns_cache_put(res->cache, key, type, a);
    log_debug("dns: %s/%u: %s (%zu records, ttl %u)", key, type, dns_status_str(a->status),
	      a->n, a->ttl);
    if (res->trace)
	res->trace(res->trace_ctx, key, type, a->status);
    *answerp = a;
    return a->status;
}

/* dns_prefetch - ask for several names at once, answers into the cache */

int dns_prefetch(struct dns_resolver *res, const char *const *names, const uint16_t *types,
		         size_t n)
{
    struct {
	char key[DNS_NAME_MAX + 2];
	ldns_rdf *qname;
	uint16_t id, type;
	int pending;
    } q[DNS_PREFETCH_MAX];
    uint8_t *wire;
    size_t nq = 0, pending, wlen, i, j;
    uint64_t slice = dns_slice(res);
    uint64_t deadline = dns_now_ms() + (slice < DNS_PREFETCH_WAIT_MS ? slice : DNS_PREFETCH_WAIT_MS);
    struct dns_answer *a;
    ldns_pkt *ans;
    int fd, cached = 0;

    if (res->cache == NULL || (fd = dns_udp_open(&res->servers[0])) < 0)
	return 0;
    for (i = 0; i < n && nq < DNS_PREFETCH_MAX; i++) {
	if (dns_key(names[i], q[nq].key, sizeof(q[nq].key)) < 0)
	    continue;
	for (j = 0; j < nq && (q[j].type != types[i] || strcmp(q[j].key, q[nq].key)); j++)
	     /* void */ ;
	if (j < nq)
	    continue;				/* asked already */
	if (dns_cache_has(res->cache, q[nq].key, types[i]))
	    continue;				/* known already */
	if ((q[nq].qname = ldns_dname_new_frm_str(q[nq].key)) == NULL)
	    continue;
	q[nq].type = types[i];
	wire = NULL;
	if (dns_query_wire(q[nq].qname, q[nq].type, &q[nq].id, &wire, &wlen) < 0
	    || send(fd, wire, wlen, 0) != (ssize_t) wlen) {
	    free(wire);
	    ldns_rdf_deep_free(q[nq].qname);
	    continue;
	}
	free(wire);
	q[nq++].pending = 1;
    }
    /* Answers in any order until all came or one attempt's time is up;
     * what did not come (or came truncated, or as SERVFAIL) is left to
     * dns_lookup() and its retries, TCP and other servers. */
    pending = nq;
    while (pending && (ans = dns_udp_recv(fd, deadline)) != NULL) {
	for (i = 0; i < nq; i++) {
	    if (!q[i].pending || !dns_match(ans, q[i].id, q[i].qname, q[i].type))
		continue;
	    q[i].pending = 0;
	    pending--;
	    if (!ldns_pkt_tc(ans) && (a = dns_answer_build(ans, q[i].qname, q[i].type)) != NULL) {
		if (a->status != DNS_TEMPFAIL) {
		    dns_cache_put(res->cache, q[i].key, q[i].type, a);
		    cached++;
		}
		dns_answer_free(a);
	    }
	    break;
	}
	ldns_pkt_free(ans);
    }
    close(fd);
    for (i = 0; i < nq; i++)
	ldns_rdf_deep_free(q[i].qname);
    log_debug("dns: prefetched %d of %zu names asked at once", cached, nq);
    return cached;
}
