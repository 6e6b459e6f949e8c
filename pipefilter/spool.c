/*++
 * NAME
 *	spool 3
 * SUMMARY
 *	the message being filtered, in memory or spilled to a file
 * SYNOPSIS
 *	#include "spool.h"
 *
 *	int	spool_read(sp, fd, threshold, max, tmpdir)
 *	long	spool_get(sp, offset, buf, len)
 *	void	spool_free(sp)
 * DESCRIPTION
 *	spool_read() reads a whole message from fd, byte for byte.  The
 *	first threshold bytes stay in memory, and more while the header
 *	section has not ended (up to MSG_HEAD_MAX: the header section is
 *	parsed in memory); the rest goes to an unnamed temporary file in
 *	tmpdir, so memory stays bounded whatever the message size.  A
 *	message longer than max bytes is refused.  It returns 0, or -1
 *	with sp->error set (the caller fails temporarily: nothing is lost).
 *
 *	spool_get() copies up to len bytes from offset; it returns the
 *	number copied (0 at the end), or -1 on an I/O error.
 *
 *	spool_free() releases memory and closes the file (which, having no
 *	name, disappears).
 *--*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "limits.h"
#include "spool.h"

#define SPOOL_CHUNK	(64 * 1024)

/* spool_tmpfile - an unnamed file in dir */

static int spool_tmpfile(const char *dir, char *error, size_t size)
{
    char path[4096];
    int fd;

    if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) >= 0)
	return fd;
    /* File systems without O_TMPFILE: a named file, unlinked at once. */
    snprintf(path, sizeof(path), "%s/postdmarc.XXXXXX", dir);
    if ((fd = mkostemp(path, O_CLOEXEC)) >= 0) {
	unlink(path);
	return fd;
    }
    snprintf(error, size, "temporary file in %s: %s", dir, strerror(errno));
    return -1;
}

/* spool_write_all - all of a buffer to the file */

static int spool_write_all(int fd, const char *p, size_t len)
{
    ssize_t n;

    while (len > 0) {
	if ((n = write(fd, p, len)) < 0) {
	    if (errno == EINTR)
		continue;
	    return -1;
	}
	p += n;
	len -= (size_t) n;
    }
    return 0;
}

/* spool_head_ended - has the in-memory part seen an empty line */

static int spool_head_ended(const struct spool *sp, size_t *scanned)
{
    const char *p = sp->mem.data, *nl;
    size_t from = *scanned > 2 ? *scanned - 2 : 0;

    *scanned = sp->mem.len;
    for (; from < sp->mem.len && (nl = memchr(p + from, '\n', sp->mem.len - from)) != NULL;
	 from = (size_t) (nl - p) + 1) {
	size_t at = (size_t) (nl - p) + 1;

	if (at < sp->mem.len && (p[at] == '\n' || (p[at] == '\r' && at + 1 < sp->mem.len
						  && p[at + 1] == '\n')))
	    return 1;
    }
    return 0;
}

/* spool_keep - how much more may stay in memory */

static size_t spool_keep(struct spool *sp, size_t threshold, int *head_ended, size_t *scanned)
{
    if (sp->fd >= 0)
	return 0;				/* spilled: the rest follows */
    if (sp->mem.len < threshold)
	return threshold - sp->mem.len;
    /* Past the threshold only while the header section goes on. */
    if (!*head_ended)
	*head_ended = spool_head_ended(sp, scanned);
    return !*head_ended && sp->mem.len < MSG_HEAD_MAX ? MSG_HEAD_MAX - sp->mem.len : 0;
}

/* spool_read - the whole message from fd */

int spool_read(struct spool *sp, int fd, size_t threshold, uint64_t max, const char *tmpdir)
{
    char chunk[SPOOL_CHUNK];
    size_t scanned = 0, keep, k;
    int head_ended = 0;
    ssize_t n;

    buf_init(&sp->mem, threshold > MSG_HEAD_MAX ? threshold : MSG_HEAD_MAX);
    sp->fd = -1;
    sp->size = 0;
    sp->error[0] = 0;
    for (;;) {
	if ((n = read(fd, chunk, sizeof(chunk))) < 0) {
	    if (errno == EINTR)
		continue;
	    snprintf(sp->error, sizeof(sp->error), "read: %s", strerror(errno));
	    return -1;
	}
	if (n == 0)
	    return 0;
	if (sp->size + (uint64_t) n > max) {
	    snprintf(sp->error, sizeof(sp->error), "message larger than %llu bytes",
		     (unsigned long long) max);
	    return -1;
	}
	/* A chunk that crosses the threshold: the part up to it is kept,
	 * then spool_keep() is asked again for the rest, which stays in
	 * memory too while the header section goes on (tests/t/pipefilter.t:
	 * a header section over spool_threshold written in slow pieces). */
	keep = 0;
	while (keep < (size_t) n && (k = spool_keep(sp, threshold, &head_ended, &scanned)) > 0) {
	    if (k > (size_t) n - keep)
		k = (size_t) n - keep;
	    if (buf_add(&sp->mem, chunk + keep, k) < 0) {
		snprintf(sp->error, sizeof(sp->error), "out of memory");
		return -1;
	    }
	    keep += k;
	}
	if ((size_t) n > keep) {
	    if (sp->fd < 0 && (sp->fd = spool_tmpfile(tmpdir, sp->error, sizeof(sp->error))) < 0)
		return -1;
	    if (spool_write_all(sp->fd, chunk + keep, (size_t) n - keep) < 0) {
		snprintf(sp->error, sizeof(sp->error), "write to the temporary file: %s",
			 strerror(errno));
		return -1;
	    }
	}
	sp->size += (uint64_t) n;
    }
}

/* spool_get - bytes at an offset */

long spool_get(struct spool *sp, uint64_t off, char *out, size_t len)
{
    uint64_t inmem = sp->mem.len;
    ssize_t n;

    if (off >= sp->size)
	return 0;
    if (len > sp->size - off)
	len = (size_t) (sp->size - off);
    if (off < inmem) {
	if (len > inmem - off)
	    len = (size_t) (inmem - off);
	memcpy(out, sp->mem.data + off, len);
	return (long) len;
    }
    do {
	n = pread(sp->fd, out, len, (off_t) (off - inmem));
    } while (n < 0 && errno == EINTR);
    return n;
}

/* spool_free - release everything */

void spool_free(struct spool *sp)
{
    buf_free(&sp->mem);
    if (sp->fd >= 0)
	close(sp->fd);
    sp->fd = -1;
}
