/* results_test - names of results */
#include <string.h>

#include "results.h"
#include "tap.h"

int main(void)
{
    int i;

    is_str(res_spf_name(RES_SPF_SOFTFAIL), "softfail", "SPF softfail");
    is_str(res_dkim_name(RES_DKIM_POLICY), "policy", "DKIM policy");
    is_str(res_dmarc_name(RES_DMARC_TEMPERROR), "temperror", "DMARC temperror");
    is_str(res_policy_name(RES_POLICY_UNSPEC), "", "an absent policy has no name");
    is_str(res_policy_name(RES_POLICY_QUARANTINE), "quarantine", "quarantine");
    is_str(res_disposition_name(RES_DISP_PASS), "pass", "disposition pass");
    is_str(res_reason_name(RES_REASON_POLICY_TEST_MODE), "policy_test_mode", "reason");
    is_str(res_discovery_name(RES_DISCOVERY_PSL), "psl", "discovery psl");
    is_str(res_spf_name(-1), "", "a damaged code has no name");
    is_str(res_dkim_name(RES_DKIM_COUNT), "", "one past the end has no name");
    for (i = 0; i < RES_SPF_COUNT; i++)
	if (*res_spf_name(i) == 0)
	    break;
    is_int(i, RES_SPF_COUNT, "every SPF result has a name");
    return tap_done();
}
