#!/usr/bin/python3
"""postdmarc-pipefilter over the real test DNS server: every DKIM result
(fixtures and the RFC 8463 vectors), DMARC pass and fail by DKIM and by
SPF with messages signed on the fly by python3-dkim, p/sp/np, t=y, strict
and relaxed alignment, PSD, several authors, unreadable From fields, the
Authentication-Results field (parsed with python3-authres), forged ones
removed, every disposition and exit status, the exact sendmail command,
reuse of postdmarc-policyd's SPF verdict, large and odd messages byte for
byte with bounded memory, one store record per message, skips, and the
faults (DNS down or silent, read-only store, sendmail missing, failing or
dying) that must never lose a message nor send it twice."""

import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from pdtest import *  # noqa: E402,F401,F403

import authres  # noqa: E402  (Debian's python3-authres)
import dkim  # noqa: E402     (Debian's python3-dkim: the independent signer)

HOST = "mx.example.org"
FILTER = bin("postdmarc-pipefilter")
DKIMDIR = os.path.join(TOP, "tests", "data", "dkim")
SENDER = "u@spf-pass.example.com"        # SPF pass from 192.0.2.5
NOSPF = "u@spf-none.example.com"         # SPF none: DMARC rests on DKIM alone

dns = Dns()
work = workdir("pipefilter")
store = os.path.join(work, "store")
os.makedirs(store)
outdir = os.path.join(work, "sendmail")    # the fake sendmail's deliveries
os.makedirs(outdir)
os.chmod(outdir, 0o777)
tmpdir = os.path.join(work, "tmp")         # the filter's spool directory
os.makedirs(tmpdir)
os.chmod(tmpdir, 0o1777)


# --- configuration and running the filter ---------------------------------

_confs = {}


def conf(over=None, store_dir=None, nameservers=None, timeout=None):
    """A configuration file: base_conf + our sendmail, tmpdir, overrides."""
    key = repr((over, store_dir, nameservers, timeout))
    if key in _confs:
        return _confs[key]
    c = base_conf(dns, store_dir or store,
                  pipefilter={"sendmail": SENDMAIL, "tmpdir": tmpdir})
    if nameservers:
        c["dns"]["nameservers"] = nameservers
    if timeout:
        c["dns"]["timeout"] = timeout
    for section, keys in (over or {}).items():
        c.setdefault(section, {}).update(keys)
    path = os.path.join(work, "c%d.conf" % len(_confs))
    write_conf(path, c)
    os.chmod(path, 0o644)
    _confs[key] = path
    return path


class Run:
    """What one filter run did."""

    def __init__(self, rc, err, deliveries, elapsed, qid):
        self.rc, self.err, self.deliveries = rc, err, deliveries
        self.elapsed, self.qid = elapsed, qid

    @property
    def msg(self):
        """The one reinjected message, or None."""
        return self.deliveries[0][1] if len(self.deliveries) == 1 else None

    @property
    def args(self):
        return self.deliveries[0][0] if len(self.deliveries) == 1 else None


_qid = [0]


def run(msg, sender=SENDER, client="192.0.2.5", helo="mx.example.net", qid=None,
        rcpt=("bob@example.org",), over=None, confpath=None, extra=(), env=None,
        wrap=(), argv=None, sasl=None, keep=False, timeout=90):
    """Run the filter on msg (bytes); returns a Run."""
    if not keep:
        sendmail_clear(outdir)
    if qid is None:
        _qid[0] += 1
        qid = "4T%06dA" % _qid[0]
    if argv is None:
        argv = [FILTER, "-c", confpath or conf(over), "-f", sender]
        if client is not None:
            argv.append("--client-address=" + client)
        if helo is not None:
            argv.append("--client-helo=" + helo)
        if sasl is not None:
            argv.append("--sasl-username=" + sasl)
        if qid:
            argv.append("--queue-id=" + qid)
        argv += list(extra) + ["--"] + list(rcpt)
    e = dict(os.environ, FAKE_SENDMAIL_DIR=outdir, TMPDIR=tmpdir)
    e.update(env or {})
    t0 = time.time()
    p = subprocess.run(list(wrap) + argv, input=msg, capture_output=True, env=e,
                       timeout=timeout)
    elapsed = time.time() - t0
    return Run(p.returncode, p.stderr.decode("utf-8", "replace"), sendmail_runs(outdir),
               elapsed, qid)


def records(qid=None):
    rows = storedump(store, "msg")
    return [r for r in rows if qid is None or r.get("qid") == qid]


def record(qid):
    rows = records(qid)
    return rows[0] if len(rows) == 1 else {"count": len(rows)}


# --- messages --------------------------------------------------------------

_mid = [0]


def message(frm="Alice <alice@example.com>", body=b"Hello,\n\nA test for postdmarc.\n",
            extra=b"", subject=b"test", crlf=False):
    """A plain message, LF line endings (as pipe(8) gives them) or CRLF."""
    _mid[0] += 1
    if isinstance(frm, str):
        frm = frm.encode()
    head = b""
    if frm is not None:
        head += b"From: " + frm + b"\n"
    head += (b"To: Bob <bob@example.org>\nSubject: " + subject + b"\n"
             b"Date: Thu, 01 Jan 2026 00:00:00 +0000\n"
             b"Message-ID: <t%d@example.com>\n" % _mid[0]) + extra
    m = head + b"\n" + body
    return m.replace(b"\n", b"\r\n") if crlf else m


def key(name):
    with open(os.path.join(DKIMDIR, name), "rb") as f:
        return f.read()


