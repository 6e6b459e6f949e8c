/* dkimv_test - DKIM verification of independently signed messages */
#include <dlfcn.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "dkimv.h"
#include "dns.h"
#include "log.h"
#include "msg.h"
#include "results.h"
#include "tap.h"
#include "testdns.h"

static struct dkimv *dv;

/* slurp - a fixture file, LF or CRLF line endings */

static int slurp(const char *name, int crlf, struct buf *out)
{
    const char *top = getenv("PD_TOP") ? getenv("PD_TOP") : ".";
    char path[512];
    FILE *fp;
    int c;

    snprintf(path, sizeof(path), "%s/tests/data/dkim/%s", top, name);
    if ((fp = fopen(path, "r")) == NULL)
	return -1;
    while ((c = getc(fp)) != EOF) {
	if (c == '\n' && crlf)
	    buf_addch(out, '\r');
	buf_addch(out, c);
    }
    fclose(fp);
    return 0;
}

/* verify_buf - run one message through the verifier, body in pieces of step */

static int verify_buf(const char *id, const struct buf *m, size_t step, struct dkimv_result *res)
{
    struct msg_head head;
    struct dkimv_msg *vm;
    size_t i, off;
    int ret = -1;

    memset(res, 0, sizeof(*res));
    if (msg_head_parse(buf_str(m), buf_len(m), 1, &head) != MSG_OK)
	return -1;
    if ((vm = dkimv_start(dv, id)) != NULL) {
	for (i = 0; i < head.n; i++)
	    dkimv_header(vm, head.v[i].raw, (size_t) (head.v[i].value + head.v[i].value_len
						      - head.v[i].raw));
	if (dkimv_eoh(vm) >= 0) {
	    for (off = head.head_len; off < buf_len(m); off += step)
		dkimv_body(vm, buf_str(m) + off,
			   buf_len(m) - off < step ? buf_len(m) - off : step);
	    ret = dkimv_finish(vm, res);
	}
	dkimv_msg_free(vm);
    }
    msg_head_free(&head);
    return ret;
}

/* verify - the same for a fixture file */

static int verify(const char *name, int crlf, size_t step, struct dkimv_result *res)
{
    struct buf m = BUF_INIT(1 << 20);
    int ret = slurp(name, crlf, &m) < 0 ? -1 : verify_buf(name, &m, step, res);

    buf_free(&m);
    return ret;
}

static const struct {
    const char *file;
    int result;
    const char *domain, *selector, *reason;
} cases[] = {
    {"rsa2048.eml", RES_DKIM_PASS, "example.com", "rsa2048", ""},
    {"simple.eml", RES_DKIM_PASS, "example.com", "rsa2048", ""},
    {"rsa1024.eml", RES_DKIM_PASS, "example.com", "rsa1024", ""},
    {"ed25519.eml", RES_DKIM_PASS, "example.com", "ed", ""},
    {"length.eml", RES_DKIM_PASS, "example.com", "rsa2048", ""},
    {"subdomain.eml", RES_DKIM_PASS, "mail.example.com", "rsa2048", ""},
    {"rsa512.eml", RES_DKIM_POLICY, "example.com", "rsa512", "1024"},
    {"sha1.eml", RES_DKIM_POLICY, "example.com", "rsa2048", "rsa-sha1"},
    {"bodyhash.eml", RES_DKIM_FAIL, "example.com", "rsa2048", "body hash"},
    {"badsig.eml", RES_DKIM_FAIL, "example.com", "rsa2048", ""},
    {"nokey.eml", RES_DKIM_PERMERROR, "example.com", "missing", ""},
    {"revoked.eml", RES_DKIM_PERMERROR, "example.com", "revoked", ""},
    {"tempkey.eml", RES_DKIM_TEMPERROR, "x.servfail.example.net", "s", ""},
};

/* test_cases - one signed fixture per outcome */

