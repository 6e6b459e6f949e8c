/*++
 * NAME
 *	inet 3h
 * SUMMARY
 *	IP addresses, networks, host:port and listen endpoints
 *--*/
#ifndef PD_INET_H
#define PD_INET_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#define INET_HOST_MAX	256

struct inet_addr {
    int family;				/* AF_INET or AF_INET6 */
    unsigned char a[16];		/* network order; 4 bytes used for v4 */
};

struct inet_net {
    struct inet_addr addr;
    unsigned prefix;
};

struct inet_netlist {
    size_t n;
    struct inet_net *v;
};

struct inet_endpoint {
    int is_unix;
    char host[INET_HOST_MAX];		/* address, or socket path */
    unsigned port;
};

int inet_addr_parse(const char *, struct inet_addr *);
int inet_net_parse(const char *, struct inet_net *);
int inet_net_match(const struct inet_net *, const struct inet_addr *);
int inet_netlist_parse(char *const *, size_t, struct inet_netlist *);
int inet_netlist_match(const struct inet_netlist *, const struct inet_addr *);
void inet_netlist_free(struct inet_netlist *);
int inet_hostport_parse(const char *, unsigned, struct inet_endpoint *);
int inet_listen_parse(const char *, struct inet_endpoint *);
void inet_addr_format(const struct inet_addr *, char *, size_t);
int inet_sockaddr(const struct inet_endpoint *, struct sockaddr_storage *, socklen_t *);

#endif
