/*++
 * NAME
 *	conf 3h
 * SUMMARY
 *	the postdmarc configuration file
 *--*/
#ifndef PD_CONF_H
#define PD_CONF_H

#include <stdint.h>
#include <stdio.h>

#define CONF_DEFAULT_PATH	"/etc/postdmarc/postdmarc.conf"
#define CONF_DEFAULT_SERVER	"/run/postdmarc/filterd.sock"

struct conf_list {
    size_t n;
    char **v;
};

/* [policyd] helo_reject, mail_from_reject */
enum { CONF_SPF_REJECT_FAIL, CONF_SPF_REJECT_SOFTFAIL, CONF_SPF_REJECT_NOT_PASS,
CONF_SPF_REJECT_OFF };

/* [policyd] header */
enum { CONF_HEADER_RECEIVED_SPF, CONF_HEADER_AR, CONF_HEADER_NONE };

/* [pipefilter] quarantine */
enum { CONF_QUARANTINE_ADD_HEADER, CONF_QUARANTINE_NONE };

/* [pipefilter] reject */
enum { CONF_REJECT_DISCARD, CONF_REJECT_REJECT, CONF_REJECT_ADD_HEADER };

/* [pipefilter] temperror */
enum { CONF_TEMPERROR_TEMPFAIL, CONF_TEMPERROR_ACCEPT };

/* [pipefilter] org_domain */
enum { CONF_ORG_TREE, CONF_ORG_PSL };

/* [reporter] smtp_starttls */
enum { CONF_STARTTLS_NO, CONF_STARTTLS_TRY, CONF_STARTTLS_REQUIRE };

struct conf {
    char *path;				/* file read, or NULL: defaults */

    /* [general] */
    char *hostname;
    char *store;
    char *user;
    char *log;
    int debug;
    uint64_t store_keep;		/* ms: records older are pruned */

    /* [dns] */
    struct conf_list nameservers;
    uint64_t dns_timeout;		/* ms */
    unsigned dns_attempts;
    unsigned dns_cache_size;

    /* [policyd] */
    struct conf_list listen;
    int helo_reject;
    int mail_from_reject;
    int permerror_reject;
    int temperror_defer;
    int header;
    struct conf_list policyd_skip_addresses;
    int policyd_skip_authenticated;
    struct conf_list whitelist;
    unsigned max_connections;
    uint64_t idle_timeout;		/* ms */

    /* [pipefilter] */
    struct conf_list sendmail;
    int quarantine;
    int reject;
    char *spam_header;
    int temperror;
    struct conf_list filter_skip_addresses;
    int filter_skip_authenticated;
    unsigned max_signatures;
    int org_domain;
    char *psl_file;
    char *tmpdir;
    uint64_t spool_threshold;		/* bytes kept in memory */
    char *server;			/* postdmarc-filterd's socket, "" none */
    unsigned server_processes;		/* messages it evaluates at once */

    /* [reporter] */
    int reporter_enabled;
    char *org_name;
    char *email;
    char *domain;
    char *from_name;
    char *msgid_from;
    char *smtp;
    unsigned smtp_port;
    char *helo;
    unsigned send_time;			/* minutes after 00:00 UTC */
    struct conf_list exclude_domains;
    int smtp_starttls;
    char *smtp_user;
    char *smtp_password;
    uint64_t smtp_timeout;		/* ms */
    uint64_t retry_period;		/* ms: keep retrying a report this long */
    uint64_t retry_min;			/* ms: first retry delay */
    struct conf_list bcc;
};

struct conf *conf_load(const char *, int, FILE *);
void conf_free(struct conf *);
void conf_dump(const struct conf *, FILE *);

#endif
