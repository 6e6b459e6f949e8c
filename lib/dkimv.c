/*++
 * NAME
 *	dkimv 3
 * SUMMARY
 *	DKIM verification through libopendkim, with our DNS layer
 * SYNOPSIS
 *	#include "dkimv.h"
 *
 *	struct dkimv *dkimv_new(resolver, max_signatures)
 *	void	dkimv_free(dv)
 *
 *	void	dkimv_warm(void)
 *
 *	struct dkimv_msg *dkimv_start(dv, id)
 *	int	dkimv_header(m, field, len)
 *	int	dkimv_eoh(m)
 *	int	dkimv_body(m, data, len)
 *	int	dkimv_finish(m, result)
 *	void	dkimv_msg_free(m)
 * DESCRIPTION
 *	dkimv_new() sets up libopendkim with its DNS questions going
 *	through our resolver, by the dkim_dns_set_query_* hooks: the key
 *	record is looked up (and cached) by dns(3) and handed to the
 *	library as a reply packet.  A temporary DNS failure becomes a key
 *	retrieval failure (temperror), not "no key"; a d= or s= that makes
 *	no DNS name is "no key" (permerror).  At most
 *	max_signatures signatures of a message are evaluated; the rest are
 *	ignored (but counted in result->seen).
 *
 *	dkimv_start() begins a message (id names it in the library's
 *	messages).  Feed it every header field as it is in the message,
 *	folding included, without the line ending that ends the field
 *	(bare LF line endings are fine: the library makes them CRLF), then
 *	dkimv_eoh(), then the body in pieces of any size, then
 *	dkimv_finish().  dkimv_body() may be skipped when dkimv_eoh() said
 *	there is nothing to verify (it returns 1 then) and stops consuming
 *	once no signature needs more body.
 *
 *	dkimv_finish() fills result with one entry per evaluated
 *	signature.  A signature passes only when the library marks it
 *	passed and its body hash matched (the library sets the passed flag
 *	even when the body hash does not match).  RFC 8301: rsa-sha1
 *	signatures and RSA keys under 1024 bits give "policy", never
 *	"pass".  RFC 8463 ed25519-sha256 signatures are verified.
 *
 *	The functions return 0 (dkimv_eoh() may return 1), or -1 when
 *	memory runs out or the library fails internally: the caller should
 *	fail temporarily.
 *
 *	dkimv_warm() does once what verifying does the first time in a
 *	process (OpenSSL's set-up, and the RSA code it reaches): a server
 *	calls it before it forks a process per message.
 *
 *	This module also defines d2i_PUBKEY_bio(), OpenSSL's function,
 *	for libopendkim's key decoding (see there); dkimv_fast_keys counts
 *	the keys it decoded itself.
 *--*/
/* d2i_RSA_PUBKEY() and EVP_PKEY_assign(): libopendkim verifies with
 * RSA_verify(), so its key must be an RSA key anyway. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <dlfcn.h>
#include <errno.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <dkim.h>

#include "buf.h"
#include "dkimv.h"
#include "log.h"
#include "results.h"
#include "str.h"

struct dkimv {
    DKIM_LIB *lib;
    struct dns_resolver *dns;
    unsigned max_sigs;
};

#define DKIMV_FIX_CHUNK	(32 * 1024)	/* body bytes made CRLF at a time */
#define DKIMV_TEXT(x)	#x
#define DKIMV_BITS(x)	DKIMV_TEXT(x)
#define DKIMV_SHORT_KEY	"key shorter than " DKIMV_BITS(DKIM_KEY_BITS_MIN) " bits (RFC 8301)"

struct dkimv_msg {
    struct dkimv *dv;
    DKIM *dkim;
    int nosig;				/* nothing to verify */
    int done;				/* no more body needed */
    unsigned seen;			/* signatures in the message */
    char last;				/* the body's byte before this piece */
    int fed;				/* some body given to the library */
    char fix[2 * DKIMV_FIX_CHUNK];	/* a piece with CRLF line ends */
};

struct dkimv_query {
    long len;
};

