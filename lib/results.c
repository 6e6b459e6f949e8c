/*++
 * NAME
 *	results 3
 * SUMMARY
 *	names of authentication results
 * SYNOPSIS
 *	#include "results.h"
 *
 *	const char *res_spf_name(code)
 *	const char *res_dkim_name(code)
 *	const char *res_dmarc_name(code)
 *	const char *res_policy_name(code)
 *	const char *res_disposition_name(code)
 *	const char *res_reason_name(code)
 *	const char *res_discovery_name(code)
 * DESCRIPTION
 *	The *_name() functions return the standard lower-case name of a
 *	code, as used in Authentication-Results, Received-SPF and reports;
 *	an out-of-range code (from a damaged store record, say) gives "".
 *--*/
#include <stddef.h>

#include "compat.h"
#include "results.h"

static const char *const res_spf[] = {
    "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror",
};
static const char *const res_dkim[] = {
    "none", "pass", "fail", "policy", "neutral", "temperror", "permerror",
};
static const char *const res_dmarc[] = {
    "none", "pass", "fail", "temperror", "permerror",
};
static const char *const res_policy[] = {"", "none", "quarantine", "reject"};
static const char *const res_disp[] = {"none", "pass", "quarantine", "reject"};
static const char *const res_reason[] = {
    "local_policy", "mailing_list", "other", "policy_test_mode", "trusted_forwarder",
};
static const char *const res_discovery[] = {"treewalk", "psl"};

/* A name for every code: a table out of step with its enum fails to build. */
_Static_assert(PD_NELEM(res_spf) == RES_SPF_COUNT, "res_spf");
_Static_assert(PD_NELEM(res_dkim) == RES_DKIM_COUNT, "res_dkim");
_Static_assert(PD_NELEM(res_dmarc) == RES_DMARC_COUNT, "res_dmarc");
_Static_assert(PD_NELEM(res_policy) == RES_POLICY_COUNT, "res_policy");
_Static_assert(PD_NELEM(res_disp) == RES_DISP_COUNT, "res_disp");
_Static_assert(PD_NELEM(res_reason) == RES_REASON_COUNT, "res_reason");
_Static_assert(PD_NELEM(res_discovery) == RES_DISCOVERY_COUNT, "res_discovery");

#define RES_NAME(table, code) \
    ((code) >= 0 && (size_t) (code) < PD_NELEM(table) ? (table)[code] : "")

/* res_spf_name - SPF result name */

const char *res_spf_name(int code)
{
    return RES_NAME(res_spf, code);
}

/* res_dkim_name - DKIM result name */

const char *res_dkim_name(int code)
{
    return RES_NAME(res_dkim, code);
}

/* res_dmarc_name - DMARC result name */

const char *res_dmarc_name(int code)
{
    return RES_NAME(res_dmarc, code);
}

/* res_policy_name - p/sp/np value name, "" when unspecified */

const char *res_policy_name(int code)
{
    return RES_NAME(res_policy, code);
}

/* res_disposition_name - report disposition name */

const char *res_disposition_name(int code)
{
    return RES_NAME(res_disp, code);
}

/* res_reason_name - policy override reason name */

const char *res_reason_name(int code)
{
    return RES_NAME(res_reason, code);
}

/* res_discovery_name - discovery method name */

const char *res_discovery_name(int code)
{
    return RES_NAME(res_discovery, code);
}
