/*++
 * NAME
 *	results 3h
 * SUMMARY
 *	the vocabulary of authentication results shared by every module
 * DESCRIPTION
 *	Result codes of SPF (RFC 7208 section 2.6), DKIM (RFC 8601 section
 *	2.7.1), DMARC (RFC 9989), the dispositions and policy-override
 *	reasons of aggregate reports (RFC 9990), with their standard names.
 *	The numbers are stored in the LMDB store: only append.
 *--*/
#ifndef PD_RESULTS_H
#define PD_RESULTS_H

enum res_spf {
    RES_SPF_NONE, RES_SPF_NEUTRAL, RES_SPF_PASS, RES_SPF_FAIL, RES_SPF_SOFTFAIL,
    RES_SPF_TEMPERROR, RES_SPF_PERMERROR, RES_SPF_COUNT
};

enum res_dkim {
    RES_DKIM_NONE, RES_DKIM_PASS, RES_DKIM_FAIL, RES_DKIM_POLICY, RES_DKIM_NEUTRAL,
    RES_DKIM_TEMPERROR, RES_DKIM_PERMERROR, RES_DKIM_COUNT
};

enum res_dmarc {
    RES_DMARC_NONE, RES_DMARC_PASS, RES_DMARC_FAIL, RES_DMARC_TEMPERROR,
    RES_DMARC_PERMERROR, RES_DMARC_COUNT
};

/* p=, sp=, np= values; UNSPEC when a tag is absent. */
enum res_policy {
    RES_POLICY_UNSPEC, RES_POLICY_NONE, RES_POLICY_QUARANTINE, RES_POLICY_REJECT,
    RES_POLICY_COUNT
};

/* What was done with a message (RFC 9990 ActionDispositionType). */
enum res_disposition {
    RES_DISP_NONE, RES_DISP_PASS, RES_DISP_QUARANTINE, RES_DISP_REJECT, RES_DISP_COUNT
};

/* Why the disposition differs from the policy (PolicyOverrideType). */
enum res_reason {
    RES_REASON_LOCAL_POLICY, RES_REASON_MAILING_LIST, RES_REASON_OTHER,
    RES_REASON_POLICY_TEST_MODE, RES_REASON_TRUSTED_FORWARDER, RES_REASON_COUNT
};

/* How the policy record was found (DiscoveryType). */
enum res_discovery {
    RES_DISCOVERY_TREEWALK, RES_DISCOVERY_PSL, RES_DISCOVERY_COUNT
};

const char *res_spf_name(int);
const char *res_dkim_name(int);
const char *res_dmarc_name(int);
const char *res_policy_name(int);
const char *res_disposition_name(int);
const char *res_reason_name(int);
const char *res_discovery_name(int);

#endif