static void test_cases(void)
{
    struct dkimv_result res;
    size_t i;

    for (i = 0; i < PD_NELEM(cases); i++) {
	int ret = verify(cases[i].file, 0, 65536, &res);

	if (!ok(ret == 0 && res.n == 1 && res.sig[0].result == cases[i].result
		&& strcmp(res.sig[0].domain, cases[i].domain) == 0
		&& strcmp(res.sig[0].selector, cases[i].selector) == 0
		&& strstr(res.sig[0].reason, cases[i].reason) != NULL,
		"%s: %s", cases[i].file, res_dkim_name(cases[i].result)))
	    diag("ret %d, n %zu, result %s, d=%s s=%s, reason \"%s\"", ret, res.n,
		 res.n ? res_dkim_name(res.sig[0].result) : "-",
		 res.n ? res.sig[0].domain : "", res.n ? res.sig[0].selector : "",
		 res.n ? res.sig[0].reason : "");
    }
}

/* test_variants - line endings, body pieces and signature caps */

static void test_variants(void)
{
    struct dkimv_result res;
    int ret;

    ok(verify("rsa2048.eml", 1, 65536, &res) == 0 && res.n == 1
       && res.sig[0].result == RES_DKIM_PASS, "CRLF line endings pass too");
    ok(verify("rsa2048.eml", 0, 1, &res) == 0 && res.n == 1
       && res.sig[0].result == RES_DKIM_PASS, "body fed one byte at a time");
    ok(verify("simple.eml", 1, 7, &res) == 0 && res.sig[0].result == RES_DKIM_PASS,
       "simple/simple, CRLF, 7-byte pieces");
    is_str(res.sig[0].algorithm, "rsa-sha256", "algorithm reported");
    ok(strlen(res.sig[0].b) >= 8, "a piece of b= tells signatures apart (%s)", res.sig[0].b);
    is_int(res.sig[0].keybits, 2048, "key size reported");
    ret = verify("many.eml", 0, 65536, &res);
    ok(ret == 0 && res.n == 10 && res.seen == 12,
       "12 signatures: the first 10 evaluated (n %zu, seen %zu)", res.n, res.seen);
    ok(verify("two.eml", 0, 65536, &res) == 0 && res.n == 2
       && res.sig[0].result == RES_DKIM_PASS && res.sig[1].result == RES_DKIM_PERMERROR
       && strcmp(res.sig[1].domain, "example.net") == 0, "each signature has its own result");
}

/* verify_repeat - many.eml (its 12 signatures all alike) with copies of them */

static int verify_repeat(size_t copies, struct dkimv_result *res)
{
    struct buf file = BUF_INIT(1 << 20), m = BUF_INIT(1 << 24);
    const char *text, *next;
    size_t sig, rest, i;
    int ret = -1;

    memset(res, 0, sizeof(*res));
    if (slurp("many.eml", 0, &file) == 0
	&& (next = strstr((text = buf_str(&file)) + 1, "DKIM-Signature:")) != NULL) {
	sig = (size_t) (next - text);
	for (rest = 0; strncmp(text + rest, text, sig) == 0; rest += sig)
	     /* void */ ;
	for (i = 0; i < copies; i++)
	    buf_add(&m, text, sig);
	buf_addstr(&m, text + rest);
	ret = verify_buf("repeat", &m, 65536, res);
    }
    buf_free(&file);
    buf_free(&m);
    return ret;
}

/* The signature caps: DKIM_SIGS_DEFAULT without a maximum, DKIM_SIGS_MAX above all. */
static void test_sig_limits(struct dns_resolver *res)
{
    struct dkimv *keep = dv;
    struct dkimv_result r;
    size_t i, pass = 0;
    int ret;

    dv = dkimv_new(res, 0);
    ok(verify("many.eml", 0, 65536, &r) == 0 && r.n == DKIM_SIGS_DEFAULT && r.seen == 12,
       "no maximum given: DKIM_SIGS_DEFAULT of 12 signatures evaluated");
    dkimv_free(dv);
    dv = dkimv_new(res, DKIM_SIGS_MAX + 10);
    ret = verify_repeat(DKIM_SIGS_MAX + 1, &r);
    ok(ret == 0 && r.n == DKIM_SIGS_MAX && r.seen == DKIM_SIGS_MAX + 1,
       "a maximum over DKIM_SIGS_MAX: DKIM_SIGS_MAX of DKIM_SIGS_MAX + 1 evaluated (n %zu, seen %zu)",
       r.n, r.seen);
    for (i = 0; i < r.n; i++)
	pass += r.sig[i].result == RES_DKIM_PASS;
    is_int(pass, DKIM_SIGS_MAX, "  each of them passes");
    dkimv_free(dv);
    dv = keep;
}

