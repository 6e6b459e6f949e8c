# postdmarc: file DMARC quarantines into Junk (Dovecot Pigeonhole).
#
# postdmarc-pipefilter adds the [pipefilter] spam_header (default
# "X-Spam: Yes") to mail whose domain asks for quarantine.  Install as the
# global sieve_before script, e.g. /etc/dovecot/sieve/junk.sieve, then
# sievec it and set in 90-sieve.conf: sieve_before = /etc/dovecot/sieve/junk.sieve
require ["fileinto", "mailbox"];

if header :is "X-Spam" "Yes" {
    fileinto :create "Junk";
    stop;
}
