/* prefetch_test - prefetch_names(): the names of the SPF record, of each
 * DKIM key (s= and d= read through folding white space, look-alike tags
 * not taken), of the DMARC tree walk as lib/dmarc.c walks (a name of 8
 * labels or more goes straight to its last 7), each name once, and every
 * limit hit: max_signatures, PREFETCH_DKIM_MAX, DNS_PREFETCH_MAX. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "compat.h"
#include "prefetch.h"
#include "tap.h"

#define SIG(d, s)	"DKIM-Signature: v=1; a=rsa-sha256; d=" d "; s=" s "; h=from; b=AA\n"

/* names - what prefetch_names() lists, space-separated */

static void names(struct buf *out, const char *head, unsigned max_sigs, const char *authors,
		          const char *spf_domain, int spf_record)
{
    struct msg_authors au;
    struct msg_head mh;
    struct prefetch pf;
    size_t i;

    buf_reset(out);
    memset(&au, 0, sizeof(au));
    if (*authors && msg_from_domains(authors, strlen(authors), &au) != MSG_OK) {
	buf_addstr(out, "(bad authors)");
	return;
    }
    if (msg_head_parse(head, strlen(head), 1, &mh) != MSG_OK) {
	buf_addstr(out, "(bad head)");
	return;
    }
    prefetch_names(&pf, &mh, max_sigs, &au, spf_domain, spf_record);
    for (i = 0; i < pf.n; i++)
	buf_printf(out, "%s%s", i ? " " : "", pf.name[i]);
    msg_head_free(&mh);
}