/* test_rfc8463 - the RFC 8463 appendix A vector */

static void test_rfc8463(void)
{
    struct dkimv_result res;

    ok(verify("rfc8463.eml", 0, 65536, &res) == 0 && res.n == 2, "RFC 8463 vector: two signatures");
    ok(res.sig[0].result == RES_DKIM_PASS && strcmp(res.sig[0].algorithm, "ed25519-sha256") == 0,
       "RFC 8463 A.3 ed25519-sha256 signature passes (%s)", res.sig[0].reason);
    ok(res.sig[1].result == RES_DKIM_PASS && strcmp(res.sig[1].selector, "test") == 0,
       "RFC 8463 A.3 rsa-sha256 signature passes (%s)", res.sig[1].reason);
}

/* test_unsigned - a message without a signature */

static void test_unsigned(void)
{
    struct dkimv_msg *vm = dkimv_start(dv, "unsigned");
    struct dkimv_result res;
    const char *h = "From: a@example.com";

    dkimv_header(vm, h, strlen(h));
    is_int(dkimv_eoh(vm), 1, "no signature: end of header says there is nothing to do");
    ok(dkimv_body(vm, "x\n", 2) == 0 && dkimv_finish(vm, &res) == 0 && res.n == 0,
       "and the result is empty");
    dkimv_msg_free(vm);
}

/* fips_conf - an OpenSSL configuration that allows FIPS algorithms only */

static int fips_conf(char *path, size_t size)
{
    const char *build = getenv("PD_BUILD") ? getenv("PD_BUILD") : "build";
    FILE *fp;

    snprintf(path, size, "%s/tmp/dkimv_test-%ld.cnf", build, (long) getpid());
    if ((fp = fopen(path, "w")) == NULL)
	return -1;
    fputs("openssl_conf = init\n[init]\nalg_section = alg\n"
	  "[alg]\ndefault_properties = fips=yes\n", fp);
    return fclose(fp) == 0 ? setenv("OPENSSL_CONF", path, 1) : -1;
}

/* What dkimv_new() says of OpenSSL's initialisation (lib/dkimv.c). */
static void test_openssl(void)
{
    EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);

    ok(md != NULL, "OpenSSL's configuration file is not read (this one allows FIPS only)");
    EVP_MD_free(md);
    ok(ERR_reason_error_string(ERR_PACK(ERR_LIB_EVP, 0, EVP_R_BAD_DECRYPT)) == NULL,
       "OpenSSL's error strings are not loaded, after verifying either");
}

/* same_key - does our d2i_PUBKEY_bio() agree with libcrypto's on DER data? */

static int same_key(const unsigned char *der, size_t len, int *fast)
{
    EVP_PKEY *(*openssl) (BIO *, EVP_PKEY **);
    unsigned long before = dkimv_fast_keys;
    BIO *a = BIO_new_mem_buf(der, (int) len), *b = BIO_new_mem_buf(der, (int) len);
    EVP_PKEY *ours, *theirs;
    int same;

    *(void **) &openssl = dlsym(RTLD_NEXT, "d2i_PUBKEY_bio");
    ours = d2i_PUBKEY_bio(a, NULL);
    theirs = openssl(b, NULL);
    same = ours == NULL ? theirs == NULL
	: theirs != NULL && EVP_PKEY_eq(ours, theirs) == 1
	&& EVP_PKEY_get_id(ours) == EVP_PKEY_get_id(theirs)
	&& EVP_PKEY_get_bits(ours) == EVP_PKEY_get_bits(theirs)
	&& BIO_pending(a) == BIO_pending(b);
    *fast = dkimv_fast_keys > before;
    EVP_PKEY_free(ours);
    EVP_PKEY_free(theirs);
    BIO_free(a);
    BIO_free(b);
    ERR_clear_error();
    return same;
}

