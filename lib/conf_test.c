/* conf_test - the configuration file */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "compat.h"
#include "conf.h"
#include "limits.h"
#include "tap.h"

static char conf_path[] = "/tmp/conf_testXXXXXX";
static char errors[4096];

/* load - write text to a file, load it, keep the error output */

static struct conf *load(const char *text)
{
    FILE *fp, *err;
    struct conf *conf;
    size_t n;

    fp = fopen(conf_path, "w");
    fputs(text, fp);
    fclose(fp);
    err = tmpfile();
    conf = conf_load(conf_path, 1, err);
    rewind(err);
    n = fread(errors, 1, sizeof(errors) - 1, err);
    errors[n] = 0;
    fclose(err);
    return conf;
}

static void test_defaults(void)
{
    struct conf *conf = conf_load("/nonexistent/postdmarc.conf", 0, stderr);

    ok(conf != NULL, "a missing default file means all defaults");
    if (conf == NULL)
	return;
    is_str(conf->store, "/var/lib/postdmarc", "store default");
    is_str(conf->user, "postdmarc", "user default");
    is_int(conf->dns_timeout, 5000, "dns timeout 5s");
    is_int(conf->listen.n, 1, "one listen endpoint");
    is_str(conf->listen.v[0], "inet:127.0.0.1:10040", "listen default");
    is_int(conf->helo_reject, CONF_SPF_REJECT_FAIL, "helo_reject fail");
    is_int(conf->permerror_reject, 0, "permerror_reject no");
    is_int(conf->temperror_defer, 1, "temperror_defer yes");
    is_int(conf->header, CONF_HEADER_RECEIVED_SPF, "header received-spf");
    is_int(conf->policyd_skip_addresses.n, 2, "skip_addresses has two networks");
    is_int(conf->reject, CONF_REJECT_DISCARD, "reject discard");
    is_str(conf->spam_header, "X-Spam: Yes", "spam header");
    is_int(conf->sendmail.n, 1, "sendmail one word");
    is_int(conf->send_time, 4 * 60, "send_time 04:00");
    is_int(conf->smtp_port, 25, "smtp_port 25");
    ok(*conf->hostname != 0, "hostname from gethostname()");
    ok(strncmp(conf->email, "postmaster@", 11) == 0, "email postmaster@domain");
    is_str(conf->org_name, conf->hostname, "org_name defaults to hostname");
    conf_free(conf);
    ok(conf_load("/nonexistent/postdmarc.conf", 1, NULL) == NULL,
       "a missing file given with -c is an error");
}

static void test_values(void)
{
    struct conf *conf = load(
	"# comment\n"
	"; another\n"
	"[general]\n"
	"hostname = mx.example.org\n"
	"[dns]\n"
	"nameservers = 127.0.0.1:5353, [::1]:53\n"
	"timeout = 1500ms   # inline comment\n"
	"[policyd]\n"
	"listen = inet:127.0.0.1:9999, unix:/run/p.sock\n"
	"helo_reject = OFF\n"
	"mail_from_reject = not_pass\n"
	"header = authentication-results\n"
	"whitelist = 192.0.2.0/24,\n"
	"   198.51.100.0/24,\n"
	"   2001:db8::/32\n"
	"[pipefilter]\n"
	"sendmail = /usr/sbin/sendmail -C /etc/postfix-out\n"
	"reject = reject\n"
	"spool_threshold = 2m\n"
	"[reporter]\n"
	"send_time = 7:30\n"
	"exclude_domains = example.net\n");

    ok(conf != NULL, "a full file loads");
    if (conf == NULL) {
	diag("%s", errors);
	return;
    }
    is_str(conf->hostname, "mx.example.org", "hostname");
    is_str(conf->domain, "example.org", "reporter domain derived from hostname");
    is_str(conf->email, "postmaster@example.org", "reporter email derived");
    is_str(conf->helo, "mx.example.org", "helo derived");
    is_int(conf->nameservers.n, 2, "two nameservers");
    is_str(conf->nameservers.v[1], "[::1]:53", "v6 nameserver kept");
    is_int(conf->dns_timeout, 1500, "timeout in ms, inline comment stripped");
    is_int(conf->listen.n, 2, "two listen endpoints");
    is_int(conf->helo_reject, CONF_SPF_REJECT_OFF, "enum is case-insensitive");
    is_int(conf->mail_from_reject, CONF_SPF_REJECT_NOT_PASS, "not_pass");
    is_int(conf->header, CONF_HEADER_AR, "header authentication-results");
    is_int(conf->whitelist.n, 3, "list continued on indented lines");
    is_int(conf->sendmail.n, 3, "sendmail split on spaces");
    is_str(conf->sendmail.v[2], "/etc/postfix-out", "sendmail argument");
    is_int(conf->reject, CONF_REJECT_REJECT, "reject = reject");
    is_int(conf->spool_threshold, 2 * 1024 * 1024, "size with m");
    is_int(conf->send_time, 7 * 60 + 30, "send_time 7:30");
    conf_free(conf);
}

