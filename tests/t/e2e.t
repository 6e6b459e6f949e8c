#!/usr/bin/python3
"""End to end: a private Postfix on loopback, wired to postdmarc exactly as
etc/postfix-main.cf and etc/postfix-master.cf say (tests/lib/postfixlab.py),
seen from the outside through SMTP: an SPF fail refused at RCPT with
550 5.7.23; a DMARC pass delivered to the Inbox with our
Authentication-Results, the filter reusing the SPF verdict the policy
server stored for the queue id; a p=quarantine fail delivered with the
spam header and filed into Junk by etc/junk.sieve (dovecot-lda with
Pigeonhole); a p=reject fail discarded with no bounce; a DNS failure
leaving the message deferred with our 4.x.x reason, delivered once DNS
answers again; 1,000 messages from smtp-source, every one delivered with
exactly one store record, the queue drained; then postdmarc-reporter
--once --flush mailing aggregate reports to smtp-sink, valid against the
RFC 9990 schema.

Needs root: it starts Postfix, and runs the filter as the postdmarc user
(created when missing).  It lists the lab's config directory in
alternate_config_directories of /etc/postfix/main.cf (sendmail -C as that
user needs it) and says so when it does."""

import gzip
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from pdtest import *  # noqa: E402,F401,F403
import pdtest  # noqa: E402
import postfixlab as pl  # noqa: E402

import authres  # noqa: E402  (Debian's python3-authres)

LOAD = int(os.environ.get("PD_E2E_LOAD", "1000"))
HOST = pl.HOSTNAME
KEY = os.path.join(TOP, "tests", "data", "dkim", "rsa2048.key")
SPF_PASS = "u@spf-pass.example.com"      # SPF pass from 192.0.2.0/24
CLIENT = dict(addr="192.0.2.5", helo="mx.example.net", name="mx.example.net")
BOB = "bob@example.org"
XSD = os.path.join(TOP, "tests", "data", "dmarc-xml-0.2.xsd")  # RFC 9990's schema

if os.geteuid() != 0:
    print("1..0 # SKIP needs root (a private Postfix, the postdmarc user)")
    sys.exit(0)
for need in ("/usr/sbin/postfix", "/usr/sbin/smtp-source", pl.DOVECOT_LDA, "/usr/bin/xmllint"):
    if not os.path.exists(need):
        print("1..0 # SKIP %s missing (make deps)" % need)
        sys.exit(0)


# Postfix's own processes (user postfix) open the lab's queue under the
# build tree and pipe(8) runs the filter from it: a checkout under a
# directory other users cannot enter (a private /root) cannot host the lab.
probe = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                        "test", "-x", os.path.join(BUILD, "bin", "postdmarc-pipefilter")],
                       capture_output=True)
if probe.returncode != 0:
    print("1..0 # SKIP other users cannot reach %s (a checkout under a private "
          "directory); the lab's Postfix needs to" % BUILD)
    sys.exit(0)

T0 = time.time()
dns = Dns(os.path.join(TOP, "tests", "data", "lab", "lab.example.zone"))
work = workdir("e2e")


def notice(text):
    """What the lab changed on the machine: a diag line on stderr, which
    prove shows even when it is not verbose."""
    sys.stderr.write("# e2e: %s\n" % text)
    sys.stderr.flush()


lab = pl.Lab(TOP, BUILD, work, dns.addr, say=notice,
             # The load comes from 127.0.0.1 (smtp-source cannot XCLIENT):
             # have it checked like mail from anywhere else.
             conf_extra={"policyd": {"skip_addresses": ""},
                         "pipefilter": {"skip_addresses": ""}},
             # The DNS failure below: this sender's mail waits on hold until
             # the DNS server is made silent.
             main_extra=[("smtpd_sender_restrictions",
                          "check_sender_access inline:{ held@spf-pass.example.com=HOLD }"),
                         # A message with more recipients than this (default
                         # 50) takes several pipe(8) deliveries: 3 below.
                         ("postdmarc_destination_recipient_limit", "2")])


def teardown(remove):
    try:
        pl.dns_pause(dns.dir, on=False)
    except OSError:
        pass
    for e in lab.stop():
        diag("teardown: " + e)


