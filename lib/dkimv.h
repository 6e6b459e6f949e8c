/*++
 * NAME
 *	dkimv 3h
 * SUMMARY
 *	DKIM verification through libopendkim, with our DNS layer
 *--*/
#ifndef PD_DKIMV_H
#define PD_DKIMV_H

#include <stddef.h>

#include "dns.h"
#include "limits.h"

#define DKIMV_REASON_MAX	128

struct dkimv_sig {
    char domain[DNS_NAME_MAX + 1];	/* d=, lower case */
    char selector[DNS_NAME_MAX + 1];	/* s= */
    char algorithm[32];			/* a=, e.g. "rsa-sha256" */
    char b[16];				/* start of b=, tells signatures apart */
    unsigned keybits;
    int result;				/* enum res_dkim */
    char reason[DKIMV_REASON_MAX];	/* why not pass, printable */
};

struct dkimv_result {
    size_t n;				/* signatures evaluated */
    size_t seen;			/* signatures in the message */
    struct dkimv_sig sig[DKIM_SIGS_MAX];
};

struct dkimv;
struct dkimv_msg;

struct dkimv *dkimv_new(struct dns_resolver *, unsigned);
void dkimv_free(struct dkimv *);
void dkimv_warm(void);
struct dkimv_msg *dkimv_start(struct dkimv *, const char *);
int dkimv_header(struct dkimv_msg *, const char *, size_t);
int dkimv_eoh(struct dkimv_msg *);
int dkimv_body(struct dkimv_msg *, const char *, size_t);
int dkimv_finish(struct dkimv_msg *, struct dkimv_result *);
void dkimv_msg_free(struct dkimv_msg *);

extern unsigned long dkimv_fast_keys;	/* RSA keys decoded without OpenSSL 3's decoders */

#endif
