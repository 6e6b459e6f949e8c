/* fuzz_request - the policy request reader, fed in pieces whose sizes the
 * first bytes of the input choose (byte 0 mod 8: how many size bytes
 * follow; a piece is a size byte + 1, cycling), the rest being the stream;
 * what comes out must not depend on where the pieces end.  abort()s when
 * an invariant breaks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

#define check(cond)	do { if (!(cond)) abort(); } while (0)
#define FNV(h, c)	(((h) ^ (unsigned char) (c)) * 1099511628211ULL)

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* check_req - a finished request keeps every promise; returns its digest */

static uint64_t check_req(const struct req *req, uint64_t h)
{
    const char *p;
    size_t i;

    check(req->n > 0 && req->n <= POLICY_ATTRS_MAX);
    check(buf_len(&req->text) <= POLICY_REQUEST_MAX);
    for (i = 0; i < req->n; i++) {
	check(req->a[i].name[0] != 0 && strpbrk(req->a[i].name, "=\r\n") == NULL);
	check(strpbrk(req->a[i].value, "\r\n") == NULL);
	check(req_get(req, req->a[i].name) != NULL);
	for (p = req->a[i].name; *p; p++)
	    h = FNV(h, *p);
	h = FNV(h, '=');
	for (p = req->a[i].value; *p; p++)
	    h = FNV(h, *p);
	h = FNV(h, '\n');
    }
    return FNV(h, '\n');
}

/* run - feed everything, piece sizes cycling through sizes[] (none: all
 * at once); returns a digest of the requests and of how the input ended */

static uint64_t run(const char *data, size_t len, const uint8_t *sizes, size_t nsizes)
{
    struct req_reader rd;
    size_t off = 0, k = 0, piece, used;
    uint64_t h = 14695981039346656037ULL;
    int r = REQ_MORE;

    req_reader_init(&rd);
    while (off < len && r != REQ_ERROR) {
	piece = nsizes ? (size_t) sizes[k++ % nsizes] + 1 : len - off;
	piece = piece > len - off ? len - off : piece;
	while (piece > 0) {
	    r = req_reader_feed(&rd, data + off, piece, &used);
	    check(used <= piece);
	    off += used;
	    piece -= used;
	    if (r == REQ_ERROR) {
		check(rd.error[0] != 0 && req_reader_feed(&rd, "\n", 1, &used) == REQ_ERROR);
		h = FNV(h, 'E');
		break;
	    }
	    if (r == REQ_MORE) {
		check(piece == 0);
		break;
	    }
	    check(r == REQ_READY && used > 0 && data[off - 1] == '\n');
	    h = check_req(&rd.req, h);
	    req_reader_next(&rd);
	    check(!req_reader_partial(&rd));
	}
    }
    h = FNV(h, r == REQ_ERROR ? 'X' : req_reader_partial(&rd) ? 'P' : 'D');
    req_reader_free(&rd);
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t nsizes = size ? data[0] % 8 : 0, skip;

    if (size <= nsizes)
	return 0;
    skip = nsizes + 1;
    check(run((const char *) data + skip, size - skip, data + 1, nsizes)
	  == run((const char *) data + skip, size - skip, NULL, 0));
    return 0;
}