# pdtest runs cleanups last-in first-out: Postfix and the policy server
# stop before the DNS server, on success, failure or an exception.
pdtest._cleanups.append(teardown)
# Killed (prove's timeout, ^C): exit through the cleanups all the same.
for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
    signal.signal(sig, lambda n, f: bail("killed by signal %d" % n))

try:
    lab.start()
except pl.LabError as e:
    bail("the lab did not start: %s" % e)
ok(True, "private Postfix on 127.0.0.1:%d (config %s), policy server on port %d" %
   (lab.smtp_port, lab.confdir, lab.policy_port))


def uids(pid):
    """The real, effective and saved user ids of a process, as a set."""
    with open("/proc/%d/status" % pid) as f:
        return set(re.search(r"(?m)^Uid:\s+(\d+)\s+(\d+)\s+(\d+)", f.read()).groups())


for proc, what in ((lab.policyd, "the policy server"), (lab.filterd, "the filter server")):
    is_(uids(proc.pid), {str(lab.user.pw_uid)}, "%s, started as root, runs as %s" %
        (what, pl.PIPE_USER))
is_(subprocess.run(["postconf", "-c", lab.confdir, "-h", "content_filter"],
                   capture_output=True, text=True).stdout.strip(), "",
    "no content_filter in main.cf: only the smtp service filters (sample)")
# etc/postdmarc.conf shows every key commented out with its default (or an
# example): uncommented, it is a configuration the programs accept.
sample_conf = os.path.join(work, "sample.conf")
with open(os.path.join(TOP, "etc", "postdmarc.conf")) as f, open(sample_conf, "w") as out:
    out.write(re.sub(r"(?m)^#(\w+ =)", r"\1", f.read()))
p = subprocess.run([lab.bin("postdmarc-policyd"), "-n", "-c", sample_conf],
                   capture_output=True, text=True)
is_((p.returncode, p.stderr), (0, ""), "etc/postdmarc.conf, every key uncommented: -n accepts it")


def show(sent):
    for cmd, code, text in sent.replies:
        diag("  %s -> %s %s" % (cmd, code, text))


def ar_of(path):
    """Our Authentication-Results (parsed by python3-authres, with its raw
    text, unfolded: authres drops comments), how many carry our
    authserv-id, and the message."""
    msg = pl.parse_message(path)
    ours = []
    for v in msg.get_all("Authentication-Results") or []:
        text = "Authentication-Results: " + re.sub(r"\s+", " ", v)
        try:
            h = authres.AuthenticationResultsHeader.parse(text)
        except Exception:
            continue
        if h.authserv_id.lower() == HOST:
            h.raw = text
            ours.append(h)
    return (ours[0] if len(ours) == 1 else None), len(ours), msg


def results(h):
    """{method: (result, {ptype.prop: value})} of a parsed AR."""
    out = {}
    for r in h.results if h else []:
        props = {"%s.%s" % (p.type, p.name): p.value for p in r.properties}
        out.setdefault(r.method, (r.result, props))
    return out


def delivered(msgid, timeout=30, n=1):
    """Where msgid was delivered, once in n mailboxes (or at the timeout)."""
    def enough():
        hits = lab.find(msgid)
        return hits if len(hits) >= n else None
    return pl.wait_for(enough, timeout) or []


def store_msgs():
    return storedump(lab.store, "msg")


# ===========================================================================
# 1. SPF fail: refused at RCPT, nothing queued.
# ===========================================================================

msgid, m = pl.message("Mallory <m@spf-fail.example.com>", "forged")
s = lab.send("m@spf-fail.example.com", [BOB], m, **CLIENT)
code, text = s.reply("RCPT")
if not ok(code == 550 and text.startswith("5.7.23"),
          "SPF fail: RCPT refused with 550 5.7.23 (%s %s)" % (code, text)):
    show(s)
ok(s.queue_id is None and not s.accepted, "SPF fail: no DATA, nothing queued")

# ===========================================================================
# 2. DMARC pass: DKIM-signed by example.com (p=reject), SPF pass.
# ===========================================================================

