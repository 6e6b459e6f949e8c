/*++
 * NAME
 *	conf 3
 * SUMMARY
 *	the postdmarc configuration file
 * SYNOPSIS
 *	#include "conf.h"
 *
 *	struct conf *conf_load(path, explicit, errfp)
 *	void	conf_free(conf)
 *	void	conf_dump(conf, fp)
 * DESCRIPTION
 *	conf_load() reads an INI file through libinih and returns the
 *	whole, validated configuration, which is immutable afterwards.
 *	Every key is described once, in the table below, with its type,
 *	default and bounds; defaults go through the same parser as values
 *	from the file.  Unknown sections and keys, bad values and syntax
 *	errors are written to errfp as "FILE:LINE: message", and every
 *	problem of the file is reported, not just the first.
 *
 *	A missing file is an error, unless explicit is zero and errno is
 *	ENOENT: then all defaults apply (the contract: a missing default
 *	file means all defaults).
 *
 *	conf_load() returns NULL when anything was wrong.  The caller owns
 *	the result and releases it with conf_free(), which accepts NULL.
 *
 *	conf_dump() writes every key with its effective value, in the
 *	file's own syntax.
 * LIMITS
 *	A physical line is at most 198 bytes (libinih as Debian builds it);
 *	a list continues on indented lines.  CONF_LIST_MAX elements for
 *	one list.  A NUL byte is an error.
 *--*/
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "inet.h"
#include "limits.h"
#include "str.h"

enum conf_type {
    CONF_T_STR, CONF_T_BOOL, CONF_T_UINT, CONF_T_DURATION, CONF_T_SIZE,
    CONF_T_ENUM, CONF_T_LIST, CONF_T_WORDS, CONF_T_TIME,
};

typedef int (*conf_check_fn) (const char *);

struct conf_key {
    const char *section;
    const char *name;
    enum conf_type type;
    size_t off;
    const char *def;
    uint64_t min, max;			/* UINT, DURATION (ms), SIZE */
    const char *const *names;		/* ENUM: value i is names[i] */
    conf_check_fn check;		/* STR, LIST: each element */
    const char *what;			/* what check wants, for errors */
};

static const char *const conf_spf_reject[] = {"fail", "softfail", "not_pass", "off", 0};
static const char *const conf_header[] = {"received-spf", "authentication-results", "none", 0};
static const char *const conf_quarantine[] = {"add_header", "none", 0};
static const char *const conf_reject[] = {"discard", "reject", "add_header", 0};
static const char *const conf_temperror[] = {"tempfail", "accept", 0};
static const char *const conf_org[] = {"tree", "psl", 0};
static const char *const conf_starttls[] = {"no", "yes", "required", 0};

static int conf_check_net(const char *);
static int conf_check_ns(const char *);
static int conf_check_listen(const char *);
static int conf_check_abspath(const char *);
static int conf_check_socket(const char *);
static int conf_check_header(const char *);
static int conf_check_domain(const char *);
static int conf_check_email(const char *);

#define O(f)	offsetof(struct conf, f)
#define DAY	(86400ULL * 1000)

