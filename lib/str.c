/*++
 * NAME
 *	str 3
 * SUMMARY
 *	bounded string helpers
 * SYNOPSIS
 *	#include "str.h"
 *
 *	int	str_copy(dst, src, size)
 *	int	str_ncopy(dst, size, src, len)
 *	int	str_to_u64(s, len, max, out)
 *	int	str_eq_ci(a, b)
 *	int	str_neq_ci(a, alen, b)
 *	void	str_lower(s)
 *	size_t	str_printable(dst, size, src, len)
 *	char	*str_dup(s)
 *	char	*str_ndup(s, len)
 *	const char *str_trim(s, len)
 *	int	str_split(s, sep, vec, count, max)
 *	void	str_split_free(vec, count)
 * DESCRIPTION
 *	str_copy() copies the NUL-terminated src into dst of size bytes,
 *	like strlcpy(); str_ncopy() copies len bytes of src.  Both return
 *	0, or -1 when the result would not fit (dst then holds a truncated,
 *	terminated copy, which callers must not use as if it were whole).
 *
 *	str_to_u64() parses exactly len bytes of s as an unsigned decimal
 *	number no larger than max.  No sign, no white space, no empty
 *	string; returns 0 or -1.
 *
 *	str_eq_ci() compares two strings ignoring ASCII case;
 *	str_neq_ci() compares the first alen bytes of a with all of b.
 *	Both return 1 when equal.
 *
 *	str_lower() folds ASCII upper case to lower case in place.
 *
 *	str_printable() copies at most len bytes of untrusted src into dst
 *	for logging: control characters, non-ASCII bytes and backslashes
 *	become \xHH escapes, and a copy that does not fit ends in "...".
 *	It returns the length written.  dst size must be at least 8.
 *
 *	str_dup() and str_ndup() return a malloc()ed copy owned by the
 *	caller, or NULL when memory runs out (str_dup(NULL) is NULL).
 *
 *	str_trim() skips leading and trailing white space of a string of
 *	*len bytes; it returns the new start and sets *len.
 *
 *	str_split() splits a string at sep into trimmed, non-empty fields;
 *	*vec is a malloc()ed array of malloc()ed strings owned by the
 *	caller (release with str_split_free()).  It returns 0, or -1 when
 *	there are more than max fields or memory runs out.
 *--*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "str.h"

/* str_ncopy - copy len bytes into a bounded destination */

int str_ncopy(char *dst, size_t size, const char *src, size_t len)
{
    if (size == 0)
	return -1;
    if (len >= size) {
	memcpy(dst, src, size - 1);
	dst[size - 1] = 0;
	return -1;
    }
    memcpy(dst, src, len);
    dst[len] = 0;
    return 0;
}

/* str_copy - strlcpy() with the truncation check built in */

int str_copy(char *dst, const char *src, size_t size)
{
    return str_ncopy(dst, size, src, strlen(src));
}

/* str_to_u64 - strict bounded decimal parse */

int str_to_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;

    if (len == 0)
	return -1;
    for (i = 0; i < len; i++) {
	unsigned d;

	if (!STR_IS_DIGIT(s[i]))
	    return -1;
	d = (unsigned) (s[i] - '0');
	if (v > max / 10 || (v == max / 10 && d > max % 10))
	    return -1;
	v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* str_eq_ci - ASCII case-insensitive equality */

int str_eq_ci(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
	if (STR_TOLOWER(*a) != STR_TOLOWER(*b))
	    return 0;
    return *a == *b;
}

/* str_neq_ci - compare a counted string with a C string */

int str_neq_ci(const char *a, size_t alen, const char *b)
{
    size_t i;

    for (i = 0; i < alen; i++, b++)
	if (*b == 0 || STR_TOLOWER(a[i]) != STR_TOLOWER(*b))
	    return 0;
    return *b == 0;
}

/* str_lower - fold to lower case in place */

void str_lower(char *s)
{
    for (; *s; s++)
	*s = (char) STR_TOLOWER(*s);
}

/* str_printable - make untrusted bytes safe to log */

size_t str_printable(char *dst, size_t size, const char *src, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, o = 0;

    if (size < 8)
	abort();				/* caller bug */
    for (i = 0; i < len; i++) {
	unsigned char c = (unsigned char) src[i];
	int plain = c >= 0x20 && c < 0x7f && c != '\\';

	if (o + (plain ? 1 : 4) > size - 4) {
	    memcpy(dst + o, "...", 3);
	    o += 3;
	    break;
	}
	if (plain) {
	    dst[o++] = (char) c;
	} else {
	    dst[o++] = '\\';
	    dst[o++] = 'x';
	    dst[o++] = hex[c >> 4];
	    dst[o++] = hex[c & 15];
	}
    }
    dst[o] = 0;
    return o;
}

/* str_dup - malloc()ed copy, NULL-safe */

char *str_dup(const char *s)
{
    return s ? str_ndup(s, strlen(s)) : NULL;
}

/* str_ndup - malloc()ed copy of len bytes */

char *str_ndup(const char *s, size_t len)
{
    char *p;

    if ((p = malloc(len + 1)) == NULL)
	return NULL;
    memcpy(p, s, len);
    p[len] = 0;
    return p;
}

/* str_trim - skip surrounding white space */

const char *str_trim(const char *s, size_t *len)
{
    size_t n = *len;

    while (n > 0 && (STR_IS_WSP(*s) || *s == '\r' || *s == '\n')) {
	s++;
	n--;
    }
    while (n > 0 && (STR_IS_WSP(s[n - 1]) || s[n - 1] == '\r' || s[n - 1] == '\n'))
	n--;
    *len = n;
    return s;
}

/* str_split_free - release what str_split() made */

void str_split_free(char **vec, size_t count)
{
    size_t i;

    if (vec == NULL)
	return;
    for (i = 0; i < count; i++)
	free(vec[i]);
    free(vec);
}

/* str_split - split at sep into trimmed non-empty fields */

int str_split(const char *s, int sep, char ***vecp, size_t *countp, size_t max)
{
    char **vec;
    size_t n = 0;
    const char *p, *end;

    *vecp = NULL;
    *countp = 0;
    if ((vec = calloc(max ? max : 1, sizeof(*vec))) == NULL)
	return -1;
    for (p = s;; p = end + 1) {
	const char *f;
	size_t flen;

	if ((end = strchr(p, sep)) == NULL)
	    end = p + strlen(p);
	flen = (size_t) (end - p);
	f = str_trim(p, &flen);
	if (flen > 0) {
	    if (n >= max || (vec[n] = str_ndup(f, flen)) == NULL) {
		str_split_free(vec, n);
		errno = n >= max ? E2BIG : ENOMEM;
		return -1;
	    }
	    n++;
	}
	if (*end == 0)
	    break;
    }
    *vecp = vec;
    *countp = n;
    return 0;
}