msgid, m = pl.message("Alice <alice@example.com>", "DMARC pass", tag="pass")
m = pl.dkim_sign(m, "example.com", KEY)
s = lab.send(SPF_PASS, [BOB], m, **CLIENT)
if not ok(s.queue_id is not None, "DMARC pass: accepted (%s)" % (s.final,)):
    show(s)
PASS_QID = s.queue_id
hits = delivered(msgid)
is_([(u, f) for u, f, _ in hits], [("bob", "INBOX")], "DMARC pass: delivered once, to the Inbox")
ok(hits and "/new/" in hits[0][2], "DMARC pass: in the Maildir's new/")
h, n, msg = ar_of(hits[0][2]) if hits else (None, 0, None)
is_(n, 1, "DMARC pass: one Authentication-Results with authserv-id %s" % HOST)
res = results(h)
is_(res.get("spf", (None,))[0], "pass", "DMARC pass: spf=pass")
ok(res.get("dkim", (None, {}))[0] == "pass" and res["dkim"][1].get("header.d") == "example.com",
   "DMARC pass: dkim=pass header.d=example.com")
ok(res.get("dmarc", (None, {}))[0] == "pass"
   and res["dmarc"][1].get("header.from") == "example.com",
   "DMARC pass: dmarc=pass header.from=example.com")
like(h.raw if h else "", r"spf=pass \(from the SMTP-time check\)",
     "the filter took SPF from the policy server's record (AR comment)")
line = lab.filter_line(PASS_QID) or ""
like(line, r"spf=pass \(policyd\).*action=delivered",
     "the filter's log line for %s: spf=pass (policyd), delivered" % PASS_QID)
ok(any(r.get("qid") == PASS_QID and r.get("mfrom_result", r.get("spf")) == "pass"
       for r in storedump(lab.store, "spf")),
   "the policy server stored its SPF verdict under queue id %s" % PASS_QID)
ok(msg is not None and (msg.get("Received-SPF") or "").startswith("pass"),
   "Received-SPF: pass prepended by the policy server")
rows = [r for r in store_msgs() if r.get("qid") == PASS_QID]
ok(len(rows) == 1 and rows[0].get("dmarc") == "pass" and rows[0].get("ip") == CLIENT["addr"],
   "one store record for %s: dmarc=pass, source ip %s" % (PASS_QID, CLIENT["addr"]))

# A large message: beyond [pipefilter] spool_threshold (1m), spooled to an
# unnamed file in [pipefilter] tmpdir by the postdmarc user, delivered intact.
body = b"".join(b"line %06d of a large message, signed and spooled.\r\n" % i
                for i in range(50000))
msgid, m = pl.message("Alice <alice@example.com>", "large", tag="large", body=body)
m = pl.dkim_sign(m, "example.com", KEY)
s = lab.send(SPF_PASS, [BOB], m, **CLIENT)
hits = delivered(msgid)
h, n, msg = ar_of(hits[0][2]) if hits else (None, 0, None)
ok(len(body) > 2 * 1024 * 1024 and results(h).get("dkim", (None,))[0] == "pass"
   and results(h).get("dmarc", (None,))[0] == "pass",
   "a %.1f MB message: spooled, dkim=pass, dmarc=pass" % (len(body) / 1048576.0))
ok(msg is not None and msg.get_payload(decode=True).replace(b"\n", b"\r\n") == body,
   "the large message's body arrives byte for byte")
is_(os.listdir(lab.tmpdir), [], "nothing left in [pipefilter] tmpdir")

# Two recipients: the filter runs once for both, one record.
msgid, m = pl.message("Alice <alice@example.com>", "two recipients", tag="two",
                      to="bob@example.org, alice@example.org")
m = pl.dkim_sign(m, "example.com", KEY)
s = lab.send(SPF_PASS, [BOB, "alice@example.org"], m, **CLIENT)
hits = delivered(msgid, n=2)
is_(sorted((u, f) for u, f, _ in hits), [("alice", "INBOX"), ("bob", "INBOX")],
    "two recipients: delivered to both Inboxes")
TWO_QID = s.queue_id
is_(len(re.findall(r"postdmarc-pipefilter\[\d+\]: %s: from=" % TWO_QID, lab.pdlog())), 1,
    "two recipients: one filter run (one pipe(8) delivery)")
