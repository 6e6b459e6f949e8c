/*++
 * NAME
 *	store_rec 3
 * SUMMARY
 *	versioned encoding of store records
 * SYNOPSIS
 *	#include "store_rec.h"
 *
 *	int	store_rec_spf_encode(out, spf)
 *	int	store_rec_spf_decode(data, len, spf)
 *	int	store_rec_msg_encode(out, msg)
 *	int	store_rec_msg_decode(data, len, msg)
 *	int	store_rec_report_encode(out, report)
 *	int	store_rec_report_decode(data, len, report)
 * DESCRIPTION
 *	A record is a version byte followed by fields: a one-byte tag, a
 *	two-byte big-endian length and the bytes.  Integers are big-endian
 *	in one to eight bytes.  Lists repeat a tag;
 *	structured fields nest the same encoding.  A reader skips tags it
 *	does not know, so newer writers stay readable by older readers of
 *	the same version; a record of a newer version is refused.
 *
 *	The encoders append to out and return 0, or -1 when out reached its
 *	maximum (or a report's blob passes STORE_REPORT_MAX).  The decoders
 *	return 0, or -1 for a damaged record or one of an unknown version;
 *	they never read past len and every string they fill is
 *	NUL-terminated and within its field (tests/fuzz/fuzz_store_rec.c).
 *	store_rec_report_decode() malloc()s the blob; the caller releases
 *	it with store_report_release().
 *--*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "results.h"
#include "store_rec.h"
#include "str.h"

struct rec_iter {
    const unsigned char *p, *end;
};

/* What decodes one field into obj: 0, or -1 when the field is damaged. */
typedef int (*rec_field_fn) (void *obj, int tag, const unsigned char *, size_t);

/* Tags of a message record. */
enum {
    M_TIME = 1, M_QID, M_IP, M_ENV_FROM, M_ENV_TO, M_HEADER_FROM, M_SPF_DOMAIN,
    M_SPF_SCOPE, M_SPF_RESULT, M_DKIM, M_DMARC, M_DKIM_ALIGNED, M_SPF_ALIGNED,
    M_DISPOSITION, M_REASON, M_POLICY,
};
enum { D_DOMAIN = 1, D_SELECTOR, D_RESULT };
enum { R_TYPE = 1, R_COMMENT };
enum {
    P_DOMAIN = 1, P_P, P_SP, P_NP, P_ADKIM, P_ASPF, P_TESTING, P_PSD, P_FO, P_DISCOVERY, P_RUA,
};

/* Tags of an SPF record. */
enum {
    S_TIME = 1, S_QID, S_CLIENT, S_HELO, S_MAIL_FROM, S_DOMAIN, S_HELO_RESULT,
    S_MFROM_RESULT, S_ACTION,
};

/* Tags of a report record. */
enum {
    T_ID = 1, T_DOMAIN, T_BEGIN, T_END, T_CREATED, T_RECORDS, T_DEST, T_BLOB,
};
enum { X_ADDR = 1, X_STATE, X_ATTEMPTS, X_NEXT_TRY, X_ERROR };

 /*
  * Writing.
  */

/* rec_field - tag, length, bytes */

static void rec_field(struct buf *b, int tag, const void *data, size_t len)
{
    unsigned char head[3];

    if (len > 0xffff) {
	b->err = b->err ? b->err : E2BIG;
	return;
    }
    head[0] = (unsigned char) tag;
    head[1] = (unsigned char) (len >> 8);
    head[2] = (unsigned char) len;
    buf_add(b, head, 3);
    buf_add(b, data, len);
}

/* rec_str - a string field, omitted when empty */

static void rec_str(struct buf *b, int tag, const char *s)
{
    if (*s)
	rec_field(b, tag, s, strlen(s));
}

/* rec_u64 - an integer field, big-endian in as few bytes as it needs */

