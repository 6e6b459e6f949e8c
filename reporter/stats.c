/*++
 * NAME
 *	stats 3
 * SUMMARY
 *	postdmarc-reporter --stats: the daily table for the operator
 * SYNOPSIS
 *	#include "stats.h"
 *
 *	int	stats_print(store, days, fp)
 * DESCRIPTION
 *	stats_print() writes, for each of the last days UTC days, one line
 *	per domain: messages evaluated, DMARC pass, fail and none, the
 *	dispositions (none, quarantine, reject), and the SPF verdicts of
 *	the policy server at SMTP time (accepted, rejected, deferred),
 *	then a total per day.  It returns 0, or -1 when the store cannot
 *	be read.
 *--*/
#include <string.h>
#include <time.h>

#include "compat.h"
#include "stats.h"

struct stats_ctx {
    FILE *fp;
    uint32_t day;			/* day being printed, or 0 */
    uint64_t total[STORE_STAT_COUNT];
    unsigned rows;
};

static const int stats_cols[] = {
    STORE_STAT_MSGS, STORE_STAT_DMARC_PASS, STORE_STAT_DMARC_FAIL, STORE_STAT_DMARC_NONE,
    STORE_STAT_DISP_NONE, STORE_STAT_DISP_QUARANTINE, STORE_STAT_DISP_REJECT,
    STORE_STAT_SPF_ACCEPT, STORE_STAT_SPF_REJECT, STORE_STAT_SPF_DEFER,
};

/* stats_line - one row of numbers */

static void stats_line(FILE *fp, const char *day, const char *domain, const uint64_t *n)
{
    size_t i;

    fprintf(fp, "%-10s %-32.32s", day, domain);
    for (i = 0; i < PD_NELEM(stats_cols); i++)
	fprintf(fp, " %8llu", (unsigned long long) n[stats_cols[i]]);
    fputc('\n', fp);
}

/* stats_day_name - YYYY-MM-DD */

static void stats_day_name(uint32_t day, char *out, size_t size)
{
    time_t t = (time_t) day * 86400;
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%d", &tm);
}

/* stats_total - close a day with its total */

static void stats_total(struct stats_ctx *c)
{
    char name[16];

    if (c->rows == 0)
	return;
    stats_day_name(c->day, name, sizeof(name));
    stats_line(c->fp, name, "(total)", c->total);
    fputc('\n', c->fp);
    memset(c->total, 0, sizeof(c->total));
    c->rows = 0;
}

/* stats_row - one (day, domain) counter row */

static int stats_row(const struct store_stat *s, void *arg)
{
    struct stats_ctx *c = arg;
    char name[16];
    size_t i;

    if (c->rows && s->day != c->day)
	stats_total(c);
    c->day = s->day;
    stats_day_name(s->day, name, sizeof(name));
    stats_line(c->fp, name, *s->domain ? s->domain : "(no domain)", s->n);
    for (i = 0; i < STORE_STAT_COUNT; i++)
	c->total[i] += s->n[i];
    c->rows++;
    return 0;
}

/* stats_print - the table of the last days */

int stats_print(struct store *st, unsigned days, FILE *fp)
{
    struct stats_ctx c;
    uint32_t today = (uint32_t) (time(NULL) / 86400);
    int rc;

    memset(&c, 0, sizeof(c));
    c.fp = fp;
    fprintf(fp, "%-10s %-32s %8s %8s %8s %8s %8s %8s %8s %8s %8s %8s\n", "day (UTC)",
	    "domain", "messages", "pass", "fail", "none", "dis:none", "dis:quar", "dis:rej",
	    "smtp:ok", "smtp:rej", "smtp:def");
    rc = store_stat_scan(st, today + 1 > days ? today + 1 - days : 0, today, stats_row, &c);
    stats_total(&c);
    return rc == STORE_OK ? 0 : -1;
}
