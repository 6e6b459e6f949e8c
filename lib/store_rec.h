/*++
 * NAME
 *	store_rec 3h
 * SUMMARY
 *	versioned encoding of store records
 *--*/
#ifndef PD_STORE_REC_H
#define PD_STORE_REC_H

#include "buf.h"
#include "store.h"

#define STORE_REC_VERSION	1

int store_rec_spf_encode(struct buf *, const struct store_spf *);
int store_rec_spf_decode(const unsigned char *, size_t, struct store_spf *);
int store_rec_msg_encode(struct buf *, const struct store_msg *);
int store_rec_msg_decode(const unsigned char *, size_t, struct store_msg *);
int store_rec_report_encode(struct buf *, const struct store_report *);
int store_rec_report_decode(const unsigned char *, size_t, struct store_report *);

#endif