unsigned long dkimv_fast_keys;

 /*
  * Key decoding.  libopendkim turns each RSA key record into a key with
  * d2i_PUBKEY_bio().  OpenSSL 3.0 answers through its generic decoder
  * framework, whose first use in a process builds the decoder chains of
  * the whole default provider: 0.6 ms of CPU, a third of what a filter
  * process spends beyond its start (bench/20-pipefilter), where the RSA
  * part of the job is d2i_RSA_PUBKEY(), the function OpenSSL's own RSA
  * decoder calls in the end.  The definition below, in the executable,
  * comes first in the lookup of libopendkim's reference (as a malloc
  * replacement does).  It decodes a memory BIO that holds an
  * rsaEncryption SubjectPublicKeyInfo (the algorithm identifier exactly
  * as DER has it) with d2i_RSA_PUBKEY(), and hands anything else, as it
  * is, to libcrypto's function.
  */

static const unsigned char dkimv_rsa_alg[] = {	/* SEQUENCE { rsaEncryption, NULL } */
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
};

/* dkimv_rsa_spki - does DER data start an rsaEncryption SubjectPublicKeyInfo? */

static int dkimv_rsa_spki(const unsigned char *data, size_t len)
{
    size_t head;

    if (len < 2 || data[0] != 0x30)		/* SEQUENCE */
	return 0;
    if (data[1] < 0x80)
	head = 2;
    else if (data[1] == 0x81 || data[1] == 0x82)
	head = 2 + (size_t) (data[1] & 0x7f);
    else
	return 0;
    return len >= head + sizeof(dkimv_rsa_alg)
	&& memcmp(data + head, dkimv_rsa_alg, sizeof(dkimv_rsa_alg)) == 0;
}

/* dkimv_rsa_key - the RSA key of a memory BIO, or NULL to ask OpenSSL */

static EVP_PKEY *dkimv_rsa_key(BIO *bio)
{
    const unsigned char *data, *p;
    char sink[256];
    EVP_PKEY *key;
    long len, left;
    RSA *rsa;
    int n;

    if (BIO_method_type(bio) != BIO_TYPE_MEM || (len = BIO_get_mem_data(bio, &data)) <= 0
	|| !dkimv_rsa_spki(data, (size_t) len))
	return NULL;
    p = data;
    /* Failing, it leaves the error queue as it found it: OpenSSL's own
     * function, tried next, says what is wrong. */
    ERR_set_mark();
    rsa = d2i_RSA_PUBKEY(NULL, &p, len);
    ERR_pop_to_mark();
    if (rsa == NULL)
	return NULL;
    if ((key = EVP_PKEY_new()) == NULL || EVP_PKEY_assign(key, EVP_PKEY_RSA, rsa) != 1) {
	EVP_PKEY_free(key);
	RSA_free(rsa);
	return NULL;
    }
    /* As OpenSSL's function does: the BIO moves past the key. */
    for (left = p - data; left > 0; left -= n)
	if ((n = BIO_read(bio, sink, left < (long) sizeof(sink) ? (int) left : (int) sizeof(sink))) <= 0)
	    break;
    dkimv_fast_keys++;
    return key;
}

/* d2i_PUBKEY_bio - OpenSSL's function, RSA keys without the decoder set-up */

EVP_PKEY *d2i_PUBKEY_bio(BIO *bio, EVP_PKEY **out)
{
    static EVP_PKEY *(*openssl) (BIO *, EVP_PKEY **);
    EVP_PKEY *(*fn) (BIO *, EVP_PKEY **);
    EVP_PKEY *key;

    if (out == NULL && (key = dkimv_rsa_key(bio)) != NULL)
	return key;
    if ((fn = __atomic_load_n(&openssl, __ATOMIC_ACQUIRE)) == NULL) {
	*(void **) &fn = dlsym(RTLD_NEXT, "d2i_PUBKEY_bio");
	if (fn == NULL)
	    log_panic("d2i_PUBKEY_bio: not found in libcrypto: %s", dlerror());
	__atomic_store_n(&openssl, fn, __ATOMIC_RELEASE);
    }
    return fn(bio, out);
}

 /*
  * The DNS hooks.
  */

