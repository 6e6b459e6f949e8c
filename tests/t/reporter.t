#!/usr/bin/python3
"""postdmarc-reporter end to end: records made by postdmarc-pipefilter
over the real test DNS server (and synthetic ones from storefill) turned
into RFC 9990 reports, mailed to Postfix's smtp-sink.

Checked: one report per policy domain, UTC day and policy snapshot (a
policy changed during the day gives two reports, each with its own
policy_published, and the policy is never asked again at send time);
subdomain mail in the organizational domain's report; rows and counts
(recomputed independently from storefill's formula); every report valid
against the RFC 9990 schema and read by Debian's dmarc-cat and by
Mail::DMARC; the message (From, To, Subject, Date, Message-ID,
Auto-Submitted, text part, attachment name, one SMTP transaction per
destination); destinations (own, authorized, wildcard-authorized,
"v=DMARC1 ;", unauthorized, override on the same host and on another,
!size, other schemes, duplicates, DNS failures postponing, excluded
domains, no rua); policy override reasons (t=y), IPv6 sources, the null
sender; delivery at least once and in practice exactly once (SMTP down
then back, 4xx and 5xx at each stage, the reporter killed in the middle
of DATA and of building, retry_period, bcc copies that never hide the
destination's answer); --output writing the
exact SMTP message; --flush then --once with contiguous date ranges;
--dry-run changing nothing; --stats with the policy server's SMTP
rejections; pruning by [general] keep; the daemon (catch-up at start,
send_time, retries with backoff, one reporter per store, SIGTERM).

Only loopback: unbound (tests/lib/dns-server) serves tests/zones/ and a
zone rpt. written here in two versions (the DMARC record of chg.rpt
differs); smtp-sink listens on free ports, run as root with -u root."""

import email
import email.policy
import email.utils
import gzip
import os
import re
import shutil
import signal
import socketserver
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import pdtest  # noqa: E402
from pdtest import *  # noqa: E402,F401,F403

import dkim  # noqa: E402  (Debian's python3-dkim: the independent signer)

REPORTER = bin("postdmarc-reporter")
FILTER = bin("postdmarc-pipefilter")
POLICYD = bin("postdmarc-policyd")
XSD = os.path.join(TOP, "tests", "data", "dmarc-xml-0.2.xsd")  # RFC 9990's schema
SINK = "/usr/sbin/smtp-sink"
NS = "urn:ietf:params:xml:ns:dmarc-2.0"
DAY = 86400

RECEIVER = "example.org"                  # [reporter] domain: Submitter, file names
REPORTER_CONF = {
    "org_name": "Example Receiver", "email": "dmarc-noreply@example.org",
    "domain": RECEIVER, "from_name": "DMARC Reports",
    "msgid_from": "reports.example.org", "smtp": "127.0.0.1",
    "helo": "reporter.example.org", "retry_min": "1s", "smtp_timeout": "20s",
    "exclude_domains": "excl.rpt",
}

work = workdir("reporter")
tmpdir = os.path.join(work, "tmp")
os.makedirs(tmpdir)
os.chmod(tmpdir, 0o1777)
smdir = os.path.join(work, "sendmail")     # the fake sendmail's reinjections
os.makedirs(smdir)
os.chmod(smdir, 0o777)


def sanitizer(text, what):
    """pdtest's sanitizer scan of a daemon's log, where pdtest has it."""
    fn = getattr(pdtest, "sanitizer_check", None)
    if fn:
        fn(text, what)


# --- the test world: zone rpt. in two versions ------------------------------

def dkim_key_rdata():
    """The TXT data of tests/data/dkim/rsa2048.key's public key."""
    with open(os.path.join(TOP, "tests", "zones", "example.net.zone")) as f:
        for line in f:
            if line.startswith("rsa2048._domainkey.reject"):
                return line.split("IN TXT", 1)[1].strip()
    bail("no DKIM key record in example.net.zone")


# Policy domains NAME.rpt: (name, DMARC record, authorization records at
# the receiver, the addresses that must get its report; None: no report
# is built at all; "pending": DNS trouble postpones it).
POLICIES = [
    ("own", "v=DMARC1; p=none; rua=mailto:agg@own.rpt", [], ["agg@own.rpt"]),
    ("self.own", "v=DMARC1; p=quarantine; sp=none; fo=1; rua=mailto:agg@own.rpt", [],
     ["agg@own.rpt"]),
    ("auth", "v=DMARC1; p=reject; rua=mailto:agg@rcv.rpt",
     [("auth.rpt._report._dmarc.rcv", "v=DMARC1")], ["agg@rcv.rpt"]),
    ("spaced", "v=DMARC1; p=none; rua=mailto:agg@rcv.rpt",
     [("spaced.rpt._report._dmarc.rcv", "v=DMARC1 ;")], ["agg@rcv.rpt"]),
    ("wild", "v=DMARC1; p=none; rua=mailto:agg@wrcv.rpt", [], ["agg@wrcv.rpt"]),
    ("unauth", "v=DMARC1; p=none; rua=mailto:agg@rcv.rpt", [], []),
    ("notfirst", "v=DMARC1; p=none; rua=mailto:agg@rcv.rpt",
     [("notfirst.rpt._report._dmarc.rcv", "p=none; v=DMARC1")], []),
    ("ovsame", "v=DMARC1; p=none; rua=mailto:agg@rcv.rpt",
     [("ovsame.rpt._report._dmarc.rcv", "v=DMARC1; rua=mailto:other@rcv.rpt")],
     ["other@rcv.rpt"]),
    ("ovother", "v=DMARC1; p=none; rua=mailto:agg@rcv.rpt",
     [("ovother.rpt._report._dmarc.rcv", "v=DMARC1; rua=mailto:agg@elsewhere.rpt")], []),
    ("multi", "v=DMARC1; p=none; rua=mailto:a@multi.rpt, mailto:b@rcv.rpt!10m, "
     "https://rcv.rpt/dmarc, mailto:A@multi.rpt",
     [("multi.rpt._report._dmarc.rcv", "v=DMARC1")], ["a@multi.rpt", "b@rcv.rpt"]),
    ("temp", "v=DMARC1; p=none; rua=mailto:agg@x.servfail.example.net", [], "pending"),
    ("silent", "v=DMARC1; p=none; rua=mailto:agg@x.silent.example.net", [], "pending"),
    ("tst", "v=DMARC1; p=reject; t=y; rua=mailto:agg@tst.rpt", [], ["agg@tst.rpt"]),
    ("excl", "v=DMARC1; p=none; rua=mailto:agg@excl.rpt", [], None),
    ("norua", "v=DMARC1; p=none", [], None),
]
CHG = {1: "v=DMARC1; p=none; rua=mailto:agg@chg.rpt",
       2: "v=DMARC1; p=quarantine; adkim=s; rua=mailto:agg@chg.rpt"}


def zone_text(version):
    spf = '"v=spf1 ip4:192.0.2.0/24 -all"'
    lines = ["$ORIGIN rpt.", "$TTL 300", "@ IN SOA ns hostmaster 1 3600 600 86400 60",
             "@ IN NS ns", "ns IN A 127.0.0.1",
             "*._report._dmarc.wrcv IN TXT \"v=DMARC1\"",
             "sub.own IN A 192.0.2.1",
             "rsa2048._domainkey.own IN TXT " + dkim_key_rdata(),
             "chg IN TXT " + spf, "_dmarc.chg IN TXT \"%s\"" % CHG[version]]
    for name, rec, auths, _ in POLICIES:
        lines.append("%s IN TXT %s" % (name, spf))
        lines.append("_dmarc.%s IN TXT \"%s\"" % (name, rec))
        for aname, txt in auths:
            lines.append("%s IN TXT \"%s\"" % (aname, txt))
    return "\n".join(lines) + "\n"


