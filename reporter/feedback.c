/*++
 * NAME
 *	feedback 3
 * SUMMARY
 *	RFC 9990 aggregate report XML, gzip-compressed
 * SYNOPSIS
 *	#include "feedback.h"
 *
 *	int	fb_xml(meta, snap, from, to, out)
 *	size_t	fb_part(snap, from, budget)
 *	size_t	fb_head_bound(meta, snap)
 *	int	fb_gzip(data, len, out)
 * DESCRIPTION
 *	fb_xml() writes a report of one policy snapshot as XML in the
 *	namespace urn:ietf:params:xml:ns:dmarc-2.0, valid against the RFC
 *	9990 schema: report_metadata, policy_published as the snapshot
 *	says, one record per row from row from to row to (excluded).
 *	libxml2's writer does every escaping.
 *
 *	A snapshot too big for one report (a day of forged mail from a
 *	million addresses makes a million rows) goes out in parts, each a
 *	report of its own.  fb_part() gives the end of the part that starts
 *	at row from: the rows after it whose XML fits in budget bytes, at
 *	least one.  fb_head_bound() is what the rest of a report takes at
 *	most.  Both count each byte of text as escaped, the worst case, so a
 *	part is never bigger than they say.
 *	fb_gzip() compresses with a gzip header (RFC 1952) whose time is
 *	zero, so the same report always gives the same bytes.  Both return
 *	0, or -1 (memory, or a limit passed).
 *--*/
#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "feedback.h"
#include "results.h"

#define FB_NS	"urn:ietf:params:xml:ns:dmarc-2.0"

#define W(x)	if ((x) < 0) return -1

/* fb_elem - <name>text</name> */

static int fb_elem(xmlTextWriterPtr w, const char *name, const char *text)
{
    return xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST text);
}

/* fb_elem_u64 - <name>number</name> */

static int fb_elem_u64(xmlTextWriterPtr w, const char *name, uint64_t v)
{
    char digits[24], *p = digits + sizeof(digits) - 1;

    *p = 0;
    do
	*--p = (char) ('0' + v % 10);
    while (v /= 10);
    return fb_elem(w, name, p);
}

/* fb_metadata - report_metadata */

static int fb_metadata(xmlTextWriterPtr w, const struct fb_meta *m)
{
    W(xmlTextWriterStartElement(w, BAD_CAST "report_metadata"));
    W(fb_elem(w, "org_name", m->org_name));
    W(fb_elem(w, "email", m->email));
    W(fb_elem(w, "report_id", m->report_id));
    W(xmlTextWriterStartElement(w, BAD_CAST "date_range"));
    W(fb_elem_u64(w, "begin", m->begin));
    W(fb_elem_u64(w, "end", m->end));
    W(xmlTextWriterEndElement(w));
    W(fb_elem(w, "generator", m->generator));
    return xmlTextWriterEndElement(w);
}

/* fb_policy - policy_published, from the snapshot */

static int fb_policy(xmlTextWriterPtr w, const struct store_policy *p)
{
    char c[2] = {0, 0};

    W(xmlTextWriterStartElement(w, BAD_CAST "policy_published"));
    W(fb_elem(w, "domain", p->domain));
    W(fb_elem(w, "p", p->p == RES_POLICY_UNSPEC ? "none" : res_policy_name(p->p)));
    if (p->sp != RES_POLICY_UNSPEC)
	W(fb_elem(w, "sp", res_policy_name(p->sp)));
    if (p->np != RES_POLICY_UNSPEC)
	W(fb_elem(w, "np", res_policy_name(p->np)));
    c[0] = p->adkim == 's' ? 's' : 'r';
    W(fb_elem(w, "adkim", c));
    c[0] = p->aspf == 's' ? 's' : 'r';
    W(fb_elem(w, "aspf", c));
    W(fb_elem(w, "discovery_method", res_discovery_name(p->discovery)));
    if (p->fo[0])
	W(fb_elem(w, "fo", p->fo));
    W(fb_elem(w, "testing", p->testing ? "y" : "n"));
    return xmlTextWriterEndElement(w);
}

/* fb_row - row: source_ip, count, policy_evaluated */

static int fb_row(xmlTextWriterPtr w, const struct agg_row *r)
{
    size_t i;

    W(xmlTextWriterStartElement(w, BAD_CAST "row"));
    W(fb_elem(w, "source_ip", r->source_ip));
    W(fb_elem_u64(w, "count", r->count));
    W(xmlTextWriterStartElement(w, BAD_CAST "policy_evaluated"));
    W(fb_elem(w, "disposition", res_disposition_name(r->disposition)));
    W(fb_elem(w, "dkim", r->dkim_aligned ? "pass" : "fail"));
    W(fb_elem(w, "spf", r->spf_aligned ? "pass" : "fail"));
    for (i = 0; i < r->nreasons; i++) {
	W(xmlTextWriterStartElement(w, BAD_CAST "reason"));
	W(fb_elem(w, "type", res_reason_name(r->reasons[i].type)));
	if (r->reasons[i].comment[0])
	    W(fb_elem(w, "comment", r->reasons[i].comment));
	W(xmlTextWriterEndElement(w));
    }
    W(xmlTextWriterEndElement(w));
    return xmlTextWriterEndElement(w);
}

/* fb_auth - identifiers and auth_results */

