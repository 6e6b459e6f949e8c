/*++
 * NAME
 *	server 3h
 * SUMMARY
 *	the policy server: listeners, connections, signals
 *--*/
#ifndef PD_SERVER_H
#define PD_SERVER_H

#include "policy.h"
#include "store.h"

struct srv;

struct srv *srv_new(struct pol_world *, const char *, int);
int srv_listen(struct srv *);
void srv_open_store(struct srv *);
int srv_run(struct srv *);
int srv_stdio(struct srv *);
void srv_free(struct srv *);

#endif
