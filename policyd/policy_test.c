/* policy_test - pol_decide() without DNS (an IP-literal HELO and a
 * single-label sender domain are "none" without a lookup): a long
 * Received-SPF header is answered whole, its transaction's later
 * requests get DUNNO, and the log names the header field only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "compat.h"
#include "policy.h"
#include "tap.h"

static char conf_path[] = "/tmp/policy_testXXXXXX";

/* request - a request with a sender and a protocol state */

static void request(struct req_reader *rd, const char *sender, const char *state)
{
    struct buf in = BUF_INIT(POLICY_REQUEST_MAX);
    size_t used;

    req_reader_next(rd);
    buf_printf(&in, "request=smtpd_access_policy\nprotocol_state=%s\n"
	       "client_address=192.0.2.5\nhelo_name=[192.0.2.5]\nsender=%s\n"
	       "instance=1.1\nqueue_id=%s\n\n", state, sender,
	       strcmp(state, "END-OF-MESSAGE") == 0 ? "4ABCDEF" : "");
    if (req_reader_feed(rd, buf_str(&in), buf_len(&in), &used) != REQ_READY)
	diag("request not read: %s", rd->error);
    buf_free(&in);
}

/* test_long_header - a header longer than the remembered verdict */

static void test_long_header(struct pol_world *w)
{
    struct buf out = BUF_INIT(POLICY_LINE_MAX), sender = BUF_INIT(600);
    struct req_reader rd;
    struct pol_conn pc;
    size_t i;

    req_reader_init(&rd);
    pol_conn_init(&pc);
    for (i = 0; i < 450; i++)
	buf_addch(&sender, 'x');
    buf_addstr(&sender, "@localhost");
    request(&rd, buf_str(&sender), "RCPT");
    is_int(pol_decide(&pc, w, NULL, NULL, &rd.req, &out), 0, "a 460-byte sender is answered");
    ok(strncmp(buf_str(&out), "PREPEND Received-SPF: none ", 27) == 0
       && buf_len(&out) > sizeof(pc.verdict), "with the whole header (%zu bytes)",
       buf_len(&out));
    ok(strstr(buf_str(&out), "; envelope-from=\"xxxxxxxx") != NULL
       && strstr(buf_str(&out), "; identity=mailfrom;") != NULL, "which names the sender");
    is_str(pc.verdict, "PREPEND Received-SPF", "the verdict kept is the field name");
    ok(strstr(pc.logline, ", action=PREPEND Received-SPF") != NULL
       && strchr(pc.logline, ':') == strrchr(pc.logline, ':'), "the log names the field only");
    pol_flush_log(&pc);
    ok(pc.logline[0] == 0, "the log line goes once");

    buf_reset(&out);
    request(&rd, buf_str(&sender), "RCPT");
    is_int(pol_decide(&pc, w, NULL, NULL, &rd.req, &out), 0, "a second recipient");
    is_str(buf_str(&out), "DUNNO", "gets DUNNO");
    buf_reset(&out);
    request(&rd, buf_str(&sender), "END-OF-MESSAGE");
    is_int(pol_decide(&pc, w, NULL, NULL, &rd.req, &out), 0, "END-OF-MESSAGE");
    is_str(buf_str(&out), "DUNNO", "gets DUNNO too");
    ok(pc.stored, "and the verdict counts as stored (no store here)");

    pol_conn_free(&pc);
    req_reader_free(&rd);
    buf_free(&out);
    buf_free(&sender);
}

int main(void)
{
    struct pol_world *w;
    struct conf *conf;
    char err[256];
    FILE *fp;
    int fd;

    if ((fd = mkstemp(conf_path)) < 0 || (fp = fdopen(fd, "w")) == NULL)
	return perror(conf_path), 1;
    fputs("[general]\nhostname = mx.example.org\n[dns]\nnameservers = 127.0.0.1\n", fp);
    fclose(fp);
    conf = conf_load(conf_path, 1, stderr);
    unlink(conf_path);
    ok(conf != NULL, "configuration loaded");
    if (conf == NULL)
	return tap_done();
    w = pol_world_new(conf, err, sizeof(err));
    ok(w != NULL, "world built%s%s", w ? "" : ": ", w ? "" : err);
    if (w == NULL)
	return conf_free(conf), tap_done();
    test_long_header(w);
    pol_world_unref(w);
    return tap_done();
}
