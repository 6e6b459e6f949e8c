/*++
 * NAME
 *	server 3h
 * SUMMARY
 *	postdmarc-filterd: each message in a process forked from a started one
 *--*/
#ifndef PD_SERVER_H
#define PD_SERVER_H

#include "cmdline.h"
#include "conf.h"

typedef int (*server_message_fn) (const struct conf *, const struct cmdline *);

int server_run(struct conf *, const struct cmdline *, server_message_fn);

#endif