static void rec_u64(struct buf *b, int tag, uint64_t v)
{
    unsigned char d[8];
    size_t n = 1;
    int i;

    while (n < 8 && v >> (8 * n))
	n++;
    for (i = (int) n - 1; i >= 0; i--, v >>= 8)
	d[i] = (unsigned char) v;
    rec_field(b, tag, d, n);
}

/* rec_nest_begin - start a nested field, return where its length goes */

static size_t rec_nest_begin(struct buf *b, int tag)
{
    unsigned char head[3] = {(unsigned char) tag, 0, 0};

    buf_add(b, head, 3);
    return buf_len(b);
}

/* rec_nest_end - fill in a nested field's length */

static void rec_nest_end(struct buf *b, size_t start)
{
    size_t len = buf_len(b) - start;

    if (buf_error(b))
	return;
    if (len > 0xffff) {
	b->err = E2BIG;
	return;
    }
    b->data[start - 2] = (char) (len >> 8);
    b->data[start - 1] = (char) len;
}

 /*
  * Reading.
  */

/* rec_next - next field: 1, 0 at the end, -1 when damaged */

static int rec_next(struct rec_iter *it, int *tag, const unsigned char **data, size_t *len)
{
    size_t left = (size_t) (it->end - it->p);

    if (left == 0)
	return 0;
    if (left < 3)
	return -1;
    *tag = it->p[0];
    *len = (size_t) it->p[1] << 8 | it->p[2];
    if (*len > left - 3)
	return -1;
    *data = it->p + 3;
    it->p += 3 + *len;
    return 1;
}

/* rec_fields - every field of an encoding to fn: 0, or -1 when damaged */

static int rec_fields(const unsigned char *data, size_t len, rec_field_fn fn, void *obj)
{
    struct rec_iter it = {data, data + len};
    const unsigned char *d;
    size_t n;
    int tag, r, bad = 0;

    while ((r = rec_next(&it, &tag, &d, &n)) > 0)
	bad |= fn(obj, tag, d, n);
    return r < 0 || bad ? -1 : 0;
}

/* rec_record - the fields of a record after its version byte */

static int rec_record(const unsigned char *data, size_t len, rec_field_fn fn, void *obj)
{
    if (len < 1 || data[0] != STORE_REC_VERSION)
	return -1;
    return rec_fields(data + 1, len - 1, fn, obj);
}

/* rec_get_str - copy a string field into its buffer */

static int rec_get_str(const unsigned char *data, size_t len, char *dst, size_t size)
{
    if (memchr(data, 0, len) != NULL)
	return -1;
    return str_ncopy(dst, size, (const char *) data, len);
}

/* rec_get_u64 - an integer of one to eight bytes */

static int rec_get_u64(const unsigned char *data, size_t len, uint64_t *v)
{
    size_t i;

    if (len < 1 || len > 8)
	return -1;
    for (*v = 0, i = 0; i < len; i++)
	*v = *v << 8 | data[i];
    return 0;
}

/* rec_get_int - a small integer field */

static int rec_get_int(const unsigned char *data, size_t len, int *out)
{
    uint64_t v;

    if (rec_get_u64(data, len, &v) < 0 || v > 0x7fffffff)
	return -1;
    *out = (int) v;
    return 0;
}

/* rec_get_char - a one-letter field kept as an integer */

static int rec_get_char(const unsigned char *data, size_t len, char *out)
{
    int v;

    if (rec_get_int(data, len, &v) < 0 || v < 0 || v > 127)
	return -1;
    *out = (char) v;
    return 0;
}

 /*
  * SPF verdicts.
  */

/* store_rec_spf_encode - policy server verdict */

int store_rec_spf_encode(struct buf *b, const struct store_spf *s)
{
    buf_addch(b, STORE_REC_VERSION);
    rec_u64(b, S_TIME, s->time);
    rec_str(b, S_QID, s->queue_id);
    rec_str(b, S_CLIENT, s->client_addr);
    rec_str(b, S_HELO, s->helo);
    rec_str(b, S_MAIL_FROM, s->mail_from);
    rec_str(b, S_DOMAIN, s->domain);
    rec_u64(b, S_HELO_RESULT, (uint64_t) s->helo_result);
    rec_u64(b, S_MFROM_RESULT, (uint64_t) s->mfrom_result);
    rec_u64(b, S_ACTION, (uint64_t) s->action);
    return buf_error(b) ? -1 : 0;
}

