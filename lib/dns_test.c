/* dns_test - the resolver against the real test DNS server */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "compat.h"
#include "dns.h"
#include "log.h"
#include "tap.h"
#include "testdns.h"

static const char *server;

/* elapsed_ms - milliseconds since t0 */

static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* lookup_is - the status of a lookup, the answer let go */

static void lookup_is(struct dns_resolver *res, const char *name, uint16_t type, int want,
		              const char *what)
{
    struct dns_answer *a;

    is_int(dns_lookup(res, name, type, &a), want, what);
    dns_answer_free(a);
}

static struct dns_resolver *resolver(uint64_t timeout_ms, unsigned cache)
{
    return testdns_resolver(timeout_ms, 2, cache);
}

static void test_types(struct dns_resolver *res)
{
    struct dns_answer *a;
    char text[64];

    is_int(dns_lookup(res, "dns-a.example.com", DNS_T_A, &a), DNS_FOUND, "A found");
    ok(a && a->n == 2 && a->rr[0].len == 4, "two A records of 4 bytes");
    if (a && a->n) {
	inet_ntop(AF_INET, a->rr[0].data, text, sizeof(text));
	ok(strcmp(text, "192.0.2.1") == 0 || strcmp(text, "192.0.2.2") == 0, "A address");
    }
    dns_answer_free(a);
    is_int(dns_lookup(res, "dns-aaaa.example.com", DNS_T_AAAA, &a), DNS_FOUND, "AAAA found");
    ok(a && a->n == 1 && a->rr[0].len == 16, "AAAA of 16 bytes");
    dns_answer_free(a);
    is_int(dns_lookup(res, "DNS-MX.Example.COM.", DNS_T_MX, &a), DNS_FOUND,
	   "MX found, name case and final dot ignored");
    ok(a && a->n == 2, "two MX");
    if (a && a->n == 2) {
	int i = a->rr[0].pref == 20 ? 0 : 1;

	is_str((char *) a->rr[i].data, "mx2.example.com", "MX exchange lower-cased, no dot");
    }
    dns_answer_free(a);
    is_int(dns_lookup(res, "4.3.2.1.in-addr.example.com", DNS_T_PTR, &a), DNS_FOUND, "PTR");
    is_str(a ? (char *) a->rr[0].data : NULL, "dns-ptr.example.com", "PTR target");
    dns_answer_free(a);
}

static void test_txt(struct dns_resolver *res)
{
    struct dns_answer *a;

    is_int(dns_lookup(res, "dns-txt.example.com", DNS_T_TXT, &a), DNS_FOUND, "TXT found");
    is_str(a ? (char *) a->rr[0].data : NULL, "v=spf1 -all", "TXT text");
    dns_answer_free(a);
    dns_lookup(res, "dns-split.example.com", DNS_T_TXT, &a);
    is_str(a ? (char *) a->rr[0].data : NULL, "v=spf1 ip4:192.0.2.0/24 -all",
	   "TXT strings joined without separators");
    dns_answer_free(a);
    is_int(dns_lookup(res, "dns-alias.example.com", DNS_T_TXT, &a), DNS_FOUND, "CNAME followed");
    ok(a && a->n == 1, "only the target's TXT, not the CNAME");
    is_str(a && a->n ? (char *) a->rr[0].data : NULL, "target text", "CNAME target text");
    dns_answer_free(a);
    is_int(dns_lookup(res, "dns-big.example.com", DNS_T_TXT, &a), DNS_FOUND,
	   "2 KB TXT: truncated over UDP, asked again over TCP");
    ok(a && a->n == 1 && a->rr[0].len == 10 * 203, "whole 2 KB record");
    dns_answer_free(a);
}

static void test_negative(struct dns_resolver *res)
{
    struct dns_answer *a;

    is_int(dns_lookup(res, "nosuch.example.com", DNS_T_TXT, &a), DNS_NXDOMAIN, "NXDOMAIN");
    ok(a && a->ttl == 60, "negative TTL from the SOA minimum");
    dns_answer_free(a);
    lookup_is(res, "dns-nodata.example.com", DNS_T_TXT, DNS_NODATA, "no data");
    lookup_is(res, "x.servfail.example.net", DNS_T_TXT, DNS_TEMPFAIL,
	      "SERVFAIL is a temporary failure");
    lookup_is(res, "x.refused.example.net", DNS_T_TXT, DNS_TEMPFAIL,
	      "REFUSED is a temporary failure");
    is_int(dns_lookup(res, "a..b.example.com", DNS_T_TXT, &a), DNS_BADNAME, "empty label");
    is_int(dns_lookup(res, "0123456789012345678901234567890123456789012345678901234567890123.example.com",
		      DNS_T_TXT, &a), DNS_BADNAME, "64-byte label");
    is_int(dns_lookup(res, "bad\\name.example.com", DNS_T_TXT, &a), DNS_BADNAME, "escapes refused");
    is_int(dns_lookup(res, "", DNS_T_TXT, &a), DNS_BADNAME, "empty name");
}