is_(len([r for r in store_msgs() if r.get("qid") == TWO_QID]), 1,
    "two recipients: one store record")

# Three recipients, two per pipe(8) delivery: the filter runs twice for the
# queue id, each run reinjects its own recipients, one record is kept.
msgid, m = pl.message("Alice <alice@example.com>", "three recipients", tag="three",
                      to="bob@example.org, alice@example.org, carol@example.org")
m = pl.dkim_sign(m, "example.com", KEY)
s = lab.send(SPF_PASS, [BOB, "alice@example.org", "carol@example.org"], m, **CLIENT)
delivered(msgid, n=3)
time.sleep(0.5)
hits = lab.find(msgid)
is_(sorted((u, f) for u, f, _ in hits), [("alice", "INBOX"), ("bob", "INBOX"), ("carol", "INBOX")],
    "three recipients, limit 2: delivered once to each")
THREE_QID = s.queue_id
is_(len(re.findall(r"postdmarc-pipefilter\[\d+\]: %s: from=" % THREE_QID, lab.pdlog())), 2,
    "three recipients: two filter runs for %s" % THREE_QID)
like(lab.pdlog(), r"%s: already recorded" % THREE_QID, "the second run: already recorded")
is_(len([r for r in store_msgs() if r.get("qid") == THREE_QID]), 1,
    "three recipients: one store record")

# The null sender (a bounce from elsewhere): null_sender= gives -f "", and
# SPF checks postmaster@HELO.
msgid, m = pl.message("Mail Delivery System <MAILER-DAEMON@spf-helo.example.com>",
                      "Undelivered Mail Returned to Sender", tag="bounce")
s = lab.send("", [BOB], m, addr="192.0.2.10", helo="spf-helo.example.com",
             name="spf-helo.example.com")
hits = delivered(msgid)
is_([(u, f) for u, f, _ in hits], [("bob", "INBOX")], "null sender: delivered to the Inbox")
h, n, msg = ar_of(hits[0][2]) if hits else (None, 0, None)
res = results(h)
ok(res.get("spf", (None, {}))[0] == "pass"
   and res["spf"][1].get("smtp.mailfrom") == "postmaster@spf-helo.example.com"
   and res.get("dmarc", (None,))[0] == "pass",
   "null sender: spf=pass smtp.mailfrom=postmaster@spf-helo.example.com, dmarc=pass")
like(lab.filter_line(s.queue_id) or "", r"from=<>, .*action=delivered",
     "null sender: the filter saw from=<>")
ok(re.search(r"postfix/pickup\[\d+\]: %s: uid=\d+ from=<>" %
             (lab.reinjected_as(msgid) + ["?", "?"])[1], lab.maillog()),
   "null sender: reinjected with the null sender (sendmail -f \"\")")

# An IPv6 client: pipe(8) gives the filter "IPv6:2001:db8:1::5", the policy
# server gets "2001:db8:1::5"; the verdict is reused all the same.
if lab.ipv6:
    msgid, m = pl.message("Alice <alice@example.com>", "IPv6", tag="ipv6")
    s = lab.send(SPF_PASS, [BOB], m, addr="IPV6:2001:db8:1::5", helo="mx6.example.net",
                 name="mx6.example.net")
    hits = delivered(msgid)
    is_([(u, f) for u, f, _ in hits], [("bob", "INBOX")], "IPv6 client: delivered to the Inbox")
    like(lab.filter_line(s.queue_id) or "", r"spf=pass \(policyd\), dkim=none, dmarc=pass",
         "IPv6 client: the filter reused the policy server's SPF pass")
    rows = [r for r in store_msgs() if r.get("qid") == s.queue_id]
    ok(len(rows) == 1 and rows[0].get("ip") == "2001:db8:1::5",
       "IPv6 client: one store record, source ip 2001:db8:1::5")
else:
    for t in ("delivered", "SPF reused", "store record"):
        skip("IPv6 client: " + t, "no IPv6 on this machine")

# ===========================================================================
# 3. Quarantine: p=quarantine, fails DMARC; carries a forged AR of ours.
# ===========================================================================