static void test_errors(void)
{
    static const struct {
	const char *text;
	const char *want;
    } cases[] = {
	{"[general]\nbogus = 1\n", ":2: unknown key \"bogus\" in [general]"},
	{"[nosuch]\nkey = 1\n", ":2: unknown section [nosuch]"},
	{"[dns]\n\ntimeout = 5\n", ":3: [dns] timeout: \"5\" is not a duration"},
	{"[dns]\ntimeout = 10m\n", ":2: [dns] timeout: \"10m\" is out of range"},
	{"[dns]\nnameservers = 127.0.0.1:99999\n", ":2: [dns] nameservers: \"127.0.0.1:99999\""},
	{"[policyd]\nhelo_reject = maybe\n", ":2: [policyd] helo_reject: \"maybe\" is not one of fail, softfail, not_pass, off"},
	{"[policyd]\nskip_authenticated = perhaps\n", "is not yes or no"},
	{"[policyd]\nwhitelist = 10.0.0.0/99\n", ":2: [policyd] whitelist: \"10.0.0.0/99\" is not an address or network"},
	{"[policyd]\nlisten = tcp:1.2.3.4:5\n", "is not inet:ADDR:PORT or unix:/PATH"},
	{"[reporter]\nsend_time = 25:00\n", "is not a time HH:MM"},
	{"[reporter]\nemail = not-an-address\n", "is not an address local@domain"},
	{"[pipefilter]\nsendmail = sendmail\n", ":2: [pipefilter] sendmail: needs an absolute command path"},
	{"[pipefilter]\nspam_header = no colon\n", "is not Name: value"},
	{"[general]\nthis line has no equals sign\n", ":2: syntax error"},
	{"[general]\nuser = a\nuser = b\n", ":3: user given twice"},
	{"[general]\nstore = /var/lib/x\nstore = /x\nbogus = 1\n", ":4: unknown key"},
	{"[reporter]\nsmtp_port = 0\n", "out of range"},
	{"key = value\n", "outside any [section]"},
    };
    size_t i;

    for (i = 0; i < PD_NELEM(cases); i++) {
	struct conf *conf = load(cases[i].text);

	ok(conf == NULL && strstr(errors, cases[i].want) != NULL
	   && strncmp(errors, conf_path, strlen(conf_path)) == 0,
	   "error reported as FILE:LINE: %s", cases[i].want);
	if (conf || strstr(errors, cases[i].want) == NULL)
	    diag("got: %s", errors);
	conf_free(conf);
    }
}

static void test_many_errors(void)
{
    struct conf *conf = load("[general]\na = 1\nb = 2\n[dns]\ntimeout = x\n");
    int lines = 0;
    const char *p;

    for (p = errors; (p = strchr(p, '\n')) != NULL; p++)
	lines++;
    ok(conf == NULL && lines == 3, "every problem reported, not just the first");
}

static void test_long_line(void)
{
    char text[1024];

    memset(text, 0, sizeof(text));
    memcpy(text, "[policyd]\nwhitelist = ", 22);
    memset(text + strlen(text), '1', 400);
    text[strlen(text)] = '\n';
    ok(load(text) == NULL && strstr(errors, ":2: line longer than") != NULL,
       "an over-long line is reported with its line number");
}

