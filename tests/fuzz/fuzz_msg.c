/* fuzz_msg - header section, From author domains, domain normalization */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_CHECK(c) do { if (!(c)) { \
	fprintf(stderr, "fuzz_msg: %s:%d: %s\n", __FILE__, __LINE__, #c); abort(); } \
    } while (0)

/* check_head - raw spans tile the section; names and values lie inside */

static void check_head(const char *data, size_t len, const struct msg_head *head)
{
    size_t i, j, pos = 0, sep;

    FUZZ_CHECK(head->n <= MSG_HEADERS_MAX);
    FUZZ_CHECK(head->head_len <= len && head->head_len <= MSG_HEAD_MAX);
    for (i = 0; i < head->n; i++) {
	const struct msg_field *f = head->v + i;

	FUZZ_CHECK(f->raw == data + pos && f->name == f->raw);
	FUZZ_CHECK(f->raw_len > 0 && f->raw_len <= MSG_HEADER_MAX);
	FUZZ_CHECK(f->name_len > 0);
	for (j = 0; j < f->name_len; j++)
	    FUZZ_CHECK(f->name[j] > 32 && f->name[j] < 127 && f->name[j] != ':');
	FUZZ_CHECK(f->value > f->name + f->name_len && f->value[-1] == ':');
	FUZZ_CHECK(f->value + f->value_len <= f->raw + f->raw_len);
	pos += f->raw_len;
    }
    FUZZ_CHECK(pos <= head->head_len);
    sep = head->head_len - pos;
    if (head->has_separator)
	FUZZ_CHECK((sep == 1 && data[pos] == '\n')
		   || (sep == 2 && data[pos] == '\r' && data[pos + 1] == '\n'));
    else
	FUZZ_CHECK(sep == 0);
}

/* same_head - a parse of less, or without at_eof, agrees when it answers */

static void same_head(const char *data, size_t len, int ret, const struct msg_head *whole)
{
    struct msg_head head;
    int r = msg_head_parse(data, len, 0, &head);

    if (r != MSG_INCOMPLETE && r != MSG_NOMEM) {
	FUZZ_CHECK(r == ret);
	if (r == MSG_OK)
	    FUZZ_CHECK(head.n == whole->n && head.head_len == whole->head_len
		       && head.has_separator == whole->has_separator);
    }
    msg_head_free(&head);
}

/* check_domain - lower-case host name, labels not empty */

static void check_domain(const char *d)
{
    size_t i, len = strlen(d), label = 0;

    FUZZ_CHECK(len > 0 && len <= MSG_DOMAIN_MAX);
    for (i = 0; i < len; i++) {
	char c = d[i];

	FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
		   || c == '_' || c == '.');
	if (c == '.') {
	    FUZZ_CHECK(label > 0);
	    label = 0;
	} else {
	    label++;
	}
	FUZZ_CHECK(label <= DNS_LABEL_MAX);
    }
    FUZZ_CHECK(label > 0);
}

/* check_authors - limits, distinct valid domains */

static void check_authors(const struct msg_authors *a)
{
    size_t i, j;

    FUZZ_CHECK(a->n <= MSG_AUTHORS_MAX && a->n <= a->seen && a->literals <= a->seen);
    for (i = 0; i < a->n; i++) {
	check_domain(a->domain[i]);
	for (j = 0; j < i; j++)
	    FUZZ_CHECK(strcmp(a->domain[i], a->domain[j]) != 0);
    }
}

/* check_from - domains of a From value, folded and unfolded alike */

static void check_from(const struct msg_field *f, struct msg_authors *all)
{
    struct msg_authors a, b;
    struct buf u = BUF_INIT(MSG_HEADER_MAX);
    int r1, r2;

    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    r1 = msg_from_domains(f->value, f->value_len, &a);
    FUZZ_CHECK(r1 == MSG_OK || r1 == MSG_BAD || r1 == MSG_NOMEM);
    check_authors(&a);
    FUZZ_CHECK(msg_unfold(f->value, f->value_len, &u) == 0);
    FUZZ_CHECK(buf_len(&u) <= f->value_len);
    r2 = msg_from_domains(buf_str(&u), buf_len(&u), &b);
    if (r1 != MSG_NOMEM && r2 != MSG_NOMEM)
	FUZZ_CHECK(r1 == r2 && memcmp(&a, &b, sizeof(a)) == 0);
    buf_free(&u);
    (void) msg_from_domains(f->value, f->value_len, all);
    check_authors(all);
}

/* check_normalize - a normalized domain is valid and normalizes to itself */

static void check_normalize(const char *data, size_t len)
{
    char out[DNS_NAME_MAX + 1], again[DNS_NAME_MAX + 1];

    if (len > MSG_ADDR_MAX + 2 || msg_domain_normalize(data, len, out, sizeof(out)) < 0)
	return;
    check_domain(out);
    FUZZ_CHECK(msg_domain_normalize(out, strlen(out), again, sizeof(again)) == 0);
    FUZZ_CHECK(strcmp(out, again) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
    const char *data = (const char *) bytes;
    struct msg_authors all;
    struct msg_head head;
    size_t i;
    int ret;

    ret = msg_head_parse(data, size, 1, &head);
    FUZZ_CHECK(ret != MSG_INCOMPLETE && ret != MSG_BAD);
    if (ret == MSG_OK)
	check_head(data, size, &head);
    else
	FUZZ_CHECK(head.n == 0 && head.v == NULL);
    same_head(data, size, ret, &head);
    same_head(data, size / 2, ret, &head);
    memset(&all, 0, sizeof(all));
    for (i = 0; i < head.n; i++)
	if (msg_field_is(head.v + i, "From"))
	    check_from(head.v + i, &all);
    msg_head_free(&head);
    check_normalize(data, size);
    return 0;
}