/* rec_spf_field - one field of a verdict */

static int rec_spf_field(void *obj, int tag, const unsigned char *d, size_t n)
{
    struct store_spf *s = obj;

    switch (tag) {
    case S_TIME:
	return rec_get_u64(d, n, &s->time);
    case S_QID:
	return rec_get_str(d, n, s->queue_id, sizeof(s->queue_id));
    case S_CLIENT:
	return rec_get_str(d, n, s->client_addr, sizeof(s->client_addr));
    case S_HELO:
	return rec_get_str(d, n, s->helo, sizeof(s->helo));
    case S_MAIL_FROM:
	return rec_get_str(d, n, s->mail_from, sizeof(s->mail_from));
    case S_DOMAIN:
	return rec_get_str(d, n, s->domain, sizeof(s->domain));
    case S_HELO_RESULT:
	return rec_get_int(d, n, &s->helo_result);
    case S_MFROM_RESULT:
	return rec_get_int(d, n, &s->mfrom_result);
    case S_ACTION:
	return rec_get_int(d, n, &s->action);
    default:
	return 0;
    }
}

/* store_rec_spf_decode - policy server verdict */

int store_rec_spf_decode(const unsigned char *data, size_t len, struct store_spf *s)
{
    s->time = 0;
    s->queue_id[0] = s->client_addr[0] = s->helo[0] = s->mail_from[0] = s->domain[0] = 0;
    s->helo_result = s->mfrom_result = RES_SPF_NONE;
    s->action = STORE_ACT_ACCEPT;
    return rec_record(data, len, rec_spf_field, s);
}

 /*
  * Message records.
  */

/* rec_policy_encode - the policy snapshot */

static void rec_policy_encode(struct buf *b, const struct store_policy *p)
{
    size_t start = rec_nest_begin(b, M_POLICY), i;

    rec_str(b, P_DOMAIN, p->domain);
    rec_u64(b, P_P, (uint64_t) p->p);
    rec_u64(b, P_SP, (uint64_t) p->sp);
    rec_u64(b, P_NP, (uint64_t) p->np);
    rec_u64(b, P_ADKIM, (uint64_t) p->adkim);
    rec_u64(b, P_ASPF, (uint64_t) p->aspf);
    rec_u64(b, P_TESTING, (uint64_t) p->testing);
    rec_u64(b, P_PSD, (uint64_t) p->psd);
    rec_str(b, P_FO, p->fo);
    rec_u64(b, P_DISCOVERY, (uint64_t) p->discovery);
    for (i = 0; i < p->nrua && i < DMARC_URIS_MAX; i++)
	rec_str(b, P_RUA, p->rua[i]);
    rec_nest_end(b, start);
}

/* store_rec_msg_encode - one message */

