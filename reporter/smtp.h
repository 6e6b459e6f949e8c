/*++
 * NAME
 *	smtp 3h
 * SUMMARY
 *	report delivery over SMTP with libcurl
 *--*/
#ifndef PD_SMTP_H
#define PD_SMTP_H

#include <stddef.h>

#include "conf.h"

enum { SMTP_SENT, SMTP_TEMP, SMTP_PERM };

int smtp_send(const struct conf *, const char *, const char *, size_t, char *, size_t);

#endif