/* line_of - "[policyd]" and a whitelist line of len bytes, spaces before its value */

static void line_of(struct buf *text, size_t len)
{
    static const char value[] = " 192.0.2.123\n";

    buf_truncate(text, 0);
    buf_addstr(text, "[policyd]\nwhitelist =");
    while (buf_len(text) - 10 + sizeof(value) - 2 < len)
	buf_addch(text, ' ');
    buf_addstr(text, value);
}

/* test_line_max - a line of 198 bytes (libinih's 200, less the newline
 * and the NUL) is read whole; one byte more is too long */

static void test_line_max(void)
{
    struct buf text = BUF_INIT(1024);
    struct conf *conf;

    line_of(&text, 198);
    conf = load(buf_str(&text));
    ok(conf != NULL && conf->whitelist.n == 1 && strcmp(conf->whitelist.v[0], "192.0.2.123") == 0,
       "a line of 198 bytes is read whole");
    conf_free(conf);
    line_of(&text, 199);
    conf = load(buf_str(&text));
    ok(conf == NULL && strstr(errors, ":2: line longer than 198 bytes") != NULL,
       "a line of 199 bytes is too long");
    conf_free(conf);
    buf_free(&text);
}

/* test_list_max - CONF_LIST_MAX elements in one list, on indented lines, and one more */

static void test_list_max(void)
{
    struct buf text = BUF_INIT(65536);
    struct conf *conf;
    char want[64];
    int i;

    buf_addstr(&text, "[policyd]\nwhitelist = ::1");
    for (i = 1; i < CONF_LIST_MAX; i++)
	buf_addstr(&text, i % 20 ? ", ::1" : ",\n  ::1");
    buf_addch(&text, '\n');
    conf = load(buf_str(&text));
    ok(conf != NULL && conf->whitelist.n == CONF_LIST_MAX, "a list of CONF_LIST_MAX elements");
    conf_free(conf);
    buf_truncate(&text, buf_len(&text) - 1);
    buf_addstr(&text, ", ::1\n");
    conf = load(buf_str(&text));
    snprintf(want, sizeof(want), "whitelist: more than %d elements", CONF_LIST_MAX);
    ok(conf == NULL && strstr(errors, want) != NULL, "one more is an error");
    conf_free(conf);
    buf_free(&text);
}

/* test_nul - a NUL byte neither cuts a value short nor splits a line
 * (fgets() once let the bytes after it past 199 read as a line of their own) */

static void test_nul(void)
{
    static const char hidden[] = "[reporter]\norg_name = ok\0"
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	"xxxxxxxx" "helo = evil.example\n";
    static const char cut[] = "[reporter]\norg_name = a\0b\n[dns]\ntimeout = x\n";
    struct conf *conf;
    FILE *fp;

    fp = fopen(conf_path, "w");
    fwrite(hidden, 1, sizeof(hidden) - 1, fp);
    fclose(fp);
    conf = conf_load(conf_path, 1, NULL);
    ok(conf == NULL, "a NUL byte in a long line is an error, not a line break");
    conf_free(conf);
    fp = fopen(conf_path, "w");
    fwrite(cut, 1, sizeof(cut) - 1, fp);
    fclose(fp);
    fp = tmpfile();
    conf = conf_load(conf_path, 1, fp);
    rewind(fp);
    errors[fread(errors, 1, sizeof(errors) - 1, fp)] = 0;
    fclose(fp);
    ok(conf == NULL && strstr(errors, ":2: NUL byte in the line") != NULL
       && strstr(errors, ":4: [dns] timeout") != NULL,
       "a NUL byte is reported with its line, and lines after it keep their numbers");
    conf_free(conf);
}

int main(void)
{
    int fd = mkstemp(conf_path);

    close(fd);
    test_defaults();
    test_values();
    test_errors();
    test_many_errors();
    test_long_line();
    test_line_max();
    test_list_max();
    test_nul();
    unlink(conf_path);
    return tap_done();
}