static const struct conf_key conf_keys[] = {
    {"general", "hostname", CONF_T_STR, O(hostname), "", 0, 0, 0, conf_check_domain, "a host name"},
    {"general", "store", CONF_T_STR, O(store), "/var/lib/postdmarc", 0, 0, 0, conf_check_abspath, "an absolute path"},
    {"general", "user", CONF_T_STR, O(user), "postdmarc"},
    {"general", "log", CONF_T_STR, O(log), "syslog"},
    {"general", "debug", CONF_T_BOOL, O(debug), "no"},
    {"general", "keep", CONF_T_DURATION, O(store_keep), "14d", 3600 * 1000, 3650 * DAY},

    {"dns", "nameservers", CONF_T_LIST, O(nameservers), "", 0, 0, 0, conf_check_ns, "host[:port] or [v6addr]:port"},
    {"dns", "timeout", CONF_T_DURATION, O(dns_timeout), "5s", 10, 120 * 1000},
    {"dns", "attempts", CONF_T_UINT, O(dns_attempts), "2", 1, 10},
    {"dns", "cache_size", CONF_T_UINT, O(dns_cache_size), "10000", 0, 10000000},

    {"policyd", "listen", CONF_T_LIST, O(listen), "inet:127.0.0.1:10040", 0, 0, 0, conf_check_listen, "inet:ADDR:PORT or unix:/PATH"},
    {"policyd", "helo_reject", CONF_T_ENUM, O(helo_reject), "fail", 0, 0, conf_spf_reject},
    {"policyd", "mail_from_reject", CONF_T_ENUM, O(mail_from_reject), "fail", 0, 0, conf_spf_reject},
    {"policyd", "permerror_reject", CONF_T_BOOL, O(permerror_reject), "no"},
    {"policyd", "temperror_defer", CONF_T_BOOL, O(temperror_defer), "yes"},
    {"policyd", "header", CONF_T_ENUM, O(header), "received-spf", 0, 0, conf_header},
    {"policyd", "skip_addresses", CONF_T_LIST, O(policyd_skip_addresses), "127.0.0.0/8, ::1", 0, 0, 0, conf_check_net, "an address or network"},
    {"policyd", "skip_authenticated", CONF_T_BOOL, O(policyd_skip_authenticated), "yes"},
    {"policyd", "whitelist", CONF_T_LIST, O(whitelist), "", 0, 0, 0, conf_check_net, "an address or network"},
    {"policyd", "max_connections", CONF_T_UINT, O(max_connections), "512", 1, 100000},
    {"policyd", "idle_timeout", CONF_T_DURATION, O(idle_timeout), "1h", 1000, 7 * DAY},

    {"pipefilter", "sendmail", CONF_T_WORDS, O(sendmail), "/usr/sbin/sendmail"},
    {"pipefilter", "quarantine", CONF_T_ENUM, O(quarantine), "add_header", 0, 0, conf_quarantine},
    {"pipefilter", "reject", CONF_T_ENUM, O(reject), "discard", 0, 0, conf_reject},
    {"pipefilter", "spam_header", CONF_T_STR, O(spam_header), "X-Spam: Yes", 0, 0, 0, conf_check_header, "Name: value"},
    {"pipefilter", "temperror", CONF_T_ENUM, O(temperror), "tempfail", 0, 0, conf_temperror},
    {"pipefilter", "skip_addresses", CONF_T_LIST, O(filter_skip_addresses), "127.0.0.0/8, ::1", 0, 0, 0, conf_check_net, "an address or network"},
    {"pipefilter", "skip_authenticated", CONF_T_BOOL, O(filter_skip_authenticated), "yes"},
    {"pipefilter", "max_signatures", CONF_T_UINT, O(max_signatures), "10", 1, DKIM_SIGS_MAX},
    {"pipefilter", "org_domain", CONF_T_ENUM, O(org_domain), "tree", 0, 0, conf_org},
    {"pipefilter", "psl_file", CONF_T_STR, O(psl_file), "", 0, 0, 0, conf_check_abspath, "an absolute path"},
    {"pipefilter", "tmpdir", CONF_T_STR, O(tmpdir), "", 0, 0, 0, conf_check_abspath, "an absolute path"},
    {"pipefilter", "spool_threshold", CONF_T_SIZE, O(spool_threshold), "1m", 64 * 1024, 1024ULL * 1024 * 1024},
    {"pipefilter", "server", CONF_T_STR, O(server), CONF_DEFAULT_SERVER, 0, 0, 0, conf_check_socket, "an absolute path of at most 107 bytes"},
    {"pipefilter", "server_processes", CONF_T_UINT, O(server_processes), "100", 1, 10000},

    {"reporter", "enabled", CONF_T_BOOL, O(reporter_enabled), "yes"},
    {"reporter", "org_name", CONF_T_STR, O(org_name), ""},
    {"reporter", "email", CONF_T_STR, O(email), "", 0, 0, 0, conf_check_email, "an address local@domain"},
    {"reporter", "domain", CONF_T_STR, O(domain), "", 0, 0, 0, conf_check_domain, "a domain name"},
    {"reporter", "from_name", CONF_T_STR, O(from_name), ""},
    {"reporter", "msgid_from", CONF_T_STR, O(msgid_from), "", 0, 0, 0, conf_check_domain, "a domain name"},
    {"reporter", "smtp", CONF_T_STR, O(smtp), "127.0.0.1"},
    {"reporter", "smtp_port", CONF_T_UINT, O(smtp_port), "25", 1, 65535},
    {"reporter", "helo", CONF_T_STR, O(helo), "", 0, 0, 0, conf_check_domain, "a host name"},
    {"reporter", "send_time", CONF_T_TIME, O(send_time), "04:00"},
    {"reporter", "exclude_domains", CONF_T_LIST, O(exclude_domains), "", 0, 0, 0, conf_check_domain, "a domain name"},
    {"reporter", "smtp_starttls", CONF_T_ENUM, O(smtp_starttls), "no", 0, 0, conf_starttls},
    {"reporter", "smtp_user", CONF_T_STR, O(smtp_user), ""},
    {"reporter", "smtp_password", CONF_T_STR, O(smtp_password), ""},
    {"reporter", "smtp_timeout", CONF_T_DURATION, O(smtp_timeout), "2m", 1000, 3600 * 1000},
    {"reporter", "retry_period", CONF_T_DURATION, O(retry_period), "3d", 0, 30 * DAY},
    {"reporter", "retry_min", CONF_T_DURATION, O(retry_min), "5m", 1000, DAY},
    {"reporter", "bcc", CONF_T_LIST, O(bcc), "", 0, 0, 0, conf_check_email, "an address local@domain"},
};