/* txt_data - unbound line: a TXT record of len bytes at name, in 255-byte strings */

static void txt_data(struct buf *b, const char *name, size_t len)
{
    size_t i;

    buf_printf(b, "local-data: '%s 300 IN TXT", name);
    for (i = 0; i < len; i++)
	buf_addstr(b, i % 255 == 0 ? " \"x" : i % 255 == 254 || i + 1 == len ? "x\"" : "x");
    buf_addstr(b, "'\n");
}

/* limits_zone - unbound lines for the limit tests: DNS_ANSWER_RR_MAX + 1
 * A records, TXT records of DNS_TXT_MAX bytes and one more, a TTL over
 * DNS_TTL_MAX, a zone whose negative TTL is over DNS_NEG_TTL_MAX */

static void limits_zone(struct buf *b)
{
    int i;

    for (i = 0; i <= DNS_ANSWER_RR_MAX; i++)
	buf_printf(b, "local-data: \"rr-max.example.com. 300 IN A 192.0.2.%d\"\n", i + 1);
    txt_data(b, "txt-max.example.com.", DNS_TXT_MAX);
    txt_data(b, "txt-over.example.com.", DNS_TXT_MAX + 1);
    buf_printf(b, "local-data: 'ttl-long.example.com. %d IN TXT \"x\"'\n", DNS_TTL_MAX + 1);
    buf_addstr(b, "local-zone: \"neg-ttl.example.com.\" static\n");
    buf_printf(b, "local-data: \"neg-ttl.example.com. %d IN SOA ns.example.com. "
	       "hostmaster.example.com. 1 3600 600 86400 %d\"\n", DNS_NEG_TTL_MAX + 1,
	       DNS_NEG_TTL_MAX + 1);
}

/* test_rr_max - DNS_ANSWER_RR_MAX records kept from one answer */

static void test_rr_max(struct dns_resolver *res)
{
    struct dns_answer *a;

    is_int(dns_lookup(res, "rr-max.example.com", DNS_T_A, &a), DNS_FOUND,
	   "an answer of DNS_ANSWER_RR_MAX + 1 records");
    ok(a && a->n == DNS_ANSWER_RR_MAX, "  DNS_ANSWER_RR_MAX of them kept (%zu)", a ? a->n : 0);
    dns_answer_free(a);
}

/* name_of - a name of len bytes under example.com, labels of 50 bytes */

static char *name_of(char *out, size_t len)
{
    static const char tail[] = ".example.com";
    size_t head = len - strlen(tail), i;

    for (i = 0; i < head; i++)
	out[i] = i % 51 == 50 ? '.' : 'a';
    if (out[head - 1] == '.')
	out[head - 1] = 'b';			/* a label of 51 bytes */
    memcpy(out + head, tail, sizeof(tail));
    return out;
}

/* test_name_max - names up to DNS_NAME_MAX on the wire, labels up to DNS_LABEL_MAX */

static void test_name_max(struct dns_resolver *res)
{
    char name[DNS_NAME_MAX + 8];
    struct dns_answer *a;

    lookup_is(res, name_of(name, DNS_NAME_MAX - 2), DNS_T_TXT, DNS_NXDOMAIN,
	      "a name of DNS_NAME_MAX - 2 bytes (DNS_NAME_MAX on the wire) is asked");
    memcpy(name + DNS_NAME_MAX - 2, ".", 2);
    lookup_is(res, name, DNS_T_TXT, DNS_NXDOMAIN, "  and with a final dot");
    is_int(dns_lookup(res, name_of(name, DNS_NAME_MAX - 1), DNS_T_TXT, &a), DNS_BADNAME,
	   "a name of DNS_NAME_MAX - 1 bytes is not");
    is_int(dns_name_ok(name_of(name, DNS_NAME_MAX - 2)), 1, "dns_name_ok: DNS_NAME_MAX - 2 bytes");
    is_int(dns_name_ok(name_of(name, DNS_NAME_MAX - 1)), 0, "dns_name_ok: DNS_NAME_MAX - 1 bytes");
    is_int(dns_lookup(res, "012345678901234567890123456789012345678901234567890123456789012.example.com",
		      DNS_T_TXT, &a), DNS_NXDOMAIN, "a label of DNS_LABEL_MAX bytes is asked");
    dns_answer_free(a);
}

