/*++
 * NAME
 *	verdict 3h
 * SUMMARY
 *	from DMARC results to what happens to the message
 *--*/
#ifndef PD_VERDICT_H
#define PD_VERDICT_H

#include "conf.h"
#include "dmarc.h"
#include "store.h"

enum { VERDICT_DELIVER, VERDICT_QUARANTINE, VERDICT_DISCARD, VERDICT_REJECT, VERDICT_TEMPFAIL };

struct verdict {
    int dmarc;				/* enum res_dmarc, all authors together */
    const struct dmarc_eval *ev;	/* the author that decided, or NULL */
    int applied;			/* enum res_policy, after t=y */
    int disposition;			/* enum res_disposition */
    int action;				/* VERDICT_* */
    size_t nreasons;
    struct store_reason reasons[STORE_REASONS_MAX];
};

void verdict_decide(const struct conf *, const struct dmarc_eval *, size_t, int,
		            struct verdict *);
void verdict_unreadable(const struct conf *, struct verdict *);
const char *verdict_action_name(int);

#endif