#undef O
#define CONF_NKEYS	PD_NELEM(conf_keys)

struct conf_parse {
    struct conf *conf;
    const char *file;
    FILE *fp;
    FILE *errfp;
    unsigned line;			/* physical line last read */
    unsigned errors;
    unsigned error_line;		/* line of the last error reported */
    unsigned char seen[CONF_NKEYS];
};

 /*
  * Element checks.
  */

/* conf_check_net - address or network */

static int conf_check_net(const char *s)
{
    struct inet_net net;

    return inet_net_parse(s, &net);
}

/* conf_check_ns - nameserver host[:port] */

static int conf_check_ns(const char *s)
{
    struct inet_endpoint ep;

    return inet_hostport_parse(s, 53, &ep);
}

/* conf_check_listen - listen endpoint */

static int conf_check_listen(const char *s)
{
    struct inet_endpoint ep;

    return inet_listen_parse(s, &ep);
}

/* conf_check_abspath - absolute path or empty */

static int conf_check_abspath(const char *s)
{
    return *s == 0 || *s == '/' ? 0 : -1;
}

/* conf_check_socket - empty, or an absolute path that fits a sockaddr_un */

static int conf_check_socket(const char *s)
{
    return conf_check_abspath(s) == 0
	&& strlen(s) < sizeof(((struct sockaddr_un *) 0)->sun_path) ? 0 : -1;
}

/* conf_check_header - "Name: value" with a valid field name */

static int conf_check_header(const char *s)
{
    const char *p;

    for (p = s; *p && *p != ':'; p++)
	if (*p <= ' ' || *p >= 127)
	    return -1;
    if (*p != ':' || p == s)
	return -1;
    for (; *p; p++)
	if ((unsigned char) *p < ' ' && *p != '\t')
	    return -1;
    return 0;
}

/* conf_check_domain - LDH host name, or empty for the default */

static int conf_check_domain(const char *s)
{
    size_t len = strlen(s), label = 0;
    const char *p;

    if (len > DNS_NAME_MAX)
	return -1;
    for (p = s; *p; p++) {
	if (*p == '.') {
	    if (label == 0)
		return -1;
	    label = 0;
	} else if (STR_IS_ALPHA(*p) || STR_IS_DIGIT(*p) || *p == '-' || *p == '_') {
	    if (++label > DNS_LABEL_MAX)
		return -1;
	} else {
	    return -1;
	}
    }
    return 0;
}

/* conf_check_email - local@domain, or empty for the default */

static int conf_check_email(const char *s)
{
    const char *at = strrchr(s, '@');
    const char *p;

    if (*s == 0)
	return 0;
    if (at == NULL || at == s || at[1] == 0 || strlen(s) > MSG_ADDR_MAX)
	return -1;
    for (p = s; p < at; p++)
	if (*p <= ' ' || *p >= 127 || strchr("<>()[]\\,;:\"", *p))
	    return -1;
    return conf_check_domain(at + 1);
}

 /*
  * Value parsers.
  */

/* conf_parse_bool - yes/no and friends */

static int conf_parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    size_t i;

    for (i = 0; i < PD_NELEM(yes); i++) {
	if (str_eq_ci(s, yes[i]))
	    return *out = 1, 0;
	if (str_eq_ci(s, no[i]))
	    return *out = 0, 0;
    }
    return -1;
}

/* conf_parse_scaled - number with a unit suffix from a table */

