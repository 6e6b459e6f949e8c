/* fuzz_prefetch - the filter's list of DNS questions from a header section */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "msg.h"
#include "prefetch.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_CHECK(c) do { if (!(c)) { \
	fprintf(stderr, "fuzz_prefetch: %s:%d: %s\n", __FILE__, __LINE__, #c); abort(); } \
    } while (0)

/* The input is a header section: its DKIM-Signature tags (d=, s=) and
 * From domains become names, each within DNS_NAME_MAX, at most
 * DNS_PREFETCH_MAX of them, none twice. */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct msg_authors authors;
    struct msg_head head;
    struct prefetch pf;
    size_t i, j;

    if (msg_head_parse((const char *) data, size, 1, &head) == MSG_OK) {
	memset(&authors, 0, sizeof(authors));
	for (i = 0; i < head.n; i++)
	    if (msg_field_is(&head.v[i], "From"))
		(void) msg_from_domains(head.v[i].value, head.v[i].value_len, &authors);
	prefetch_names(&pf, &head, 10, &authors, authors.n ? authors.domain[0] : "", 1);
	FUZZ_CHECK(pf.n <= DNS_PREFETCH_MAX);
	for (i = 0; i < pf.n; i++) {
	    FUZZ_CHECK(strlen(pf.name[i]) <= DNS_NAME_MAX && pf.name[i][0] != 0);
	    for (j = 0; j < i; j++)
		FUZZ_CHECK(strcmp(pf.name[i], pf.name[j]) != 0);
	}
    }
    msg_head_free(&head);
    return 0;
}
