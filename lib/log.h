/*++
 * NAME
 *	log 3h
 * SUMMARY
 *	logging to syslog (facility mail), stderr or a file
 *--*/
#ifndef PD_LOG_H
#define PD_LOG_H

#include <stdarg.h>
#include <syslog.h>

#include "compat.h"

void log_init(const char *);
void log_set_name(const char *);
void log_set_stderr(int);
int log_target(const char *);
void log_set_debug(int);
int log_debug_enabled(void);
void log_msg(int, const char *, ...) PD_PRINTF(2, 3);
void log_vmsg(int, const char *, va_list) PD_PRINTF(2, 0);
PD_NORETURN void log_fatal(int, const char *, ...) PD_PRINTF(2, 3);
PD_NORETURN void log_panic(const char *, ...) PD_PRINTF(1, 2);

#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define log_error(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_debug(...) \
    do { if (log_debug_enabled()) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)

#endif
