/*++
 * NAME
 *	wire 3
 * SUMMARY
 *	postdmarc-pipefilter's requests to postdmarc-filterd
 * SYNOPSIS
 *	#include "wire.h"
 *
 *	long	wire_request(argc, argv, buf, size)
 *
 *	int	wire_head(head, len)
 *
 *	int	wire_args(payload, len, argv, max, argc)
 * DESCRIPTION
 *	A request is a command line: WIRE_HEAD bytes (WIRE_MAGIC, then
 *	the payload's length as 4 bytes, most significant first), then
 *	the payload, each argument ending in a NUL.  It travels over a
 *	UNIX-domain stream socket.  The lines that answer it are in wire.h
 *	(postdmarc-pipefilter's stdin, stdout and stderr come with its
 *	"go", SCM_RIGHTS); server(3) tells the whole exchange.
 *
 *	wire_request() writes the request for argv into buf and returns
 *	its length, or -1 when it does not fit in size bytes.
 *
 *	wire_head() checks a request's first WIRE_HEAD bytes and returns
 *	0 with the payload length in len, or -1 when they are not a
 *	request's or announce more than FILTERD_REQUEST_MAX bytes.
 *
 *	wire_args() splits a payload of len bytes into argv, in place: at
 *	most max arguments (argv has room for max + 1 pointers; a NULL
 *	follows the last).  It returns 0, or -1 when the payload is empty,
 *	does not end in a NUL, or holds more than max arguments.
 *--*/
#include <string.h>

#include "limits.h"
#include "wire.h"

/* wire_request - a command line as a request */

long wire_request(int argc, char *const *argv, char *buf, size_t size)
{
    size_t len = WIRE_HEAD, n;
    int i;

    if (size < WIRE_HEAD)
	return -1;
    for (i = 0; i < argc; i++) {
	n = strlen(argv[i]) + 1;
	if (n > size - len || len - WIRE_HEAD + n > FILTERD_REQUEST_MAX)
	    return -1;
	memcpy(buf + len, argv[i], n);
	len += n;
    }
    memcpy(buf, WIRE_MAGIC, 4);
    n = len - WIRE_HEAD;
    buf[4] = (char) (n >> 24), buf[5] = (char) (n >> 16);
    buf[6] = (char) (n >> 8), buf[7] = (char) n;
    return (long) len;
}

/* wire_head - magic and length */

int wire_head(const char *head, size_t *len)
{
    const unsigned char *u = (const unsigned char *) head;

    if (memcmp(head, WIRE_MAGIC, 4) != 0)
	return -1;
    *len = (size_t) u[4] << 24 | (size_t) u[5] << 16 | (size_t) u[6] << 8 | u[7];
    return *len > FILTERD_REQUEST_MAX ? -1 : 0;
}

/* wire_args - the payload's arguments */

int wire_args(char *payload, size_t len, char **argv, size_t max, size_t *argc)
{
    char *p = payload, *end = payload + len, *nul;

    *argc = 0;
    if (len == 0 || payload[len - 1] != 0)
	return -1;
    while (p < end) {
	if (*argc >= max)
	    return -1;
	nul = memchr(p, 0, (size_t) (end - p));
	argv[(*argc)++] = p;
	p = nul + 1;
    }
    argv[*argc] = NULL;
    return 0;
}