/* test_txt_max - a TXT record of DNS_TXT_MAX bytes is kept, one more is not */

static void test_txt_max(struct dns_resolver *res)
{
    struct dns_answer *a;

    is_int(dns_lookup(res, "txt-max.example.com", DNS_T_TXT, &a), DNS_FOUND,
	   "a TXT record of DNS_TXT_MAX bytes, in 255-byte strings");
    ok(a && a->n == 1 && a->rr[0].len == DNS_TXT_MAX, "  kept whole (%zu bytes)",
       a && a->n ? a->rr[0].len : 0);
    dns_answer_free(a);
    lookup_is(res, "txt-over.example.com", DNS_T_TXT, DNS_NODATA,
	      "a TXT record of DNS_TXT_MAX + 1 bytes is dropped: no data");
}

/* test_ttl_max - cache times capped at DNS_TTL_MAX and DNS_NEG_TTL_MAX */

static void test_ttl_max(struct dns_resolver *res)
{
    struct dns_answer *a;

    is_int(dns_lookup(res, "ttl-long.example.com", DNS_T_TXT, &a), DNS_FOUND,
	   "a record with a TTL of DNS_TTL_MAX + 1");
    ok(a && a->ttl == DNS_TTL_MAX, "  cached for DNS_TTL_MAX (%u)", a ? a->ttl : 0);
    dns_answer_free(a);
    is_int(dns_lookup(res, "x.neg-ttl.example.com", DNS_T_TXT, &a), DNS_NXDOMAIN,
	   "NXDOMAIN from a zone whose SOA minimum is DNS_NEG_TTL_MAX + 1");
    ok(a && a->ttl == DNS_NEG_TTL_MAX, "  cached for DNS_NEG_TTL_MAX (%u)", a ? a->ttl : 0);
    dns_answer_free(a);
}

/* test_nameservers_max - servers past DNS_NAMESERVERS_MAX are ignored */

static void test_nameservers_max(void)
{
    char *servers[DNS_NAMESERVERS_MAX + 1];
    struct dns_resolver *res;
    size_t i;

    for (i = 0; i < DNS_NAMESERVERS_MAX; i++)
	servers[i] = (char *) server;
    servers[DNS_NAMESERVERS_MAX - 1] = "nonsense";
    ok(dns_create(servers, DNS_NAMESERVERS_MAX, 1000, 1, 0) == NULL,
       "a bad server within DNS_NAMESERVERS_MAX is refused");
    servers[DNS_NAMESERVERS_MAX - 1] = (char *) server;
    servers[DNS_NAMESERVERS_MAX] = "nonsense";
    res = dns_create(servers, DNS_NAMESERVERS_MAX + 1, 1000, 1, 0);
    ok(res != NULL, "a bad server past DNS_NAMESERVERS_MAX is not even read");
    dns_destroy(res);
}

static void test_silent(void)
{
    struct dns_resolver *res = resolver(600, 100);
    struct dns_answer *a;
    struct timespec t0;
    long ms;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    is_int(dns_lookup(res, "x.silent.example.net", DNS_T_TXT, &a), DNS_TEMPFAIL,
	   "a server that never answers is a temporary failure");
    ms = elapsed_ms(&t0);
    ok(ms >= 500 && ms < 1500, "within the timeout (600 ms), took %ld ms", ms);
    dns_answer_free(a);
    /* The same server still answers: a timeout marks nothing dead. */
    lookup_is(res, "dns-txt.example.com", DNS_T_TXT, DNS_FOUND,
	      "the server answers the next query after a timeout");
    dns_destroy(res);
}

