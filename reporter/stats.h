/*++
 * NAME
 *	stats 3h
 * SUMMARY
 *	postdmarc-reporter --stats: the daily table for the operator
 *--*/
#ifndef PD_STATS_H
#define PD_STATS_H

#include <stdio.h>

#include "store.h"

int stats_print(struct store *, unsigned, FILE *);

#endif