forged = ("Authentication-Results: %s; dmarc=pass header.from=quarantine.example.net\r\n"
          % HOST).encode()
msgid, m = pl.message("Q <q@quarantine.example.net>", "DMARC quarantine", extra=forged,
                      tag="quarantine")
s = lab.send(SPF_PASS, [BOB], m, **CLIENT)
ok(s.queue_id is not None, "quarantine: accepted at SMTP")
hits = delivered(msgid)
is_([(u, f) for u, f, _ in hits], [("bob", "Junk")],
    "quarantine: filed into bob's Junk by etc/junk.sieve (dovecot-lda, sieve_before)")
h, n, msg = ar_of(hits[0][2]) if hits else (None, 0, None)
is_(msg.get("X-Spam") if msg else None, "Yes", "quarantine: X-Spam: Yes added")
res = results(h)
ok(n == 1 and res.get("dmarc", (None, {}))[0] == "fail"
   and res["dmarc"][1].get("policy.dmarc") == "quarantine",
   "quarantine: one AR of ours (the forged one removed): dmarc=fail policy.dmarc=quarantine")
like(pl.read(lab.dovecot_log), r"stored mail into mailbox 'Junk'",
     "dovecot-lda's log: stored into Junk by the sieve script")

# ===========================================================================
# 4. Reject: p=reject, fails DMARC: discarded, no bounce.
# ===========================================================================

msgid, m = pl.message("R <r@reject.example.net>", "DMARC reject", tag="reject")
s = lab.send(SPF_PASS, [BOB], m, **CLIENT)
REJ_QID = s.queue_id
ok(REJ_QID is not None, "reject: accepted at SMTP (DMARC is judged after DATA)")
ok(pl.wait_for(lambda: lab.settled(REJ_QID), 30), "reject: %s left the queue" % REJ_QID)
like(lab.filter_line(REJ_QID) or "", r"dmarc=fail, policy=reject, disposition=reject.*"
     r"action=discarded", "reject: the filter's log line says discarded")
time.sleep(0.5)
is_(lab.find(msgid), [], "reject: delivered nowhere")
is_(lab.reinjected_as(msgid), [REJ_QID], "reject: never reinjected (no second queue id)")
ok(lab.queue_empty(), "reject: the queue is empty (postqueue -p)")
ok(not re.search(r"%s: .*(bounce|non-delivery)" % REJ_QID, lab.maillog()),
   "reject: no bounce logged for %s" % REJ_QID)

# ===========================================================================
# 5. DNS failure: deferred with our reason, delivered once DNS answers.
# ===========================================================================

msgid, m = pl.message("Alice <alice@example.com>", "DNS down", tag="dnsdown")
s = lab.send("held@spf-pass.example.com", [BOB], m, **CLIENT)
DNS_QID = s.queue_id
ok(DNS_QID and pl.wait_for(lambda: [q for q in lab.queue() if q["queue_id"] == DNS_QID
                                     and q["queue_name"] == "hold"], 10),
   "DNS failure: message %s accepted and held (before the filter)" % DNS_QID)
pl.dns_pause(dns.dir)
lab.postsuper("-H", DNS_QID)
lab.flush()
defer = pl.wait_for(lambda: [l for l in lab.qlog(DNS_QID)
                             if "relay=postdmarc" in l and "status=deferred" in l], 40)
# Meanwhile a new sender cannot be checked at SMTP time: deferred at RCPT.
msgid2, m2 = pl.message("S <s@spf-softfail.example.com>", "DNS down at RCPT", tag="dnsrcpt")
s2 = lab.send("s@spf-softfail.example.com", [BOB], m2, **CLIENT)
pl.dns_pause(dns.dir, on=False)
ok(defer, "DNS silent: the filter's delivery deferred")
code, text = s2.reply("RCPT")
ok(code == 450 and text.startswith("4.7.24") and s2.queue_id is None,
   "DNS silent: a new transaction deferred at RCPT, 450 4.7.24 (%s %s)" % (code, text))
q = [x for x in lab.queue() if x["queue_id"] == DNS_QID]
ok(q and q[0]["queue_name"] == "deferred" and "postdmarc: DMARC temporary failure" in
   q[0]["recipients"][0].get("delay_reason", ""),
   "postqueue: %s in the deferred queue, with our reason" % DNS_QID)