static void test_cache(void)
{
    struct dns_resolver *res = resolver(2000, 100);
    struct dns_answer *a, *b;
    unsigned long hits, misses;

    dns_lookup(res, "dns-txt.example.com", DNS_T_TXT, &a);
    dns_lookup(res, "DNS-TXT.example.com", DNS_T_TXT, &b);
    dns_stats(res, &hits, &misses);
    ok(hits == 1 && misses == 1 && a == b, "second lookup served from cache");
    dns_answer_free(a);
    dns_answer_free(b);
    dns_lookup(res, "nosuch.example.com", DNS_T_A, &a);
    dns_answer_free(a);
    dns_lookup(res, "nosuch.example.com", DNS_T_A, &a);
    dns_stats(res, &hits, &misses);
    ok(hits == 2 && a && a->status == DNS_NXDOMAIN, "NXDOMAIN cached too");
    dns_answer_free(a);
    dns_lookup(res, "x.servfail.example.net", DNS_T_A, &a);
    dns_answer_free(a);
    dns_lookup(res, "x.servfail.example.net", DNS_T_A, &a);
    dns_stats(res, &hits, &misses);
    ok(hits == 2, "temporary failures are not cached");
    dns_answer_free(a);
    dns_lookup(res, "dns-short.example.com", DNS_T_TXT, &a);
    dns_answer_free(a);
    sleep(2);
    dns_lookup(res, "dns-short.example.com", DNS_T_TXT, &a);
    dns_stats(res, &hits, &misses);
    ok(hits == 2 && a && a->status == DNS_FOUND, "a 1-second TTL expires");
    dns_answer_free(a);
    dns_destroy(res);

    res = resolver(2000, 2);
    dns_lookup(res, "dns-a.example.com", DNS_T_A, &a);
    dns_answer_free(a);
    dns_lookup(res, "dns-aaaa.example.com", DNS_T_AAAA, &a);
    dns_answer_free(a);
    dns_lookup(res, "dns-txt.example.com", DNS_T_TXT, &a);
    dns_answer_free(a);
    dns_lookup(res, "dns-a.example.com", DNS_T_A, &a);
    dns_stats(res, &hits, &misses);
    ok(hits == 0, "a full cache evicts the least recently used answer");
    dns_answer_free(a);
    dns_destroy(res);
}

static void test_prefetch(void)
{
    struct dns_resolver *res = resolver(600, 100);
    const char *names[] = {"dns-txt.example.com", "DNS-TXT.example.com.", "nosuch.example.com",
	"dns-a.example.com", "x.servfail.example.net", "bad..name", "x.silent.example.net"};
    uint16_t types[] = {DNS_T_TXT, DNS_T_TXT, DNS_T_TXT, DNS_T_A, DNS_T_A, DNS_T_A, DNS_T_TXT};
    char many[DNS_PREFETCH_MAX + 1][64];
    const char *manyp[DNS_PREFETCH_MAX + 1];
    uint16_t manyt[DNS_PREFETCH_MAX + 1];
    unsigned long hits, misses;
    struct dns_answer *a;
    struct timespec t0;
    size_t i;
    long ms;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    is_int(dns_prefetch(res, names, types, PD_NELEM(names)), 3,
	   "prefetch: 3 answers cached (found, NXDOMAIN, found); repeats, a bad name, "
	   "SERVFAIL and silence are not");
    ms = elapsed_ms(&t0);
    /* 600 ms over 2 attempts: one attempt is 300 ms, for all names at once. */
    ok(ms >= 250 && ms < 600, "prefetch: waits one attempt's time at most, for all "
       "the names together (%ld ms)", ms);
    dns_stats(res, &hits, &misses);
    ok(hits == 0 && misses == 0, "prefetch: counts no hit or miss");
    is_int(dns_lookup(res, "dns-txt.example.com", DNS_T_TXT, &a), DNS_FOUND,
	   "prefetch: the TXT answer is there");
    ok(a && a->n == 1 && strcmp((char *) a->rr[0].data, "v=spf1 -all") == 0,
       "prefetch: with its record");
    dns_answer_free(a);
    lookup_is(res, "nosuch.example.com", DNS_T_TXT, DNS_NXDOMAIN,
	      "prefetch: the NXDOMAIN answer is there");
    lookup_is(res, "dns-a.example.com", DNS_T_A, DNS_FOUND, "prefetch: the A answer is there");
    dns_stats(res, &hits, &misses);
    ok(hits == 3 && misses == 0, "prefetch: the three lookups were cache hits");
    is_int(dns_prefetch(res, names, types, 1), 0, "prefetch: a cached name is not asked again");
    dns_destroy(res);

    /* DNS_PREFETCH_MAX: the names after it are left to dns_lookup(). */
    res = resolver(2000, 100);
    for (i = 0; i <= DNS_PREFETCH_MAX; i++) {
	snprintf(many[i], sizeof(many[i]), "pf%zu.nosuch.example.com", i);
	manyp[i] = many[i];
	manyt[i] = DNS_T_TXT;
    }
    is_int(dns_prefetch(res, manyp, manyt, DNS_PREFETCH_MAX + 1), DNS_PREFETCH_MAX,
	   "prefetch: DNS_PREFETCH_MAX + 1 names, DNS_PREFETCH_MAX asked");
    dns_lookup(res, many[DNS_PREFETCH_MAX - 1], DNS_T_TXT, &a);
    dns_answer_free(a);
    dns_lookup(res, many[DNS_PREFETCH_MAX], DNS_T_TXT, &a);
    dns_answer_free(a);
    dns_stats(res, &hits, &misses);
    ok(hits == 1 && misses == 1, "prefetch: the last name within DNS_PREFETCH_MAX was cached, "
       "the one past it not");
    dns_destroy(res);

    /* A long attempt (6 s over 2): a silent server holds prefetch for a
     * second at most (DNS_PREFETCH_WAIT_MS), not for the attempt. */
    res = resolver(6000, 100);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    is_int(dns_prefetch(res, names + 6, types + 6, 1), 0, "prefetch: a silent server, nothing");
    ms = elapsed_ms(&t0);
    ok(ms >= 900 && ms < 1500, "prefetch: a 3 s attempt, but it waits a second at most "
       "(DNS_PREFETCH_WAIT_MS; %ld ms)", ms);
    dns_destroy(res);

    res = resolver(600, 0);
    is_int(dns_prefetch(res, names, types, 1), 0, "prefetch: without a cache it does nothing");
    dns_destroy(res);
}

