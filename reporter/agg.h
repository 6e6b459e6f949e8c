/*++
 * NAME
 *	agg 3h
 * SUMMARY
 *	records of one policy domain and day, grouped into report rows
 *--*/
#ifndef PD_AGG_H
#define PD_AGG_H

#include <stdint.h>

#include "buf.h"
#include "hmap.h"
#include "store.h"

struct agg_row {
    uint64_t count;
    char *source_ip, *header_from, *env_from, *env_to, *spf_domain;
    int disposition, dkim_aligned, spf_aligned, spf_result;
    size_t nreasons;
    struct store_reason *reasons;
    size_t ndkim;
    struct store_dkim *dkim;		/* at most REPORT_DKIM_MAX, best first */
};

/* One published policy configuration: one report. */
struct agg_snap {
    struct store_policy policy;
    uint64_t count;			/* messages */
    uint64_t first, last;		/* times of the first and last message */
    struct hmap rows;			/* row key -> struct agg_row */
};

struct agg {
    struct hmap snaps;			/* policy key -> struct agg_snap */
    struct buf key;			/* scratch, reused for every record */
    uint64_t records;			/* reportable records added */
    uint64_t skipped;			/* records with nothing to report */
};

int agg_init(struct agg *);
int agg_add(struct agg *, const struct store_msg *);
void agg_free(struct agg *);

#endif
