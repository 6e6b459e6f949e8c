/*++
 * NAME
 *	dmarc_record 3h
 * SUMMARY
 *	DMARC Policy Record parser (RFC 9989 4.7, 4.8) and mailto: URIs
 *--*/
#ifndef PD_DMARC_RECORD_H
#define PD_DMARC_RECORD_H

#include <stddef.h>

#include "limits.h"
#include "results.h"

/* The p, sp and np values are those of results.h, which dmarc(3) and
 * the store hand on as they are. */
enum dmarc_policy {
    DMARC_POLICY_UNSPEC = RES_POLICY_UNSPEC,
    DMARC_POLICY_NONE = RES_POLICY_NONE,
    DMARC_POLICY_QUARANTINE = RES_POLICY_QUARANTINE,
    DMARC_POLICY_REJECT = RES_POLICY_REJECT,
};

enum dmarc_record_status {
    DMARC_RECORD_OK = 0,
    DMARC_RECORD_NOT_DMARC,		/* not a DMARC record at all: ignore it */
    DMARC_RECORD_INVALID,		/* a DMARC record that is unusable */
};

#define DMARC_FO_SIZE	16		/* room for the normalized fo value */

struct dmarc_record {
    int p, sp, np;			/* enum dmarc_policy; sp/np UNSPEC when
					 * absent (caller applies inheritance) */
    int p_from_rua;			/* 1: p missing or invalid (or sp/np
					 * invalid), and a valid rua made the
					 * record usable as p=none (4.10.1) */
    char adkim, aspf;			/* 'r' or 's' (default 'r') */
    int t;				/* 1 if t=y (testing) */
    char psd;				/* 'y', 'n' or 'u' (absent) */
    char fo[DMARC_FO_SIZE];		/* normalized fo value, default "0" */
    size_t nrua, nruf;
    char rua[DMARC_URIS_MAX][DMARC_URI_MAX + 1];	/* as published */
    char ruf[DMARC_URIS_MAX][DMARC_URI_MAX + 1];
};

int dmarc_record_parse(const char *, size_t, struct dmarc_record *, char *, size_t);
const char *dmarc_policy_name(int);
int dmarc_uri_valid(const char *, size_t);
int dmarc_uri_mailto(const char *, char *, size_t);

#endif