/* public_der - the SubjectPublicKeyInfo of a fixture's private key */

static int public_der(const char *name, unsigned char **der)
{
    struct buf pem;
    EVP_PKEY *key;
    BIO *bio;
    int len;

    buf_init(&pem, 1 << 16);
    if (slurp(name, 0, &pem) < 0) {
	buf_free(&pem);
	return -1;
    }
    bio = BIO_new_mem_buf(pem.data, (int) pem.len);
    key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    *der = NULL;
    len = key ? i2d_PUBKEY(key, der) : -1;
    EVP_PKEY_free(key);
    BIO_free(bio);
    buf_free(&pem);
    return len;
}

/* The key decoding that libopendkim's d2i_PUBKEY_bio() finds (lib/dkimv.c). */
static void test_key_decoding(void)
{
    static const char *rsa[] = {"rsa512.key", "rsa1024.key", "rsa2048.key"};
    unsigned char *der, bad[4096];
    void *found = dlsym(RTLD_DEFAULT, "d2i_PUBKEY_bio");
    struct dkimv_result res;
    unsigned long before;
    int len, fast, i, all;
    size_t cut;

    ok(found == (void *) d2i_PUBKEY_bio, "libopendkim's d2i_PUBKEY_bio() is ours");
    before = dkimv_fast_keys;
    ok(verify("rsa2048.eml", 0, 65536, &res) == 0 && res.sig[0].result == RES_DKIM_PASS
       && dkimv_fast_keys == before + 1, "an RSA signature verifies with the key decoded by us");
    for (i = 0; i < 3; i++) {
	len = public_der(rsa[i], &der);
	ok(len > 0 && same_key(der, (size_t) len, &fast) && fast,
	   "%s: the same key as OpenSSL's, decoded without its decoders", rsa[i]);
	for (all = 1, cut = 0; len > 0 && cut < (size_t) len; cut++)
	    all &= same_key(der, cut, &fast);
	ok(all, "%s: every truncation gives what OpenSSL gives", rsa[i]);
	if (len > 0 && (size_t) len + 8 <= sizeof(bad)) {
	    memcpy(bad, der, (size_t) len);
	    memcpy(bad + len, "trailing", 8);
	    ok(same_key(bad, (size_t) len + 8, &fast) && fast, "%s: bytes after the key", rsa[i]);
	    for (all = 1, cut = 0; cut < (size_t) len; cut++) {
		bad[cut] ^= 0x41;
		all &= same_key(bad, (size_t) len, &fast);
		bad[cut] ^= 0x41;
	    }
	    ok(all, "%s: a byte changed anywhere gives what OpenSSL gives", rsa[i]);
	}
	OPENSSL_free(der);
    }
    for (i = 0; i < 2; i++) {
	EVP_PKEY *key = i ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
	    : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	der = NULL;
	len = key ? i2d_PUBKEY(key, &der) : -1;
	ok(len > 0 && same_key(der, (size_t) len, &fast) && !fast,
	   "%s key: OpenSSL's function decodes it", i ? "an EC" : "an Ed25519");
	OPENSSL_free(der);
	EVP_PKEY_free(key);
    }
}

int main(void)
{
    struct dns_resolver *res;
    char conf[512];

    log_init("dkimv_test");
    if ((res = testdns_resolver(1000, 1, 100)) == NULL) {
	ok(0, "test DNS server starts");
	return tap_done();
    }
    /* Only now: unbound, started above, reads OPENSSL_CONF too. */
    ok(fips_conf(conf, sizeof(conf)) == 0, "a FIPS-only OpenSSL configuration in OPENSSL_CONF");
    dv = dkimv_new(res, 10);
    test_cases();
    test_variants();
    test_rfc8463();
    test_unsigned();
    test_sig_limits(res);
    test_openssl();
    test_key_decoding();
    unlink(conf);
    dkimv_free(dv);
    dns_destroy(res);
    return tap_done();
}
