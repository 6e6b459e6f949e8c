/*++
 * NAME
 *	dns_wire 3
 * SUMMARY
 *	an answer of ours as a DNS reply packet
 * SYNOPSIS
 *	#include "dns.h"
 *
 *	long	dns_answer_wire(answer, name, out, size)
 * DESCRIPTION
 *	dns_answer_wire() writes an answer as a DNS reply packet for a
 *	question about name (for libraries that parse packets themselves,
 *	such as libopendkim): the rcode (NOERROR or NXDOMAIN), the question
 *	and, for TXT, the records, each split into character-strings.  It
 *	returns the packet length, or -1 when it does not fit in size or
 *	the answer is a temporary failure.
 * SEE ALSO
 *	dns(3)
 *--*/
#include <string.h>

#include "dns.h"
#include "limits.h"

/* dns_wire_name - a presentation name as wire labels */

static long dns_wire_name(const char *name, unsigned char *out, size_t size)
{
    size_t o = 0, len;
    const char *p = name, *dot;

    while (*p) {
	dot = strchr(p, '.');
	len = dot ? (size_t) (dot - p) : strlen(p);
	if (len == 0 || len > DNS_LABEL_MAX || o + 1 + len >= size)
	    return -1;
	out[o++] = (unsigned char) len;
	memcpy(out + o, p, len);
	o += len;
	p += len + (dot != NULL);
    }
    if (o >= size)
	return -1;
    out[o++] = 0;
    return (long) o;
}

/* dns_answer_wire - an answer as a reply packet */

long dns_answer_wire(const struct dns_answer *a, const char *name, unsigned char *out,
		             size_t size)
{
    unsigned count = 0;
    size_t o, i, j;
    long n;

    if (a->status != DNS_FOUND && a->status != DNS_NXDOMAIN && a->status != DNS_NODATA)
	return -1;
    if (size < 12)
	return -1;
    memset(out, 0, 12);
    out[2] = 0x81;				/* QR, RD */
    out[3] = a->status == DNS_NXDOMAIN ? 0x83 : 0x80;	/* RA, rcode */
    out[5] = 1;					/* one question */
    if ((n = dns_wire_name(name, out + 12, size - 12)) < 0 || 12 + (size_t) n + 4 > size)
	return -1;
    o = 12 + (size_t) n;
    out[o++] = 0;
    out[o++] = (unsigned char) a->type;
    out[o++] = 0;
    out[o++] = 1;				/* IN */
    for (i = 0; a->status == DNS_FOUND && a->type == DNS_T_TXT && i < a->n; i++) {
	const struct dns_rr *rr = &a->rr[i];
	size_t rdlen = rr->len + (rr->len + 254) / 255 + (rr->len == 0);

	if (rdlen > 0xffff || o + 12 + rdlen > size)
	    return -1;
	out[o++] = 0xc0;			/* the name of the question */
	out[o++] = 12;
	out[o++] = 0;
	out[o++] = DNS_T_TXT;
	out[o++] = 0;
	out[o++] = 1;
	out[o++] = (unsigned char) (rr->ttl >> 24);
	out[o++] = (unsigned char) (rr->ttl >> 16);
	out[o++] = (unsigned char) (rr->ttl >> 8);
	out[o++] = (unsigned char) rr->ttl;
	out[o++] = (unsigned char) (rdlen >> 8);
	out[o++] = (unsigned char) rdlen;
	for (j = 0; j < rr->len || (j == 0 && rr->len == 0); j += 255) {
	    size_t part = rr->len - j < 255 ? rr->len - j : 255;

	    out[o++] = (unsigned char) part;
	    memcpy(out + o, rr->data + j, part);
	    o += part;
	}
	count++;
    }
    out[6] = (unsigned char) (count >> 8);
    out[7] = (unsigned char) count;
    return (long) o;
}