static int conf_parse_scaled(const char *s, const char *const *units,
			             const uint64_t *scale, int need_unit, uint64_t *out)
{
    size_t len = strlen(s), digits = 0;
    uint64_t v;
    size_t i;

    while (digits < len && STR_IS_DIGIT(s[digits]))
	digits++;
    if (str_to_u64(s, digits, UINT64_MAX, &v) < 0)
	return -1;
    if (digits == len) {
	if (need_unit)
	    return -1;
	*out = v;
	return 0;
    }
    for (i = 0; units[i]; i++) {
	if (str_eq_ci(s + digits, units[i])) {
	    if (v > UINT64_MAX / scale[i])
		return -1;
	    *out = v * scale[i];
	    return 0;
	}
    }
    return -1;
}

/* conf_parse_duration - 500ms, 5s, 2m, 1h, 1d into milliseconds */

static int conf_parse_duration(const char *s, uint64_t *ms)
{
    static const char *const units[] = {"ms", "s", "m", "h", "d", "w", 0};
    static const uint64_t scale[] = {1, 1000, 60000, 3600000, DAY, 7 * DAY};

    return conf_parse_scaled(s, units, scale, 1, ms);
}

/* conf_parse_size - bytes, with k, m or g */

static int conf_parse_size(const char *s, uint64_t *bytes)
{
    static const char *const units[] = {"k", "m", "g", 0};
    static const uint64_t scale[] = {1024, 1024 * 1024, 1024 * 1024 * 1024};

    return conf_parse_scaled(s, units, scale, 0, bytes);
}

/* conf_parse_time - HH:MM into minutes after midnight */

static int conf_parse_time(const char *s, unsigned *minutes)
{
    uint64_t h, m;
    const char *colon = strchr(s, ':');

    if (colon == NULL || colon - s < 1 || colon - s > 2 || strlen(colon + 1) != 2)
	return -1;
    if (str_to_u64(s, (size_t) (colon - s), 23, &h) < 0
	|| str_to_u64(colon + 1, 2, 59, &m) < 0)
	return -1;
    *minutes = (unsigned) (h * 60 + m);
    return 0;
}

/* conf_list_free - release a list value */

static void conf_list_free(struct conf_list *list)
{
    str_split_free(list->v, list->n);
    list->v = NULL;
    list->n = 0;
}

/* conf_set_list - set or extend a list value */

static int conf_set_list(const struct conf_key *key, struct conf_list *list,
			         const char *value, int append, struct buf *err)
{
    char **vec, **all;
    size_t n, i;
    int sep = key->type == CONF_T_WORDS ? ' ' : ',';

    if (str_split(value, sep, &vec, &n, CONF_LIST_MAX) < 0)
	return buf_printf(err, "more than %d elements", CONF_LIST_MAX), -1;
    for (i = 0; key->check && i < n; i++) {
	if (key->check(vec[i]) < 0) {
	    buf_printf(err, "\"%s\" is not %s", vec[i], key->what);
	    str_split_free(vec, n);
	    return -1;
	}
    }
    if (!append) {
	conf_list_free(list);
	list->v = vec;
	list->n = n;
	return 0;
    }
    if (list->n + n > CONF_LIST_MAX
	|| (all = realloc(list->v, (list->n + n + 1) * sizeof(*all))) == NULL) {
	str_split_free(vec, n);
	return buf_printf(err, "more than %d elements", CONF_LIST_MAX), -1;
    }
    memcpy(all + list->n, vec, n * sizeof(*vec));
    free(vec);
    list->v = all;
    list->n += n;
    return 0;
}

/* conf_set_enum - one of the key's names */

static int conf_set_enum(const struct conf_key *key, int *out, const char *value,
			         struct buf *err)
{
    int i;

    for (i = 0; key->names[i]; i++) {
	if (str_eq_ci(value, key->names[i])) {
	    *out = i;
	    return 0;
	}
    }
    buf_printf(err, "\"%s\" is not one of", value);
    for (i = 0; key->names[i]; i++)
	buf_printf(err, "%s %s", i ? "," : "", key->names[i]);
    return -1;
}

/* conf_set_number - UINT, DURATION, SIZE with bounds */

static int conf_set_number(const struct conf_key *key, void *field, const char *value,
			           struct buf *err)
{
    uint64_t v;
    int ok;

