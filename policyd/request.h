/*++
 * NAME
 *	request 3h
 * SUMMARY
 *	Postfix policy delegation protocol: requests in, actions out
 *--*/
#ifndef PD_REQUEST_H
#define PD_REQUEST_H

#include <stddef.h>

#include "buf.h"
#include "limits.h"

struct req_attr {
    const char *name;
    const char *value;
};

struct req {
    size_t n;
    struct req_attr a[POLICY_ATTRS_MAX];
    struct buf text;			/* the attributes, NUL-separated */
};

struct req_reader {
    struct buf line;			/* the line being read */
    struct req req;			/* the request being read */
    int state;				/* REQ_* of the last call */
    char error[128];			/* why REQ_ERROR */
};

enum { REQ_MORE, REQ_READY, REQ_ERROR };

void req_reader_init(struct req_reader *);
void req_reader_free(struct req_reader *);
int req_reader_feed(struct req_reader *, const char *, size_t, size_t *);
void req_reader_next(struct req_reader *);
int req_reader_partial(const struct req_reader *);
const char *req_get(const struct req *, const char *);

#endif
