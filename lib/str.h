/*++
 * NAME
 *	str 3h
 * SUMMARY
 *	bounded string helpers
 *--*/
#ifndef PD_STR_H
#define PD_STR_H

#include <stddef.h>
#include <stdint.h>

#include "compat.h"

int str_copy(char *, const char *, size_t) PD_WUR;
int str_ncopy(char *, size_t, const char *, size_t) PD_WUR;
int str_to_u64(const char *, size_t, uint64_t, uint64_t *) PD_WUR;
int str_eq_ci(const char *, const char *);
int str_neq_ci(const char *, size_t, const char *);
void str_lower(char *);
size_t str_printable(char *, size_t, const char *, size_t);
char *str_dup(const char *);
char *str_ndup(const char *, size_t);
const char *str_trim(const char *, size_t *);
int str_split(const char *, int, char ***, size_t *, size_t);
void str_split_free(char **, size_t);

#define STR_IS_WSP(c)	((c) == ' ' || (c) == '\t')
#define STR_IS_DIGIT(c)	((c) >= '0' && (c) <= '9')
#define STR_IS_ALPHA(c)	(((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define STR_TOLOWER(c)	(((c) >= 'A' && (c) <= 'Z') ? (c) + ('a' - 'A') : (c))

#endif