    switch (key->type) {
    case CONF_T_UINT:
	ok = str_to_u64(value, strlen(value), UINT64_MAX, &v) == 0;
	break;
    case CONF_T_DURATION:
	ok = conf_parse_duration(value, &v) == 0;
	break;
    default:
	ok = conf_parse_size(value, &v) == 0;
	break;
    }
    if (!ok)
	return buf_printf(err, "\"%s\" is not a %s", value,
			  key->type == CONF_T_UINT ? "number" :
			  key->type == CONF_T_DURATION ?
			  "duration with a unit (ms, s, m, h, d, w)" :
			  "size (bytes, or with k, m, g)"), -1;
    if (v < key->min || v > key->max)
	return buf_printf(err, "\"%s\" is out of range", value), -1;
    if (key->type == CONF_T_UINT)
	*(unsigned *) field = (unsigned) v;
    else
	*(uint64_t *) field = v;
    return 0;
}

/* conf_set - parse one value into its field */

static int conf_set(struct conf *conf, const struct conf_key *key, const char *value,
		            int append, struct buf *err)
{
    void *field = (char *) conf + key->off;
    char *copy;

    switch (key->type) {
    case CONF_T_STR:
	if (key->check && key->check(value) < 0)
	    return buf_printf(err, "\"%s\" is not %s", value, key->what), -1;
	if ((copy = str_dup(value)) == NULL)
	    return buf_printf(err, "out of memory"), -1;
	free(*(char **) field);
	*(char **) field = copy;
	return 0;
    case CONF_T_BOOL:
	if (conf_parse_bool(value, field) < 0)
	    return buf_printf(err, "\"%s\" is not yes or no", value), -1;
	return 0;
    case CONF_T_ENUM:
	return conf_set_enum(key, field, value, err);
    case CONF_T_WORDS:
	/* A command line, run by execve(): its command must be an
	 * absolute path.  Checked here, where the error gets its
	 * FILE:LINE; conf_derive() still checks the result as a whole. */
	if (!append && value[strspn(value, " ")] != '/')
	    return buf_printf(err, "needs an absolute command path"), -1;
	return conf_set_list(key, field, value, append, err);
    case CONF_T_LIST:
	return conf_set_list(key, field, value, append, err);
    case CONF_T_TIME:
	if (conf_parse_time(value, field) < 0)
	    return buf_printf(err, "\"%s\" is not a time HH:MM", value), -1;
	return 0;
    default:
	return conf_set_number(key, field, value, err);
    }
}

 /*
  * Reading the file.
  */

/* conf_error - report one problem */

static void PD_PRINTF(3, 4) conf_error(struct conf_parse *cp, unsigned line,
				       const char *fmt,...)
{
    va_list ap;

    if (cp->errfp) {
	if (line)
	    fprintf(cp->errfp, "%s:%u: ", cp->file, line);
	else
	    fprintf(cp->errfp, "%s: ", cp->file);
	va_start(ap, fmt);
	vfprintf(cp->errfp, fmt, ap);
	va_end(ap);
	fputc('\n', cp->errfp);
    }
    cp->errors++;
    cp->error_line = line;
}

/* conf_reader - fgets() for libinih that counts lines and refuses long
 * lines and NUL bytes (which fgets() would let cut a line in two) */

static char *conf_reader(char *str, int num, void *stream)
{
    struct conf_parse *cp = stream;
    size_t len = 0, max = (size_t) num - 2;	/* room for the newline and NUL */
    int c, nul = 0, lng = 0;

    while ((c = getc(cp->fp)) != EOF && c != '\n') {
	nul |= c == 0;
	if (len < max)
	    str[len++] = (char) c;
	else
	    lng = 1;
    }
    if (c == EOF && len == 0)
	return NULL;
    cp->line++;
    if (c == '\n')
	str[len++] = '\n';
    str[len] = 0;
    if (nul || lng) {
	if (nul)
	    conf_error(cp, cp->line, "NUL byte in the line");
	else
	    conf_error(cp, cp->line, "line longer than %d bytes; continue a list "
		       "on indented lines", (int) max);
	str[0] = '#';				/* the line becomes a comment */
	str[1] = 0;
    }
    return str;
}

/* conf_strip_comment - drop a trailing " # comment" */

static void conf_strip_comment(char *value)
{
    char *p;

    for (p = value; (p = strchr(p, '#')) != NULL; p++) {
	if (p > value && STR_IS_WSP(p[-1])) {
	    while (p > value && STR_IS_WSP(p[-1]))
		p--;
	    *p = 0;
	    return;
	}
    }
}