int store_rec_msg_encode(struct buf *b, const struct store_msg *m)
{
    size_t i, start;

    buf_addch(b, STORE_REC_VERSION);
    rec_u64(b, M_TIME, m->time);
    rec_str(b, M_QID, m->queue_id);
    rec_str(b, M_IP, m->source_ip);
    rec_str(b, M_ENV_FROM, m->env_from);
    rec_str(b, M_ENV_TO, m->env_to);
    rec_str(b, M_HEADER_FROM, m->header_from);
    rec_str(b, M_SPF_DOMAIN, m->spf_domain);
    rec_u64(b, M_SPF_SCOPE, (uint64_t) m->spf_scope);
    rec_u64(b, M_SPF_RESULT, (uint64_t) m->spf_result);
    for (i = 0; i < m->ndkim && i < STORE_DKIM_MAX; i++) {
	start = rec_nest_begin(b, M_DKIM);
	rec_str(b, D_DOMAIN, m->dkim[i].domain);
	rec_str(b, D_SELECTOR, m->dkim[i].selector);
	rec_u64(b, D_RESULT, (uint64_t) m->dkim[i].result);
	rec_nest_end(b, start);
    }
    rec_u64(b, M_DMARC, (uint64_t) m->dmarc_result);
    rec_u64(b, M_DKIM_ALIGNED, (uint64_t) m->dkim_aligned);
    rec_u64(b, M_SPF_ALIGNED, (uint64_t) m->spf_aligned);
    rec_u64(b, M_DISPOSITION, (uint64_t) m->disposition);
    for (i = 0; i < m->nreasons && i < STORE_REASONS_MAX; i++) {
	start = rec_nest_begin(b, M_REASON);
	rec_u64(b, R_TYPE, (uint64_t) m->reasons[i].type);
	rec_str(b, R_COMMENT, m->reasons[i].comment);
	rec_nest_end(b, start);
    }
    rec_policy_encode(b, &m->policy);
    return buf_error(b) ? -1 : 0;
}

/* rec_dkim_field - one field of a nested DKIM result */

static int rec_dkim_field(void *obj, int tag, const unsigned char *d, size_t n)
{
    struct store_dkim *k = obj;

    if (tag == D_DOMAIN)
	return rec_get_str(d, n, k->domain, sizeof(k->domain));
    if (tag == D_SELECTOR)
	return rec_get_str(d, n, k->selector, sizeof(k->selector));
    if (tag == D_RESULT)
	return rec_get_int(d, n, &k->result);
    return 0;
}

/* rec_dkim_decode - one nested DKIM result */

static int rec_dkim_decode(const unsigned char *data, size_t len, struct store_dkim *k)
{
    k->domain[0] = k->selector[0] = 0;
    k->result = RES_DKIM_NONE;
    return rec_fields(data, len, rec_dkim_field, k);
}

/* rec_reason_field - one field of a nested override reason */

static int rec_reason_field(void *obj, int tag, const unsigned char *d, size_t n)
{
    struct store_reason *x = obj;

    if (tag == R_TYPE)
	return rec_get_int(d, n, &x->type);
    if (tag == R_COMMENT)
	return rec_get_str(d, n, x->comment, sizeof(x->comment));
    return 0;
}

/* rec_reason_decode - one nested override reason */

static int rec_reason_decode(const unsigned char *data, size_t len, struct store_reason *x)
{
    x->type = RES_REASON_OTHER;
    x->comment[0] = 0;
    return rec_fields(data, len, rec_reason_field, x);
}

/* rec_policy_field - one field of the policy snapshot */

static int rec_policy_field(void *obj, int tag, const unsigned char *d, size_t n)
{
    struct store_policy *p = obj;

    switch (tag) {
    case P_DOMAIN:
	return rec_get_str(d, n, p->domain, sizeof(p->domain));
    case P_P:
	return rec_get_int(d, n, &p->p);
    case P_SP:
	return rec_get_int(d, n, &p->sp);
    case P_NP:
	return rec_get_int(d, n, &p->np);
    case P_ADKIM:
	return rec_get_char(d, n, &p->adkim);
    case P_ASPF:
	return rec_get_char(d, n, &p->aspf);
    case P_TESTING:
	return rec_get_int(d, n, &p->testing);
    case P_PSD:
	return rec_get_char(d, n, &p->psd);
    case P_FO:
	return rec_get_str(d, n, p->fo, sizeof(p->fo));
    case P_DISCOVERY:
	return rec_get_int(d, n, &p->discovery);
    case P_RUA:
	if (p->nrua >= DMARC_URIS_MAX)
	    return 0;				/* more are ignored */
	if (rec_get_str(d, n, p->rua[p->nrua], sizeof(p->rua[0])) < 0)
	    return -1;
	p->nrua++;
	return 0;
    default:
	return 0;
    }
}

/* rec_policy_reset - the values of fields a policy snapshot leaves out */

