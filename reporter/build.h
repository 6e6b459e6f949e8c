/*++
 * NAME
 *	build 3h
 * SUMMARY
 *	turning stored records into stored reports
 *--*/
#ifndef PD_BUILD_H
#define PD_BUILD_H

#include <stdint.h>
#include <stdio.h>

#include "conf.h"
#include "store.h"

struct build_stats {
    uint64_t records;			/* reported */
    uint64_t skipped;			/* records with nothing to report */
    unsigned reports;
    unsigned no_destination;		/* snapshots without a mailto: rua */
    unsigned excluded;
};

int build_reports(const struct conf *, struct store *, uint64_t, uint64_t, int, FILE *,
		          struct build_stats *);

#endif
