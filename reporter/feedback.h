/*++
 * NAME
 *	feedback 3h
 * SUMMARY
 *	RFC 9990 aggregate report XML, gzip-compressed
 *--*/
#ifndef PD_FEEDBACK_H
#define PD_FEEDBACK_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "buf.h"

struct fb_meta {
    const char *org_name;
    const char *email;
    const char *report_id;
    uint64_t begin, end;
    const char *generator;
};

int fb_xml(const struct fb_meta *, const struct agg_snap *, size_t, size_t, struct buf *);
size_t fb_part(const struct agg_snap *, size_t, size_t);
size_t fb_head_bound(const struct fb_meta *, const struct agg_snap *);
int fb_gzip(const char *, size_t, struct buf *);

#endif