/* dkimv_dns_start - answer the question now, into the reply buffer */

static int dkimv_dns_start(void *srv, int type, unsigned char *query, unsigned char *buf,
			           size_t buflen, void **qh)
{
    struct dkimv *dv = srv;
    struct dns_answer *a;
    struct dkimv_query *q;
    long len;

    if (dns_lookup(dv->dns, (const char *) query, (uint16_t) type, &a) == DNS_BADNAME) {
	/* A d= or s= that makes no DNS name (quotes, backslashes, labels
	 * too long...) can have no key: answer NXDOMAIN, a permanent "no
	 * key" (permerror).  A failed query would read as temperror, and a
	 * DKIM temperror defers the message. */
	struct dns_answer nx = {.status = DNS_NXDOMAIN, .type = (uint16_t) type};

	len = dns_answer_wire(&nx, "invalid", buf, buflen);
    } else {
	len = a ? dns_answer_wire(a, (const char *) query, buf, buflen) : -1;
    }
    dns_answer_free(a);
    if (len < 0 || (q = malloc(sizeof(*q))) == NULL)
	return -1;				/* the library: key retrieval failed */
    q->len = len;
    *qh = q;
    return 0;
}

/* dkimv_dns_waitreply - the reply is always there already */

static int dkimv_dns_waitreply(void *srv, void *qh, struct timeval *timeout,
			               size_t *bytes, int *error, int *dnssec)
{
    struct dkimv_query *q = qh;

    *bytes = (size_t) q->len;
    if (error)
	*error = 0;
    if (dnssec)
	*dnssec = DKIM_DNSSEC_UNKNOWN;
    return DKIM_DNS_SUCCESS;
}

/* dkimv_dns_cancel - forget a query */

static int dkimv_dns_cancel(void *srv, void *qh)
{
    free(qh);
    return 0;
}

/* dkimv_prescreen - evaluate the first max_sigs signatures only */

static DKIM_CBSTAT dkimv_prescreen(DKIM *dkim, DKIM_SIGINFO **sigs, int nsigs)
{
    struct dkimv_msg *m = dkim_get_user_context(dkim);
    int i;

    m->seen = (unsigned) nsigs;
    for (i = (int) m->dv->max_sigs; i < nsigs; i++)
	dkim_sig_ignore(sigs[i]);
    return DKIM_CBSTAT_CONTINUE;
}

/* dkimv_new - the library, set up */

struct dkimv *dkimv_new(struct dns_resolver *dns, unsigned max_sigs)
{
    struct dkimv *dv;
    unsigned int flags = DKIM_LIBFLAGS_BADSIGHANDLES;
    unsigned int minbits = DKIM_KEY_BITS_MIN;

    if ((dv = calloc(1, sizeof(*dv))) == NULL)
	return NULL;
    /* libopendkim asks OpenSSL for every algorithm, its configuration
     * file and all its error strings, which costs a filter process more
     * than the verification itself.  Verifying needs none of it: said
     * first, OpenSSL's one-time initialisation skips the file, the
     * strings and the tables of cipher and digest names (libopendkim
     * uses SHA-1, SHA-256 and RSA directly; the default provider still
     * loads on first use).  Nor is
     * OpenSSL's cleanup at exit needed: it frees, one by one, memory the
     * process is about to give back whole (a filter process lives for
     * one message). */
    OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS | OPENSSL_INIT_NO_LOAD_CONFIG
			| OPENSSL_INIT_NO_ADD_ALL_CIPHERS | OPENSSL_INIT_NO_ADD_ALL_DIGESTS
			| OPENSSL_INIT_NO_ATEXIT, NULL);
    if ((dv->lib = dkim_init(NULL, NULL)) == NULL) {
	free(dv);
	return NULL;
    }
    dv->dns = dns;
    dv->max_sigs = max_sigs ? max_sigs : DKIM_SIGS_DEFAULT;
    if (dv->max_sigs > DKIM_SIGS_MAX)
	dv->max_sigs = DKIM_SIGS_MAX;
    dkim_options(dv->lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof(flags));
    dkim_options(dv->lib, DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS, &minbits, sizeof(minbits));
    dkim_dns_set_query_service(dv->lib, dv);
    dkim_dns_set_query_start(dv->lib, dkimv_dns_start);
    dkim_dns_set_query_waitreply(dv->lib, dkimv_dns_waitreply);
    dkim_dns_set_query_cancel(dv->lib, dkimv_dns_cancel);
    dkim_dns_set_init(dv->lib, NULL);
    dkim_dns_set_close(dv->lib, NULL);
    dkim_set_prescreen(dv->lib, dkimv_prescreen);
    return dv;
}

