/*++
 * NAME
 *	inet 3
 * SUMMARY
 *	IP addresses, networks, host:port and listen endpoints
 * SYNOPSIS
 *	#include "inet.h"
 *
 *	int	inet_addr_parse(text, addr)
 *	int	inet_net_parse(text, net)
 *	int	inet_net_match(net, addr)
 *	int	inet_netlist_parse(vec, count, list)
 *	int	inet_netlist_match(list, addr)
 *	void	inet_netlist_free(list)
 *	int	inet_hostport_parse(text, default_port, endpoint)
 *	int	inet_listen_parse(text, endpoint)
 *	void	inet_addr_format(addr, buf, size)
 *	int	inet_sockaddr(endpoint, ss, len)
 * DESCRIPTION
 *	inet_addr_parse() parses an IPv4 or IPv6 address literal (an IPv6
 *	address may be in brackets, an IPv4-mapped IPv6 address becomes
 *	IPv4).  inet_net_parse() parses ADDR or ADDR/PREFIX; host bits
 *	beyond the prefix are ignored.  Both return 0 or -1.
 *
 *	inet_net_match() and inet_netlist_match() return 1 when the
 *	address is inside the network (any network of the list).
 *	inet_netlist_parse() parses every string of a vector into a list
 *	that the caller releases with inet_netlist_free(); it returns the
 *	index + 1 of the first bad element, or 0.
 *
 *	inet_hostport_parse() parses "addr", "addr:port", "[v6addr]" or
 *	"[v6addr]:port"; a missing port is default_port.
 *	inet_listen_parse() parses a Postfix-style "inet:addr:port" or
 *	"unix:/path" endpoint.  Both return 0 or -1.
 *
 *	inet_addr_format() writes the address in its usual text form.
 *	inet_sockaddr() fills in a socket address for an inet endpoint.
 *--*/
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "inet.h"
#include "str.h"

static const unsigned char inet_v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* inet_addr_parse - IPv4 or IPv6 literal */

int inet_addr_parse(const char *text, struct inet_addr *addr)
{
    char tmp[INET6_ADDRSTRLEN + 2];
    size_t len = strlen(text);

    if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
	if (str_ncopy(tmp, sizeof(tmp), text + 1, len - 2) < 0)
	    return -1;
    } else if (str_copy(tmp, text, sizeof(tmp)) < 0) {
	return -1;
    }
    memset(addr, 0, sizeof(*addr));
    if (inet_pton(AF_INET, tmp, addr->a) == 1) {
	addr->family = AF_INET;
	return 0;
    }
    if (inet_pton(AF_INET6, tmp, addr->a) == 1) {
	addr->family = AF_INET6;
	if (memcmp(addr->a, inet_v4mapped, 12) == 0) {
	    memmove(addr->a, addr->a + 12, 4);
	    memset(addr->a + 4, 0, 12);
	    addr->family = AF_INET;
	}
	return 0;
    }
    return -1;
}

/* inet_net_parse - ADDR or ADDR/PREFIX */

int inet_net_parse(const char *text, struct inet_net *net)
{
    char tmp[INET6_ADDRSTRLEN + 8];
    const char *slash = strchr(text, '/');
    uint64_t prefix;
    unsigned max;

    if (slash == NULL) {
	if (inet_addr_parse(text, &net->addr) < 0)
	    return -1;
	net->prefix = net->addr.family == AF_INET ? 32 : 128;
	return 0;
    }
    if (str_ncopy(tmp, sizeof(tmp), text, (size_t) (slash - text)) < 0
	|| inet_addr_parse(tmp, &net->addr) < 0)
	return -1;
    max = net->addr.family == AF_INET ? 32 : 128;
    if (str_to_u64(slash + 1, strlen(slash + 1), max, &prefix) < 0)
	return -1;
    net->prefix = (unsigned) prefix;
    return 0;
}

/* inet_net_match - is the address inside the network */

int inet_net_match(const struct inet_net *net, const struct inet_addr *addr)
{
    unsigned full, rest;

    if (net->addr.family != addr->family)
	return 0;
    full = net->prefix / 8;
    rest = net->prefix % 8;
    if (memcmp(net->addr.a, addr->a, full) != 0)
	return 0;
    if (rest) {
	unsigned char mask = (unsigned char) (0xff << (8 - rest));

	if ((net->addr.a[full] & mask) != (addr->a[full] & mask))
	    return 0;
    }
    return 1;
}

/* inet_netlist_parse - a vector of network strings */