/* conf_find - index of a key, or -1 */

static int conf_find(const char *section, const char *name, int *section_known)
{
    size_t i;

    *section_known = 0;
    for (i = 0; i < CONF_NKEYS; i++) {
	if (str_eq_ci(section, conf_keys[i].section)) {
	    *section_known = 1;
	    if (str_eq_ci(name, conf_keys[i].name))
		return (int) i;
	}
    }
    return -1;
}

/* conf_handler - one key = value from libinih */

static int conf_handler(void *user, const char *section, const char *name,
			        const char *value)
{
    struct conf_parse *cp = user;
    struct buf err = BUF_INIT(512);
    char val[CONF_LINE_MAX];
    int idx, known;

    if ((idx = conf_find(section, name, &known)) < 0) {
	if (known)
	    conf_error(cp, cp->line, "unknown key \"%s\" in [%s]", name, section);
	else if (*section)
	    conf_error(cp, cp->line, "unknown section [%s]", section);
	else
	    conf_error(cp, cp->line, "\"%s\" outside any [section]", name);
	return 1;
    }
    if (str_copy(val, value, sizeof(val)) < 0) {
	conf_error(cp, cp->line, "value of %s too long", name);
	return 1;
    }
    conf_strip_comment(val);
    if (cp->seen[idx] && conf_keys[idx].type != CONF_T_LIST
	&& conf_keys[idx].type != CONF_T_WORDS) {
	conf_error(cp, cp->line, "%s given twice in [%s]", name, section);
	return 1;
    }
    if (conf_set(cp->conf, &conf_keys[idx], val, cp->seen[idx], &err) < 0)
	conf_error(cp, cp->line, "[%s] %s: %s", conf_keys[idx].section,
		   conf_keys[idx].name, buf_str(&err));
    buf_free(&err);
    cp->seen[idx] = 1;
    return 1;
}

/* conf_defaults - set every key to its default */

static int conf_defaults(struct conf *conf, FILE *errfp)
{
    struct buf err = BUF_INIT(512);
    size_t i;

    for (i = 0; i < CONF_NKEYS; i++) {
	if (conf_set(conf, &conf_keys[i], conf_keys[i].def, 0, &err) < 0) {
	    if (errfp)
		fprintf(errfp, "default of [%s] %s: %s\n", conf_keys[i].section,
			conf_keys[i].name, buf_str(&err));
	    buf_free(&err);
	    return -1;
	}
    }
    buf_free(&err);
    return 0;
}

/* conf_default_str - fill an empty string key */

static int conf_default_str(char **field, const char *value)
{
    char *copy;

    if (**field)
	return 0;
    if ((copy = str_dup(value)) == NULL)
	return -1;
    free(*field);
    *field = copy;
    return 0;
}

/* conf_derive - derived defaults and checks that span keys */

static void conf_derive(struct conf_parse *cp)
{
    struct conf *conf = cp->conf;
    char host[DNS_NAME_MAX + 1];
    struct buf email = BUF_INIT(MSG_ADDR_MAX + 16);
    const char *dot;
    int bad = 0;

    if (*conf->hostname == 0) {
	host[sizeof(host) - 1] = 0;
	if (gethostname(host, sizeof(host) - 1) < 0 || conf_check_domain(host) < 0)
	    bad |= conf_default_str(&conf->hostname, "localhost");
	else
	    bad |= conf_default_str(&conf->hostname, host);
    }
    dot = strchr(conf->hostname, '.');
    bad |= conf_default_str(&conf->domain, dot && dot[1] ? dot + 1 : conf->hostname);
    bad |= conf_default_str(&conf->org_name, conf->hostname);
    bad |= conf_default_str(&conf->from_name, conf->org_name);
    bad |= conf_default_str(&conf->msgid_from, conf->hostname);
    bad |= conf_default_str(&conf->helo, conf->hostname);
    buf_printf(&email, "postmaster@%s", conf->domain);
    bad |= buf_error(&email) ? -1 : conf_default_str(&conf->email, buf_str(&email));
    buf_free(&email);
    if (bad)
	conf_error(cp, 0, "out of memory");
    if (conf->sendmail.n == 0 || conf->sendmail.v[0][0] != '/')
	conf_error(cp, 0, "[pipefilter] sendmail: needs an absolute command path");
    if (conf->listen.n == 0)
	conf_error(cp, 0, "[policyd] listen: needs at least one endpoint");
    if (*conf->smtp_user && *conf->smtp_password == 0)
	conf_error(cp, 0, "[reporter] smtp_user needs smtp_password");
}

