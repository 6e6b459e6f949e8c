/*++
 * NAME
 *	testdns 3h
 * SUMMARY
 *	start and stop the test DNS server from a C unit test
 * SYNOPSIS
 *	#include "testdns.h"
 *
 *	const char *testdns_start(void)
 *	void	testdns_stop(void)
 *
 *	struct dns_resolver *testdns_resolver(timeout_ms, attempts, cache)
 * DESCRIPTION
 *	testdns_start() runs tests/lib/dns-server in a fresh directory
 *	under $PD_BUILD/tmp (or build/tmp) and returns "127.0.0.1:PORT",
 *	or NULL when the server cannot start.  testdns_stop() stops it;
 *	it is also registered with atexit().  testdns_resolver() is a
 *	dns_create() on that server (started first if need be), or NULL.
 *--*/
#ifndef PD_TESTDNS_H
#define PD_TESTDNS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dns.h"

static char testdns_dir[512];
static char testdns_addr[64];

static void testdns_stop(void)
{
    char cmd[1200];
    const char *top = getenv("PD_TOP") ? getenv("PD_TOP") : ".";

    if (testdns_dir[0] == 0)
	return;
    snprintf(cmd, sizeof(cmd), "%s/tests/lib/dns-server stop %s; rm -rf %s", top,
	     testdns_dir, testdns_dir);
    if (system(cmd) != 0)
	fprintf(stderr, "testdns: stop failed\n");
    testdns_dir[0] = 0;
}

static const char *__attribute__((unused)) testdns_start(void)
{
    const char *top = getenv("PD_TOP") ? getenv("PD_TOP") : ".";
    const char *build = getenv("PD_BUILD") ? getenv("PD_BUILD") : "build";
    char cmd[1200], line[64];
    FILE *fp;
    unsigned port;

    snprintf(testdns_dir, sizeof(testdns_dir), "%s/tmp", build);
    mkdir(testdns_dir, 0755);
    snprintf(testdns_dir, sizeof(testdns_dir), "%s/tmp/dns-XXXXXX", build);
    if (mkdtemp(testdns_dir) == NULL)
	return NULL;
    snprintf(cmd, sizeof(cmd), "%s/tests/lib/dns-server start %s", top, testdns_dir);
    if ((fp = popen(cmd, "r")) == NULL)
	return NULL;
    if (fgets(line, sizeof(line), fp) == NULL || sscanf(line, "%u", &port) != 1) {
	pclose(fp);
	return NULL;
    }
    pclose(fp);
    atexit(testdns_stop);
    snprintf(testdns_addr, sizeof(testdns_addr), "127.0.0.1:%u", port);
    return testdns_addr;
}

static struct dns_resolver *__attribute__((unused))
testdns_resolver(uint64_t timeout_ms, unsigned attempts, unsigned cache)
{
    char *servers[1] = {testdns_addr};

    if (testdns_addr[0] == 0 && testdns_start() == NULL)
	return NULL;
    return dns_create(servers, 1, timeout_ms, attempts, cache);
}

#endif