int inet_netlist_parse(char *const *vec, size_t count, struct inet_netlist *list)
{
    size_t i;

    list->n = 0;
    list->v = NULL;
    if (count == 0)
	return 0;
    if ((list->v = calloc(count, sizeof(*list->v))) == NULL)
	return -1;
    for (i = 0; i < count; i++) {
	if (inet_net_parse(vec[i], &list->v[i]) < 0) {
	    inet_netlist_free(list);
	    return (int) i + 1;
	}
    }
    list->n = count;
    return 0;
}

/* inet_netlist_match - is the address inside any network */

int inet_netlist_match(const struct inet_netlist *list, const struct inet_addr *addr)
{
    size_t i;

    for (i = 0; i < list->n; i++)
	if (inet_net_match(&list->v[i], addr))
	    return 1;
    return 0;
}

/* inet_netlist_free - release a list */

void inet_netlist_free(struct inet_netlist *list)
{
    if (list == NULL)
	return;
    free(list->v);
    list->v = NULL;
    list->n = 0;
}

/* inet_port_parse - decimal port 1..65535 */

static int inet_port_parse(const char *text, unsigned *port)
{
    uint64_t v;

    if (str_to_u64(text, strlen(text), 65535, &v) < 0 || v == 0)
	return -1;
    *port = (unsigned) v;
    return 0;
}

/* inet_hostport_parse - addr[:port] or [v6addr][:port] */

int inet_hostport_parse(const char *text, unsigned defport, struct inet_endpoint *ep)
{
    struct inet_addr addr;
    const char *colon, *host_end;

    memset(ep, 0, sizeof(*ep));
    ep->port = defport;
    if (text[0] == '[') {
	if ((host_end = strchr(text, ']')) == NULL)
	    return -1;
	if (str_ncopy(ep->host, sizeof(ep->host), text + 1,
		      (size_t) (host_end - text - 1)) < 0)
	    return -1;
	colon = host_end[1] == ':' ? host_end + 1 : NULL;
	if (colon == NULL && host_end[1] != 0)
	    return -1;
    } else if ((colon = strchr(text, ':')) != NULL && strchr(colon + 1, ':') != NULL) {
	/* Bare IPv6 address, no port. */
	colon = NULL;
	if (str_copy(ep->host, text, sizeof(ep->host)) < 0)
	    return -1;
    } else {
	size_t hlen = colon ? (size_t) (colon - text) : strlen(text);

	if (str_ncopy(ep->host, sizeof(ep->host), text, hlen) < 0)
	    return -1;
    }
    if (colon && inet_port_parse(colon + 1, &ep->port) < 0)
	return -1;
    return inet_addr_parse(ep->host, &addr);
}

/* inet_listen_parse - inet:addr:port or unix:/path */

int inet_listen_parse(const char *text, struct inet_endpoint *ep)
{
    if (strncmp(text, "unix:", 5) == 0) {
	memset(ep, 0, sizeof(*ep));
	ep->is_unix = 1;
	if (text[5] != '/' || strlen(text + 5) >= sizeof(((struct sockaddr_un *) 0)->sun_path))
	    return -1;
	return str_copy(ep->host, text + 5, sizeof(ep->host));
    }
    if (strncmp(text, "inet:", 5) == 0) {
	if (inet_hostport_parse(text + 5, 0, ep) < 0 || ep->port == 0)
	    return -1;
	return 0;
    }
    return -1;
}

/* inet_addr_format - text form */

void inet_addr_format(const struct inet_addr *addr, char *buf, size_t size)
{
    if (inet_ntop(addr->family, addr->a, buf, (socklen_t) size) == NULL && size > 0)
	buf[0] = 0;
}

/* inet_sockaddr - socket address of an endpoint */

int inet_sockaddr(const struct inet_endpoint *ep, struct sockaddr_storage *ss, socklen_t *len)
{
    struct inet_addr addr;

    memset(ss, 0, sizeof(*ss));
    if (ep->is_unix) {
	struct sockaddr_un *sun = (struct sockaddr_un *) ss;

	sun->sun_family = AF_UNIX;
	if (str_copy(sun->sun_path, ep->host, sizeof(sun->sun_path)) < 0)
	    return -1;
	*len = sizeof(*sun);
	return 0;
    }
    if (inet_addr_parse(ep->host, &addr) < 0)
	return -1;
    if (addr.family == AF_INET) {
	struct sockaddr_in *sin = (struct sockaddr_in *) ss;

	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t) ep->port);
	memcpy(&sin->sin_addr, addr.a, 4);
	*len = sizeof(*sin);
    } else {
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t) ep->port);
	memcpy(&sin6->sin6_addr, addr.a, 16);
	*len = sizeof(*sin6);
    }
    return 0;
}