/* conf_load - read, validate and return the configuration */

struct conf *conf_load(const char *path, int explicit, FILE *errfp)
{
    struct conf_parse cp;
    struct conf *conf;
    int ret;

    if ((conf = calloc(1, sizeof(*conf))) == NULL)
	return NULL;
    if (conf_defaults(conf, errfp) < 0) {
	conf_free(conf);
	return NULL;
    }
    memset(&cp, 0, sizeof(cp));
    cp.conf = conf;
    cp.file = path;
    cp.errfp = errfp;
    if ((cp.fp = fopen(path, "r")) != NULL) {
	if ((conf->path = str_dup(path)) == NULL)
	    conf_error(&cp, 0, "out of memory");
	ret = ini_parse_stream(conf_reader, &cp, conf_handler, &cp);
	if (ret > 0 && (unsigned) ret != cp.error_line)
	    conf_error(&cp, (unsigned) ret, "syntax error: expected [section] or key = value");
	else if (ret < 0)
	    conf_error(&cp, 0, "out of memory");
	fclose(cp.fp);
    } else if (errno != ENOENT || explicit) {
	conf_error(&cp, 0, "cannot open: %s", strerror(errno));
    }
    if (cp.errors == 0)
	conf_derive(&cp);
    if (cp.errors) {
	conf_free(conf);
	return NULL;
    }
    return conf;
}

/* conf_free - release everything */

void conf_free(struct conf *conf)
{
    size_t i;

    if (conf == NULL)
	return;
    for (i = 0; i < CONF_NKEYS; i++) {
	void *field = (char *) conf + conf_keys[i].off;

	if (conf_keys[i].type == CONF_T_STR)
	    free(*(char **) field);
	else if (conf_keys[i].type == CONF_T_LIST || conf_keys[i].type == CONF_T_WORDS)
	    conf_list_free(field);
    }
    free(conf->path);
    free(conf);
}

/* conf_dump_value - one key's value in file syntax */

static void conf_dump_value(const struct conf_key *key, const void *field, FILE *fp)
{
    const struct conf_list *list;
    uint64_t v;
    size_t i;

    switch (key->type) {
    case CONF_T_STR:
	fputs(*(char *const *) field, fp);
	break;
    case CONF_T_BOOL:
	fputs(*(const int *) field ? "yes" : "no", fp);
	break;
    case CONF_T_ENUM:
	fputs(key->names[*(const int *) field], fp);
	break;
    case CONF_T_UINT:
	fprintf(fp, "%u", *(const unsigned *) field);
	break;
    case CONF_T_TIME:
	fprintf(fp, "%02u:%02u", *(const unsigned *) field / 60, *(const unsigned *) field % 60);
	break;
    case CONF_T_LIST:
    case CONF_T_WORDS:
	list = field;
	for (i = 0; i < list->n; i++)
	    fprintf(fp, "%s%s", i == 0 ? "" : key->type == CONF_T_WORDS ? " " : ", ",
		    list->v[i]);
	break;
    case CONF_T_DURATION:
	v = *(const uint64_t *) field;
	if (v % DAY == 0 && v)
	    fprintf(fp, "%llud", (unsigned long long) (v / DAY));
	else if (v % 1000 == 0)
	    fprintf(fp, "%llus", (unsigned long long) (v / 1000));
	else
	    fprintf(fp, "%llums", (unsigned long long) v);
	break;
    case CONF_T_SIZE:
	fprintf(fp, "%llu", (unsigned long long) *(const uint64_t *) field);
	break;
    }
}

/* conf_dump - every key with its effective value */

void conf_dump(const struct conf *conf, FILE *fp)
{
    const char *section = "";
    size_t i;

    for (i = 0; i < CONF_NKEYS; i++) {
	const struct conf_key *key = &conf_keys[i];

	if (strcmp(section, key->section) != 0) {
	    fprintf(fp, "%s[%s]\n", i ? "\n" : "", key->section);
	    section = key->section;
	}
	if (strstr(key->name, "password") && *conf->smtp_password) {
	    fprintf(fp, "%s = (set)\n", key->name);
	    continue;
	}
	fprintf(fp, "%s = ", key->name);
	conf_dump_value(key, (const char *) conf + key->off, fp);
	fputc('\n', fp);
    }
}