/* dkimv_warm - OpenSSL's first verification, done before the forks */

void dkimv_warm(void)
{
    unsigned char digest[32] = {0}, sig[256] = {0}, *der = NULL;
    EVP_PKEY *key, *pub;
    RSA *rsa;
    BIO *bio;
    int len;

    if ((key = EVP_RSA_gen(1024)) == NULL)
	return;
    if ((len = i2d_PUBKEY(key, &der)) > 0 && (bio = BIO_new_mem_buf(der, len)) != NULL) {
	if ((pub = d2i_PUBKEY_bio(bio, NULL)) != NULL) {
	    if ((rsa = EVP_PKEY_get1_RSA(pub)) != NULL) {
		/* Fails (a signature of zeros), after the work a real one takes. */
		(void) RSA_verify(NID_sha256, digest, sizeof(digest), sig, sizeof(sig), rsa);
		RSA_free(rsa);
	    }
	    EVP_PKEY_free(pub);
	}
	BIO_free(bio);
    }
    OPENSSL_free(der);
    EVP_PKEY_free(key);
    ERR_clear_error();
}

/* dkimv_free - release the library */

void dkimv_free(struct dkimv *dv)
{
    if (dv == NULL)
	return;
    dkim_close(dv->lib);
    free(dv);
}

 /*
  * One message.
  */

/* dkimv_start - begin verifying a message */

struct dkimv_msg *dkimv_start(struct dkimv *dv, const char *id)
{
    struct dkimv_msg *m;
    DKIM_STAT status;

    if ((m = calloc(1, sizeof(*m))) == NULL)
	return NULL;
    m->dv = dv;
    m->dkim = dkim_verify(dv->lib, (const unsigned char *) id, NULL, &status);
    if (m->dkim == NULL) {
	free(m);
	return NULL;
    }
    dkim_set_user_context(m->dkim, m);
    return m;
}

/* dkimv_header - one header field, without its final line ending */

int dkimv_header(struct dkimv_msg *m, const char *field, size_t len)
{
    struct buf crlf = BUF_INIT(MSG_HEADER_MAX * 2);
    const char *p = field, *end = field + len, *lf;
    DKIM_STAT status;
    int err;

    /* The library fixes bare LFs in the body only: do the header here,
     * a line at a time, and only for a folded field. */
    if (memchr(field, '\n', len) == NULL) {
	status = dkim_header(m->dkim, (u_char *) field, len);
    } else {
	for (; (lf = memchr(p, '\n', (size_t) (end - p))) != NULL; p = lf + 1) {
	    buf_add(&crlf, p, (size_t) (lf - p));
	    buf_addstr(&crlf, lf > field && lf[-1] == '\r' ? "\n" : "\r\n");
	}
	buf_add(&crlf, p, (size_t) (end - p));
	if ((err = buf_error(&crlf)) != 0) {
	    buf_free(&crlf);
	    return err == ENOMEM ? -1 : 0;	/* an absurd field: ignored */
	}
	status = dkim_header(m->dkim, (u_char *) crlf.data, buf_len(&crlf));
	buf_free(&crlf);
    }

    /* A field the library finds malformed is its business, not ours. */
    return status == DKIM_STAT_NORESOURCE || status == DKIM_STAT_INTERNAL ? -1 : 0;
}

/* dkimv_eoh - end of the header: 1 when there is nothing to verify */