static void test_failover(void)
{
    char *servers[2];
    struct dns_resolver *res;
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    char dead[64];
    int fd;

    /* A port nobody listens on: bind, note it, close. */
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *) &sin, sizeof(sin));
    getsockname(fd, (struct sockaddr *) &sin, &len);
    close(fd);
    snprintf(dead, sizeof(dead), "127.0.0.1:%u", ntohs(sin.sin_port));
    servers[0] = dead;
    servers[1] = (char *) server;
    res = dns_create(servers, 2, 2000, 1, 0);
    lookup_is(res, "dns-txt.example.com", DNS_T_TXT, DNS_FOUND,
	      "a dead first server fails over to the second");
    dns_destroy(res);
    servers[0] = "nonsense";
    ok(dns_create(servers, 1, 1000, 1, 0) == NULL, "bad server refused");
}

static void *thread_main(void *arg)
{
    struct dns_resolver *res = arg;
    struct dns_answer *a;
    int i, good = 0;

    for (i = 0; i < 200; i++) {
	if (dns_lookup(res, i % 2 ? "dns-txt.example.com" : "dns-a.example.com",
		       i % 2 ? DNS_T_TXT : DNS_T_A, &a) == DNS_FOUND)
	    good++;
	dns_answer_free(a);
    }
    return (void *) (long) good;
}

static void test_threads(void)
{
    struct dns_resolver *res = resolver(2000, 1000);
    pthread_t t[8];
    long total = 0;
    void *ret;
    int i;

    for (i = 0; i < 8; i++)
	pthread_create(&t[i], NULL, thread_main, res);
    for (i = 0; i < 8; i++) {
	pthread_join(t[i], &ret);
	total += (long) ret;
    }
    is_int(total, 1600, "8 threads share one resolver and cache");
    dns_destroy(res);
}

int main(void)
{
    struct dns_resolver *res;
    struct buf extra = BUF_INIT(65536);

    log_init("dns_test");
    limits_zone(&extra);
    if (buf_error(&extra) || setenv("DNS_SERVER_EXTRA", buf_str(&extra), 1) < 0
	|| (server = testdns_start()) == NULL) {
	ok(0, "test DNS server starts");
	return tap_done();
    }
    res = resolver(2000, 0);
    test_types(res);
    test_txt(res);
    test_negative(res);
    test_rr_max(res);
    test_name_max(res);
    test_txt_max(res);
    test_ttl_max(res);
    dns_destroy(res);
    test_nameservers_max();
    test_silent();
    test_cache();
    test_prefetch();
    test_failover();
    test_threads();
    buf_free(&extra);
    return tap_done();
}
