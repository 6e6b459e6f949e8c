/*++
 * NAME
 *	compat 3h
 * SUMMARY
 *	compiler attributes and small portable macros
 *--*/
#ifndef PD_COMPAT_H
#define PD_COMPAT_H

#if defined(__GNUC__) || defined(__clang__)
#define PD_PRINTF(f, a)	__attribute__((format(printf, f, a)))
#define PD_NORETURN	__attribute__((noreturn))
#define PD_UNUSED	__attribute__((unused))
#define PD_WUR		__attribute__((warn_unused_result))
#else
#define PD_PRINTF(f, a)
#define PD_NORETURN
#define PD_UNUSED
#define PD_WUR
#endif

#define PD_NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* sysexits(3) values, the delivery-agent exit statuses. */
#include <sysexits.h>

#endif
