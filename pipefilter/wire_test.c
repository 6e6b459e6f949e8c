/* wire_test - requests of postdmarc-pipefilter to postdmarc-filterd:
 * built and read back, every limit (the buffer, FILTERD_REQUEST_MAX, the
 * argument count), heads that are not ours, payloads that do not end in
 * a NUL; and cmdline_parse() on what a request carries. */
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "limits.h"
#include "tap.h"
#include "wire.h"

static void test_round_trip(void)
{
    char *argv[] = {"postdmarc-pipefilter", "-c", "/etc/x.conf", "-f", "", "--queue-id=4AB",
	"--", "a@example.org", "b@example.org"};
    char buf[512], *back[16];
    size_t len, argc;
    long n;
    int i, same;

    n = wire_request(9, argv, buf, sizeof(buf));
    ok(n > WIRE_HEAD && memcmp(buf, WIRE_MAGIC, 4) == 0, "a request: magic first (%ld bytes)", n);
    ok(wire_head(buf, &len) == 0 && (long) len == n - WIRE_HEAD, "its head gives the payload length");
    ok(wire_args(buf + WIRE_HEAD, len, back, 15, &argc) == 0 && argc == 9 && back[9] == NULL,
       "its arguments read back: 9, a NULL after them");
    for (same = 1, i = 0; i < 9 && argc == 9; i++)
	same &= strcmp(argv[i], back[i]) == 0;
    ok(same, "each as it was, the empty sender included");
    ok(wire_args(buf + WIRE_HEAD, len, back, 8, &argc) < 0, "one argument more than max: -1");
    ok(wire_request(9, argv, buf, (size_t) n - 1) < 0, "a buffer one byte short: -1");
    ok(wire_request(9, argv, buf, 4) < 0, "a buffer smaller than the head: -1");
    ok(wire_request(0, argv, buf, sizeof(buf)) == WIRE_HEAD, "no arguments: the head alone");
}

static void test_heads(void)
{
    char head[WIRE_HEAD];
    size_t len;

    memcpy(head, "PDF1\0\x10\0\0", 8);
    ok(wire_head(head, &len) == 0 && len == FILTERD_REQUEST_MAX, "FILTERD_REQUEST_MAX: taken");
    memcpy(head, "PDF1\0\x10\0\x01", 8);
    ok(wire_head(head, &len) < 0, "FILTERD_REQUEST_MAX + 1: refused");
    memcpy(head, "PDF1\xff\xff\xff\xff", 8);
    ok(wire_head(head, &len) < 0, "4 GB: refused");
    memcpy(head, "PDF2\0\0\0\x01", 8);
    ok(wire_head(head, &len) < 0, "another magic: refused");
}

static void test_payloads(void)
{
    char p1[] = "a\0b", p2[] = "a\0\0", *argv[4];
    size_t argc;

    ok(wire_args(p1, 3, argv, 3, &argc) < 0, "a payload that does not end in a NUL: -1");
    ok(wire_args(p1, 0, argv, 3, &argc) < 0, "an empty payload: -1");
    ok(wire_args(p2, 3, argv, 3, &argc) == 0 && argc == 2 && *argv[1] == 0,
       "an empty argument is an argument");
}

static void test_cmdline(void)
{
    char *line[] = {"x", "-c", "/etc/y.conf", "-f", "s@example.com",
	"--client-address=IPv6:2001:db8::1", "--client-helo", "h.example", "--queue-id=Q1",
	"--sasl-username=u", "--", "r@example.org", "-f"};
    char *bad[] = {"x", "--client-address"}, *stdio[] = {"x", "--stdio", "-nV"};
    struct cmdline cl;
    char err[128];
    int i;

    for (i = 0; i < 2; i++)		/* twice: getopt starts afresh */
	ok(cmdline_parse(13, line, &cl, err, sizeof(err)) == 0 && cl.explicit
	   && strcmp(cl.conf_path, "/etc/y.conf") == 0 && cl.have_sender
	   && strcmp(cl.args.client_addr, "2001:db8::1") == 0
	   && strcmp(cl.args.client_helo, "h.example") == 0
	   && strcmp(cl.args.queue_id, "Q1") == 0 && strcmp(cl.args.sasl_username, "u") == 0
	   && cl.args.nrcpt == 2 && strcmp(cl.args.rcpt[1], "-f") == 0,
	   "a pipe(8) command line, parse %d: IPv6: dropped, recipients after --", i + 1);
    ok(cmdline_parse(2, bad, &cl, err, sizeof(err)) < 0 && strstr(err, "--client-address"),
       "an option without its value: %s", err);
    ok(cmdline_parse(3, stdio, &cl, err, sizeof(err)) == 0 && cl.stdio && cl.check && cl.version
       && !cl.explicit && strcmp(cl.conf_path, "/etc/postdmarc/postdmarc.conf") == 0,
       "--stdio, -n, -V; no -c: the default file");
}

int main(void)
{
    test_round_trip();
    test_heads();
    test_payloads();
    test_cmdline();
    return tap_done();
}
