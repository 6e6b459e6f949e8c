/*++
 * NAME
 *	mail 3
 * SUMMARY
 *	the email that carries an aggregate report
 * SYNOPSIS
 *	#include "mail.h"
 *
 *	int	mail_compose(conf, report, dest, now, out)
 *	int	mail_filename(conf, report, name, size)
 * DESCRIPTION
 *	mail_filename() writes the attachment name RFC 9990 section 3.2.2
 *	prescribes: receiver!policy-domain!begin!end!unique-id.xml.gz, the
 *	unique id being the report id, so a report sent again has the same
 *	name.
 *
 *	mail_compose() writes the whole message for destination number
 *	dest: From (from_name <email>), To, the RFC 9990 Subject ("Report
 *	Domain: D Submitter: S Report-ID: R"), Date, a Message-ID on
 *	msgid_from made of the report id (the same on every resend),
 *	Auto-Submitted: auto-generated, a short text part and the gzip'ed
 *	XML as an application/gzip attachment.  CRLF line endings, 7-bit.
 *	Both return 0, or -1 when the result does not fit.
 *--*/
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mail.h"
#include "str.h"

#define MAIL_B64_LINE	76

/* mail_filename - receiver!policy-domain!begin!end!id.xml.gz */

int mail_filename(const struct conf *conf, const struct store_report *rp, char *name,
		          size_t size)
{
    int n = snprintf(name, size, "%s!%s!%llu!%llu!%s.xml.gz", conf->domain, rp->domain,
		     (unsigned long long) rp->begin, (unsigned long long) rp->end, rp->id);

    return n < 0 || (size_t) n >= size ? -1 : 0;
}

/* mail_display_name - a phrase, quoted when it is not all atext */

static void mail_display_name(struct buf *out, const char *name)
{
    const char *p;
    int plain = *name != 0;

    for (p = name; *p; p++)
	if (!(STR_IS_ALPHA(*p) || STR_IS_DIGIT(*p) || strchr(" !#$%&'*+-/=?^_`{|}~", *p)))
	    plain = 0;
    if (plain) {
	buf_addstr(out, name);
	return;
    }
    buf_addch(out, '"');
    for (p = name; *p; p++) {
	if ((unsigned char) *p < ' ' || (unsigned char) *p >= 127)
	    continue;				/* 7-bit header, no controls */
	if (*p == '"' || *p == '\\')
	    buf_addch(out, '\\');
	buf_addch(out, *p);
    }
    buf_addch(out, '"');
}

/* mail_base64 - RFC 2045 base64 in lines of 76 */

static void mail_base64(struct buf *out, const unsigned char *data, size_t len)
{
    static const char tab[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i, col = 0;

    for (i = 0; i < len; i += 3) {
	unsigned v = (unsigned) data[i] << 16;
	char q[4];

	if (i + 1 < len)
	    v |= (unsigned) data[i + 1] << 8;
	if (i + 2 < len)
	    v |= data[i + 2];
	q[0] = tab[v >> 18 & 63];
	q[1] = tab[v >> 12 & 63];
	q[2] = i + 1 < len ? tab[v >> 6 & 63] : '=';
	q[3] = i + 2 < len ? tab[v & 63] : '=';
	buf_add(out, q, 4);
	if ((col += 4) >= MAIL_B64_LINE) {
	    buf_addstr(out, "\r\n");
	    col = 0;
	}
    }
    if (col)
	buf_addstr(out, "\r\n");
}

/* mail_date - RFC 5322 date-time, UTC */

static void mail_date(char *out, size_t size, time_t t)
{
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, size, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

/* mail_compose - the message for one destination */

int mail_compose(const struct conf *conf, const struct store_report *rp, size_t dest,
		         time_t now, struct buf *out)
{
    char date[64], begin[32], end[32], name[512];
    time_t b = (time_t) rp->begin, e = (time_t) rp->end;
    struct tm tm;

    if (mail_filename(conf, rp, name, sizeof(name)) < 0)
	return -1;
    mail_date(date, sizeof(date), now);
    gmtime_r(&b, &tm);
    strftime(begin, sizeof(begin), "%Y-%m-%d %H:%M:%S", &tm);
    gmtime_r(&e, &tm);
    strftime(end, sizeof(end), "%Y-%m-%d %H:%M:%S", &tm);
    buf_addstr(out, "From: ");
    mail_display_name(out, conf->from_name);
    buf_printf(out, " <%s>\r\n", conf->email);
    buf_printf(out, "To: <%s>\r\n", rp->dests[dest].addr);
    buf_printf(out, "Subject: Report Domain: %s Submitter: %s Report-ID: %s\r\n", rp->domain,
	       conf->domain, rp->id);
    buf_printf(out, "Date: %s\r\n", date);
    buf_printf(out, "Message-ID: <%s.%zu@%s>\r\n", rp->id, dest, conf->msgid_from);
    buf_addstr(out, "Auto-Submitted: auto-generated\r\n");
    buf_addstr(out, "MIME-Version: 1.0\r\n");
    buf_printf(out, "Content-Type: multipart/mixed; boundary=\"=_%s\"\r\n\r\n", rp->id);
    buf_addstr(out, "This is a MIME-formatted message.\r\n\r\n");
    buf_printf(out, "--=_%s\r\nContent-Type: text/plain; charset=us-ascii\r\n"
	       "Content-Transfer-Encoding: 7bit\r\n\r\n", rp->id);
    buf_printf(out, "This is a DMARC aggregate report (RFC 9990) from %s for %s,\r\n"
	       "covering %s to %s UTC: %llu messages.\r\n\r\n", conf->domain, rp->domain,
	       begin, end, (unsigned long long) rp->records);
    buf_printf(out, "--=_%s\r\nContent-Type: application/gzip; name=\"%s\"\r\n"
	       "Content-Disposition: attachment; filename=\"%s\"\r\n"
	       "Content-Transfer-Encoding: base64\r\n\r\n", rp->id, name, name);
    mail_base64(out, rp->blob, rp->len);
    buf_printf(out, "\r\n--=_%s--\r\n", rp->id);
    return buf_error(out) ? -1 : 0;
}