def zone_file(version):
    d = os.path.join(work, "zone%d" % version)
    os.makedirs(d)
    path = os.path.join(d, "rpt.zone")
    with open(path, "w") as f:
        f.write(zone_text(version))
    return path


dns1 = Dns(zone_file(1))
dns2 = Dns(zone_file(2))


# --- smtp-sink, the real SMTP server ---------------------------------------

_sinks = [0]


class Sink:
    """Postfix's smtp-sink on port, dumping each transaction into a file."""

    def __init__(self, port, flags=()):
        _sinks[0] += 1
        self.port = port
        self.dir = os.path.join(work, "sink%d" % _sinks[0])
        os.makedirs(self.dir)
        user = ["-u", "root"] if os.geteuid() == 0 else []
        self.log = open(self.dir + ".log", "w")
        self.proc = subprocess.Popen([SINK] + user + ["-h", "sink.example.net", "-d",
                                                      self.dir + "/m."] + list(flags)
                                     + ["127.0.0.1:%d" % port, "100"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_port(port, proc=self.proc):
            bail("smtp-sink did not start: %s" % open(self.log.name).read())
        pdtest._cleanups.append(lambda remove: self.stop())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()

    def mails(self):
        """Each finished transaction, parsed (see parse_mail)."""
        out = []
        for name in sorted(os.listdir(self.dir)):
            with open(os.path.join(self.dir, name), "rb") as f:
                raw = f.read()
            # Whole messages only (a file is written as the data comes).
            if re.search(rb"\n--=_\w+--\r?\n\s*$", raw):
                out.append(parse_mail(raw))
        return out


class Picky:
    """A small SMTP server that answers RCPT per address (smtp-sink cannot
    refuse one recipient and take another) and notes each transaction:
    (recipients accepted, whether the message was taken)."""

    def __init__(self, port):
        self.replies = {}                       # "<addr>" -> RCPT reply
        self.transactions = []
        picky = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                say = lambda s: self.wfile.write(s.encode() + b"\r\n")  # noqa: E731
                say("220 picky.example.net ESMTP")
                rcpts = []
                for line in self.rfile:
                    cmd = line.decode("utf-8", "replace").rstrip("\r\n")
                    verb = cmd.split(" ")[0].upper()
                    if verb == "RCPT":
                        addr = cmd.split(":", 1)[1].split()[0]
                        reply = picky.replies.get(addr, "250 2.1.5 ok")
                        rcpts += [addr] if reply.startswith("2") else []
                        say(reply)
                    elif verb == "DATA":
                        say("354 go ahead")
                        for body in self.rfile:
                            if body in (b".\r\n", b".\n"):
                                break
                        picky.transactions.append((rcpts, True))
                        rcpts = []
                        say("250 2.0.0 queued")
                    elif verb == "QUIT":
                        say("221 bye")
                        return
                    else:                       # EHLO, MAIL, RSET, NOOP
                        say("250 picky.example.net")

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        pdtest._cleanups.append(lambda remove: self.server.shutdown())


def parse_mail(raw):
    """A report message: headers, parts, the report parsed."""
    m = email.message_from_bytes(raw, policy=email.policy.compat32)
    out = {"raw": raw, "msg": m, "to": m["To"], "subject": m["Subject"],
           "rcpts": m.get_all("X-Rcpt-Args") or [], "text": None, "filename": None,
           "gz": None, "report": None, "gz_type": None}
    for part in m.walk():
        ct = part.get_content_type()
        if ct == "text/plain":
            out["text"] = part.get_payload(decode=True)
        elif ct == "application/gzip":
            out["gz_type"] = ct
            out["filename"] = part.get_filename()
            out["gz"] = part.get_payload(decode=True)
    if out["gz"]:
        out["xml"] = gzip.decompress(out["gz"])
        out["report"] = parse_xml(out["xml"])
        _every_report[out["filename"]] = out["xml"]
    return out


_every_report = {}      # attachment name -> XML of every report this script saw


def q(path):
    return "/".join("{%s}%s" % (NS, p) for p in path.split("/"))


def parse_xml(data):
    """The report as a dict, read with xml.etree (the namespace required)."""
    root = ET.fromstring(data)
    md = root.find(q("report_metadata"))
    pp = root.find(q("policy_published"))
    r = {"tag": root.tag, "version": root.findtext(q("version")),
         "org_name": md.findtext(q("org_name")), "email": md.findtext(q("email")),
         "id": md.findtext(q("report_id")),
         "begin": int(md.findtext(q("date_range/begin"))),
         "end": int(md.findtext(q("date_range/end"))),
         "generator": md.findtext(q("generator")),
         "policy": {c.tag.split("}")[1]: c.text for c in pp}, "records": []}
    for rec in root.findall(q("record")):
        pe = rec.find(q("row/policy_evaluated"))
        ar = rec.find(q("auth_results"))
        spf = ar.find(q("spf"))
        r["records"].append({
            "ip": rec.findtext(q("row/source_ip")),
            "count": int(rec.findtext(q("row/count"))),
            "disposition": pe.findtext(q("disposition")),
            "dkim": pe.findtext(q("dkim")), "spf": pe.findtext(q("spf")),
            "reasons": [(x.findtext(q("type")), x.findtext(q("comment")))
                        for x in pe.findall(q("reason"))],
            "header_from": rec.findtext(q("identifiers/header_from")),
            "envelope_from": rec.findtext(q("identifiers/envelope_from")),
            "envelope_to": rec.findtext(q("identifiers/envelope_to")),
            "auth_dkim": [(d.findtext(q("domain")), d.findtext(q("selector")),
                           d.findtext(q("result"))) for d in ar.findall(q("dkim"))],
            "auth_spf": None if spf is None else (spf.findtext(q("domain")),
                                                  spf.findtext(q("scope")),
                                                  spf.findtext(q("result")))})
    r["total"] = sum(x["count"] for x in r["records"])
    return r


# --- independent consumers ---------------------------------------------------

_xmlfiles = [0]


def save_report(mail):
    """The attachment under its own name (.xml.gz) and unpacked (.xml)."""
    _xmlfiles[0] += 1
    d = os.path.join(work, "xml%d" % _xmlfiles[0])
    os.makedirs(d)
    gz = os.path.join(d, mail["filename"])
    with open(gz, "wb") as f:
        f.write(mail["gz"])
    with open(gz[:-3], "wb") as f:
        f.write(mail["xml"])
    return gz, gz[:-3]


def schema_valid(path):
    out = subprocess.run(["xmllint", "--noout", "--schema", XSD, path], capture_output=True,
                         text=True)
    if out.returncode != 0:
        diag(out.stderr)
    return out.returncode == 0


def dmarc_cat(gzpath):
    """What Debian's dmarc-cat reads from the .xml.gz: (domain, records, total)."""
    out = subprocess.run(["dmarc-cat", "-N", gzpath], capture_output=True, text=True,
                         timeout=60)
    if out.returncode != 0:
        diag("dmarc-cat: " + out.stdout + out.stderr)
        return None
    dom = re.search(r"^Domain: (\S+)", out.stdout, re.M)
    nrec = re.search(r"^Reports\((\d+)\):", out.stdout, re.M)
    total = 0
    rows = out.stdout.split("\n")
    for i, line in enumerate(rows):
        if line.startswith("IP "):
            for row in rows[i + 1:]:
                f = row.split()
                if len(f) < 2 or not f[1].isdigit():
                    break
                total += int(f[1])
    if not dom or not nrec:
        diag("dmarc-cat said: " + out.stdout)
        return None
    return dom.group(1), int(nrec.group(1)), total


MAIL_DMARC = r"""
use strict; use warnings;
use Mail::DMARC::Report::Receive;
no warnings 'redefine';
*Mail::DMARC::Report::save_aggregate = sub { return 1 };   # no database
local $/; my $xml = <STDIN>;
my $r = Mail::DMARC::Report::Receive->new;
eval { $r->handle_body($xml); 1 } or do { print "ERROR: $@"; exit 2 };
my $agg = $r->report->aggregate; my ($n, $c) = (0, 0);
for my $rec (@{ $agg->record }) { $n++; $c += $rec->row->count; }
printf "id=%s begin=%s end=%s domain=%s p=%s records=%d count=%d\n",
  $agg->metadata->report_id, $agg->metadata->begin, $agg->metadata->end,
  $agg->policy_published->domain, $agg->policy_published->p, $n, $c;
"""


def mail_dmarc(xml):
    out = subprocess.run(["perl", "-e", MAIL_DMARC], input=xml, capture_output=True,
                         timeout=60)
    return out.returncode, out.stdout.decode("utf-8", "replace").strip()


# --- running things ------------------------------------------------------------

_confs = [0]


def rconf(store, port=1, dns=None, **over):
    """A reporter configuration for store, SMTP on 127.0.0.1:port."""
    c = base_conf(dns or dns1, store, reporter=dict(REPORTER_CONF, smtp_port=str(port)))
    for section, keys in over.items():
        c.setdefault(section, {}).update(keys)
    _confs[0] += 1
    return write_conf(os.path.join(work, "r%d.conf" % _confs[0]), c)


def reporter(confpath, *args, timeout=120):
    return subprocess.run([REPORTER, "-c", confpath] + list(args), capture_output=True,
                          text=True, timeout=timeout)


def fill(store, count, domains, t0, rua="-", span=DAY, prefix="Q", sources=256):
    out = subprocess.run([tool("storefill"), store, str(count), str(domains), str(t0), rua,
                          str(span), prefix, str(sources)], capture_output=True, text=True)
    if out.returncode != 0:
        bail("storefill: " + out.stderr)


def dump(store):
    """Everything the store holds, as text (for before/after comparisons)."""
    return {w: subprocess.run([tool("storedump"), store, w], capture_output=True,
                              text=True).stdout for w in ("msg", "report", "stat", "spf", "meta")}


def reports(store):
    return storedump(store, "report")


def meta(store):
    rows = storedump(store, "meta")
    return {k: int(v) for k, v in rows[0].items()} if rows else {}


def attachment_name(rep):
    return "%s!%s!%s!%s!%s.xml.gz" % (RECEIVER, rep["domain"], rep["begin"], rep["end"],
                                      rep["id"])


def fresh_store(name):
    d = os.path.join(work, name)
    os.makedirs(d)
    return d


now0 = int(time.time())
TODAY = now0 // DAY * DAY
YESTERDAY = TODAY - DAY


# --- 1. records from the filter -----------------------------------------------

storeA = fresh_store("storeA")
fconf = {}
for v, d in ((1, dns1), (2, dns2)):
    c = base_conf(d, storeA, pipefilter={"sendmail": SENDMAIL, "tmpdir": tmpdir})
    fconf[v] = write_conf(os.path.join(work, "filter%d.conf" % v), c)
with open(os.path.join(TOP, "tests", "data", "dkim", "rsa2048.key"), "rb") as f:
    DKIM_KEY = f.read()

_qid = [0]


def filt(frm, mfrom, ip, version=1, sign=None, rcpt="bob@example.org"):
    """The filter on one message From a@frm, MAIL FROM u@mfrom (mfrom "":
    the null sender), from ip, to rcpt."""
    _qid[0] += 1
    msg = (b"From: Alice <a@%s>\nTo: Bob <bob@example.org>\nSubject: report test\n"
           b"Date: Thu, 01 Jan 2026 00:00:00 +0000\nMessage-ID: <r%d@example.com>\n\n"
           b"Hello.\n" % (frm.encode(), _qid[0]))
    if sign:
        sig = dkim.sign(msg, b"rsa2048", sign.encode(), DKIM_KEY,
                        include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
        msg = sig.replace(b"\r\n", b"\n") + msg
    argv = [FILTER, "-c", fconf[version], "-f", "u@" + mfrom if mfrom else "",
            "--client-address=" + ip, "--client-helo=mx.sender.example",
            "--queue-id=4R%06dA" % _qid[0], "--", rcpt]
    p = subprocess.run(argv, input=msg, capture_output=True, timeout=60,
                       env=dict(os.environ, FAKE_SENDMAIL_DIR=smdir, TMPDIR=tmpdir))
    if p.returncode != 0:
        diag("filter: %d %s" % (p.returncode, p.stderr.decode("utf-8", "replace")))
    return p.returncode


PASS_IP, FAIL_IP = "192.0.2.5", "198.51.100.7"
MESSAGES = [  # (From domain, MAIL FROM domain, client, zone version, DKIM d=)
    ("own.rpt", "own.rpt", PASS_IP, 1, None),
    ("own.rpt", "own.rpt", PASS_IP, 1, None),           # same row: count 2
    ("own.rpt", "own.rpt", FAIL_IP, 1, None),
    ("own.rpt", "own.rpt", PASS_IP, 1, "own.rpt"),      # DKIM with a selector
    ("sub.own.rpt", "own.rpt", PASS_IP, 1, None),       # no record: own's report
    ("self.own.rpt", "self.own.rpt", PASS_IP, 1, None),  # own record: own report
    ("auth.rpt", "auth.rpt", FAIL_IP, 1, None),         # p=reject: discarded
    ("chg.rpt", "chg.rpt", PASS_IP, 1, None),
    ("chg.rpt", "chg.rpt", FAIL_IP, 1, None),
    ("chg.rpt", "chg.rpt", PASS_IP, 2, None),           # the policy changed
    ("chg.rpt", "chg.rpt", FAIL_IP, 2, None),
    ("tst.rpt", "tst.rpt", FAIL_IP, 1, None),           # t=y: reject lowered
    ("tst.rpt", "tst.rpt", FAIL_IP, 1, None, "carol@example.net"),  # another envelope_to
    ("tst.rpt", "tst.rpt", "2001:db8::7", 1, None),     # IPv6 source
    ("tst.rpt", "", PASS_IP, 1, None),                  # the null sender
] + [(n + ".rpt", n + ".rpt", PASS_IP, 1, None) for n, _, _, _ in POLICIES
     if n not in ("own", "self.own")]

rcs = [filt(*m) for m in MESSAGES]
is_(rcs, [0] * len(MESSAGES), "the filter took all %d messages" % len(MESSAGES))
msgs = storedump(storeA, "msg")
is_(len(msgs), len(MESSAGES), "one record per message")
snap = {(r["header_from"], r["p"], r["adkim"]) for r in msgs if r["header_from"] == "chg.rpt"}
is_(snap, {("chg.rpt", "none", "r"), ("chg.rpt", "quarantine", "s")},
    "records of chg.rpt carry the policy of the moment they arrived")

# The policy server rejects a transaction against the same store.
req = policy_request(sender="u@spf-fail.example.com", client_address="192.0.2.5")
pconf = write_conf(os.path.join(work, "policyd.conf"), base_conf(dns1, storeA))
p = subprocess.run([POLICYD, "-c", pconf, "--stdio"], input=req, capture_output=True,
                   text=True, timeout=60)
like(p.stdout, r"^action=550 5\.7\.23 ", "policyd rejects MAIL FROM u@spf-fail.example.com")


# --- 2. --stats -----------------------------------------------------------------

def stats_table(text):
    rows = {}
    for line in text.splitlines()[1:]:
        f = line.split()
        if len(f) == 12:
            rows[(f[0], f[1])] = [int(x) for x in f[2:]]
    return rows


confA = rconf(storeA, dns=dns2)
p = reporter(confA, "--stats")
is_(p.returncode, 0, "--stats exits 0")
like(p.stdout.splitlines()[0] if p.stdout else "", r"^day \(UTC\)\s+domain\s+messages\s+pass"
     r"\s+fail\s+none\s+dis:none\s+dis:quar\s+dis:rej\s+smtp:ok\s+smtp:rej\s+smtp:def$",
     "--stats: the table's head")
st = stats_table(p.stdout)
day = time.strftime("%Y-%m-%d", time.gmtime(now0))
# messages pass fail none dis:none dis:quar dis:rej smtp:ok smtp:rej smtp:def
for dom, want in [("own.rpt", [5, 4, 1, 0, 5, 0, 0, 0, 0, 0]),
                  ("chg.rpt", [4, 2, 2, 0, 3, 1, 0, 0, 0, 0]),
                  ("auth.rpt", [2, 1, 1, 0, 1, 0, 1, 0, 0, 0]),
                  ("self.own.rpt", [1, 1, 0, 0, 1, 0, 0, 0, 0, 0]),
                  ("spf-fail.example.com", [0, 0, 0, 0, 0, 0, 0, 0, 1, 0])]:
    is_(st.get((day, dom)), want, "--stats: %s today" % dom)
tot = st.get((day, "(total)"))
ok(tot is not None and tot[0] == len(MESSAGES) and tot[8] == 1,
   "--stats: the day's total counts every message and the SMTP rejection")
p = reporter(confA, "--stats", "--days", "1")
ok(p.returncode == 0 and (day, "own.rpt") in stats_table(p.stdout), "--stats --days 1")


# --- 3. --dry-run changes nothing -------------------------------------------------

before = dump(storeA)
p = reporter(confA, "--dry-run", "--once", "--flush")
is_(p.returncode, 0, "--dry-run exits 0")
listed = set(re.findall(r"^report \S+: (\S+), \d+\.\.\d+, (\d+) messages", p.stdout, re.M))
ok(("own.rpt", "5") in listed and ("chg.rpt", "2") in listed and ("auth.rpt", "2") in listed,
   "--dry-run lists the reports it would make: %r" % sorted(listed))
is_(dump(storeA), before, "--dry-run: the store is unchanged (records, reports, counters, "
    "verdicts, state)")


# --- 4. --once --flush over SMTP ----------------------------------------------------

portA = free_port()
sinkA = Sink(portA)
confA = rconf(storeA, portA, dns=dns2)     # the new policies: never asked anyway
p = reporter(confA, "--once", "--flush")
is_(p.returncode, 0, "--once --flush exits 0")
logA = p.stderr
mails = sinkA.mails()
by = {}
for m in mails:
    by.setdefault((m["report"]["policy"]["domain"], m["to"]), []).append(m)

want = {}
for name, _, _, dests in POLICIES:
    if isinstance(dests, list):
        for a in dests:
            want[(name + ".rpt", "<%s>" % a)] = 1
want[("chg.rpt", "<agg@chg.rpt>")] = 2
is_({k: len(v) for k, v in by.items()}, want,
    "reports went to exactly the authorized destinations")
is_(len(mails), sum(want.values()), "%d messages in all" % sum(want.values()))
ok(all(m["rcpts"] == [m["to"]] for m in mails), "one transaction per destination, "
   "one recipient each")
like(logA, r"skipping rua https://rcv\.rpt/dmarc", "other URI schemes are skipped, with a log line")
for name in ("unauth", "notfirst", "ovother"):
    like(logA, r"report \S+ to <agg@rcv\.rpt>: not authorized: .*%s\.rpt" % name,
         "%s.rpt: not authorized, logged" % name)
like(logA, r"agg@rcv\.rpt>: not authorized: ovother\.rpt\._report\._dmarc\.rcv\.rpt redirects",
     "an override to another host forbids both")
ok(not re.search(r"excl\.rpt|norua\.rpt", " ".join(k[0] for k in by)),
   "no report for an excluded domain nor for a policy without rua")
like(logA, r"built \d+ reports .* 1 policies without a mailto: rua, 1 excluded",
     "the excluded domain and the rua-less policy are counted in the log")

left = {r["domain"]: r for r in reports(storeA)}
is_(sorted(left), ["silent.rpt", "temp.rpt"],
    "only the reports whose authorization hit a DNS failure are kept")
for dom in ("temp.rpt", "silent.rpt"):
    r = left.get(dom, {})
    ok(r.get("dest0", "").endswith("/0/1") and int(r.get("next0", 0)) > now0,
       "%s: postponed, not dropped (%s)" % (dom, r.get("dest0")))
    like(r.get("error0", ""), r"DNS failure", "%s: the reason is kept" % dom)
is_(storedump(storeA, "msg"), [], "every record consumed")

# The message itself.
m = (by.get(("own.rpt", "<agg@own.rpt>")) or [None])[0]
rep = m["report"] if m else {}
hdr = m["msg"] if m else {}
is_(hdr.get("From"), "DMARC Reports <dmarc-noreply@example.org>", "From: from_name <email>")
is_(hdr.get("Subject"), "Report Domain: own.rpt Submitter: %s Report-ID: %s"
    % (RECEIVER, rep.get("id")), "Subject per RFC 9990")
d = email.utils.parsedate_to_datetime(hdr.get("Date", "")) if m else None
ok(d is not None and abs(d.timestamp() - time.time()) < 300, "Date: now")
like(hdr.get("Message-ID", ""), r"^<%s\.0@reports\.example\.org>$" % rep.get("id"),
     "Message-ID on msgid_from, made of the report id")
is_(hdr.get("Auto-Submitted"), "auto-generated", "Auto-Submitted: auto-generated")
is_(hdr.get("X-Helo-Args"), "reporter.example.org", "EHLO helo")
like(hdr.get("X-Mail-Args", ""), r"^<dmarc-noreply@example\.org>", "MAIL FROM email")
like((m or {}).get("text") or b"", rb"DMARC aggregate report .*own\.rpt", "a short text part")
like((m or {}).get("filename") or "", r"^example\.org!own\.rpt!\d+!\d+![A-Za-z0-9]+\.xml\.gz$",
     "attachment receiver!policy-domain!begin!end!id.xml.gz")
is_((m or {}).get("filename"), "%s!own.rpt!%d!%d!%s.xml.gz" % (RECEIVER, rep.get("begin", 0),
                                                                rep.get("end", 0), rep.get("id")),
    "the file name carries the report's date range and id")
is_((rep.get("tag"), rep.get("version")), ("{%s}feedback" % NS, "1.0"),
    "feedback in the dmarc-2.0 namespace, version 1.0")
is_((rep.get("org_name"), rep.get("email"), rep.get("generator", "")[:10]),
    ("Example Receiver", "dmarc-noreply@example.org", "postdmarc "), "report_metadata")
ok(rep.get("begin") == TODAY and now0 <= rep.get("end", 0) <= time.time(),
   "--flush: today from 00:00 UTC to the flush")

# Every report: schema, dmarc-cat, counts.
for m in mails:
    gzp, xmlp = save_report(m)
    r = m["report"]
    ok(schema_valid(xmlp), "%s: valid against the RFC 9990 schema" % m["filename"])
    is_(dmarc_cat(gzp), (r["policy"]["domain"], len(r["records"]), r["total"]),
        "%s: dmarc-cat reads the same domain, records and count" % r["policy"]["domain"])

rc, out = mail_dmarc(by[("own.rpt", "<agg@own.rpt>")][0]["xml"])
if rc != 0:
    diag("Mail::DMARC (RFC 7489 reader) on the dmarc-2.0 report: " + out[:200])
    diag("it looks for /feedback without a namespace; reading it with the namespace removed")
    rc, out = mail_dmarc(by[("own.rpt", "<agg@own.rpt>")][0]["xml"].replace(
        b' xmlns="%s"' % NS.encode(), b""))
is_(out, "id=%s begin=%d end=%d domain=own.rpt p=none records=%d count=5"
    % (rep.get("id"), rep.get("begin", 0), rep.get("end", 0), len(rep.get("records", []))),
    "Mail::DMARC reads the same report id, range, policy and counts")

# Report contents.


def rows(rep):
    return sorted((x["header_from"], x["ip"], x["count"], x["disposition"], x["dkim"],
                   x["spf"], tuple(x["auth_dkim"]), x["auth_spf"]) for x in rep["records"])


is_(rows(rep), sorted([
    ("own.rpt", PASS_IP, 2, "none", "fail", "pass", (), ("own.rpt", "mfrom", "pass")),
    ("own.rpt", FAIL_IP, 1, "none", "fail", "fail", (), ("own.rpt", "mfrom", "fail")),
    ("own.rpt", PASS_IP, 1, "none", "pass", "pass", (("own.rpt", "rsa2048", "pass"),),
     ("own.rpt", "mfrom", "pass")),
    ("sub.own.rpt", PASS_IP, 1, "none", "fail", "pass", (), ("own.rpt", "mfrom", "pass"))]),
    "own.rpt: identical messages in one row, the subdomain's in a row of its own, "
    "DKIM with its selector, SPF with its scope, disposition none under p=none")
ok(all(x["envelope_from"] == "own.rpt" and x["envelope_to"] == "example.org"
       for x in rep["records"]), "envelope_from and envelope_to")
is_(rep.get("policy"), {"domain": "own.rpt", "p": "none", "adkim": "r", "aspf": "r",
                        "discovery_method": "treewalk", "fo": "0", "testing": "n"},
    "policy_published of own.rpt")
r = by[("self.own.rpt", "<agg@own.rpt>")][0]["report"]
is_((r["policy"].get("p"), r["policy"].get("sp"), r["policy"].get("fo"), r["total"],
     r["records"][0]["header_from"]), ("quarantine", "none", "0", 1, "self.own.rpt"),
    "a subdomain with its own record has its own report")
chg = sorted((x["report"] for x in by.get(("chg.rpt", "<agg@chg.rpt>"), [])),
             key=lambda r: r["policy"]["p"])
is_([(r["policy"]["p"], r["policy"]["adkim"], r["total"],
      sorted(x["disposition"] for x in r["records"])) for r in chg],
    [("none", "r", 2, ["none", "none"]), ("quarantine", "s", 2, ["pass", "quarantine"])],
    "a policy change during the day: two reports, each with its own policy_published")
ok(len(chg) == 2 and chg[0]["id"] != chg[1]["id"] and chg[0]["begin"] == chg[1]["begin"],
   "the two reports of chg.rpt: same day, different ids")
r = by[("auth.rpt", "<agg@rcv.rpt>")][0]["report"]
is_(sorted((x["disposition"], x["count"]) for x in r["records"]), [("pass", 1), ("reject", 1)],
    "auth.rpt: the rejected message is reported with disposition reject")
r = by[("tst.rpt", "<agg@tst.rpt>")][0]["report"]
got = [(x["ip"], x["envelope_from"], x["envelope_to"], x["count"], x["disposition"],
        [t for t, _ in x["reasons"]], x["auth_spf"]) for x in r["records"]]
tst_fail = ("tst.rpt", "mfrom", "fail")
is_(sorted(got, key=repr), sorted([
    (PASS_IP, "tst.rpt", "example.org", 1, "pass", [], ("tst.rpt", "mfrom", "pass")),
    (FAIL_IP, "tst.rpt", "example.org", 1, "quarantine", ["policy_test_mode"], tst_fail),
    (FAIL_IP, "tst.rpt", "example.net", 1, "quarantine", ["policy_test_mode"], tst_fail),
    ("2001:db8::7", "tst.rpt", "example.org", 1, "quarantine", ["policy_test_mode"], tst_fail),
    (PASS_IP, None, "example.org", 1, "quarantine", ["policy_test_mode"],
     ("mx.sender.example", "mfrom", "none"))], key=repr),
    "tst.rpt (p=reject, t=y): reason policy_test_mode, rows by envelope_to, an IPv6 "
    "source, the null sender without envelope_from")
is_((r["policy"].get("p"), r["policy"].get("testing")), ("reject", "y"),
    "tst.rpt: policy_published says testing y")
mm = by.get(("multi.rpt", "<a@multi.rpt>"), []) + by.get(("multi.rpt", "<b@rcv.rpt>"), [])
ok(len(mm) == 2 and mm[0]["report"]["id"] == mm[1]["report"]["id"]
   and mm[0]["filename"] == mm[1]["filename"],
   "multi.rpt: the same report to both destinations (!size ignored, duplicate once)")
ok(all(len(x["auth_dkim"]) <= 100 for m in mails for x in m["report"]["records"]),
   "at most 100 DKIM results per row")

# --dry-run with reports pending: says what it would do, changes nothing.
before = dump(storeA)
p = reporter(confA, "--dry-run")
like(p.stdout, r"report \S+ of temp\.rpt to <agg@x\.servfail\.example\.net>: authorization "
     r"unknown now: DNS failure", "--dry-run: a pending report, and why it waits")
is_(dump(storeA), before, "--dry-run: pending reports untouched")

# A second run: the postponed ones are tried again, nothing else goes out.
p = reporter(confA, "--once")
left = {r["domain"]: r for r in reports(storeA)}
ok(all(left.get(d, {}).get("dest0", "").endswith("/0/2") for d in ("temp.rpt", "silent.rpt")),
   "a DNS failure postpones again: still pending, 2 attempts")
is_(len(sinkA.mails()), len(mails), "nothing sent twice")
sinkA.stop()


# --- 5. synthetic records: rows, days, reports per domain ----------------------

def expected_rows(count, domains, t0, span=DAY):
    """storefill's records, grouped as RFC 9990 rows: {(domain, day): {row: n}}."""
    out = {}
    for i in range(count):
        d = "d%05d.example.com" % (i % domains)
        t = t0 + i * span // count
        ok_ = i % 3 != 0
        own = (d, "s1", "pass" if ok_ else "fail")
        dk = [own] + ([("esp.example.net", "k2", "pass")] if i % 7 == 0 else [])
        dk.sort(key=lambda x: 0 if x[2] == "pass" and x[0] == d else 2 if x[2] == "pass" else 3)
        row = ("192.0.2.%d" % (i // domains % 256), "pass" if ok_ else "quarantine",
               "pass" if ok_ else "fail", d, d, "example.org", tuple(dk),
               (d, "mfrom", "pass" if ok_ else "fail"))
        g = out.setdefault((d, t // DAY), {})
        g[row] = g.get(row, 0) + 1
    return out


def xml_rows(rep):
    g = {}
    for x in rep["records"]:
        row = (x["ip"], x["disposition"], x["dkim"], x["header_from"], x["envelope_from"],
               x["envelope_to"], tuple(x["auth_dkim"]), x["auth_spf"])
        g[row] = g.get(row, 0) + x["count"]
    return g


def eml_reports(outdir):
    """The reports --output wrote, parsed, by file name."""
    out = {}
    for name in sorted(os.listdir(outdir)):
        if name.endswith(".eml"):
            with open(os.path.join(outdir, name), "rb") as f:
                out[name] = parse_mail(f.read())
    return out


storeB = fresh_store("storeB")
N, D = 3000, 3
fill(storeB, N, D, TODAY - 3 * DAY, span=2 * DAY)     # two whole days
outB = fresh_store("outB")
p = reporter(rconf(storeB), "--once", "--output", outB)
is_(p.returncode, 0, "--once --output exits 0")
got = {(m["report"]["policy"]["domain"], m["report"]["begin"] // DAY): m
       for m in eml_reports(outB).values()}
exp = expected_rows(N, D, TODAY - 3 * DAY, 2 * DAY)
is_(sorted(got), sorted(exp), "one report per policy domain and UTC day")
ok(all(m["report"]["begin"] % DAY == 0 and m["report"]["end"] == m["report"]["begin"] + DAY - 1
       for m in got.values()), "each covers its whole UTC day, begin..end inclusive")
is_({k: xml_rows(m["report"]) for k, m in got.items()}, exp,
    "rows and counts as recomputed from the records (DKIM results best first)")
ok(all(n.endswith(".xml.gz.eml") and n[:-4] == m["filename"] for n, m in eml_reports(outB).items()),
   "--output: each file is named after its attachment")
m0 = got[sorted(got)[0]]
gzp, xmlp = save_report(m0)
ok(schema_valid(xmlp), "synthetic report valid against the schema")
is_(dmarc_cat(gzp), (m0["report"]["policy"]["domain"], len(m0["report"]["records"]),
                     m0["report"]["total"]), "dmarc-cat reads it")
ok(storedump(storeB, "msg") == [] and reports(storeB) == [],
   "--output: the records count as reported, nothing pending")
p = reporter(rconf(storeB), "--once", "--output", outB)
is_(len(os.listdir(outB)), len(got), "a second --once writes nothing more")

# A day of mail from 70,000 addresses for one domain (a botnet forging
# it): too many rows for one report (REPORT_XML_PART_MAX), so several,
# each a whole report of its own.
storeP = fresh_store("storeParts")
NP = 70000
fill(storeP, NP, 1, YESTERDAY, sources=NP)
outP = fresh_store("outParts")
p = reporter(rconf(storeP), "--once", "--output", outP, timeout=300)
parts = list(eml_reports(outP).values())
reps = [m["report"] for m in parts]
ok(p.returncode == 0 and len(parts) >= 2 and len({r["id"] for r in reps}) == len(parts),
   "70,000 rows for one day and policy: %d reports, each with its own id" % len(parts))
like(p.stderr, r"d00000\.example\.com: 70000 rows for one day and policy: %d reports"
     % len(parts), "the split is logged")
ok(all((r["begin"], r["end"], r["policy"]) == (reps[0]["begin"], reps[0]["end"],
                                              reps[0]["policy"]) for r in reps),
   "the same dates and policy in each")
ips = [x["ip"] for r in reps for x in r["records"]]
ok(len(ips) == NP and len(set(ips)) == NP and sum(r["total"] for r in reps) == NP,
   "every row in exactly one of them, every message counted once")
ok(all(len(m["raw"]) < 16 * 1024 * 1024 for m in parts),
   "each report mail under 16 MB (the biggest %d bytes)" % max(len(m["raw"]) for m in parts))
ok(all(schema_valid(save_report(m)[1]) for m in parts), "each valid against the schema")


# --- 6. delivery: down, 4xx, 5xx, and back ------------------------------------------

def one_report_store(name, count=5, domains=1):
    s = fresh_store(name)
    fill(s, count, domains, YESTERDAY)
    return s


# SMTP down, then back.
storeC = one_report_store("storeC", 30, 3)
portC = free_port()
confC = rconf(storeC, portC)
p = reporter(confC, "--once")
held = {r["domain"]: r for r in reports(storeC)}
ok(len(held) == 3 and all(r["dest0"].endswith("/0/1") for r in held.values()),
   "SMTP down: three reports built and deferred")
like(p.stderr, r"deferred: .*(onnect|refused)", "the deferral is logged with curl's reason")
sinkC = Sink(portC)
p = reporter(confC, "--once")
mC = sinkC.mails()
is_(sorted((m["report"]["policy"]["domain"], m["report"]["id"], m["filename"]) for m in mC),
    sorted((d, r["id"], attachment_name(r)) for d, r in held.items()),
    "SMTP back: each report sent once, with the report id and file name the store held")
ok(all(m["subject"].endswith("Report-ID: " + m["report"]["id"]) for m in mC),
   "the Subject's Report-ID is the report's")
is_(reports(storeC), [], "accepted reports are forgotten")
reporter(confC, "--once")
is_(len(sinkC.mails()), 3, "and never sent again")
sinkC.stop()

# Each refusal: 4xx and lost connections are tried again, 5xx is final.
CASES = [
    ("4xx to MAIL", ["-r", "MAIL"], "deferred"),
    ("4xx to RCPT", ["-r", "RCPT"], "deferred"),
    ("421 to DATA", ["-Q", "DATA"], "deferred"),
    ("4xx after the message", ["-r", "."], "deferred"),
    ("4xx greeting", ["-r", "CONNECT"], "deferred"),
    ("connection lost at DATA", ["-q", "DATA"], "deferred"),
    ("5xx to MAIL", ["-f", "MAIL"], "refused"),
    ("5xx to RCPT", ["-f", "RCPT"], "refused"),
    ("5xx after the message", ["-f", "."], "refused"),
]
for i, (what, flags, outcome) in enumerate(CASES):
    s = one_report_store("storeE%d" % i)
    port = free_port()
    conf = rconf(s, port)
    bad = Sink(port, flags)
    p = reporter(conf, "--once")
    bad.stop()
    held = reports(s)
    if outcome == "deferred":
        ok(len(held) == 1 and held[0]["dest0"].endswith("/0/1"),
           "%s: deferred, the report kept (%s)" % (what, held and held[0].get("error0")))
    else:
        ok(held == [] and re.search(r"refused: .*5\d\d", p.stderr),
           "%s: refused for good, logged (%s)" % (what, held))
    good = Sink(port)
    reporter(conf, "--once")
    sent = good.mails()
    good.stop()
    if outcome == "deferred":
        ok(len(sent) == 1 and sent[0]["report"]["id"] == held[0]["id"]
           and sent[0]["filename"] == attachment_name(held[0]),
           "%s: sent later, same report id and file name" % what)
    else:
        is_(len(sent), 0, "%s: not tried again" % what)

# Given up after retry_period.
s = one_report_store("storeR")
port = free_port()
conf = rconf(s, port, reporter={"retry_period": "1s"})
reporter(conf, "--once")
time.sleep(2.2)
p = reporter(conf, "--once")
like(p.stderr, r"giving up after 1 attempts", "retry_period over: given up, logged")
is_(reports(s), [], "and forgotten")


# bcc copies: a transaction of their own, after the destination accepted;
# the destination's refusal is never hidden by a bcc that was accepted.
port = free_port()
picky = Picky(port)
DEST, BCC = "<dmarc@d00000.example.com>", "<archive@example.org>"
for i, (what, replies, state, trans) in enumerate([
        ("destination refused (5xx), bcc accepted", {DEST: "550 5.1.1 no such user"},
         "refused", []),
        ("destination deferred (4xx), bcc accepted", {DEST: "450 4.2.1 try later"},
         "deferred", []),
        ("bcc refused, destination accepted", {BCC: "550 5.1.1 no"}, "sent", [([DEST], True)]),
        ("both accepted", {}, "sent", [([DEST], True), ([BCC], True)])]):
    s = one_report_store("storeBcc%d" % i)
    picky.replies = replies
    picky.transactions = []
    p = reporter(rconf(s, port, reporter={"bcc": "archive@example.org"}), "--once")
    held = reports(s)
    got_state = ("deferred" if held and held[0]["dest0"].endswith("/0/1")
                 else "refused" if re.search(r"refused: ", p.stderr)
                 else "sent" if re.search(r": sent \(", p.stderr) else "?")
    is_((got_state, picky.transactions), (state, trans), "bcc: %s" % what)


# --- 7. the reporter killed in the middle ------------------------------------------

# ... of DATA: smtp-sink stalls before answering DATA.
s = one_report_store("storeK", 20, 2)
port = free_port()
conf = rconf(s, port)
stall = Sink(port, ["-w", "60"])
logk = open(os.path.join(work, "killed.log"), "w+")
proc = subprocess.Popen([REPORTER, "-c", conf, "--once"], stdout=logk, stderr=subprocess.STDOUT)
end = time.time() + 20
while time.time() < end and not os.listdir(stall.dir):
    time.sleep(0.05)
time.sleep(0.5)
proc.send_signal(signal.SIGKILL)
proc.wait()
stall.stop()
held = {r["id"]: r for r in reports(s)}
ok(len(held) == 2 and all(r["dest0"].endswith("/0/0") or r["dest0"].endswith("/0/1")
                          for r in held.values()),
   "killed in DATA: both reports still pending (%s)" % [r["dest0"] for r in held.values()])
good = Sink(port)
reporter(conf, "--once")
sent = good.mails()
is_(sorted((m["report"]["id"], m["filename"]) for m in sent),
    sorted((i, attachment_name(r)) for i, r in held.items()),
    "run again: each sent, with the same report id and file name")
reporter(conf, "--once")
is_(len(good.mails()), 2, "run once more: no duplicate")
good.stop()

# ... while building: a transaction either stores its reports and
# consumes their records, or does neither.
s = fresh_store("storeKB")
NK, DK = 200000, 200
fill(s, NK, DK, YESTERDAY)
outK = fresh_store("outK")
conf = rconf(s)
logk = open(os.path.join(work, "killed-build.log"), "w+")
proc = subprocess.Popen([REPORTER, "-c", conf, "--once", "--output", outK], stdout=logk,
                        stderr=subprocess.STDOUT)
end = time.time() + 60
while time.time() < end and proc.poll() is None:
    with open(logk.name) as f:
        if len(re.findall(r"^\S+: report \S+: d\d+", f.read(), re.M)) >= 20:
            break
    time.sleep(0.005)
proc.send_signal(signal.SIGKILL)
proc.wait()
diag("killed while building: %d reports stored, %d records left"
     % (len(reports(s)), len(storedump(s, "msg"))))
p = reporter(conf, "--once", "--output", outK)
got = eml_reports(outK)
doms = sorted(m["report"]["policy"]["domain"] for m in got.values())
is_((len(doms), len(set(doms)), sum(m["report"]["total"] for m in got.values())),
    (DK, DK, NK), "run again: one report per domain, every record counted exactly once")


# --- 8. --output is the exact SMTP message ---------------------------------------

s = one_report_store("storeO", 12, 1)
port = free_port()
conf = rconf(s, port)
reporter(conf, "--once")                       # nobody listens: deferred
s2 = os.path.join(work, "storeO2")
shutil.copytree(s, s2)                         # the same pending report, twice
sink = Sink(port)
reporter(conf, "--once")
viasmtp = sink.mails()
sink.stop()
outO = fresh_store("outO")
p = reporter(rconf(s2), "--once", "--output", outO)
files = os.listdir(outO)
ok(len(viasmtp) == 1 and len(files) == 1, "one message by SMTP, one file by --output")


def message_lines(raw, drop_sink_fields):
    lines = raw.replace(b"\r\n", b"\n").split(b"\n")
    if drop_sink_fields:                       # smtp-sink's own fields come first
        while lines and not lines[0].startswith(b"From:"):
            lines.pop(0)
    return [x for x in lines if not x.startswith(b"Date:")]


if len(viasmtp) == 1 and len(files) == 1:
    with open(os.path.join(outO, files[0]), "rb") as f:
        fileraw = f.read()
    ok(b"\r\n" in fileraw and b"\n" not in fileraw.replace(b"\r\n", b""),
       "--output: CRLF line endings, as on the wire")
    is_(message_lines(fileraw, False), message_lines(viasmtp[0]["raw"], True)[:len(
        message_lines(fileraw, False))], "--output: the same message byte for byte (Date aside)")
    is_(files[0], viasmtp[0]["filename"] + ".eml", "--output: named <attachment name>.eml")
else:
    skip("--output: CRLF", "no message to compare")
    skip("--output: same message", "no message to compare")
    skip("--output: name", "no message to compare")
is_(reports(s2), [], "--output: the report counts as delivered")


# --- 9. --flush, then --once: no record twice, ranges that do not overlap -------------

s = fresh_store("storeF")
conf = rconf(s)
outF = fresh_store("outF")
fill(s, 40, 2, YESTERDAY, prefix="Y")
early = max(2, int(time.time()) - TODAY - 2)
fill(s, 20, 2, TODAY, span=early, prefix="T")
p = reporter(conf, "--once", "--output", outF)
is_(len(storedump(s, "msg")), 20, "--once reports complete days only: today's records stay")
p = reporter(conf, "--once", "--flush", "--output", outF)
flushed = meta(s).get("reported_until", 0)
ok(TODAY < flushed <= time.time() + 1, "--flush: reported up to now")
time.sleep(1.2)
fill(s, 10, 2, flushed, span=1, prefix="U")
p = reporter(conf, "--once", "--output", outF)
ok(len(storedump(s, "msg")) == 10 and "built 0 reports" in p.stderr,
   "--once after --flush: nothing of today reported again")
time.sleep(1.1)
p = reporter(conf, "--once", "--flush", "--output", outF)
allF = [m["report"] for m in eml_reports(outF).values()]
is_(sum(r["total"] for r in allF), 70, "every record reported exactly once")
chain_ok = True
for dom in ("d00000.example.com", "d00001.example.com"):
    rs = sorted((r for r in allF if r["policy"]["domain"] == dom), key=lambda r: r["begin"])
    spans = [(r["begin"], r["end"]) for r in rs]
    if [b for b, _ in spans] != [YESTERDAY, TODAY, flushed] or any(
            rs[i]["end"] + 1 != rs[i + 1]["begin"] for i in range(len(rs) - 1)):
        chain_ok = False
        diag("%s: %r" % (dom, spans))
ok(chain_ok, "date ranges: yesterday, today up to the flush, then on from there: "
   "contiguous, never overlapping")

# Records that come in after a flush closed their day (late writers):
# reported once, with a range that still holds them (begin <= end).
fill(s, 4, 2, YESTERDAY + 7200, span=10, prefix="V")
outF2 = fresh_store("outF2")
p = reporter(conf, "--once", "--output", outF2)
late = sorted((r["policy"]["domain"], r["begin"], r["end"], r["total"])
              for r in (m["report"] for m in eml_reports(outF2).values()))
is_(late, [("d00000.example.com", YESTERDAY + 7200, TODAY - 1, 2),
           ("d00001.example.com", YESTERDAY + 7202, TODAY - 1, 2)],
    "late records of a closed day: reported from the first of them to the day's end")


# --- 10. pruning by [general] keep -----------------------------------------------------

s = fresh_store("storeP")
fill(s, 10, 1, TODAY - 20 * DAY, span=3600, prefix="A")   # older than keep = 14d
fill(s, 10, 1, YESTERDAY, span=3600, prefix="B")
p = reporter(rconf(s), "--once", "--output", fresh_store("outP"))
days = sorted({int(r["day"]) for r in storedump(s, "stat")})
is_(days, [YESTERDAY // DAY], "counters older than keep are pruned, recent ones kept")
if time.time() - TODAY > 3 * 3600:
    s = fresh_store("storeP2")
    fill(s, 10, 1, TODAY, span=60)                # today, hours ago: not reportable yet
    p = reporter(rconf(s, general={"keep": "1h"}), "--once", "--output", fresh_store("outP2"))
    ok(storedump(s, "msg") == [] and "pruned" in p.stderr,
       "records older than keep = 1h are pruned, even unreported")
else:
    skip("records older than keep = 1h are pruned", "too early in the UTC day")


# --- 11. the command line ----------------------------------------------------------------

confU = rconf(fresh_store("storeU"))
for args, rc, what in [(["--flush"], 64, "--flush without --once"),
                       (["--bogus"], 64, "an unknown option"),
                       (["--stats", "--days", "0"], 64, "--days 0"),
                       (["-n"], 0, "-n: the configuration is fine"),
                       (["-V"], 0, "-V")]:
    p = reporter(confU, *args)
    is_(p.returncode, rc, "%s: exit %d" % (what, rc))
s = one_report_store("storeD")
p = reporter(rconf(s, reporter={"enabled": "no"}), "--once")
ok(p.returncode == 0 and len(storedump(s, "msg")) == 5, "enabled = no: nothing done")


# --- 12. the daemon ---------------------------------------------------------------------

class Daemon(pdtest.Daemon):
    """postdmarc-reporter as a daemon (pdtest.Daemon: its log, wait_log, stop)."""

    def __init__(self, conf):
        pdtest.Daemon.__init__(self, [REPORTER, "-c", conf], conf + ".daemon")

    def term(self):
        """SIGTERM; its exit status (None if it did not stop in 10 s)."""
        rc = self.stop(10)
        sanitizer(self.logtext(), "postdmarc-reporter (daemon)")
        return rc


def hhmm(t):
    return time.strftime("%H:%M", time.gmtime(t))


def wait_mails(sink, n, timeout=20):
    end = time.time() + timeout
    while time.time() < end and len(sink.mails()) < n:
        time.sleep(0.1)
    return sink.mails()


# Catch-up at start: send_time is still to come today, but yesterday's
# passed while nothing ran, and the day before yesterday was never reported.
s = fresh_store("storeG")
fill(s, 20, 2, TODAY - 2 * DAY)
port = free_port()
sink = Sink(port)
conf = rconf(s, port, reporter={"send_time": hhmm(time.time() + 3600)})
dmn = Daemon(conf)
got = wait_mails(sink, 2)
is_(sorted(m["report"]["policy"]["domain"] for m in got),
    ["d00000.example.com", "d00001.example.com"],
    "daemon: missed days are reported at start (send_time still to come today)")
ok(all(m["report"]["begin"] == TODAY - 2 * DAY for m in got), "daemon: the day before "
   "yesterday's reports")
ok(dmn.wait_log(r"next report run at", 20), "daemon: then sleeps until the next send_time")
p = reporter(conf, "--once")
ok(p.returncode == 75 and "another postdmarc-reporter is running" in p.stderr,
   "a second reporter on the same store: exit 75")
is_(dmn.term(), 0, "daemon: SIGTERM stops it, exit 0")
like(dmn.logtext(), r"stopped", "daemon: says it stopped")
ok(meta(s).get("last_cycle", 0) >= now0, "daemon: the cycle is remembered")

# Started again at once: nothing is due, nothing runs.
dmn = Daemon(conf)
ok(dmn.wait_log(r"next report run at", 20), "daemon restarted: waits for send_time")
time.sleep(1)
ok("built" not in dmn.logtext() and len(sink.mails()) == 2, "daemon restarted: no cycle before "
   "send_time when the last one is done")
is_(dmn.term(), 0, "daemon restarted: SIGTERM, exit 0")
sink.stop()

# A refused delivery is retried by the daemon itself once its backoff passes.
s = fresh_store("storeH")
fill(s, 10, 1, YESTERDAY)
port = free_port()
bad = Sink(port, ["-r", "RCPT"])
conf = rconf(s, port, reporter={"send_time": hhmm(time.time() - 3600)})
dmn = Daemon(conf)
ok(dmn.wait_log(r"deferred: ", 20), "daemon: send_time passed today: reports at start, "
   "first try deferred (4xx)")
held = reports(s)
t0 = time.time()
time.sleep(1.5)
bad.stop()
good = Sink(port)
got = wait_mails(good, 1)
ok(len(got) == 1 and held and got[0]["report"]["id"] == held[0]["id"],
   "daemon: retried after the backoff and sent, same report id")
nretry = len(re.findall(r"deferred: ", dmn.logtext()))
ok(1 <= nretry <= 4, "daemon: tries back off (%d deferrals in %.1f s)" % (nretry,
                                                                          time.time() - t0))
is_(dmn.term(), 0, "daemon: SIGTERM, exit 0")
good.stop()

# --- every report seen above, against the schema ----------------------------------------

alldir = fresh_store("all-reports")
paths = []
for i, (name, xml) in enumerate(sorted(_every_report.items())):
    paths.append(os.path.join(alldir, "%04d.xml" % i))
    with open(paths[-1], "wb") as f:
        f.write(xml)
out = subprocess.run(["xmllint", "--noout", "--schema", XSD] + paths, capture_output=True,
                     text=True)
ok(out.returncode == 0 and out.stderr.count(" validates") == len(paths),
   "every one of the %d reports made in this script validates against the RFC 9990 schema"
   % len(paths))
if out.returncode != 0:
    diag("\n".join(x for x in out.stderr.splitlines() if "validates" not in x)[:3000])

done()