static void test_table(void)
{
    static const struct {
	const char *name;
	const char *head;
	unsigned max_sigs;
	const char *authors;
	const char *spf_domain;
	int spf_record;
	const char *want;
    } cases[] = {
	{"nothing", "\n", 10, "", "", 1, ""},
	{"SPF record, then the walks of author and MAIL FROM domain, each name once",
	 "\n", 10, "a@example.com", "spf-pass.example.com", 1,
	 "spf-pass.example.com _dmarc.example.com _dmarc.com _dmarc.spf-pass.example.com"},
	{"SPF from the policy server: no record, the walk still",
	 "\n", 10, "a@example.com", "spf-pass.example.com", 0,
	 "_dmarc.example.com _dmarc.com _dmarc.spf-pass.example.com"},
	{"7 labels: every one", "\n", 10, "a@a.b.c.d.e.example.com", "", 1,
	 "_dmarc.a.b.c.d.e.example.com _dmarc.b.c.d.e.example.com _dmarc.c.d.e.example.com "
	 "_dmarc.d.e.example.com _dmarc.e.example.com _dmarc.example.com _dmarc.com"},
	{"8 labels: the name, then from 7 labels down", "\n", 10, "a@a.b.c.d.e.f.example.com",
	 "", 1, "_dmarc.a.b.c.d.e.f.example.com _dmarc.b.c.d.e.f.example.com "
	 "_dmarc.c.d.e.f.example.com _dmarc.d.e.f.example.com _dmarc.e.f.example.com "
	 "_dmarc.f.example.com _dmarc.example.com _dmarc.com"},
	{"10 labels: the name, then straight to the last 7 (8 names)", "\n", 10,
	 "a@l1.l2.l3.l4.l5.l6.l7.l8.example.org", "", 1,
	 "_dmarc.l1.l2.l3.l4.l5.l6.l7.l8.example.org _dmarc.l4.l5.l6.l7.l8.example.org "
	 "_dmarc.l5.l6.l7.l8.example.org _dmarc.l6.l7.l8.example.org _dmarc.l7.l8.example.org "
	 "_dmarc.l8.example.org _dmarc.example.org _dmarc.org"},
	{"two authors: both walked", "\n", 10, "a@x.example.net, b@example.org", "", 1,
	 "_dmarc.x.example.net _dmarc.example.net _dmarc.net _dmarc.example.org _dmarc.org"},
	{"a signature: its key, its domain walked after the others",
	 SIG("mail.example.com", "sel") "\n", 10, "a@example.org", "", 1,
	 "sel._domainkey.mail.example.com _dmarc.example.org _dmarc.org "
	 "_dmarc.mail.example.com _dmarc.example.com _dmarc.com"},
	{"folding white space around tags and inside values; d= walked in lower case",
	 "DKIM-Signature: v=1;\n\t d =\n Example.COM ;\n s= se l ; b=AA\n\n", 10, "", "", 1,
	 "sel._domainkey.Example.COM _dmarc.example.com _dmarc.com"},
	{"look-alike tags are not d= or s=",
	 "DKIM-Signature: sd=evil.example; dd=x; ss=y; d=example.com; s=k\n\n", 10, "", "", 1,
	 "k._domainkey.example.com _dmarc.example.com _dmarc.com"},
	{"the first of a repeated tag", "DKIM-Signature: d=a.example; d=b.example; s=k\n\n",
	 10, "", "", 1, "k._domainkey.a.example _dmarc.a.example _dmarc.example"},
	{"no s=, an empty d=: no key, no walk",
	 "DKIM-Signature: d=example.com\nDKIM-Signature: d=; s=k\n\n", 10, "", "", 1, ""},
	{"max_signatures = 2: the keys of the first two only",
	 SIG("a.example", "1") SIG("b.example", "2") SIG("c.example", "3") "\n", 2, "", "", 1,
	 "1._domainkey.a.example 2._domainkey.b.example _dmarc.a.example _dmarc.example "
	 "_dmarc.b.example"},
	{"PREFETCH_DKIM_MAX (4) signing domains walked, every key asked",
	 SIG("a.example", "1") SIG("b.example", "2") SIG("c.example", "3")
	 SIG("d.example", "4") SIG("e.example", "5") "\n", 10, "", "", 1,
	 "1._domainkey.a.example 2._domainkey.b.example 3._domainkey.c.example "
	 "4._domainkey.d.example 5._domainkey.e.example _dmarc.a.example _dmarc.example "
	 "_dmarc.b.example _dmarc.c.example _dmarc.d.example"},
	{"DNS_PREFETCH_MAX (16) names, the rest left out", "\n", 10,
	 "a@l1.l2.l3.l4.l5.l6.l7.l8.example.org, b@m1.m2.m3.m4.m5.m6.m7.m8.example.net",
	 "spf.example.com", 1,
	 "spf.example.com _dmarc.l1.l2.l3.l4.l5.l6.l7.l8.example.org "
	 "_dmarc.l4.l5.l6.l7.l8.example.org _dmarc.l5.l6.l7.l8.example.org "
	 "_dmarc.l6.l7.l8.example.org _dmarc.l7.l8.example.org _dmarc.l8.example.org "
	 "_dmarc.example.org _dmarc.org _dmarc.m1.m2.m3.m4.m5.m6.m7.m8.example.net "
	 "_dmarc.m4.m5.m6.m7.m8.example.net _dmarc.m5.m6.m7.m8.example.net "
	 "_dmarc.m6.m7.m8.example.net _dmarc.m7.m8.example.net _dmarc.m8.example.net "
	 "_dmarc.example.net"},
    };
    struct buf got = BUF_INIT(BUF_MAX_ANY);
    size_t i;

    for (i = 0; i < PD_NELEM(cases); i++) {
	names(&got, cases[i].head, cases[i].max_sigs, cases[i].authors, cases[i].spf_domain,
	      cases[i].spf_record);
	is_str(buf_str(&got), cases[i].want, cases[i].name);
    }
    buf_free(&got);
}

/* test_long - a d= or s= longer than a DNS name: no key, no walk */

static void test_long(void)
{
    struct buf head = BUF_INIT(BUF_MAX_ANY), got = BUF_INIT(BUF_MAX_ANY);
    size_t i;

    buf_addstr(&head, "DKIM-Signature: s=k; d=");
    for (i = 0; i < DNS_NAME_MAX - 7; i++)
	buf_addch(&head, 'a');
    buf_addstr(&head, ".example\nDKIM-Signature: d=example.com; s=");
    for (i = 0; i < DNS_NAME_MAX + 1; i++)
	buf_addch(&head, 's');
    buf_addstr(&head, "\n\n");
    names(&got, buf_str(&head), 10, "", "", 1);
    is_str(buf_str(&got), "", "a d= or s= of DNS_NAME_MAX + 1 bytes: "
	   "no key, no walk");
    buf_free(&head);
    buf_free(&got);
}

int main(void)
{
    test_table();
    test_long();
    return tap_done();
}
