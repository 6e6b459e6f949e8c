/* fuzz_store_rec - libFuzzer target for the store's record decoders: the
 * bytes of an LMDB value, written by another process or damaged on disk.
 * The first byte chooses the kind (SPF verdict, message, report).  A
 * record that decodes has its strings NUL-terminated within their fields
 * and its counts within their limits; encoded, decoded and encoded again,
 * it gives the same bytes (its first encoding is canonical: a field given
 * twice, say, is written once).  abort()s when one of these breaks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store_rec.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define check(cond)	do { if (!(cond)) abort(); } while (0)
#define STR_OK(field)	check(memchr((field), 0, sizeof(field)) != NULL)

/* same - two encodings, byte for byte */

static int same(const struct buf *a, const struct buf *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static void fuzz_spf(const uint8_t *data, size_t size)
{
    static struct store_spf a, b;
    struct buf out = BUF_INIT(STORE_RECORD_MAX), again = BUF_INIT(STORE_RECORD_MAX);

    memset(&a, 0, sizeof(a));
    if (store_rec_spf_decode(data, size, &a) < 0)
	return;
    STR_OK(a.queue_id);
    STR_OK(a.client_addr);
    STR_OK(a.helo);
    STR_OK(a.mail_from);
    STR_OK(a.domain);
    check(store_rec_spf_encode(&out, &a) == 0);
    check(store_rec_spf_decode((unsigned char *) out.data, out.len, &b) == 0);
    check(store_rec_spf_encode(&again, &b) == 0 && same(&out, &again));
    buf_free(&out);
    buf_free(&again);
}

static void fuzz_msg(const uint8_t *data, size_t size)
{
    static struct store_msg a, b;
    struct buf out = BUF_INIT(STORE_RECORD_MAX), again = BUF_INIT(STORE_RECORD_MAX);
    size_t i;

    memset(&a, 0, sizeof(a));
    if (store_rec_msg_decode(data, size, &a) < 0)
	return;
    check(a.ndkim <= STORE_DKIM_MAX && a.nreasons <= STORE_REASONS_MAX);
    STR_OK(a.queue_id);
    STR_OK(a.source_ip);
    STR_OK(a.env_from);
    STR_OK(a.env_to);
    STR_OK(a.header_from);
    STR_OK(a.spf_domain);
    for (i = 0; i < a.ndkim; i++) {
	STR_OK(a.dkim[i].domain);
	STR_OK(a.dkim[i].selector);
    }
    for (i = 0; i < a.nreasons; i++)
	STR_OK(a.reasons[i].comment);
    STR_OK(a.policy.domain);
    STR_OK(a.policy.fo);
    check(a.policy.nrua <= DMARC_URIS_MAX);
    for (i = 0; i < a.policy.nrua; i++)
	STR_OK(a.policy.rua[i]);
    check(store_rec_msg_encode(&out, &a) == 0);
    check(store_rec_msg_decode((unsigned char *) out.data, out.len, &b) == 0);
    check(store_rec_msg_encode(&again, &b) == 0 && same(&out, &again));
    buf_free(&out);
    buf_free(&again);
}

static void fuzz_report(const uint8_t *data, size_t size)
{
    static struct store_report a, b;
    struct buf out = BUF_INIT(STORE_REPORT_MAX + STORE_RECORD_MAX);
    struct buf again = BUF_INIT(STORE_REPORT_MAX + STORE_RECORD_MAX);
    size_t i;

    memset(&a, 0, sizeof(a));
    if (store_rec_report_decode(data, size, &a) < 0) {
	store_report_release(&a);
	return;
    }
    check(a.ndests <= REPORT_DESTS_MAX && a.len <= STORE_REPORT_MAX);
    STR_OK(a.id);
    STR_OK(a.domain);
    for (i = 0; i < a.ndests; i++) {
	STR_OK(a.dests[i].addr);
	STR_OK(a.dests[i].last_error);
    }
    check(store_rec_report_encode(&out, &a) == 0);
    check(store_rec_report_decode((unsigned char *) out.data, out.len, &b) == 0);
    check(store_rec_report_encode(&again, &b) == 0 && same(&out, &again));
    store_report_release(&a);
    store_report_release(&b);
    buf_free(&out);
    buf_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
	return 0;
    switch (data[0] % 3) {
    case 0:
	fuzz_spf(data + 1, size - 1);
	break;
    case 1:
	fuzz_msg(data + 1, size - 1);
	break;
    default:
	fuzz_report(data + 1, size - 1);
    }
    return 0;
}
