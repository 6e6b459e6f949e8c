/* fuzz_dkim_key - libFuzzer target for the d2i_PUBKEY_bio() of lib/dkimv.c
 * that libopendkim's key decoding finds: whatever the bytes, it must
 * give what libcrypto's own function gives (no key, or the same key of
 * the same type and size, the BIO read as far); abort()s otherwise. */
#include <dlfcn.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>

#include "dkimv.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define check(cond)	do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static EVP_PKEY *(*openssl) (BIO *, EVP_PKEY **);
    BIO *a, *b;
    EVP_PKEY *ours, *theirs;

    if (openssl == NULL)
	check((*(void **) &openssl = dlsym(RTLD_NEXT, "d2i_PUBKEY_bio")) != NULL);
    if (size > 1 << 16)
	return 0;
    a = BIO_new_mem_buf(data, (int) size);
    b = BIO_new_mem_buf(data, (int) size);
    check(a != NULL && b != NULL);
    ours = d2i_PUBKEY_bio(a, NULL);
    theirs = openssl(b, NULL);
    check((ours == NULL) == (theirs == NULL));
    if (ours != NULL) {
	check(EVP_PKEY_eq(ours, theirs) == 1);
	check(EVP_PKEY_get_id(ours) == EVP_PKEY_get_id(theirs));
	check(EVP_PKEY_get_bits(ours) == EVP_PKEY_get_bits(theirs));
	check(BIO_pending(a) == BIO_pending(b));
    }
    EVP_PKEY_free(ours);
    EVP_PKEY_free(theirs);
    BIO_free(a);
    BIO_free(b);
    ERR_clear_error();
    return 0;
}
