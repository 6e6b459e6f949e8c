/*++
 * NAME
 *	tap 3h
 * SUMMARY
 *	Test Anything Protocol output for the C unit tests
 * SYNOPSIS
 *	#include "tap.h"
 *
 *	ok(cond, fmt, ...);
 *	is_int(got, want, name);
 *	is_str(got, want, name);
 *	return tap_done();
 * DESCRIPTION
 *	Header-only: every test program includes it once.  The plan is
 *	printed at the end ("1..N"), so tests need not count in advance;
 *	tap_done() returns the exit status (0 when everything passed).
 *--*/
#ifndef PD_TAP_H
#define PD_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static int __attribute__((format(printf, 2, 3), unused)) ok(int cond, const char *fmt, ...)
{
    va_list ap;

    tap_n++;
    printf("%sok %d - ", cond ? "" : "not ", tap_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    if (!cond)
	tap_failed++;
    fflush(stdout);
    return cond;
}

static void __attribute__((format(printf, 1, 2), unused)) diag(const char *fmt, ...)
{
    va_list ap;

    fputs("# ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

#define is_int(got, want, name) do { \
	long long g_ = (long long) (got), w_ = (long long) (want); \
	if (!ok(g_ == w_, "%s", (name))) diag("got %lld, want %lld", g_, w_); \
    } while (0)

#define is_str(got, want, name) do { \
	const char *g_ = (got), *w_ = (want); \
	int same_ = (g_ == NULL && w_ == NULL) || (g_ && w_ && strcmp(g_, w_) == 0); \
	if (!ok(same_, "%s", (name))) \
	    diag("got \"%s\", want \"%s\"", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
    } while (0)

static int __attribute__((unused)) tap_done(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