static void rec_policy_reset(struct store_policy *p)
{
    p->domain[0] = p->fo[0] = 0;
    p->p = p->sp = p->np = RES_POLICY_UNSPEC;
    p->adkim = p->aspf = 'r';
    p->testing = 0;
    p->psd = 'u';
    p->discovery = RES_DISCOVERY_TREEWALK;
    p->nrua = 0;
}

/* rec_policy_decode - the nested policy snapshot */

static int rec_policy_decode(const unsigned char *data, size_t len, struct store_policy *p)
{
    rec_policy_reset(p);
    return rec_fields(data, len, rec_policy_field, p);
}

/* rec_msg_reset - the values of fields a record leaves out */

static void rec_msg_reset(struct store_msg *m)
{
    m->time = 0;
    m->queue_id[0] = m->source_ip[0] = m->env_from[0] = m->env_to[0] = 0;
    m->header_from[0] = m->spf_domain[0] = 0;
    m->spf_scope = 0;
    m->spf_result = RES_SPF_NONE;
    m->ndkim = m->nreasons = 0;
    m->dmarc_result = RES_DMARC_NONE;
    m->dkim_aligned = m->spf_aligned = 0;
    m->disposition = RES_DISP_NONE;
    rec_policy_reset(&m->policy);
}

/* rec_msg_field - one top-level field of a message record */

static int rec_msg_field(void *obj, int tag, const unsigned char *d, size_t n)
{
    struct store_msg *m = obj;

    switch (tag) {
    case M_TIME:
	return rec_get_u64(d, n, &m->time);
    case M_QID:
	return rec_get_str(d, n, m->queue_id, sizeof(m->queue_id));
    case M_IP:
	return rec_get_str(d, n, m->source_ip, sizeof(m->source_ip));
    case M_ENV_FROM:
	return rec_get_str(d, n, m->env_from, sizeof(m->env_from));
    case M_ENV_TO:
	return rec_get_str(d, n, m->env_to, sizeof(m->env_to));
    case M_HEADER_FROM:
	return rec_get_str(d, n, m->header_from, sizeof(m->header_from));
    case M_SPF_DOMAIN:
	return rec_get_str(d, n, m->spf_domain, sizeof(m->spf_domain));
    case M_SPF_SCOPE:
	return rec_get_int(d, n, &m->spf_scope);
    case M_SPF_RESULT:
	return rec_get_int(d, n, &m->spf_result);
    case M_DKIM:
	if (m->ndkim >= STORE_DKIM_MAX)
	    return 0;
	return rec_dkim_decode(d, n, &m->dkim[m->ndkim++]);
    case M_DMARC:
	return rec_get_int(d, n, &m->dmarc_result);
    case M_DKIM_ALIGNED:
	return rec_get_int(d, n, &m->dkim_aligned);
    case M_SPF_ALIGNED:
	return rec_get_int(d, n, &m->spf_aligned);
    case M_DISPOSITION:
	return rec_get_int(d, n, &m->disposition);
    case M_REASON:
	if (m->nreasons >= STORE_REASONS_MAX)
	    return 0;
	return rec_reason_decode(d, n, &m->reasons[m->nreasons++]);
    case M_POLICY:
	return rec_policy_decode(d, n, &m->policy);
    default:
	return 0;
    }
}

/* store_rec_msg_decode - one message */

int store_rec_msg_decode(const unsigned char *data, size_t len, struct store_msg *m)
{
    rec_msg_reset(m);
    return rec_record(data, len, rec_msg_field, m);
}

 /*
  * Reports.
  */

/* store_rec_report_encode - a report and its destinations */

