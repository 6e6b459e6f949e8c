/*++
 * NAME
 *	smtp 3
 * SUMMARY
 *	report delivery over SMTP with libcurl
 * SYNOPSIS
 *	#include "smtp.h"
 *
 *	int	smtp_send(conf, rcpt, msg, len, error, errsize)
 * DESCRIPTION
 *	smtp_send() sends one message in one transaction to the relay of
 *	[reporter] smtp:smtp_port, saying EHLO helo, MAIL FROM email, RCPT
 *	TO rcpt, with STARTTLS and authentication when configured.  (The
 *	bcc copies go in transactions of their own: see deliver.c.)  It returns
 *	SMTP_SENT when the relay accepted the message, SMTP_PERM when it
 *	refused it with a 5xx reply, SMTP_TEMP for anything else (4xx, no
 *	connection, timeout): that one is tried again later.  error gets
 *	the relay's reply or curl's reason.
 *--*/
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "smtp.h"
#include "str.h"

struct smtp_src {
    const char *p;
    size_t left;
};

/* smtp_read - curl pulls the message from here */

static size_t smtp_read(char *out, size_t size, size_t nitems, void *arg)
{
    struct smtp_src *src = arg;
    size_t n = size * nitems;

    if (n > src->left)
	n = src->left;
    memcpy(out, src->p, n);
    src->p += n;
    src->left -= n;
    return n;
}

/* smtp_url - smtp://host:port/helo (curl takes the path as the EHLO name) */

static void smtp_url(const struct conf *conf, char *url, size_t size)
{
    int v6 = strchr(conf->smtp, ':') != NULL;

    snprintf(url, size, "smtp://%s%s%s:%u/%s", v6 ? "[" : "", conf->smtp, v6 ? "]" : "",
	     conf->smtp_port, conf->helo);
}

/* smtp_setup - every option of one transaction */

static struct curl_slist *smtp_setup(CURL *c, const struct conf *conf, const char *rcpt,
				             struct smtp_src *src, char *from, size_t fromsize)
{
    struct curl_slist *rcpts = NULL;
    char url[600], addr[600];

    smtp_url(conf, url, sizeof(url));
    snprintf(from, fromsize, "<%s>", conf->email);
    snprintf(addr, sizeof(addr), "<%s>", rcpt);
    /* The destination alone: with the bcc addresses in the same
     * transaction (and CURLOPT_MAIL_RCPT_ALLOWFAILS), a destination
     * refused while a bcc was accepted counted as sent, never retried. */
    if ((rcpts = curl_slist_append(NULL, addr)) == NULL)
	return NULL;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, smtp_read);
    curl_easy_setopt(c, CURLOPT_READDATA, src);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t) src->left);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long) conf->smtp_timeout);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long) (conf->smtp_timeout / 4 + 1000));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp");
    if (conf->smtp_starttls != CONF_STARTTLS_NO)
	curl_easy_setopt(c, CURLOPT_USE_SSL, conf->smtp_starttls == CONF_STARTTLS_REQUIRE
			 ? (long) CURLUSESSL_ALL : (long) CURLUSESSL_TRY);
    if (*conf->smtp_user) {
	curl_easy_setopt(c, CURLOPT_USERNAME, conf->smtp_user);
	curl_easy_setopt(c, CURLOPT_PASSWORD, conf->smtp_password);
    }
    return rcpts;
}

/* smtp_send - one report to one destination */

int smtp_send(const struct conf *conf, const char *rcpt, const char *msg, size_t len,
	              char *error, size_t errsize)
{
    struct smtp_src src = {msg, len};
    struct curl_slist *rcpts;
    char from[600];
    long code = 0;
    CURLcode rc;
    CURL *c;

    if ((c = curl_easy_init()) == NULL) {
	snprintf(error, errsize, "cannot start libcurl");
	return SMTP_TEMP;
    }
    if ((rcpts = smtp_setup(c, conf, rcpt, &src, from, sizeof(from))) == NULL) {
	curl_easy_cleanup(c);
	snprintf(error, errsize, "out of memory");
	return SMTP_TEMP;
    }
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(rcpts);
    curl_easy_cleanup(c);
    if (rc == CURLE_OK) {
	snprintf(error, errsize, "%ld accepted", code);
	return SMTP_SENT;
    }
    if (code)
	snprintf(error, errsize, "%s, last reply %ld", curl_easy_strerror(rc), code);
    else
	snprintf(error, errsize, "%s", curl_easy_strerror(rc));
    return code >= 500 && code < 600 ? SMTP_PERM : SMTP_TEMP;
}