int dkimv_eoh(struct dkimv_msg *m)
{
    DKIM_STAT status = dkim_eoh(m->dkim);

    switch (status) {
    case DKIM_STAT_NORESOURCE:
    case DKIM_STAT_INTERNAL:
	return -1;
    case DKIM_STAT_NOSIG:
	m->nosig = 1;
	return 1;
    default:
	return 0;				/* bad signatures are judged later */
    }
}

/*
 * dkimv_crlf - a piece of body into m->fix with CRLF line ends; its length.
 * What the library's DKIM_LIBFLAGS_FIXCRLF does, byte by byte through
 * its string type (a third of a 1 MB message's time): a LF after
 * anything but a CR becomes CRLF, and so does a CR before anything but
 * a LF; a CR that ends the piece stays as it is.
 */
static size_t dkimv_crlf(struct dkimv_msg *m, const char *data, size_t len)
{
    char prev = m->last, *o = m->fix;
    size_t i;

    for (i = 0; i < len; i++) {
	char c = data[i];

	if ((c == '\n' && prev != '\r') || (c == '\r' && i + 1 < len && data[i + 1] != '\n')) {
	    *o++ = '\r';
	    *o++ = '\n';
	} else {
	    *o++ = c;
	}
	prev = c;
    }
    m->last = prev;
    return (size_t) (o - m->fix);
}

/* dkimv_body - a piece of the body */

int dkimv_body(struct dkimv_msg *m, const char *data, size_t len)
{
    DKIM_STAT status;
    size_t n;

    /* A piece at a time: the library would take it byte by byte. */
    for (; len > 0 && !m->nosig && !m->done; data += n, len -= n) {
	n = len < DKIMV_FIX_CHUNK ? len : DKIMV_FIX_CHUNK;
	m->fed = 1;
	status = dkim_body(m->dkim, (u_char *) m->fix, dkimv_crlf(m, data, n));
	if (status == DKIM_STAT_NORESOURCE || status == DKIM_STAT_INTERNAL)
	    return -1;
	if (dkim_minbody(m->dkim) == 0)
	    m->done = 1;			/* every l= satisfied */
    }
    return 0;
}

/* dkimv_error_result - result for a signature that did not pass */

static int dkimv_error_result(int err, int bh)
{
    switch (err) {
    case DKIM_SIGERROR_KEYFAIL:
	return RES_DKIM_TEMPERROR;
    case DKIM_SIGERROR_BADSIG:
    case DKIM_SIGERROR_EXPIRED:
    case DKIM_SIGERROR_FUTURE:
    case DKIM_SIGERROR_TIMESTAMPS:
    case DKIM_SIGERROR_KEYHASHMISMATCH:
	return RES_DKIM_FAIL;
    case DKIM_SIGERROR_KEYTOOSMALL:
	return RES_DKIM_POLICY;
    case DKIM_SIGERROR_OK:
    case DKIM_SIGERROR_UNKNOWN:
	return bh == DKIM_SIGBH_MISMATCH ? RES_DKIM_FAIL : RES_DKIM_PERMERROR;
    default:
	return RES_DKIM_PERMERROR;
    }
}

/* dkimv_sig_fill - one signature's outcome */

