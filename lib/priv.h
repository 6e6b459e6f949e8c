/*++
 * NAME
 *	priv 3h
 * SUMMARY
 *	dropping root privileges
 *--*/
#ifndef PD_PRIV_H
#define PD_PRIV_H

#include <stddef.h>

int priv_drop(const char *, char *, size_t);

#endif