int store_rec_report_encode(struct buf *b, const struct store_report *rp)
{
    size_t i, start;

    buf_addch(b, STORE_REC_VERSION);
    rec_str(b, T_ID, rp->id);
    rec_str(b, T_DOMAIN, rp->domain);
    rec_u64(b, T_BEGIN, rp->begin);
    rec_u64(b, T_END, rp->end);
    rec_u64(b, T_CREATED, rp->created);
    rec_u64(b, T_RECORDS, rp->records);
    for (i = 0; i < rp->ndests && i < REPORT_DESTS_MAX; i++) {
	const struct store_dest *x = &rp->dests[i];

	start = rec_nest_begin(b, T_DEST);
	rec_str(b, X_ADDR, x->addr);
	rec_u64(b, X_STATE, (uint64_t) x->state);
	rec_u64(b, X_ATTEMPTS, x->attempts);
	rec_u64(b, X_NEXT_TRY, x->next_try);
	rec_str(b, X_ERROR, x->last_error);
	rec_nest_end(b, start);
    }
    /* The blob may pass 64 KB: it goes last, in 64 KB pieces.  One the
     * decoder would refuse is not written. */
    if (rp->len > STORE_REPORT_MAX)
	b->err = b->err ? b->err : E2BIG;
    for (i = 0; i < rp->len && !buf_error(b); i += 0xffff)
	rec_field(b, T_BLOB, rp->blob + i, rp->len - i < 0xffff ? rp->len - i : 0xffff);
    return buf_error(b) ? -1 : 0;
}

/* rec_dest_field - one field of a nested destination */

static int rec_dest_field(void *obj, int tag, const unsigned char *d, size_t n)
{
    struct store_dest *x = obj;
    uint64_t v = 0;
    int bad;

    switch (tag) {
    case X_ADDR:
	return rec_get_str(d, n, x->addr, sizeof(x->addr));
    case X_STATE:
	return rec_get_int(d, n, &x->state);
    case X_ATTEMPTS:
	bad = rec_get_u64(d, n, &v);
	x->attempts = v > 100000 ? 100000 : (unsigned) v;
	return bad;
    case X_NEXT_TRY:
	return rec_get_u64(d, n, &x->next_try);
    case X_ERROR:
	return rec_get_str(d, n, x->last_error, sizeof(x->last_error));
    default:
	return 0;
    }
}

/* rec_dest_decode - one nested destination */

static int rec_dest_decode(const unsigned char *data, size_t len, struct store_dest *x)
{
    memset(x, 0, sizeof(*x));
    return rec_fields(data, len, rec_dest_field, x);
}

/* A report being decoded, and its blob gathered from its pieces. */
struct rec_report {
    struct store_report *rp;
    struct buf blob;
};

/* rec_report_field - one top-level field of a report record */

static int rec_report_field(void *obj, int tag, const unsigned char *d, size_t n)
{
    struct store_report *rp = ((struct rec_report *) obj)->rp;

    switch (tag) {
    case T_ID:
	return rec_get_str(d, n, rp->id, sizeof(rp->id));
    case T_DOMAIN:
	return rec_get_str(d, n, rp->domain, sizeof(rp->domain));
    case T_BEGIN:
	return rec_get_u64(d, n, &rp->begin);
    case T_END:
	return rec_get_u64(d, n, &rp->end);
    case T_CREATED:
	return rec_get_u64(d, n, &rp->created);
    case T_RECORDS:
	return rec_get_u64(d, n, &rp->records);
    case T_DEST:
	if (rp->ndests >= REPORT_DESTS_MAX)
	    return 0;
	return rec_dest_decode(d, n, &rp->dests[rp->ndests++]);
    case T_BLOB:
	return buf_add(&((struct rec_report *) obj)->blob, d, n);
    default:
	return 0;
    }
}

/* store_rec_report_decode - a report and its destinations */

int store_rec_report_decode(const unsigned char *data, size_t len, struct store_report *rp)
{
    struct rec_report r = {rp, BUF_INIT(STORE_REPORT_MAX)};

    memset(rp, 0, sizeof(*rp));
    if (rec_record(data, len, rec_report_field, &r) < 0) {
	buf_free(&r.blob);
	return -1;
    }
    rp->len = buf_len(&r.blob);
    rp->blob = (unsigned char *) buf_steal(&r.blob);
    return rp->blob ? 0 : -1;
}
