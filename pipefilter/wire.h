/*++
 * NAME
 *	wire 3h
 * SUMMARY
 *	postdmarc-pipefilter's requests to postdmarc-filterd
 *--*/
#ifndef PD_WIRE_H
#define PD_WIRE_H

#include <stddef.h>

#define WIRE_MAGIC	"PDF1"
#define WIRE_HEAD	8		/* magic, then the payload's length (big-endian) */
#define WIRE_LINE_MAX	256		/* an answer line, its newline included */

 /* Lines, each ending in \n. */
#define WIRE_ACCEPTED	"accepted"	/* server: a process of its own takes it */
#define WIRE_GO		"go"		/* front: it is yours: stdin, stdout, stderr attached */
#define WIRE_EXIT	"exit "		/* server: the exit status, when done */
#define WIRE_REFUSED	"refused "	/* server: not taken, nothing read */

long	wire_request(int, char *const *, char *, size_t);
int	wire_head(const char *, size_t *);
int	wire_args(char *, size_t, char **, size_t, size_t *);

#endif
