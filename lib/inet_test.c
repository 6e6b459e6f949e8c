/* inet_test - addresses, networks, endpoints */
#include <string.h>

#include "inet.h"
#include "tap.h"

static int in(const char *net, const char *addr)
{
    struct inet_net n;
    struct inet_addr a;

    if (inet_net_parse(net, &n) < 0 || inet_addr_parse(addr, &a) < 0)
	return -1;
    return inet_net_match(&n, &a);
}

static void test_nets(void)
{
    is_int(in("127.0.0.0/8", "127.1.2.3"), 1, "127.1.2.3 in 127/8");
    is_int(in("127.0.0.0/8", "128.0.0.1"), 0, "128.0.0.1 not in 127/8");
    is_int(in("192.0.2.128/25", "192.0.2.200"), 1, "odd prefix, inside");
    is_int(in("192.0.2.128/25", "192.0.2.100"), 0, "odd prefix, outside");
    is_int(in("::1", "::1"), 1, "::1 matches itself");
    is_int(in("2001:db8::/32", "2001:db8:ffff::1"), 1, "v6 network");
    is_int(in("2001:db8::/32", "2001:db9::1"), 0, "v6 outside");
    is_int(in("127.0.0.0/8", "::ffff:127.0.0.1"), 1, "v4-mapped counts as v4");
    is_int(in("0.0.0.0/0", "203.0.113.9"), 1, "/0 matches all v4");
    is_int(in("0.0.0.0/0", "2001:db8::1"), 0, "but no v6");
    is_int(in("10.0.0.0/33", "10.0.0.1"), -1, "prefix over 32 refused");
    is_int(in("10.0.0.0/", "10.0.0.1"), -1, "empty prefix refused");
    is_int(in("10.0.0/8", "10.0.0.1"), -1, "short address refused");
    is_int(in("[::1]", "::1"), 1, "bracketed v6");
}

static void test_endpoints(void)
{
    struct inet_endpoint ep;

    ok(inet_hostport_parse("127.0.0.1:5353", 53, &ep) == 0 && ep.port == 5353
       && strcmp(ep.host, "127.0.0.1") == 0, "v4 host:port");
    ok(inet_hostport_parse("127.0.0.1", 53, &ep) == 0 && ep.port == 53, "default port");
    ok(inet_hostport_parse("[::1]:5353", 53, &ep) == 0 && ep.port == 5353
       && strcmp(ep.host, "::1") == 0, "[v6]:port");
    ok(inet_hostport_parse("::1", 53, &ep) == 0 && ep.port == 53, "bare v6");
    ok(inet_hostport_parse("127.0.0.1:0", 53, &ep) < 0, "port 0 refused");
    ok(inet_hostport_parse("127.0.0.1:65536", 53, &ep) < 0, "port 65536 refused");
    ok(inet_hostport_parse("ns.example.com:53", 53, &ep) < 0, "names refused");
    ok(inet_hostport_parse("[::1", 53, &ep) < 0, "unclosed bracket refused");
    ok(inet_listen_parse("inet:127.0.0.1:10040", &ep) == 0 && !ep.is_unix
       && ep.port == 10040, "inet listen");
    ok(inet_listen_parse("inet:[::1]:10040", &ep) == 0 && ep.port == 10040, "inet v6 listen");
    ok(inet_listen_parse("unix:/run/postdmarc/policy", &ep) == 0 && ep.is_unix,
       "unix listen");
    ok(inet_listen_parse("inet:127.0.0.1", &ep) < 0, "inet listen needs a port");
    ok(inet_listen_parse("unix:relative", &ep) < 0, "unix listen needs an absolute path");
    ok(inet_listen_parse("tcp:127.0.0.1:1", &ep) < 0, "unknown transport refused");
}

static void test_list(void)
{
    char *nets[] = {"10.0.0.0/8", "2001:db8::/32"};
    char *bad[] = {"10.0.0.0/8", "nonsense"};
    struct inet_netlist list;
    struct inet_addr a;
    char text[64];

    ok(inet_netlist_parse(nets, 2, &list) == 0 && list.n == 2, "list parsed");
    inet_addr_parse("10.9.9.9", &a);
    is_int(inet_netlist_match(&list, &a), 1, "list match v4");
    inet_addr_parse("2001:db8::5", &a);
    is_int(inet_netlist_match(&list, &a), 1, "list match v6");
    inet_addr_parse("192.0.2.1", &a);
    is_int(inet_netlist_match(&list, &a), 0, "list miss");
    inet_addr_format(&a, text, sizeof(text));
    is_str(text, "192.0.2.1", "format");
    inet_netlist_free(&list);
    is_int(inet_netlist_parse(bad, 2, &list), 2, "bad element reported by index");
}

int main(void)
{
    test_nets();
    test_endpoints();
    test_list();
    return tap_done();
}