static void dkimv_sig_fill(DKIM *dkim, DKIM_SIGINFO *sig, struct dkimv_sig *out)
{
    unsigned int flags = dkim_sig_getflags(sig), bits = 0;
    int bh = dkim_sig_getbh(sig), err = dkim_sig_geterror(sig);
    const unsigned char *d = dkim_sig_getdomain(sig), *s = dkim_sig_getselector(sig);
    /* header.a is the a= tag as written: the library's own code for it
     * reads "rsa-sha1" for a signature it stopped parsing before a=. */
    const unsigned char *alg = dkim_sig_gettagvalue(sig, 0, (u_char *) "a");
    dkim_alg_t algcode = DKIM_SIGN_UNKNOWN;
    const char *why;
    size_t blen = sizeof(out->b);

    memset(out, 0, sizeof(*out));
    if (d == NULL || str_copy(out->domain, (const char *) d, sizeof(out->domain)) < 0)
	out->domain[0] = 0;
    str_lower(out->domain);
    if (s == NULL || str_copy(out->selector, (const char *) s, sizeof(out->selector)) < 0)
	out->selector[0] = 0;
    if (alg == NULL || str_copy(out->algorithm, (const char *) alg, sizeof(out->algorithm)) < 0)
	out->algorithm[0] = 0;
    if (dkim_get_sigsubstring(dkim, sig, out->b, &blen) != DKIM_STAT_OK)
	out->b[0] = 0;
    out->b[sizeof(out->b) - 1] = 0;
    if (dkim_sig_getkeysize(sig, &bits) == DKIM_STAT_OK)
	out->keybits = bits;
    dkim_sig_getsignalg(sig, &algcode);

    if ((flags & DKIM_SIGFLAG_PASSED) && bh == DKIM_SIGBH_MATCH) {
	if (algcode == DKIM_SIGN_RSASHA1) {
	    out->result = RES_DKIM_POLICY;
	    why = "rsa-sha1 is not accepted (RFC 8301)";
	} else if (algcode != DKIM_SIGN_ED25519SHA256 && bits && bits < DKIM_KEY_BITS_MIN) {
	    /* The library's DKIM_OPTS_MINKEYBITS refuses such keys first
	     * (KEYTOOSMALL, below); this holds if it ever lets one pass. */
	    out->result = RES_DKIM_POLICY;
	    why = DKIMV_SHORT_KEY;
	} else {
	    out->result = RES_DKIM_PASS;
	    why = "";
	}
    } else if (bh == DKIM_SIGBH_MISMATCH) {
	out->result = RES_DKIM_FAIL;
	why = "body hash mismatch";
    } else if (err == DKIM_SIGERROR_KEYTOOSMALL) {
	out->result = RES_DKIM_POLICY;
	why = DKIMV_SHORT_KEY;
    } else {
	out->result = dkimv_error_result(err, bh);
	why = err != DKIM_SIGERROR_OK && err != DKIM_SIGERROR_UNKNOWN
	    ? dkim_sig_geterrorstr(err)
	    : (flags & DKIM_SIGFLAG_PROCESSED) ? "signature did not verify" : "not verified";
	if (why == NULL)
	    why = "unknown error";
    }
    str_printable(out->reason, sizeof(out->reason), why, strlen(why));
}

/* dkimv_finish - the verdict for every evaluated signature */

int dkimv_finish(struct dkimv_msg *m, struct dkimv_result *res)
{
    DKIM_SIGINFO **sigs = NULL;
    DKIM_STAT status;
    int nsigs = 0, i;
    _Bool testkey = 0;

    res->n = 0;
    res->seen = m->seen;
    if (m->nosig)
	return 0;
    /* A last line without its line end gets one (as the library does
     * with DKIM_LIBFLAGS_FIXCRLF; without, it is a syntax error). */
    if (m->fed && !m->done && m->last != '\n'
	&& dkim_body(m->dkim, (u_char *) "\r\n" + (m->last == '\r'),
		     m->last == '\r' ? 1 : 2) == DKIM_STAT_NORESOURCE)
	return -1;
    status = dkim_eom(m->dkim, &testkey);
    if (status == DKIM_STAT_NORESOURCE || status == DKIM_STAT_INTERNAL)
	return -1;
    if (dkim_getsiglist(m->dkim, &sigs, &nsigs) != DKIM_STAT_OK)
	return 0;
    if ((size_t) nsigs > res->seen)
	res->seen = (size_t) nsigs;
    for (i = 0; i < nsigs && res->n < DKIM_SIGS_MAX; i++) {
	if (dkim_sig_getflags(sigs[i]) & DKIM_SIGFLAG_IGNORE)
	    continue;
	dkimv_sig_fill(m->dkim, sigs[i], &res->sig[res->n++]);
    }
    return 0;
}

/* dkimv_msg_free - release one message's state */

void dkimv_msg_free(struct dkimv_msg *m)
{
    if (m == NULL)
	return;
    if (m->dkim)
	dkim_free(m->dkim);
    free(m);
}
