/*++
 * NAME
 *	limits 3h
 * SUMMARY
 *	every limit postdmarc puts on input, in one place
 * DESCRIPTION
 *	Each parser and buffer that sees untrusted bytes checks against one
 *	of these named constants.  Changing a limit here changes it
 *	everywhere; tests that exercise a limit use the same name.
 *--*/
#ifndef PD_LIMITS_H
#define PD_LIMITS_H

/* Configuration file. */
#define CONF_LINE_MAX		4096	/* a value as libinih hands it over: one physical
					 * line, which its reader stops at 198 bytes */
#define CONF_LIST_MAX		256	/* elements of one list value */

/* DNS. */
#define DNS_NAME_MAX		255	/* wire form: 253 bytes of text, no trailing dot */
#define DNS_LABEL_MAX		63
#define DNS_NAMESERVERS_MAX	8
#define DNS_UDP_MAX		1232	/* EDNS0 buffer size we advertise: no fragments (RFC 9715) */
#define DNS_ANSWER_RR_MAX	64	/* records kept from one answer */
#define DNS_PREFETCH_MAX	16	/* names asked at once by dns_prefetch() */
#define DNS_TXT_MAX		16384	/* one TXT record, strings joined */
#define DNS_NEG_TTL_MAX		3600	/* cap on negative-caching time */
#define DNS_TTL_MAX		86400	/* cap on positive-caching time */

/* Postfix policy protocol. */
#define POLICY_LINE_MAX		2048	/* name=value line, newline included */
#define POLICY_REQUEST_MAX	16384	/* one whole request */
#define POLICY_ATTRS_MAX	64	/* attributes in one request */
#define POLICY_CONNS_DEFAULT	512	/* concurrent client connections */

/* PATH_MAX, for realpath() and readlink(): this file hides <limits.h>
 * from gcc's #include_next when lib/ is an -iquote directory. */
#define PD_PATH_MAX		4096

/* postdmarc-filterd's server: one request of postdmarc-pipefilter */
#define FILTERD_REQUEST_MAX	(1024 * 1024)	/* its command line, NULs included */
#define FILTERD_ARGS_MAX	20000	/* arguments in it: Postfix's recipient limits are lower */
#define FILTERD_REQUEST_MS	1000	/* a request comes whole within this */
#define FILTERD_BACKLOG		128	/* connections waiting to be taken */
#define FILTERD_HELLO_MS	5000	/* wait for the other side's go-ahead */

/* Message headers. */
/* Far above what Postfix passes with its defaults (header_size_limit is
 * 102400 bytes a field; the count is bounded by message_size_limit only):
 * a header section the filter cannot read would be a way around DMARC. */
#define MSG_HEADERS_MAX		100000	/* header fields in one message */
#define MSG_HEADER_MAX		(1024 * 1024)	/* one field, folded lines included */
#define MSG_HEAD_MAX		(16 * 1024 * 1024)	/* the whole header section */
#define MSG_AUTHORS_MAX		8	/* author domains evaluated */
#define MSG_ADDR_MAX		512	/* one address, local@domain */
#define MSG_DOMAIN_MAX		253	/* author domain, text form, no trailing dot */

/* DKIM. */
#define DKIM_SIGS_DEFAULT	10	/* signatures evaluated by default */
#define DKIM_SIGS_MAX		64	/* configurable upper bound */
#define DKIM_KEY_BITS_MIN	1024	/* RFC 8301 */

/* DMARC. */
#define DMARC_RECORD_MAX	DNS_TXT_MAX
#define DMARC_URIS_MAX		16	/* rua= / ruf= URIs kept */
#define DMARC_URI_MAX		512
#define DMARC_LOCAL_MAX		64	/* mailto: local-part, RFC 5321 4.5.3.1.1 */
#define DMARC_TREE_WALK_MAX	8	/* RFC 9989 4.10: at most 8 lookups */

/* Authentication-Results. */
#define AR_HEADER_MAX		8192	/* the header we write */
#define AR_VALUE_MAX		256	/* one property value */
#define AR_ID_MAX		DNS_NAME_MAX	/* an authserv-id, ours or one read */
#define AR_KEYWORD_MAX		64	/* method, result, ptype, property */
#define AR_COMMENT_DEPTH_MAX	32	/* nested comments in a field read */

/* Store records. */
#define STORE_RECORD_MAX	(64 * 1024)	/* one encoded record */
#define STORE_DKIM_MAX		DKIM_SIGS_MAX
#define STORE_REPORT_MAX	(64 * 1024 * 1024)	/* one gzip'ed report */
#define STORE_MAP_INITIAL	(64ULL * 1024 * 1024)
#define STORE_MAP_MAX		(64ULL * 1024 * 1024 * 1024)

/* Aggregate reports. */
#define REPORT_DKIM_MAX		STORE_DKIM_MAX	/* DKIM results in one row: a record's */
#define REPORT_XML_PART_MAX	(32 * 1024 * 1024)	/* a report's XML: more rows, another report */
#define REPORT_DESTS_MAX	DMARC_URIS_MAX

#endif
