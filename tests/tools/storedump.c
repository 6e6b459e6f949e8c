/*++
 * NAME
 *	storedump 1
 * SUMMARY
 *	print store records for the tests
 * SYNOPSIS
 *	storedump DIR spf|msg|report|stat|meta
 * DESCRIPTION
 *	One line per record, tab-separated key=value fields, read with a
 *	read-only transaction.  A report line gives each destination as
 *	destN=address/state/attempts, with nextN (its retry time) and
 *	errorN (the last attempt's outcome); meta gives the reporter's
 *	state values (reported_until, last_cycle, 0 when unset) on one
 *	line.  Exit 0, or 1 when the store cannot be read.
 *--*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "results.h"
#include "store.h"

/* msg_line - one message record */

static int msg_line(void *ctx, const struct store_msg *m)
{
    size_t i;

    printf("qid=%s\ttime=%llu\tip=%s\tenv_from=%s\tenv_to=%s\theader_from=%s"
	   "\tspf_domain=%s\tspf_scope=%s\tspf=%s\tdmarc=%s\tdkim_aligned=%d"
	   "\tspf_aligned=%d\tdisposition=%s\tpolicy_domain=%s\tp=%s\tsp=%s\tnp=%s"
	   "\tadkim=%c\taspf=%c\ttesting=%d\tpsd=%c\tfo=%s\tdiscovery=%s\tndkim=%zu",
	   m->queue_id, (unsigned long long) m->time, m->source_ip, m->env_from, m->env_to,
	   m->header_from, m->spf_domain, m->spf_scope ? "helo" : "mfrom",
	   res_spf_name(m->spf_result), res_dmarc_name(m->dmarc_result), m->dkim_aligned,
	   m->spf_aligned, res_disposition_name(m->disposition), m->policy.domain,
	   res_policy_name(m->policy.p), res_policy_name(m->policy.sp),
	   res_policy_name(m->policy.np), m->policy.adkim ? m->policy.adkim : '-',
	   m->policy.aspf ? m->policy.aspf : '-', m->policy.testing,
	   m->policy.psd ? m->policy.psd : '-', m->policy.fo,
	   res_discovery_name(m->policy.discovery), m->ndkim);
    for (i = 0; i < m->ndkim; i++)
	printf("\tdkim%zu=%s/%s/%s", i, m->dkim[i].domain, m->dkim[i].selector,
	       res_dkim_name(m->dkim[i].result));
    for (i = 0; i < m->nreasons; i++)
	printf("\treason%zu=%s/%s", i, res_reason_name(m->reasons[i].type),
	       m->reasons[i].comment);
    for (i = 0; i < m->policy.nrua; i++)
	printf("\trua%zu=%s", i, m->policy.rua[i]);
    putchar('\n');
    (void) ctx;
    return 0;
}

/* group_end - nothing to do between groups */

static int group_end(void *ctx, struct store_txn *txn, const char *domain, uint32_t day)
{
    (void) ctx, (void) txn, (void) domain, (void) day;
    return 0;
}

/* stat_line - one counter row */

static int stat_line(const struct store_stat *s, void *ctx)
{
    size_t i;

    printf("day=%u\tdomain=%s", s->day, s->domain);
    for (i = 0; i < STORE_STAT_COUNT; i++)
	printf("\tn%zu=%llu", i, (unsigned long long) s->n[i]);
    putchar('\n');
    (void) ctx;
    return 0;
}

/* spf_line - one policy server verdict */

static int spf_line(const struct store_spf *s, void *ctx)
{
    printf("qid=%s\ttime=%llu\tclient=%s\thelo=%s\tmail_from=%s\tdomain=%s"
	   "\thelo_result=%s\tmfrom_result=%s\taction=%d\n", s->queue_id,
	   (unsigned long long) s->time, s->client_addr, s->helo, s->mail_from, s->domain,
	   res_spf_name(s->helo_result), res_spf_name(s->mfrom_result), s->action);
    (void) ctx;
    return 0;
}

/* dump_reports - every report with its destinations */

static int dump_reports(struct store *st)
{
    struct store_report rp;
    char **ids;
    size_t n, i, j;

    if (store_report_ids(st, &ids, &n) != STORE_OK)
	return -1;
    for (i = 0; i < n; i++) {
	if (store_report_get(st, ids[i], &rp) == STORE_OK) {
	    printf("id=%s\tdomain=%s\tbegin=%llu\tend=%llu\trecords=%llu\tbytes=%zu",
		   rp.id, rp.domain, (unsigned long long) rp.begin,
		   (unsigned long long) rp.end, (unsigned long long) rp.records, rp.len);
	    for (j = 0; j < rp.ndests; j++)
		printf("\tdest%zu=%s/%d/%u\tnext%zu=%llu\terror%zu=%s", j, rp.dests[j].addr,
		       rp.dests[j].state, rp.dests[j].attempts, j,
		       (unsigned long long) rp.dests[j].next_try, j, rp.dests[j].last_error);
	    putchar('\n');
	    store_report_release(&rp);
	}
	free(ids[i]);
    }
    free(ids);
    return 0;
}

/* dump_meta - the reporter's state values */

static int dump_meta(struct store *st)
{
    static const char *const names[] = {"reported_until", "last_cycle"};
    uint64_t v;
    size_t i;
    int rc;

    for (i = 0; i < PD_NELEM(names); i++) {
	if ((rc = store_meta_get(st, names[i], &v)) != STORE_OK && rc != STORE_NOTFOUND)
	    return rc;
	printf("%s%s=%llu", i ? "\t" : "", names[i],
	       rc == STORE_OK ? (unsigned long long) v : 0ULL);
    }
    putchar('\n');
    return STORE_OK;
}

int main(int argc, char **argv)
{
    static const struct store_group_ops ops = {msg_line, group_end};
    struct store *st;
    int ret = 0;

    if (argc != 3) {
	fprintf(stderr, "usage: storedump DIR spf|msg|report|stat|meta\n");
	return 2;
    }
    if ((st = store_open(argv[1], STORE_RDONLY)) == NULL) {
	fprintf(stderr, "storedump: %s\n", store_last_error());
	return 1;
    }
    if (strcmp(argv[2], "msg") == 0)
	ret = store_msg_groups(st, UINT64_MAX, 0, &ops, NULL);
    else if (strcmp(argv[2], "stat") == 0)
	ret = store_stat_scan(st, 0, UINT32_MAX, stat_line, NULL);
    else if (strcmp(argv[2], "report") == 0)
	ret = dump_reports(st);
    else if (strcmp(argv[2], "spf") == 0)
	ret = store_spf_scan(st, spf_line, NULL);
    else if (strcmp(argv[2], "meta") == 0)
	ret = dump_meta(st);
    if (ret != STORE_OK)
	fprintf(stderr, "storedump: %s\n", store_error(st));
    store_close(st);
    return ret == STORE_OK ? 0 : 1;
}
