/* fuzz_dmarc_record - libFuzzer target for dmarc_record_parse() and
 * dmarc_uri_mailto(); abort()s when an invariant of the result breaks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc_record.h"
#include "limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* check - abort unless cond: the fuzzer reports the input */

#define check(cond)	do { if (!(cond)) abort(); } while (0)

/* check_str - NUL within size, and every byte printable */

static void check_str(const char *s, size_t size)
{
    const char *end = memchr(s, 0, size);

    check(end != NULL);
    for (; s < end; s++)
	check(*s >= 0x20 && *s < 0x7f);
}

/* check_uris - kept URIs are valid, and a mailto yields local@domain */

static void check_uris(const char (*uri)[DMARC_URI_MAX + 1], size_t n)
{
    char addr[MSG_ADDR_MAX + 1];
    size_t i;

    check(n <= DMARC_URIS_MAX);
    for (i = 0; i < n; i++) {
	check_str(uri[i], DMARC_URI_MAX + 1);
	check(uri[i][0] != 0 && dmarc_uri_valid(uri[i], strlen(uri[i])));
	if (dmarc_uri_mailto(uri[i], addr, sizeof(addr)) == 0) {
	    check(strchr(addr, '@') != NULL && strlen(addr) < sizeof(addr));
	    check_str(addr, sizeof(addr));
	} else {
	    check(addr[0] == 0);
	}
    }
}

static void check_record(const struct dmarc_record *rec, int status)
{
    check(status >= DMARC_RECORD_OK && status <= DMARC_RECORD_INVALID);
    check(rec->p >= DMARC_POLICY_UNSPEC && rec->p <= DMARC_POLICY_REJECT);
    check(rec->sp >= DMARC_POLICY_UNSPEC && rec->sp <= DMARC_POLICY_REJECT);
    check(rec->np >= DMARC_POLICY_UNSPEC && rec->np <= DMARC_POLICY_REJECT);
    check(status != DMARC_RECORD_OK || rec->p != DMARC_POLICY_UNSPEC);
    check(rec->p_from_rua == 0 || (status == DMARC_RECORD_OK && rec->nrua <= DMARC_URIS_MAX
				  && rec->p == DMARC_POLICY_NONE
				  && rec->sp == 0 && rec->np == 0));
    check(rec->adkim == 'r' || rec->adkim == 's');
    check(rec->aspf == 'r' || rec->aspf == 's');
    check(rec->t == 0 || rec->t == 1);
    check(rec->psd == 'y' || rec->psd == 'n' || rec->psd == 'u');
    check_str(rec->fo, sizeof(rec->fo));
    check(rec->fo[0] != 0 && strspn(rec->fo, "01ds:") == strlen(rec->fo));
    check_uris(rec->rua, rec->nrua);
    check_uris(rec->ruf, rec->nruf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct dmarc_record rec, again;
    char why[128], why2[128], addr[MSG_ADDR_MAX + 1], *str;
    int status;

    status = dmarc_record_parse((const char *) data, size, &rec, why, sizeof(why));
    check_record(&rec, status);
    check_str(why, sizeof(why));
    check((status == DMARC_RECORD_OK && !rec.p_from_rua) == (why[0] == 0));
    check(dmarc_record_parse((const char *) data, size, &again, why2, sizeof(why2)) == status);
    check(memcmp(&rec, &again, sizeof(rec)) == 0 && strcmp(why, why2) == 0);

    /* the same bytes as one URI */
    (void) dmarc_uri_valid((const char *) data, size);
    if ((str = malloc(size + 1)) == NULL)
	return 0;
    memcpy(str, data, size);
    str[size] = 0;
    if (dmarc_uri_mailto(str, addr, sizeof(addr)) == 0)
	check(strchr(addr, '@') != NULL);
    free(str);
    return 0;
}