like(defer[0] if defer else "", r"dsn=4\.7\.0, status=deferred \(postdmarc: DMARC temporary",
     "the mail log: dsn=4.7.0 (the filter's status code), status=deferred")
diag(lab.postqueue("-p").strip())
like(lab.filter_line(DNS_QID) or "", r"action=deferred", "the filter logged action=deferred")
ok(not lab.find(msgid) and not [r for r in store_msgs() if r.get("qid") == DNS_QID],
   "nothing delivered, nothing stored yet")
lab.flush()
hits = delivered(msgid, 40)
is_([(u, f) for u, f, _ in hits], [("bob", "INBOX")],
    "DNS back, postqueue -f: delivered to the Inbox")
h, n, msg = ar_of(hits[0][2]) if hits else (None, 0, None)
is_(results(h).get("dmarc", (None,))[0], "pass", "and dmarc=pass (SPF aligned)")
ok(pl.wait_for(lambda: lab.queue_empty(), 20), "the queue is empty again")
is_(len([r for r in store_msgs() if r.get("qid") == DNS_QID]), 1,
    "one store record for %s after the retry" % DNS_QID)

# ===========================================================================
# 6. Load: smtp-source, from 127.0.0.1 (SPF pass for lab.example).
# ===========================================================================

before = lab.count("load")
t = time.time()
p = subprocess.run(["smtp-source", "-s", "10", "-m", str(LOAD), "-l", "2000",
                    "-M", "lab.example", "-f", "bulk@lab.example", "-t", "load@example.org",
                    "-S", "load", "127.0.0.1:%d" % lab.smtp_port],
                   capture_output=True, text=True, timeout=300)
sent_t = time.time() - t
if not ok(p.returncode == 0, "smtp-source: %d messages sent in %.1fs" % (LOAD, sent_t)):
    diag(p.stderr)
drained = pl.wait_for(lambda: lab.count("load") - before >= LOAD and lab.queue_empty(), 240, 0.5)
ok(drained, "load: the queue drained to empty (%.1fs after the first message)" %
   (time.time() - t))
is_(lab.count("load") - before, LOAD, "load: %d messages delivered to load@example.org" % LOAD)
log = lab.maillog()
load_qids = set(re.findall(r"postfix/smtpd\[\d+\]: ([0-9A-Za-z]+): "
                           r"client=(?:localhost|unknown)\[127\.0\.0\.1\]", log))
is_(len(load_qids), LOAD, "load: %d transactions queued by smtpd" % LOAD)
sent_qids = set(re.findall(r"([0-9A-Za-z]+): to=<load@example\.org>, relay=postdmarc,"
                           r".*status=sent", log))
is_(len(load_qids - sent_qids), 0, "load: every one went through the filter (status=sent)")
bad = [l for l in log.splitlines() if re.search(r"status=(deferred|bounced)", l)
       and re.search(r": ([0-9A-Za-z]+): ", l).group(1) in load_qids]
ok(not bad, "load: none deferred or bounced")
rows = [r for r in store_msgs() if r.get("qid") in load_qids]
qids = [r["qid"] for r in rows]
ok(len(rows) == LOAD and len(set(qids)) == LOAD,
   "load: exactly one store record per delivered message (%d records, %d queue ids)" %
   (len(rows), len(set(qids))))
is_(sorted({(r.get("header_from"), r.get("spf"), r.get("dmarc"), r.get("disposition"))
            for r in rows}), [("lab.example", "pass", "pass", "pass")],
    "load: every record lab.example, spf=pass, dmarc=pass, disposition=pass")
pdlog = lab.pdlog()
is_(len(re.findall(r"postdmarc-pipefilter\[\d+\]: [0-9A-Za-z]+: from=<bulk@lab\.example>.*"
                   r"spf=pass \(policyd\).*action=delivered", pdlog)), LOAD,
    "load: %d filter log lines, each spf=pass (policyd), delivered" % LOAD)

# ===========================================================================
# 7. Aggregate reports: postdmarc-reporter --once --flush to smtp-sink.
# ===========================================================================