def sign(msg, d, s="rsa2048", keyname="rsa2048.key", alg=b"rsa-sha256",
         canon=(b"relaxed", b"relaxed")):
    """msg with a DKIM-Signature by python3-dkim prepended."""
    crlf = b"\r\n" in msg.split(b"\n", 1)[0] + b"\n"
    sig = dkim.sign(msg, s.encode(), d.encode(), key(keyname), canonicalize=canon,
                    signature_algorithm=alg,
                    include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
    if not crlf:
        sig = sig.replace(b"\r\n", b"\n")
    return sig + msg


def fixture(name):
    with open(os.path.join(DKIMDIR, name + ".eml"), "rb") as f:
        return f.read()


# --- reading what came out ------------------------------------------------

def head_fields(m):
    """The raw header fields (folds and line endings kept)."""
    fields = []
    pos = 0
    while pos < len(m):
        nl = m.find(b"\n", pos)
        end = len(m) if nl < 0 else nl + 1
        line = m[pos:end]
        if line in (b"\n", b"\r\n"):
            break
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += line
        else:
            fields.append(line)
        pos = end
    return fields


def fname(f):
    return f.split(b":", 1)[0].strip().lower()


def fvalue(f):
    return f.split(b":", 1)[1].strip() if b":" in f else b""


def parse_ar(f):
    """python3-authres' reading of one field, or None."""
    text = f.decode("ascii", "replace").replace("\r", "").replace("\n", "")
    try:
        return authres.AuthenticationResultsHeader.parse(text)
    except Exception:
        return None


def is_ours(f):
    if fname(f) != b"authentication-results":
        return False
    h = parse_ar(f)
    if h is not None:
        return h.authserv_id.lower().rstrip(".") == HOST
    return re.match(rb"(?is)[^:]*:\s*(\([^)]*\)\s*)*\"?mx\.example\.org\.?\"?[\s;(]",
                    f) is not None


def ours(m):
    """(our parsed AR at the top, number of our AR fields in the message)."""
    if m is None:
        return None, 0
    fields = head_fields(m)
    n = sum(1 for f in fields if is_ours(f))
    top = parse_ar(fields[0]) if fields and fname(fields[0]) == b"authentication-results" \
        else None
    return top, n


def results(m):
    """{method: [(result, {ptype.prop: value})]} of our AR, or {}."""
    h, n = ours(m)
    out = {}
    if h is None or n != 1:
        return out
    for r in h.results:
        props = {"%s.%s" % (p.type, p.name): p.value for p in r.properties}
        out.setdefault(r.method, []).append((r.result, props))
    return out


def one(m, method):
    """(result, props) of the single method= result, or (None, {})."""
    r = results(m).get(method, [])
    return r[0] if len(r) == 1 else (None, {})


def added(m):
    """How many header fields at the top are ours (AR, then the spam mark)."""
    fields = head_fields(m)
    n = 1 if fields and is_ours(fields[0]) else 0
    if len(fields) > n and re.match(rb"(?i)x-spam:|x-dmarc-quarantine:", fields[n]):
        n += 1
    return n


def strip_added(m):
    """The message minus the fields the filter put at the top."""
    for f in head_fields(m)[:added(m)]:
        m = m[len(f):]
    return m


def spam_mark(m):
    """The mark of a quarantine (the field after our AR), or None."""
    if m is None or added(m) != 2:
        return None
    return head_fields(m)[1].rstrip(b"\r\n")


def our_raw(m):
    fields = head_fields(m)
    return fields[0] if fields else b""


def sha(b):
    return hashlib.sha256(b).hexdigest()


# ===========================================================================
# 1. DKIM: the fixtures of tests/data/dkim, signed by python3-dkim, and the
#    RFC 8463 vectors.  The MAIL FROM passes SPF, so DMARC passes and the
#    message comes out whatever the DKIM result: we look at dkim=.
# ===========================================================================

P = "pass"
dkim_cases = [
    ("rsa2048", [(P, "example.com", "rsa2048")], "rsa-sha256, 2048-bit key: pass"),
    ("simple", [(P, "example.com", "rsa2048")], "simple/simple canonicalization: pass"),
    ("ed25519", [(P, "example.com", "ed")], "ed25519-sha256 (RFC 8463): pass"),
    ("rsa1024", [(P, "example.com", "rsa1024")], "1024-bit key: pass"),
    ("length", [(P, "example.com", "rsa2048")], "l= with text appended after it: pass"),
    ("subdomain", [(P, "mail.example.com", "rsa2048")], "d=mail.example.com: pass"),
    ("rsa512", [("policy", "example.com", "rsa512")], "512-bit key: policy (RFC 8301)"),
    ("sha1", [("policy", "example.com", "rsa2048")], "rsa-sha1: policy (RFC 8301)"),
    ("bodyhash", [("fail", "example.com", "rsa2048")], "body changed: fail"),
    ("badsig", [("fail", "example.com", "rsa2048")], "signed header changed: fail"),
    ("nokey", [("permerror", "example.com", "missing")], "no key in DNS: permerror"),
    ("revoked", [("permerror", "example.com", "revoked")], "revoked key (p=): permerror"),
    ("two", [(P, "example.com", "ed"), ("permerror", "example.net", "missing")],
     "two signatures: one dkim= each, in order"),
    ("rfc8463", [(P, "football.example.com", "brisbane"), (P, "football.example.com", "test")],
     "RFC 8463 appendix A vectors: ed25519 and rsa both pass"),
]
for name, want, title in dkim_cases:
    r = run(fixture(name))
    got = [(res, p.get("header.d"), p.get("header.s")) for res, p in
           results(r.msg).get("dkim", [])]
    if not is_(got, want, "DKIM %s: %s" % (name, title)):
        diag(r.err)

# The DNS questions of a message go out together: the SPF record of the
# MAIL FROM domain, the DKIM key, the DMARC records up the tree; the
# lookups that follow are all answered from the filter's cache.
r = run(sign(message("a@example.com"), "example.com"),
        sender="u@spf-pass.example.com", over={"general": {"debug": "yes"}})
asked = re.findall(r"dns: prefetched (\d+) of (\d+) names", r.err)
queried = re.findall(r"dns: (\S+)/\d+: ", r.err)
ok(r.rc == 0 and one(r.msg, "dmarc")[0] == "pass" and asked == [("5", "5")] and not queried,
   "one round of 5 DNS questions at once (SPF, DKIM key, 3 DMARC), no lookup after it "
   "left the cache") or diag(r.err)

# The names are those dmarc_evaluate() asks: from a domain of 8 labels or
# more the tree walk goes straight to its last 7 (RFC 9989 4.10), and the
# HELO domain of a null sender is walked too (relaxed SPF alignment).
for title, m, kw in [
    ("an author domain of 10 labels", message("a@l1.l2.l3.l4.l5.l6.l7.l8.example.org"), {}),
    ("a null sender with HELO spf-helo.example.com", message("a@example.com"),
     dict(sender="", client="192.0.2.10", helo="spf-helo.example.com")),
]:
    r = run(m, over={"general": {"debug": "yes"}}, **kw)
    queried = re.findall(r"dns: (\S+)/\d+: ", r.err)
    ok(r.rc == 0 and r.msg is not None and "prefetched" in r.err and not queried,
       "prefetch, %s: no lookup after it left the cache %r" % (title, queried)) or diag(r.err)

# The policy results say why in a comment.
like(our_raw(run(fixture("sha1")).msg).decode(), r"dkim=policy \(rsa-sha1",
     "DKIM rsa-sha1: the comment says why")
like(our_raw(run(fixture("rsa512")).msg).decode(), r"dkim=policy \(key shorter than 1024",
     "DKIM 512-bit key: the comment says why")

r = run(fixture("many"))
is_(len(results(r.msg).get("dkim", [])), 10,
    "12 signatures: 10 evaluated (max_signatures default)")
r = run(fixture("many"), over={"pipefilter": {"max_signatures": "12"}})
is_(len(results(r.msg).get("dkim", [])), 12, "max_signatures = 12: all 12 evaluated")

# DKIM temperror: the key of d=x.servfail.example.net cannot be fetched.
r = run(fixture("tempkey"), over={"pipefilter": {"temperror": "accept"}})
is_(results(r.msg).get("dkim", [(None, {})])[0][0], "temperror",
    "DKIM key lookup SERVFAIL: dkim=temperror")
is_(one(r.msg, "dmarc")[0], "temperror", "and temperror = accept delivers with dmarc=temperror")
r = run(fixture("tempkey"))
ok(r.rc == 75 and not r.deliveries, "the same with temperror = tempfail: exit 75, kept queued")

# A temporary failure defers a DMARC fail only when it could have hidden a
# pass: the identifier that failed must be one that could align.
r = run(sign(message("a@reject.example.net"), "x.servfail.example.net", s="s"))
ok(r.rc == 0 and not r.deliveries and record(r.qid).get("dmarc") == "fail",
   "p=reject fail plus a DKIM temperror for an unrelated d=: discarded, not deferred")
r = run(message("a@reject.example.net"), sender="u@spf-temp.example.com")
ok(r.rc == 0 and not r.deliveries and record(r.qid).get("spf") == "temperror",
   "p=reject fail plus an SPF temperror for an unaligned MAIL FROM: discarded")
r = run(message("a@spf-temp.example.com"), sender="u@spf-temp.example.com")
ok(r.rc == 75 and not r.deliveries,
   "p=reject fail with an SPF temperror of the aligned MAIL FROM: exit 75 (could be a pass)")
r = run(message("a@spf-temp.example.com"), sender="u@spf-temp.example.com",
        over={"pipefilter": {"temperror": "accept"}})
ok(r.rc == 0 and one(r.msg, "dmarc")[0] == "temperror",
   "the same with temperror = accept: delivered with dmarc=temperror")

# DMARC on DKIM alone (MAIL FROM without SPF): only a pass counts.
for name, want, disp in [("rsa2048", "pass", None), ("ed25519", "pass", None),
                         ("subdomain", "pass", None), ("sha1", "fail", "reject"),
                         ("rsa512", "fail", "reject"), ("bodyhash", "fail", "reject"),
                         ("nokey", "fail", "reject")]:
    r = run(fixture(name), sender=NOSPF)
    rec = record(r.qid)
    if want == "pass":
        ok(r.rc == 0 and one(r.msg, "dmarc")[0] == "pass" and rec.get("dkim_aligned") == "1"
           and rec.get("spf_aligned") == "0",
           "DMARC by DKIM alone, %s: pass through the aligned signature" % name)
    else:
        ok(r.rc == 0 and not r.deliveries and rec.get("dmarc") == "fail"
           and rec.get("disposition") == disp,
           "DMARC by DKIM alone, %s: dkim not pass, so fail, p=reject discards" % name)

# ===========================================================================
# 2. DMARC scenarios of example.net, example.com and bank.example, with
#    messages signed on the fly by python3-dkim.
#    (from, signing d= or None, MAIL FROM, dmarc, policy.dmarc, outcome)
#    outcome: deliver (unmarked), mark (X-Spam), discard.
# ===========================================================================

dmarc_cases = [
    ("a@reject.example.net", "reject.example.net", NOSPF, "pass", "reject", "deliver",
     "p=reject, aligned DKIM (d= the author domain): pass"),
    ("a@mail.example.com", "example.com", NOSPF, "pass", "reject", "deliver",
     "relaxed DKIM: d=example.com for From mail.example.com: pass"),
    ("a@example.com", "mail.example.com", NOSPF, "pass", "reject", "deliver",
     "relaxed DKIM: d=mail.example.com for From example.com: pass"),
    ("a@example.com", None, SENDER, "pass", "reject", "deliver",
     "relaxed SPF: MAIL FROM spf-pass.example.com for From example.com: pass"),
    ("a@spf-pass.example.com", None, SENDER, "pass", "reject", "deliver",
     "SPF: MAIL FROM domain = From domain: pass"),
    ("a@reject.example.net", "example.com", SENDER, "fail", "reject", "discard",
     "p=reject, DKIM and SPF pass but neither aligned: fail, discarded"),
    ("a@example.com", None, "u@spf-fail.example.com", "fail", "reject", "discard",
     "p=reject, SPF fail, no signature: fail, discarded"),
    ("a@quarantine.example.net", "example.com", NOSPF, "fail", "quarantine", "mark",
     "p=quarantine, fail: X-Spam added"),
    ("a@quarantine.example.net", "quarantine.example.net", NOSPF, "pass", "quarantine",
     "deliver", "p=quarantine, pass: unmarked"),
    ("a@none.example.net", "example.com", NOSPF, "fail", "none", "deliver",
     "p=none, fail: delivered unmarked"),
    ("a@subpol.example.net", "example.com", NOSPF, "fail", "none", "deliver",
     "subpol.example.net itself: p=none applies, not sp"),
    ("a@exists.subpol.example.net", "example.com", NOSPF, "fail", "reject", "discard",
     "existing subdomain: sp=reject applies"),
    ("a@deep.exists.subpol.example.net", "example.com", NOSPF, "fail", "reject", "discard",
     "existing deeper subdomain (MX only): sp=reject"),
    ("a@exists.subpol.example.net", "subpol.example.net", NOSPF, "pass", "reject", "deliver",
     "existing subdomain, d= the organizational domain: pass"),
    ("a@nx.subpol.example.net", "example.com", NOSPF, "fail", "quarantine", "mark",
     "subdomain that does not exist: np=quarantine applies"),
    ("a@nx.quarantine.example.net", "example.com", NOSPF, "fail", "none", "deliver",
     "nonexistent subdomain, no np: sp=none applies"),
    ("a@testing.example.net", "example.com", NOSPF, "fail", "quarantine", "mark",
     "p=reject t=y, fail: applied one level lower, quarantine"),
    ("a@testing.example.net", "testing.example.net", NOSPF, "pass", "reject", "deliver",
     "p=reject t=y, pass: delivered"),
    ("a@strict.example.net", "mail.strict.example.net", NOSPF, "fail", "reject", "discard",
     "adkim=s: d=mail.strict.example.net does not align with strict.example.net"),
    ("a@strict.example.net", "strict.example.net", NOSPF, "pass", "reject", "deliver",
     "adkim=s: identical d= aligns"),
    ("a@mail.strict.example.net", "mail.strict.example.net", NOSPF, "pass", "reject",
     "deliver", "adkim=s: subdomain author with identical d=: pass"),
    ("a@mail.strict.example.net", "strict.example.net", NOSPF, "fail", "reject", "discard",
     "adkim=s: parent d= does not align with a subdomain author"),
    ("a@small.bank.example", None, NOSPF, "fail", "reject", "discard",
     "PSD (psd=y on bank.example): its p=reject for a domain without a record"),
    ("a@giant.bank.example", "example.com", NOSPF, "fail", "quarantine", "mark",
     "below a PSD, the domain's own record: p=quarantine"),
    ("a@badp.example.net", "example.com", NOSPF, "fail", "none", "deliver",
     "invalid p with a valid rua: treated as p=none"),
    ("a@badp-norua.example.net", "example.com", NOSPF, "none", None, "deliver",
     "invalid p without rua: no policy, dmarc=none"),
    ("a@two.example.net", "example.com", NOSPF, "none", None, "deliver",
     "two DMARC records: none"),
    ("a@example.org", "example.com", NOSPF, "none", None, "deliver",
     "no DMARC record anywhere: dmarc=none"),
]
for frm, d, sender, want, policy, outcome, title in dmarc_cases:
    m = message(frm)
    if d:
        m = sign(m, d)
    r = run(m, sender=sender)
    rec = record(r.qid)
    author = frm.split("@")[1]
    if outcome == "discard":
        good = (r.rc == 0 and not r.deliveries and rec.get("dmarc") == want
                and rec.get("disposition") == "reject" and rec.get("header_from") == author)
    else:
        res, props = one(r.msg, "dmarc")
        mark = spam_mark(r.msg) == b"X-Spam: Yes"
        good = (r.rc == 0 and res == want and props.get("policy.dmarc") == policy
                and props.get("header.from") == author and mark == (outcome == "mark")
                and rec.get("dmarc") == want)
        if d:
            good = good and results(r.msg).get("dkim", [(None,)])[0][0] == "pass"
    if not ok(good, "DMARC %s" % title):
        diag("rc=%d deliveries=%d record=%r" % (r.rc, len(r.deliveries), rec))
        diag(our_raw(r.msg).decode() if r.msg else r.err)

r = run(message("a@example.com"))
rec = record(r.qid)
ok(rec.get("spf_aligned") == "1" and rec.get("dkim_aligned") == "0" and
   rec.get("dmarc") == "pass", "DMARC pass by SPF alone: stored spf_aligned=1, dkim_aligned=0")

# t=y: the reason is stored, the comment tells both.
r = run(sign(message("a@testing.example.net"), "example.com"), sender=NOSPF)
rec = record(r.qid)
is_(rec.get("reason0"), "policy_test_mode/t=y", "t=y: reason policy_test_mode stored")
ok(rec.get("testing") == "1" and rec.get("p") == "reject" and
   rec.get("disposition") == "quarantine", "t=y: p=reject, testing=1, disposition quarantine")
like(our_raw(r.msg).decode(), r"dmarc=fail \(p=reject t=y dis=quarantine\)",
     "t=y: the AR comment shows p=reject t=y and what was done")
r = run(sign(message("a@exists.subpol.example.net"), "example.com"), sender=NOSPF,
        over={"pipefilter": {"reject": "add_header"}})
like(our_raw(r.msg).decode(), r"dmarc=fail \(p=none sp=reject dis=quarantine\)",
     "sp: the AR comment names the sp policy")
r = run(sign(message("a@nx.subpol.example.net"), "example.com"), sender=NOSPF)
like(our_raw(r.msg).decode(), r"dmarc=fail \(p=none np=quarantine dis=quarantine\)",
     "np: the AR comment names the np policy")
rec = record(r.qid)
ok(rec.get("policy_domain") == "subpol.example.net" and rec.get("np") == "quarantine"
   and rec.get("sp") == "reject", "np: the published policy is stored (%s)" % rec.get("np"))
r = run(message("a@small.bank.example"), sender=NOSPF,
        over={"pipefilter": {"reject": "add_header"}})
rec = record(r.qid)
ok(rec.get("policy_domain") == "bank.example" and rec.get("psd") == "y",
   "PSD: the record of bank.example (psd=y) is the one stored")

# DMARC temperror: the policy lookup fails (SERVFAIL).
r = run(message("a@temp.example.net"))
ok(r.rc == 75 and not r.deliveries and "4.7.0" in r.err,
   "policy lookup SERVFAIL, temperror = tempfail: exit 75, 4.7.0, nothing reinjected")
ok(not records(r.qid), "and nothing stored (a retry will judge it)")
r = run(message("a@temp.example.net"), over={"pipefilter": {"temperror": "accept"}})
ok(r.rc == 0 and one(r.msg, "dmarc")[0] == "temperror" and spam_mark(r.msg) is None,
   "temperror = accept: delivered with dmarc=temperror, unmarked")

# ===========================================================================
# 3. Several author domains: each evaluated (at most 8); the strictest
#    policy among the failing ones applies.
# ===========================================================================

multi = [
    ("a@none.example.net, b@reject.example.net", "example.com", "discard", "reject.example.net",
     "p=none and p=reject both fail: reject applies"),
    ("a@reject.example.net, b@none.example.net", "example.com", "discard", "reject.example.net",
     "the same in the other order"),
    ("a@none.example.net, b@quarantine.example.net", "example.com", "mark",
     "quarantine.example.net", "p=none and p=quarantine fail: quarantine"),
    ("a@example.com, b@quarantine.example.net", "example.com", "mark",
     "quarantine.example.net", "one author passes, another fails: the fail decides"),
    ("a@testing.example.net, b@exists.subpol.example.net", "example.com", "discard",
     "exists.subpol.example.net", "p=reject t=y (quarantine) and sp=reject: reject"),
    ("a@testing.example.net, b@none.example.net", "example.com", "mark",
     "testing.example.net", "p=reject t=y and p=none: quarantine after t=y"),
    ("a@reject.example.net, b@example.com", "reject.example.net", "deliver",
     "reject.example.net", "both pass (DKIM for one, SPF for the other): delivered"),
    ("a@example.org, b@reject.example.net", "reject.example.net", "deliver",
     "reject.example.net", "no policy and pass: pass"),
]
for frm, d, outcome, decider, title in multi:
    r = run(sign(message(frm), d))
    rec = record(r.qid)
    if outcome == "discard":
        good = r.rc == 0 and not r.deliveries and rec.get("header_from") == decider
    else:
        good = (r.rc == 0 and one(r.msg, "dmarc")[1].get("header.from") == decider
                and (spam_mark(r.msg) is not None) == (outcome == "mark"))
    if not ok(good, "several authors: %s" % title):
        diag("rc=%d record=%r" % (r.rc, rec))
        diag(our_raw(r.msg).decode() if r.msg else r.err)

r = run(sign(message("a@none.example.net", extra=b"From: b@reject.example.net\n"),
             "example.com"))
ok(r.rc == 0 and not r.deliveries and record(r.qid).get("header_from") == "reject.example.net",
   "two From fields: both evaluated, p=reject of the second applies")

nopolicy = ["a@n%d.example.org" % i for i in range(1, 9)]
r = run(sign(message(", ".join(nopolicy[:7] + ["x@reject.example.net"])), "example.com"))
ok(r.rc == 0 and not r.deliveries and record(r.qid).get("header_from") == "reject.example.net",
   "8 author domains, the 8th fails p=reject: evaluated, discarded")
r = run(sign(message(", ".join(nopolicy + ["x@reject.example.net"])), "example.com"))
ok(r.rc == 0 and one(r.msg, "dmarc")[0] == "none",
   "9 author domains: only the first 8 are evaluated (the 9th, p=reject, is not)")
r = run(sign(message("a@reject.example.net, B@Reject.Example.NET., c@REJECT.example.net"),
             "reject.example.net"))
ok(r.rc == 0 and one(r.msg, "dmarc") == ("pass", {"header.from": "reject.example.net",
                                                   "policy.dmarc": "reject"}),
   "one domain written three ways: one author domain")

# ===========================================================================
# 4. No author domain that can be read: delivered with dmarc=permerror (or
#    none), never bounced, even with reject = reject.
# ===========================================================================

unreadable = [
    (None, "no From field"),
    (b"", "empty From"),
    (b"undisclosed-recipients:;", "a group without mailboxes"),
    (b"Alice", "a phrase without an address"),
    (b"alice@[192.0.2.1]", "a domain literal"),
    (b"Doe, John <a@reject.example.net>", "an unquoted comma in the display name"),
    (b"a@reject..example.net", "an empty label"),
    (b"a@reject.example.net\x00.evil", "a NUL byte"),
]
for frm, title in unreadable:
    r = run(message(frm), sender="u@spf-fail.example.com",
            over={"pipefilter": {"reject": "reject"}})
    res = one(r.msg, "dmarc")[0]
    ok(r.rc == 0 and res in ("permerror", "none") and spam_mark(r.msg) is None,
       "unreadable author (%s): delivered with dmarc=%s, not bounced" % (title, res))
r = run(message(None))
like(our_raw(r.msg).decode(), r"dmarc=permerror \(no From header field\)",
     "no From field: dmarc=permerror (no From header field)")
# Garbage after a readable address is no way around the policy: the
# readable domain is judged (RFC 9989 5.3.1 lets a receiver go on).
r = run(message(b"a@reject.example.net, <<broken"), sender="u@spf-fail.example.com",
        over={"pipefilter": {"reject": "reject"}})
ok(r.rc == 69 and r.msg is None and "5.7.1" in r.err,
   "a readable address and garbage after it: the readable domain is judged (p=reject: 69)")

# ===========================================================================
# 5. SPF: only the MAIL FROM identity counts; the null sender is
#    postmaster@HELO.
# ===========================================================================

r = run(message("a@spf-helo.example.com"), sender="u@spf-fail.example.com",
        client="192.0.2.10", helo="spf-helo.example.com",
        over={"pipefilter": {"reject": "add_header"}})
res, props = one(r.msg, "spf")
ok(res == "fail" and props.get("smtp.mailfrom") == "u@spf-fail.example.com"
   and one(r.msg, "dmarc")[0] == "fail",
   "HELO spf-helo.example.com passes but MAIL FROM fails: dmarc=fail (HELO never counts)")
r = run(message("a@spf-helo.example.com"), sender="", client="192.0.2.10",
        helo="spf-helo.example.com")
res, props = one(r.msg, "spf")
ok(r.rc == 0 and res == "pass" and props.get("smtp.mailfrom") ==
   "postmaster@spf-helo.example.com" and one(r.msg, "dmarc")[0] == "pass",
   "null sender: SPF of postmaster@HELO passes, aligned: dmarc=pass")
is_(r.args and r.args[:4], ["-G", "-i", "-f", ""], "null sender reinjected with -f \"\"")
r = run(message("a@spf-helo.example.com"), sender="", client="192.0.2.11",
        helo="spf-helo.example.com", over={"pipefilter": {"reject": "add_header"}})
ok(one(r.msg, "spf")[0] == "fail" and one(r.msg, "dmarc")[0] == "fail",
   "null sender from a host the HELO domain does not allow: spf=fail, dmarc=fail")
r = run(message("a@example.com"), client=None, over={"pipefilter": {"reject": "add_header"}})
like(our_raw(r.msg).decode(), r"spf=none \(no client address\)",
     "no --client-address: spf=none (no client address)")

# ===========================================================================
# 6. Authentication-Results: one of ours at the top; forged ones removed
#    however written; others kept; hostile values cannot inject.
# ===========================================================================

r = run(sign(message("a@reject.example.net"), "reject.example.net"))
h, n = ours(r.msg)
ok(h is not None and n == 1 and h.authserv_id == HOST,
   "exactly one AR of ours, first field, authserv-id = [general] hostname")
methods = [x.method for x in h.results] if h else []
is_(methods, ["spf", "dkim", "dmarc"], "spf=, dkim=, dmarc= in that order")
res = results(r.msg)
ok(res["spf"][0][1].get("smtp.mailfrom") == SENDER and
   res["spf"][0][1].get("smtp.helo") == "mx.example.net", "spf= with smtp.mailfrom, smtp.helo")
ok(res["dkim"][0][1].get("header.d") == "reject.example.net" and
   res["dkim"][0][1].get("header.s") == "rsa2048", "dkim= with header.d and header.s")
is_(res["dmarc"][0], ("pass", {"header.from": "reject.example.net", "policy.dmarc": "reject"}),
    "dmarc= with header.from and policy.dmarc")
raw = our_raw(r.msg)
ok(all(len(line) <= 78 for line in raw.split(b"\n")) and raw.endswith(b"\n")
   and not raw.endswith(b"\r\n"), "folded under 78 columns, LF like the message")
r = run(sign(message("a@reject.example.net"), "reject.example.net"),
        over={"general": {"hostname": "Filter-7.Example.NET"}})
h = parse_ar(our_raw(r.msg))
ok(h is not None and h.authserv_id == "filter-7.example.net" and
   our_raw(r.msg).startswith(b"Authentication-Results: Filter-7.Example.NET;"),
   "authserv-id follows [general] hostname, as written")
r = run(message("a@example.org"))
is_(results(r.msg).get("dkim"), [("none", {})], "unsigned message: dkim=none")

forged = [
    b"Authentication-Results: mx.example.org; dmarc=pass header.from=reject.example.net\n",
    b"authentication-results: MX.Example.ORG; dkim=pass header.d=reject.example.net\n",
    b"AUTHENTICATION-RESULTS:\n mx.example.org\n\t; spf=pass\n",
    b"Authentication-Results: (forged) mx.example.org (really); dmarc=pass\n",
    b"Authentication-Results: mx.example.org.; dmarc=pass\n",
    b"Authentication-Results: \"mx.example.org\"; dmarc=pass\n",
    b"Authentication-Results: mx.example.org 1; dmarc=pass\n",
    b"Authentication-Results : mx.example.org; dmarc=pass\n",
    b"Authentication-Results: mx.example.org\n",
    b"Authentication-Results: ;;; (malformed)\n",
]
kept = [
    b"Authentication-Results: other.example.net; dmarc=pass header.from=reject.example.net\n",
    b"Authentication-Results: mx.example.org.evil.example; dkim=pass\n",
    b"Authentication-Results: x-mx.example.org; spf=pass\n",
    b"Authentication-Results: (mx.example.org) relay.example.net; spf=pass\n",
    b"X-Authentication-Results: mx.example.org; dmarc=pass\n",
    b"ARC-Authentication-Results: i=1; mx.example.org; dmarc=pass\n",
]
for i, f in enumerate(forged):
    base = message("a@reject.example.net", body=b"Authentication-Results: mx.example.org; "
                   b"dmarc=pass (in the body: not a header)\n")
    m = f + base
    r = run(m, sender="u@spf-fail.example.com", over={"pipefilter": {"reject": "add_header"}})
    h, n = ours(r.msg)
    ok(n == 1 and r.msg is not None and strip_added(r.msg) == base
       and one(r.msg, "dmarc")[0] == "fail",
       "forged AR removed: %s" % f.decode().replace("\n", "\\n").replace("\t", "\\t"))
# All at once, spread through the header section, with the kept ones between.
parts = message("a@reject.example.net").split(b"\n", 2)
mixed = (forged[0] + kept[0] + parts[0] + b"\n" + forged[2] + kept[1] + kept[2]
         + parts[1] + b"\n" + forged[3] + kept[3] + kept[4] + kept[5] + forged[9]
         + parts[2].replace(b"\n\n", b"\n" + forged[5] + b"\n", 1))
want = mixed
for f in forged:
    want = want.replace(f, b"")
r = run(mixed, sender="u@spf-fail.example.com", over={"pipefilter": {"reject": "add_header"}})
ok(r.msg is not None and strip_added(r.msg) == want,
   "forged fields removed among others; every other byte kept, in order")
ok(r.msg is not None and all(k in r.msg for k in kept), "others' AR fields kept")
like(r.err, r"removed_ar=5", "the removal is logged (removed_ar=5)")
crlf = message("a@reject.example.net", crlf=True)
m = forged[0].replace(b"\n", b"\r\n") + forged[2].replace(b"\n", b"\r\n") + crlf
r = run(m, sender="u@spf-fail.example.com", over={"pipefilter": {"reject": "add_header"}})
ok(r.msg is not None and strip_added(r.msg) == crlf and our_raw(r.msg).endswith(b"\r\n"),
   "CRLF message: forged fields removed, our field ends in CRLF")

hostile = [
    ("quoted local part with ';'", b"\"a;dmarc=pass\"@reject.example.net", None,
     "reject.example.net"),
    ("display name with quotes, ';' and '('",
     b"\"x\\\" ; dmarc=pass (\" <a@reject.example.net>", None, "reject.example.net"),
    ("comment with ';' in the From", b"a@reject.example.net (; dmarc=pass)", None,
     "reject.example.net"),
    ("UTF-8 IDN author", "a@b\u00fccher.reject.example.net".encode(), None,
     "xn--bcher-kva.reject.example.net"),
    ("a quoted domain with ';'", b"a@\"reject.example.net; dmarc=pass\"", None, None),
    ("a domain literal with ';'", b"a@[192.0.2.1;dmarc=pass]", None, None),
    ("a domain with a quote inside", b"a@reject.example.net\"; dmarc=pass", None, None),
    ("a folded From with CR LF tricks",
     b"a@reject.example.net\n X-Injected: yes;\r dmarc=pass", None, None),
]
for title, frm, extra, author in hostile:
    r = run(message(frm, extra=extra or b""), sender="u@spf-fail.example.com",
            over={"pipefilter": {"reject": "add_header"}})
    h, n = ours(r.msg)
    methods = [x.method for x in h.results] if h else []
    res, props = one(r.msg, "dmarc")
    raw = our_raw(r.msg) if r.msg else b""
    good = (n == 1 and methods == ["spf", "dkim", "dmarc"] and b"X-Injected" not in raw
            and all(32 <= c < 127 or c in (9, 10) for c in raw))
    if author:
        good = good and res == "fail" and props.get("header.from") == author
    else:
        good = good and res == "permerror" and "header.from" not in props
    if not ok(good, "hostile From (%s): one dmarc=%s result%s" % (
            title, res, ", header.from=" + author if author else ", no header.from")):
        diag(raw.decode("latin-1"))

bad_sigs = [
    ("d= with quotes, parens, backslash",
     b"DKIM-Signature: v=1; a=rsa-sha256; d=e\"v(i)l\\.example; s=sel; c=relaxed/relaxed;"
     b" h=from; bh=AAAA; b=AAAA\n"),
    ("d= that tries ';' through a fold",
     b"DKIM-Signature: v=1; a=rsa-sha256; d=evil.example\n\t;dmarc=pass; s=x; h=from;"
     b" bh=AAAA; b=AAAA\n"),
    ("selector with spaces and a comment",
     b"DKIM-Signature: v=1; a=rsa-sha256; d=evil.example; s=a b (c); h=from; bh=AAAA; b=AAAA\n"),
    ("8-bit and control bytes in d= and s=",
     b"DKIM-Signature: v=1; a=rsa-sha256; d=\xc3\xa9vil\x01.example; s=\xff\x7f; h=from;"
     b" bh=AAAA; b=AAAA\n"),
    ("d= of 300 bytes",
     b"DKIM-Signature: v=1; a=rsa-sha256; d=" + b"a" * 300 + b".example; s=s; h=from;"
     b" bh=AAAA; b=AAAA\n"),
]
for title, sig in bad_sigs:
    r = run(sig + message("a@reject.example.net"), sender="u@spf-fail.example.com",
            over={"pipefilter": {"reject": "add_header"}})
    h, n = ours(r.msg)
    methods = [x.method for x in h.results] if h else []
    raw = our_raw(r.msg) if r.msg else b""
    if not ok(r.rc == 0 and n == 1 and methods == ["spf", "dkim", "dmarc"]
              and one(r.msg, "dmarc")[0] == "fail"
              and results(r.msg)["dkim"][0][0] == "permerror"
              and results(r.msg)["dkim"][0][1].get("header.a") in (None, "rsa-sha256")
              and all(32 <= c < 127 or c in (9, 10) for c in raw),
              "hostile DKIM-Signature (%s): dkim=permerror, header.a as signed, one "
              "dmarc=fail, parses, printable ASCII" % title):
        diag(raw.decode("latin-1"))

# ===========================================================================
# 7. Disposition and exit status under every setting.
# ===========================================================================

REJ = ("a@reject.example.net", "example.com")
QUA = ("a@quarantine.example.net", "example.com")
disp_cases = [
    # (message, settings, rc, delivered, mark, stderr, disposition, reason, title)
    (REJ, {}, 0, False, None, None, "reject", None, "p=reject, default reject = discard: "
     "exit 0, nothing reinjected"),
    (REJ, {"reject": "discard"}, 0, False, None, None, "reject", None, "reject = discard"),
    (REJ, {"reject": "reject"}, 69, False, None, r"^5\.7\.1 ", "reject", None,
     "reject = reject: exit 69, 5.7.1 on stderr"),
    (REJ, {"reject": "add_header"}, 0, True, b"X-Spam: Yes", None, "quarantine",
     "local_policy", "reject = add_header: treated as quarantine"),
    (REJ, {"reject": "add_header", "spam_header": "X-DMARC-Quarantine: yes"}, 0, True,
     b"X-DMARC-Quarantine: yes", None, "quarantine", "local_policy",
     "reject = add_header with a custom spam_header"),
    (QUA, {}, 0, True, b"X-Spam: Yes", None, "quarantine", None,
     "p=quarantine, default quarantine = add_header: X-Spam: Yes"),
    (QUA, {"spam_header": "X-DMARC-Quarantine: yes"}, 0, True, b"X-DMARC-Quarantine: yes",
     None, "quarantine", None, "spam_header = X-DMARC-Quarantine: yes"),
    (QUA, {"quarantine": "none"}, 0, True, None, None, "none", "local_policy",
     "quarantine = none: delivered unmarked, reason local_policy"),
    (QUA, {"reject": "reject"}, 0, True, b"X-Spam: Yes", None, "quarantine", None,
     "reject = reject does not touch a quarantine"),
]
for (frm, d), settings, rc, delivered, mark, err, disp, reason, title in disp_cases:
    r = run(sign(message(frm), d), sender=NOSPF, over={"pipefilter": settings})
    rec = record(r.qid)
    good = (r.rc == rc and bool(r.deliveries) == delivered
            and (not delivered or spam_mark(r.msg) == mark or (mark is None and
                                                                 spam_mark(r.msg) is None))
            and (err is None or re.search(err, r.err, re.M))
            and rec.get("disposition") == disp
            and (reason is None or rec.get("reason0", "").startswith(reason + "/")))
    if not ok(good, "disposition: " + title):
        diag("rc=%d deliveries=%d mark=%r rec=%r err=%s" % (
            r.rc, len(r.deliveries), spam_mark(r.msg) if r.msg else None, rec, r.err))
for frm, title in [(REJ, "reject = add_header"), (QUA, "quarantine = add_header")]:
    r = run(sign(message(frm[0]), frm[1]), sender=NOSPF,
            over={"pipefilter": {"reject": "add_header"}})
    ok(r.msg is not None and added(r.msg) == 2 and head_fields(r.msg)[1] == b"X-Spam: Yes\n",
       "%s: the mark is the second field, after our AR" % title)
r = run(sign(message(QUA[0], crlf=True), QUA[1]), sender=NOSPF)
ok(r.msg is not None and spam_mark(r.msg) == b"X-Spam: Yes" and
   head_fields(r.msg)[1] == b"X-Spam: Yes\r\n", "the mark of a CRLF message ends in CRLF")
r = run(sign(message(REJ[0]), REJ[1]), sender=NOSPF, over={"pipefilter": {"reject": "reject"}})
like(r.err, r"(?m)^5\.7\.1 .*reject\.example\.net", "the 5.7.1 reason names the policy domain")
r = run(message("a@temp.example.net"), over={"pipefilter": {"temperror": "tempfail"}})
ok(r.rc == 75 and not r.deliveries, "temperror = tempfail: exit 75, not reinjected")

# Usage and configuration errors.
usage = [
    ([FILTER, "-c", conf(), "--", "bob@example.org"], "no -f"),
    ([FILTER, "-c", conf(), "-f", SENDER], "no recipient"),
    ([FILTER, "-c", conf(), "-f", SENDER, "--"], "no recipient after --"),
    ([FILTER, "-c", conf(), "--bogus", "-f", SENDER, "--", "bob@example.org"],
     "unknown option"),
    ([FILTER, "-c", conf(), "-f"], "-f without its argument"),
]
for argv, title in usage:
    r = run(message("a@example.com"), argv=argv)
    ok(r.rc == 64 and not r.deliveries, "usage error (%s): exit 64, nothing reinjected" % title)
bad_confs = [
    ("[pipefilter]\nquarantine = maybe\n", "bad enum value"),
    ("[pipefilter]\nreject = bounce\n", "reject = bounce"),
    ("[pipefilter]\ntemperror = ignore\n", "temperror = ignore"),
    ("[pipefilter]\nsendmail = sendmail -t\n", "relative sendmail path"),
    ("[pipefilter]\nspam_header = no colon here\n", "spam_header without a colon"),
    ("[pipefilter]\nbogus = 1\n", "unknown key"),
    ("[pipefilter\n", "broken section line"),
]
for text, title in bad_confs:
    path = os.path.join(work, "bad.conf")
    with open(path, "w") as f:
        f.write(text)
    r = run(message("a@example.com"), argv=[FILTER, "-c", path, "-f", SENDER, "--",
                                             "bob@example.org"])
    ok(r.rc == 78 and not r.deliveries, "configuration error (%s): exit 78" % title)
    r = run(b"", argv=[FILTER, "-c", path, "-n"])
    ok(r.rc == 78 and re.search(r"bad\.conf:\d+: ", r.err), "-n reports it as FILE:LINE")
r = run(message("a@example.com"), argv=[FILTER, "-c", os.path.join(work, "missing.conf"),
                                         "-f", SENDER, "--", "bob@example.org"])
ok(r.rc == 78 and not r.deliveries, "-c of a file that does not exist: exit 78")
r = run(b"", argv=[FILTER, "-c", conf(), "-n"])
is_(r.rc, 0, "-n on a good file: exit 0")
r = run(b"", argv=[FILTER, "-V"])
ok(r.rc == 0 and r.err == "", "-V: exit 0")

# The sendmail command: exactly <sendmail...> -G -i -f SENDER -- RECIPIENT...
rcpts = ["bob@example.org", "-oQ/tmp/evil@example.org", "$(touch /tmp/pd-x)@example.org",
         "carol@example.net"]
r = run(message("a@example.com"), rcpt=rcpts,
        over={"pipefilter": {"sendmail": SENDMAIL + " -oi -oXlog"}})
is_(r.args, ["-oi", "-oXlog", "-G", "-i", "-f", SENDER, "--"] + rcpts,
    "sendmail argv: leading arguments, -G -i -f SENDER -- RECIPIENT... (no shell)")
ok(not os.path.exists("/tmp/pd-x"), "a recipient with $(...) reaches no shell")
r = run(message("a@example.org"), sender="-oQevil@example.com")
is_(r.args, ["-G", "-i", "-f", "-oQevil@example.com", "--", "bob@example.org"],
    "a sender that looks like an option stays the argument of -f")
is_(len(r.deliveries), 1, "one message, one sendmail run")

# ===========================================================================
# 8. The SPF verdict of postdmarc-policyd for the same queue id is reused.
# ===========================================================================

pconf = conf()


def policyd_eom(qid, sender, client="192.0.2.5", over=None):
    reqs = (policy_request(sender=sender, client_address=client, instance=qid) +
            policy_request(sender=sender, client_address=client, instance=qid,
                           protocol_state="END-OF-MESSAGE", queue_id=qid))
    out = subprocess.run([bin("postdmarc-policyd"), "-c", conf(over), "--stdio"], input=reqs,
                         capture_output=True, text=True, timeout=60)
    return out.stdout


policyd_eom("4POLICYD1A", SENDER)
ok(any(x.get("qid") == "4POLICYD1A" and x.get("mfrom_result") == "pass"
       for x in storedump(store, "spf")), "postdmarc-policyd stored its verdict for 4POLICYD1A")
r = run(message("a@example.com"), qid="4POLICYD1A")
like(our_raw(r.msg).decode(), r"spf=pass \(from the SMTP-time check\)",
     "the filter uses it for --queue-id=4POLICYD1A (AR: from the SMTP-time check)")
like(r.err, r"spf=pass \(policyd\)", "and logs spf=pass (policyd)")
ok(one(r.msg, "dmarc")[0] == "pass", "the stored pass aligns: dmarc=pass")
policyd_eom("4POLICYD2A", "u@spf-fail.example.com",
            over={"policyd": {"mail_from_reject": "off"}})
r = run(message("a@spf-fail.example.com"), sender="u@spf-fail.example.com", qid="4POLICYD2A",
        over={"pipefilter": {"reject": "add_header"}})
ok(re.search(r"spf=fail \(from the SMTP-time check\)", our_raw(r.msg).decode()) and
   one(r.msg, "dmarc")[0] == "fail", "a stored fail is used too: dmarc=fail")
r = run(message("a@example.com"), qid="4NOTSTORED")
ok(r.msg is not None and "SMTP-time" not in our_raw(r.msg).decode() and
   one(r.msg, "spf")[0] == "pass" and "(policyd)" not in r.err,
   "without a stored verdict the filter checks SPF itself")
r = run(message("a@example.com"), qid="4POLICYD1A", client="192.0.2.6")
ok(r.msg is not None and "SMTP-time" not in our_raw(r.msg).decode(),
   "a stored verdict for another client address is not used")
policyd_eom("4POLICYD3A", SENDER)
r = run(message("a@example.com"), qid="4POLICYD3A", over={"general": {"debug": "yes"}})
queried = re.findall(r"dns: (\S+)/\d+: ", r.err)
ok(one(r.msg, "dmarc")[0] == "pass" and "(policyd)" in r.err and not queried,
   "with the stored verdict, the MAIL FROM domain's DMARC records are prefetched "
   "(relaxed alignment): no lookup left the cache %r" % queried) or diag(r.err)

# ===========================================================================
# 9. Any size, any bytes: the message goes out as it came, byte for byte,
#    except the fields added and removed; memory stays bounded.
# ===========================================================================

big_line = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/ 123456789\n"
big = sign(message("a@example.com", body=big_line * (50 * 1024 * 1024 // len(big_line)),
                   subject=b"50 MB"), "example.com", canon=(b"simple", b"simple"))
rss_file = os.path.join(work, "rss")
r = run(big, wrap=["/usr/bin/time", "-f", "%M", "-o", rss_file], sender=NOSPF)
rss_kb = int(open(rss_file).read().split()[-1])
ok(r.rc == 0 and results(r.msg).get("dkim", [(None,)])[0][0] == "pass" and
   one(r.msg, "dmarc")[0] == "pass", "50 MB signed message: dkim=pass over the whole body")
ok(r.msg is not None and sha(strip_added(r.msg)) == sha(big) and len(strip_added(r.msg)) ==
   len(big), "50 MB: reinjected byte for byte (%d bytes)" % len(big))
ok(rss_kb < 32 * 1024, "50 MB: peak resident memory %.1f MB (under 32 MB)" % (rss_kb / 1024.0))
diag("50 MB message: %.2f s, peak RSS %d kB" % (r.elapsed, rss_kb))
ok(not os.listdir(tmpdir), "the spool file is gone afterwards")
del big

eight_bit = bytes(b for b in range(1, 256) if b != 13)
odd = [
    ("a 200 KB single-line body", message("a@example.com", body=b"x" * 200000 + b"\n")),
    ("a 200 KB line without a final newline", message("a@example.com", body=b"y" * 200000)),
    ("8-bit bytes everywhere", message("a@example.com", subject=b"caf\xc3\xa9 \xe9t\xe9 \xff",
                                       body=eight_bit * 40 + b"\n\x00\x00end\n")),
    ("CRLF line endings", message("a@example.com", crlf=True, body=b"line 1\nline 2\n\n")),
    ("no final newline", message("a@example.com", body=b"the end, no newline")),
    ("an empty body", message("a@example.com", body=b"")),
    ("64 KB of blank lines around a chunk edge",
     message("a@example.com", body=b"a" * 65530 + b"\n" * 20 + b"b  \t \n" * 3)),
]
for title, m in odd:
    m = sign(m, "example.com")
    r = run(m, sender=NOSPF)
    ok(r.msg is not None and strip_added(r.msg) == m and one(r.msg, "dmarc")[0] == "pass"
       and results(r.msg).get("dkim", [(None,)])[0][0] == "pass",
       "%s: dkim=pass, reinjected byte for byte" % title)
# Bare CRs are not RFC 5322: signers and verifiers differ (libopendkim makes
# each a line break, python3-dkim keeps it), so only the bytes are checked.
m = sign(message("a@example.com", body=b"a\rb\r\nc\nd\r"), "example.com")
r = run(m)
ok(r.msg is not None and strip_added(r.msg) == m,
   "bare CR and lone LF mixed: reinjected byte for byte")

raw_cases = [
    ("a header section without a body or an empty line",
     b"From: a@example.com\nSubject: header only\n"),
    ("a header without any final newline", b"From: a@example.com\nSubject: cut"),
    ("an empty message", b""),
    ("a 200 KB header field (twice Postfix's header_size_limit)",
     b"X-Long: " + b"z" * 200000 + b"\n" + message("a@nothing.example.org")),
    ("5000 header fields", b"X-Many: 1\n" * 5000 + message("a@nothing.example.org")),
    ("a 1.5 MB header section (over the spool threshold: kept in memory)",
     b"X-Big: " + b"q" * 60000 + b"\n" + (b"X-Big: " + b"q" * 60000 + b"\n") * 25
     + message("a@nothing.example.org")),
]
for title, m in raw_cases:
    r = run(m)
    ok(r.rc == 0 and r.msg is not None and strip_added(r.msg) == m and ours(r.msg)[1] == 1,
       "%s: delivered byte for byte below our AR" % title)
    if r.msg is None:
        diag(r.err)

# Large header sections are parsed whole: a forged AR among 5000 fields goes.
r = run(b"X-Many: 1\n" * 5000 + forged[0] + message("a@nothing.example.org"))
ok(r.rc == 0 and r.msg is not None and ours(r.msg)[1] == 1,
   "a forged AR of ours among 5000 header fields is removed")
# Past every limit (100000 fields): nothing can be judged, and delivering it
# unjudged would be a way around DMARC: handled as the reject setting says.
huge = b"X-Many: 1\n" * 100001 + message("a@nothing.example.org")
r = run(huge)
ok(r.rc == 0 and r.msg is None and "handled as a DMARC reject" in r.err,
   "a header section past every limit: discarded (reject = discard)")
r = run(huge, over={"pipefilter": {"reject": "reject"}})
ok(r.rc == 69 and r.msg is None and "5.6.0" in r.err,
   "a header section past every limit, reject = reject: 69 with 5.6.0")
# The spool keeps a header section in memory up to MSG_HEAD_MAX (lib/limits.h)
# bytes, its empty line included: one byte more cannot be judged.
MSG_HEAD_MAX, MSG_HEADER_MAX = 16 * 1024 * 1024, 1024 * 1024
tail = message("a@nothing.example.org")
cut = tail.index(b"\n\n") + 2
for extra, want in [(0, "delivered byte for byte"), (1, "discarded (reject = discard)")]:
    last = MSG_HEADER_MAX - cut + extra
    m = ((b"X-Fill: " + b"f" * (MSG_HEADER_MAX - 9) + b"\n") * 15
         + b"X-Fill: " + b"f" * (last - 9) + b"\n" + tail)
    assert m.index(b"\n\n") + 2 == MSG_HEAD_MAX + extra
    r = run(m)
    if extra == 0:
        good = r.msg is not None and strip_added(r.msg) == m
    else:
        good = r.msg is None and "handled as a DMARC reject" in r.err
    ok(r.rc == 0 and good, "a header section of MSG_HEAD_MAX%s bytes: %s" % (
        " + 1" if extra else "", want)) or diag(r.err[-300:])
del m

# ===========================================================================
# 10. The store: one record per message, whatever the number of pipe(8)
#     deliveries, with every field a report needs.
# ===========================================================================

m = sign(message("a@testing.example.net"), "example.com")
r1 = run(m, qid="4DUPQID01", sender=SENDER, client="2001:db8:1::25",
         rcpt=("bob@example.org", "carol@example.net"))
r2 = run(m, qid="4DUPQID01", sender=SENDER, client="2001:db8:1::25", rcpt=("dave@example.org",),
         keep=True)
ok(r1.rc == 0 and r2.rc == 0 and len(r2.deliveries) == 2,
   "the same queue id twice: two deliveries")
is_(len(records("4DUPQID01")), 1, "and one store record")
like(r2.err, r"already recorded", "the second run says it is already recorded")
rec = record("4DUPQID01")
want = {"qid": "4DUPQID01", "ip": "2001:db8:1::25", "env_from": "spf-pass.example.com",
        "env_to": "example.org", "header_from": "testing.example.net",
        "spf_domain": "spf-pass.example.com", "spf_scope": "mfrom", "spf": "pass",
        "dmarc": "fail", "dkim_aligned": "0", "spf_aligned": "0", "disposition": "quarantine",
        "policy_domain": "testing.example.net", "p": "reject", "sp": "", "np": "",
        "adkim": "r", "aspf": "r", "testing": "1", "psd": "u", "discovery": "treewalk",
        "ndkim": "1", "dkim0": "example.com/rsa2048/pass",
        "reason0": "policy_test_mode/t=y"}
for k, v in want.items():
    is_(rec.get(k), v, "store record field %s" % k)
ok(abs(int(rec.get("time", "0")) - time.time()) < 600, "store record field time: now")
r = run(sign(message("a@reject.example.net"), "reject.example.net"), sender=NOSPF)
rec = record(r.qid)
ok(rec.get("rua0") == "mailto:agg@reject.example.net" and rec.get("dkim_aligned") == "1"
   and rec.get("disposition") == "pass", "the rua of the policy is stored with the record")
r = run(fixture("two"), sender=NOSPF)
rec = record(r.qid)
ok(rec.get("ndkim") == "2" and rec.get("dkim0") == "example.com/ed/pass" and
   rec.get("dkim1") == "example.net/missing/permerror", "every signature is stored")
r = run(message("a@example.com"), qid="")
ok(r.rc == 0 and r.msg is not None, "no queue id: delivered (nothing to key a record on)")

# ===========================================================================
# 11. Skips: local and authenticated senders pass through unevaluated.
# ===========================================================================

skip_msg = forged[0] + sign(message("a@reject.example.net"), "example.com")
skips = [
    (dict(client="127.0.0.1"), {}, "client 127.0.0.1 (default skip_addresses)"),
    (dict(client="::1"), {}, "client ::1"),
    (dict(sasl="bob"), {}, "an authenticated sender"),
    (dict(client="198.51.100.7"), {"skip_addresses": "198.51.100.0/24, 2001:db8:9::/48"},
     "a client in a custom skip_addresses"),
    (dict(client="2001:db8:9::1"), {"skip_addresses": "198.51.100.0/24, 2001:db8:9::/48"},
     "an IPv6 client in a custom skip_addresses"),
]
for kw, settings, title in skips:
    r = run(skip_msg, sender="u@spf-fail.example.com", over={"pipefilter": settings}, **kw)
    ok(r.rc == 0 and r.msg == skip_msg and not records(r.qid),
       "skip: %s: byte-identical, no AR, no record" % title)
not_skipped = [
    (dict(sasl="bob"), {"skip_authenticated": "no"}, "skip_authenticated = no"),
    (dict(client="127.0.0.1"), {"skip_addresses": "198.51.100.0/24"},
     "127.0.0.1 with a custom list that leaves it out"),
]
for kw, settings, title in not_skipped:
    r = run(skip_msg, sender="u@spf-fail.example.com", over={"pipefilter": settings}, **kw)
    ok(r.rc == 0 and not r.deliveries and record(r.qid).get("dmarc") == "fail",
       "not skipped: %s: evaluated (p=reject: discarded)" % title)

# ===========================================================================
# 12. Faults: a message is never lost (exit 75 keeps it with Postfix) and
#     never sent twice.
# ===========================================================================


black_hole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)   # bound, never read
black_hole.bind(("127.0.0.1", 0))
m = sign(message("a@example.com"), "example.com")
dns_faults = [
    (conf(nameservers="127.0.0.1:%d" % free_port(udp=True), timeout="1s"), m,
     "DNS down (no server on the port)"),
    (conf(nameservers="127.0.0.1:%d" % black_hole.getsockname()[1], timeout="1s"), m,
     "DNS silent (a socket that never answers)"),
    (conf(timeout="1s"), message("a@x.silent.example.net"),
     "From domain under silent.example.net (queries dropped)"),
]
for path, msg, title in dns_faults:
    r = run(msg, confpath=path)
    ok(r.rc == 75 and not r.deliveries and re.search(r"^4\.\d\.\d ", r.err, re.M),
       "%s: exit 75, 4.x.x reason, nothing reinjected (%.1fs)" % (title, r.elapsed))
    ok(r.elapsed < 30, "%s: gives up in bounded time" % title)
black_hole.close()
r = run(message("a@x.silent.example.net"), over={"pipefilter": {"temperror": "accept"}})
ok(r.rc == 0 and one(r.msg, "dmarc")[0] == "temperror",
   "silent DNS with temperror = accept: delivered with dmarc=temperror")

# The spool cannot be written: the message stays queued.
r = run(sign(message("a@example.com", body=b"s" * 300000 + b"\n"), "example.com"),
        over={"pipefilter": {"tmpdir": "/proc/postdmarc-no-such-dir",
                             "spool_threshold": "64k"}})
ok(r.rc == 75 and not r.deliveries, "a message over spool_threshold with no usable tmpdir: "
   "exit 75, nothing reinjected")

# A header section longer than spool_threshold, arriving in reads that end
# off the threshold: the part past it stays in memory with the rest of the
# header section (it once went to the spool file, and the message came out
# "header section incomplete").
big = message("a@example.com", extra=b"".join(b"X-Filler-%05d: %s\n" % (i, b"f" * 60)
                                              for i in range(3000)))
sendmail_clear(outdir)
p = subprocess.Popen([FILTER, "-c", conf(over={"pipefilter": {"spool_threshold": "64k"}}),
                      "-f", SENDER, "--client-address=192.0.2.5", "--queue-id=4TSLOWHEAD",
                      "--", "bob@example.org"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                     env=dict(os.environ, FAKE_SENDMAIL_DIR=outdir, TMPDIR=tmpdir))
for piece in (big[:1000], big[1000:70001], big[70001:]):
    p.stdin.write(piece)
    p.stdin.flush()
    time.sleep(0.2)
p.stdin.close()
err = p.stderr.read().decode("utf-8", "replace")
p.wait(timeout=90)
r = Run(p.returncode, err, sendmail_runs(outdir), 0, "4TSLOWHEAD")
ok(r.rc == 0 and r.msg is not None and strip_added(r.msg) == big,
   "a 240 KB header section over a 64 KB spool_threshold, written in slow pieces: "
   "delivered byte for byte") or diag(err)

# A read-only store, the filter running as nobody: delivered and logged.
# Needs root (to become nobody) and a tree nobody can read (the build
# directory, this script's workdir); a CI checkout under a private home
# directory is not, and then these checks are skipped.
ASNOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def nobody_can_run():
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return "not root, or no setpriv"
    probe = subprocess.run(ASNOBODY + ["sh", "-c", 'test -x "$1" && test -r "$2" && '
                                       'test -x "$3" && test -w "$4" && test -w "$5"',
                                       "sh", FILTER, conf(), SENDMAIL, outdir, tmpdir],
                           capture_output=True)
    return None if probe.returncode == 0 else "user nobody cannot reach the build tree"


def read_only_store():
    ro = os.path.join(work, "rostore")
    os.makedirs(ro)
    r = run(message("a@example.com"), confpath=conf(store_dir=ro))     # as root: one record
    ok(r.rc == 0 and len(storedump(ro, "msg")) == 1, "a store written by root")
    os.chmod(ro, 0o555)
    for f in os.listdir(ro):
        os.chmod(os.path.join(ro, f), 0o444)
    r = run(sign(message("a@example.com"), "example.com"), confpath=conf(store_dir=ro),
            wrap=ASNOBODY, qid="4ROSTORE1")
    ok(r.rc == 0 and r.msg is not None and one(r.msg, "dmarc")[0] == "pass",
       "read-only store (filter as nobody): the message is delivered")
    like(r.err, r"store .*: Permission denied; store=error: the message is not recorded",
         "and the store failure is logged")
    ok(not any(x.get("qid") == "4ROSTORE1" for x in storedump(ro, "msg")),
       "and nothing was recorded")
    r = run(sign(message("a@example.com", body=b"r" * 2000000 + b"\n"), "example.com"),
            confpath=conf(store_dir=ro, over={"pipefilter": {"spool_threshold": "64k"}}),
            wrap=ASNOBODY)
    ok(r.rc == 0 and r.msg is not None and one(r.msg, "dmarc")[0] == "pass",
       "as nobody, a 2 MB message spooled to the test's own world-writable tmpdir")
    os.chmod(ro, 0o755)


why_not = nobody_can_run()
if why_not:
    # The names of read_only_store()'s five checks.
    for name in ("a store written by root",
                 "read-only store (filter as nobody): the message is delivered",
                 "and the store failure is logged", "and nothing was recorded",
                 "as nobody, a 2 MB message spooled to the test's own world-writable tmpdir"):
        skip(name, why_not)
else:
    read_only_store()

# sendmail missing, failing, dying: exit 75, the message stays queued.
sm_faults = [
    ({"sendmail": "/nonexistent/sendmail"}, {}, "missing", r"cannot run|No such file"),
    ({}, {"FAKE_SENDMAIL_EXIT": "1"}, "exiting 1", r"exited 1"),
    ({}, {"FAKE_SENDMAIL_EXIT": "75"}, "exiting 75", r"exited 75"),
    ({}, {"FAKE_SENDMAIL_MODE": "die"}, "killed while reading", r"signal 9"),
]
for settings, env, title, why in sm_faults:
    m = sign(message("a@quarantine.example.net"), "example.com")
    qid = "4SM%s" % re.sub(r"\W", "", title)
    r = run(m, qid=qid, over={"pipefilter": settings}, env=env)
    calls = len([f for f in os.listdir(outdir) if f.endswith(".args")])
    ok(r.rc == 75 and re.search(r"^4\.3\.0 .*" + why, r.err, re.M),
       "sendmail %s: exit 75 with the reason" % title)
    ok(calls <= 1, "sendmail %s: run at most once (%d)" % (title, calls))
    r2 = run(m, qid=qid)
    ok(r2.rc == 0 and len(r2.deliveries) == 1 and spam_mark(r2.msg) == b"X-Spam: Yes"
       and len(records(qid)) == 1,
       "sendmail %s: Postfix's retry delivers it once, still one record" % title)
r = run(sign(message("a@example.com", body=b"c" * 1000000 + b"\n"), "example.com"),
        env={"FAKE_SENDMAIL_MODE": "close"})
ok(r.rc == 75, "sendmail closing its input unread on a 1 MB message: exit 75")
ok(not os.listdir(tmpdir), "no spool file left behind by any run")

done()