static int fb_auth(xmlTextWriterPtr w, const struct agg_row *r)
{
    size_t i;

    W(xmlTextWriterStartElement(w, BAD_CAST "identifiers"));
    W(fb_elem(w, "header_from", r->header_from));
    if (r->env_from[0])
	W(fb_elem(w, "envelope_from", r->env_from));
    if (r->env_to[0])
	W(fb_elem(w, "envelope_to", r->env_to));
    W(xmlTextWriterEndElement(w));
    W(xmlTextWriterStartElement(w, BAD_CAST "auth_results"));
    for (i = 0; i < r->ndkim; i++) {
	W(xmlTextWriterStartElement(w, BAD_CAST "dkim"));
	W(fb_elem(w, "domain", r->dkim[i].domain));
	W(fb_elem(w, "selector", r->dkim[i].selector));
	W(fb_elem(w, "result", res_dkim_name(r->dkim[i].result)));
	W(xmlTextWriterEndElement(w));
    }
    if (r->spf_domain[0]) {
	W(xmlTextWriterStartElement(w, BAD_CAST "spf"));
	W(fb_elem(w, "domain", r->spf_domain));
	W(fb_elem(w, "scope", "mfrom"));
	W(fb_elem(w, "result", res_spf_name(r->spf_result)));
	W(xmlTextWriterEndElement(w));
    }
    return xmlTextWriterEndElement(w);
}

/* The XML of a row, a reason, a DKIM result, a report without rows,
 * not counting their text: the tags, the longest keyword, a count of 20
 * digits (feedback.c's own output, measured, and rounded up). */
#define FB_ROW_FIXED	640
#define FB_REASON_FIXED	96
#define FB_DKIM_FIXED	128
#define FB_HEAD_FIXED	1024

/* fb_text - at most how many bytes text takes in XML ("&#xFF;" is 6) */

static size_t fb_text(const char *text)
{
    return 6 * strlen(text);
}

/* fb_row_bound - at most how many bytes of XML a row makes */

static size_t fb_row_bound(const struct agg_row *r)
{
    size_t n = FB_ROW_FIXED + fb_text(r->source_ip) + fb_text(r->header_from)
	+ fb_text(r->env_from) + fb_text(r->env_to) + fb_text(r->spf_domain), i;

    for (i = 0; i < r->nreasons; i++)
	n += FB_REASON_FIXED + fb_text(r->reasons[i].comment);
    for (i = 0; i < r->ndkim; i++)
	n += FB_DKIM_FIXED + fb_text(r->dkim[i].domain) + fb_text(r->dkim[i].selector);
    return n;
}

/* fb_head_bound - at most how many bytes a report takes besides its rows */

size_t fb_head_bound(const struct fb_meta *m, const struct agg_snap *s)
{
    return FB_HEAD_FIXED + fb_text(m->org_name) + fb_text(m->email) + fb_text(m->report_id)
	+ fb_text(m->generator) + fb_text(s->policy.domain) + fb_text(s->policy.fo);
}

/* fb_part - the end of the part of rows that starts at from */

size_t fb_part(const struct agg_snap *s, size_t from, size_t budget)
{
    size_t n = hmap_count(&s->rows), used = 0, end, b;

    for (end = from; end < n; end++) {
	b = fb_row_bound(hmap_at(&s->rows, end)->value);
	if (end > from && b > budget - used)
	    break;
	used = b > budget - used ? budget : used + b;
    }
    return end;
}

/* fb_document - the whole feedback element, rows from to to */

static int fb_document(xmlTextWriterPtr w, const struct fb_meta *m, const struct agg_snap *s,
		               size_t from, size_t to)
{
    size_t i;

    /* No indentation: machines read these, and it would cost a fifth. */
    W(xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL));
    W(xmlTextWriterStartElementNS(w, NULL, BAD_CAST "feedback", BAD_CAST FB_NS));
    W(fb_elem(w, "version", "1.0"));
    W(fb_metadata(w, m));
    W(fb_policy(w, &s->policy));
    for (i = from; i < to && i < hmap_count(&s->rows); i++) {
	const struct agg_row *r = hmap_at(&s->rows, i)->value;

	W(xmlTextWriterStartElement(w, BAD_CAST "record"));
	W(fb_row(w, r));
	W(fb_auth(w, r));
	W(xmlTextWriterEndElement(w));
    }
    W(xmlTextWriterEndElement(w));
    return xmlTextWriterEndDocument(w);
}

/* fb_xml - a report of one snapshot: rows from to to */

int fb_xml(const struct fb_meta *m, const struct agg_snap *s, size_t from, size_t to,
	           struct buf *out)
{
    xmlBufferPtr xb = xmlBufferCreate();
    xmlTextWriterPtr w;
    int ret = -1;

    if (xb == NULL)
	return -1;
    if ((w = xmlNewTextWriterMemory(xb, 0)) != NULL) {
	if (fb_document(w, m, s, from, to) >= 0) {
	    xmlFreeTextWriter(w);		/* flushes into xb */
	    w = NULL;
	    ret = buf_add(out, xmlBufferContent(xb), (size_t) xmlBufferLength(xb));
	}
	if (w)
	    xmlFreeTextWriter(w);
    }
    xmlBufferFree(xb);
    return ret;
}

/* fb_gzip - RFC 1952 compression with a fixed header */

int fb_gzip(const char *data, size_t len, struct buf *out)
{
    unsigned char chunk[64 * 1024];
    gz_header head;
    z_stream z;
    int rc;

    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
	return -1;
    memset(&head, 0, sizeof(head));
    head.os = 3;				/* Unix; time 0: reproducible */
    deflateSetHeader(&z, &head);
    z.next_in = (unsigned char *) data;
    z.avail_in = (uInt) len;
    do {
	z.next_out = chunk;
	z.avail_out = sizeof(chunk);
	rc = deflate(&z, Z_FINISH);
	if ((rc != Z_OK && rc != Z_STREAM_END)
	    || buf_add(out, chunk, sizeof(chunk) - z.avail_out) < 0) {
	    deflateEnd(&z);
	    return -1;
	}
    } while (rc != Z_STREAM_END);
    deflateEnd(&z);
    return 0;
}