stored = store_msgs()
p = subprocess.run([lab.bin("postdmarc-reporter"), "-c", lab.conf, "--once", "--flush"],
                   capture_output=True, text=True, timeout=120)
if not is_(p.returncode, 0, "postdmarc-reporter --once --flush: exit 0"):
    diag(p.stderr + lab.pdlog()[-3000:])
reports = pl.wait_for(lambda: (lambda r: r if len(r) >= 4 else None)(
    pl.report_attachments(lab.report_dir)), 20) or pl.report_attachments(lab.report_dir)
rcpts = sorted(re.sub(r".*<(.*)>.*", r"\1", msg.get("To", "")) for _, msg, _ in reports)
is_(rcpts, ["agg@quarantine.example.net", "agg@reject.example.net",
            "dmarc-reports@example.com", "dmarc-reports@lab.example"],
    "smtp-sink received one report for each rua= address")
counts = {}
for path, msg, parts in reports:
    gz = [(n, b) for n, b in parts if n.endswith(".gz")]
    if not ok(len(gz) == 1, "report to %s: one .gz attachment (%s)" %
              (msg.get("To"), ", ".join(n for n, _ in parts))):
        continue
    xml = gzip.decompress(gz[0][1])
    xf = os.path.join(work, gz[0][0][:-3])
    with open(xf, "wb") as f:
        f.write(xml)
    dom = re.search(rb"<domain>([^<]+)</domain>", xml)
    dom = dom.group(1).decode() if dom else "?"
    counts[dom] = sum(int(c) for c in re.findall(rb"<count>(\d+)</count>", xml))
    v = subprocess.run(["xmllint", "--noout", "--schema", XSD, xf], capture_output=True,
                       text=True)
    if not ok(v.returncode == 0, "report for %s valid against %s" %
              (dom, os.path.basename(XSD))):
        diag(v.stderr)
is_(counts.get("lab.example"), LOAD, "the lab.example report counts the %d load messages" % LOAD)
want = {}
for r in stored:
    want[r["policy_domain"]] = want.get(r["policy_domain"], 0) + 1
is_(counts, want, "each report counts the stored messages of its domain (%s)" %
    ", ".join("%s %d" % kv for kv in sorted(want.items())))

# ===========================================================================
# 8. Nothing bounced, nothing left.
# ===========================================================================

ok(lab.queue_empty(), "the queue is empty at the end")
owners = {os.stat(os.path.join(lab.store, f)).st_uid for f in os.listdir(lab.store)}
is_(owners, {lab.user.pw_uid}, "the store's files belong to %s" % pl.PIPE_USER)
is_(lab.count("postmaster"), 0, "no bounce or notice reached postmaster@example.org")
ok(not re.search(r"sender non-delivery notification|status=bounced", lab.maillog()),
   "no bounce in the mail log")
bad = [l for l in (lab.maillog() + lab.pdlog()).splitlines()
       if re.search(r"\b(fatal|panic):", l)]
is_(bad, [], "no fatal or panic lines in the logs")
errs = lab.stop()
is_(errs, [], "Postfix, the policy server and the filter server stopped")
# Each message went to the filter server: the pipe transport's
# postdmarc-pipefilter handed it over, none ran it itself.
taken = re.search(r"postdmarc-filterd\[\d+\]: stopped: (\d+) messages taken, (\d+) requests "
                  r"refused", lab.pdlog())
filtered = len(re.findall(r"postdmarc-pipefilter\[\d+\]: \S+: from=", lab.pdlog()))
ok(taken is not None and filtered > 0 and int(taken.group(1)) == filtered
   and taken.group(2) == "0",
   "the filter server evaluated every message (%s of %d), refused none"
   % (taken.group(1) if taken else "?", filtered))
with open(lab.filterd_out.name) as f:
    sanitizer_check(f.read(), "postdmarc-filterd")
# Under make check SANITIZE=1: a report of the filter (pipe(8) logs its
# stderr) fails the test; the policy server's output (lab.policyd_out) is
# checked by done(), as that of every program of ours run with Popen.
sanitizer_check(lab.maillog(), "postdmarc-pipefilter (in the mail log, through pipe(8))")
diag("e2e: %.1fs" % (time.time() - T0))
done()
