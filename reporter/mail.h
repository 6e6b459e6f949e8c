/*++
 * NAME
 *	mail 3h
 * SUMMARY
 *	the email that carries an aggregate report
 *--*/
#ifndef PD_MAIL_H
#define PD_MAIL_H

#include <time.h>

#include "buf.h"
#include "conf.h"
#include "store.h"

int mail_compose(const struct conf *, const struct store_report *, size_t, time_t,
		         struct buf *);
int mail_filename(const struct conf *, const struct store_report *, char *, size_t);

#endif
